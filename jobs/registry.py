"""The jobs: every installed feature's ticks, registered with stable ids; each a thin call into the core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.core import Core
from bot.features import Tick


@dataclass(frozen=True)
class JobSpec:
    """A feature's tick as the scheduler sees it."""

    tick: Tick

    @property
    def job_id(self) -> str:
        return self.tick.job_id

    @property
    def description(self) -> str:
        return self.tick.description

    def trigger(self, tz: ZoneInfo) -> BaseTrigger:
        return CronTrigger(timezone=tz, **self.tick.cron)

    def period(self, at: datetime, tz: ZoneInfo) -> str:
        return at.astimezone(tz).strftime(self.tick.period_format)


def jobs(core: Core) -> tuple[JobSpec, ...]:
    """Built from the installed features, so a new feature's tick needs no edit here."""
    return tuple(JobSpec(tick) for tick in core.ticks)


def find(core: Core, job_id: str) -> JobSpec | None:
    return next((job for job in jobs(core) if job.job_id == job_id), None)
