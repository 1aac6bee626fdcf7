"""The lesson tick: every few minutes, enqueue the weekly lessons, reminders and follow-ups now due."""

from __future__ import annotations

from datetime import datetime

from bot.core import Core


async def run(core: Core, now: datetime) -> str:
    """Reads our own enrolment rows and hands what is due to the outbox; nothing is pickled."""
    return await core.services.learning.tick(now)
