"""Question-hours tick: opens and closes scheduled sessions, reminds champions, escalates late questions.

Runs every minute. The schedule is rows in `qa_slot`, read on each tick; each action is keyed
(a session per sitting, an outbox key per post), so a repeated or overlapping tick does nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from storage.question_hours import forget_tick_runs

if TYPE_CHECKING:
    from bot.core import Core


RUN_RETENTION = timedelta(days=2)


async def run(core: Core, now: datetime) -> str:
    report = await core.services.question_hours.tick()
    async with core.database.session() as session:
        await forget_tick_runs(session, job_id="qa_tick", before=now - RUN_RETENTION)
    return str(report)
