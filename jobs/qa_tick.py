"""Question-hours tick: opens and closes scheduled sessions, reminds champions, escalates late questions.

Runs every minute. The schedule is rows in `qa_slot`, read on each tick; each action is keyed
(a session per sitting, an outbox key per post), so a repeated or overlapping tick does nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core import Core


async def run(core: Core, now: datetime) -> str:
    return str(await core.services.question_hours.tick())
