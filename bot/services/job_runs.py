"""Job bookkeeping for the time edge: one run per period, bounded records, and the scheduler's lock.

`jobs/` reaches the database only through this service, as the chat edges reach it through the
core's services.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from storage import job_runs, leader
from storage.engine import Database


class JobRuns:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def claim(self, job_id: str, period: str, now: datetime) -> bool:
        """True for exactly one caller per (job, period), across processes."""
        async with self._db.session() as session:
            return await job_runs.claim_period(session, job_id=job_id, period=period, now=now)

    async def finish(self, job_id: str, period: str, outcome: str, now: datetime) -> None:
        async with self._db.session() as session:
            await job_runs.finish_period(session, job_id=job_id, period=period, outcome=outcome, now=now)

    async def prune(self, job_id: str, before: datetime) -> int:
        """Drop the job's records older than `before`; its past periods are never claimed again."""
        async with self._db.session() as session:
            return await job_runs.delete_job_runs_before(session, job_id=job_id, cutoff=before)

    async def try_lead(self, connection: AsyncConnection) -> bool:
        """Take the scheduler's advisory lock on this connection (PostgreSQL), if no one holds it."""
        return await leader.try_lock(connection)

    async def still_leading(self, connection: AsyncConnection) -> bool:
        return await leader.still_alive(connection)
