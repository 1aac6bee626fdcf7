"""Job bookkeeping for the time edge: one run per period, bounded records, and the scheduler's lock.

`jobs/` reaches the database only through this service, as the chat edges reach it through the
core's services.
"""

from __future__ import annotations

import contextlib
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


class SchedulerLock:
    """The PostgreSQL advisory lock that elects the one process running the scheduler.

    Held by one database connection: when the process dies, the connection closes and the lock
    is free for another replica's next attempt."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._connection: AsyncConnection | None = None
        self.held = False

    async def attempt(self) -> bool:
        """Take the lock if it is free, or check that ours still stands; raises when the
        connection is lost (then `drop` and try again later)."""
        if self._connection is None:
            self._connection = await self._db.engine.connect()
        if self.held:
            await leader.still_alive(self._connection)
        else:
            self.held = await leader.try_lock(self._connection)
        # End the implicit transaction so the connection is not left idle in one;
        # the advisory lock is session-level and survives the rollback.
        await self._connection.rollback()
        return self.held

    async def drop(self) -> None:
        self.held = False
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.invalidate()
            self._connection = None
