"""The scheduler: APScheduler on the bot's loop, started only by the elected leader.

APScheduler must not share a job store between schedulers, so on PostgreSQL the replicas
compete for an advisory lock and only the holder runs jobs; when it dies, its connection
closes, the lock is free, and another replica takes over at its next attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core import Core
from bot.services.job_runs import SchedulerLock
from jobs.registry import JobSpec, jobs
from jobs.runner import run_job

log = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 600


def build_scheduler(core: Core) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=core.settings.tz)
    for job in jobs(core):
        scheduler.add_job(
            run_scheduled,
            trigger=job.trigger(core.settings.tz),
            args=(core, job),
            id=job.job_id,
            name=job.description,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )
    return scheduler


async def run_scheduled(core: Core, job: JobSpec) -> None:
    with contextlib.suppress(Exception):  # run_job logged it with the job id; the scheduler keeps going
        await run_job(core, job)


def next_runs(core: Core, now: datetime) -> list[tuple[JobSpec, datetime | None]]:
    return [(job, job.trigger(core.settings.tz).get_next_fire_time(None, now)) for job in jobs(core)]


class SchedulerLeader:
    """Runs the scheduler in whichever process holds the lock; SQLite has one process, so it always does."""

    def __init__(self, core: Core) -> None:
        self._core = core
        self._scheduler: AsyncIOScheduler | None = None
        self._lock = SchedulerLock(core.database)
        self._task: asyncio.Task[None] | None = None
        self.state = "standby"

    @property
    def is_leader(self) -> bool:
        return self._scheduler is not None

    async def start(self) -> None:
        if self._core.database.is_sqlite:
            self._lead()
            return
        self._task = asyncio.create_task(self._campaign(), name="scheduler-leader")

    def _lead(self) -> None:
        self._scheduler = build_scheduler(self._core)
        self._scheduler.start()
        self.state = "leader"
        log.info("scheduler started: this process runs the jobs")

    def _step_down(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        self.state = "standby"

    async def _campaign(self) -> None:
        interval = self._core.settings.leader_retry_seconds
        while True:
            try:
                if await self._lock.attempt() and not self.is_leader:
                    self._lead()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("scheduler leadership check failed: %s", error)
                if self.is_leader:
                    log.warning("scheduler stopped: lost the database connection that held the lock")
                self._step_down()
                await self._lock.drop()
            await asyncio.sleep(interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._step_down()
        await self._lock.drop()
