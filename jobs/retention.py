"""Retention: the database keeps bookkeeping only as long as it is useful."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from storage.job_runs import delete_runs_before

if TYPE_CHECKING:
    from bot.core import Core

JOB_RUN_RETENTION = timedelta(days=400)


async def run(core: Core, now: datetime) -> str:
    async with core.database.session() as session:
        deleted = await delete_runs_before(session, now - JOB_RUN_RETENTION)
    return f"deleted {deleted} old job-run records"
