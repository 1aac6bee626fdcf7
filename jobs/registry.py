"""The fixed jobs, registered from code with stable ids; each is a thin call into the core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.core import Core
from jobs import campaign_tick, learning_tick, qa_tick, retention

JobFunc = Callable[[Core, datetime], Awaitable[str]]


@dataclass(frozen=True)
class JobSpec:
    job_id: str
    description: str
    func: JobFunc
    cron: dict[str, str]
    period_format: str  # strftime of the local run time: one run per distinct value

    def trigger(self, tz: ZoneInfo) -> BaseTrigger:
        return CronTrigger(timezone=tz, **self.cron)

    def period(self, at: datetime, tz: ZoneInfo) -> str:
        return at.astimezone(tz).strftime(self.period_format)


JOBS: tuple[JobSpec, ...] = (
    JobSpec(
        job_id="retention",
        description="delete old job runs, inbound event ids and delivered outbox messages",
        func=retention.run,
        cron={"hour": "3", "minute": "17"},
        period_format="%Y-%m-%d",
    ),
    JobSpec(
        job_id="learning_tick",
        description="send the weekly lessons at each person's local time, reminders and follow-ups",
        func=learning_tick.run,
        cron={"minute": "*/5"},
        period_format="%Y-%m-%dT%H:%M",
    ),
    JobSpec(
        job_id="campaign_tick",
        description="fan out the HR campaigns (nudge schedule) that are due; keep their progress live",
        func=campaign_tick.run,
        cron={"minute": "*"},
        period_format="%Y-%m-%dT%H:%M",
    ),
    JobSpec(
        job_id="qa_tick",
        description="open and close scheduled question hours, remind champions, escalate late questions",
        func=qa_tick.run,
        cron={"minute": "*"},
        period_format="%Y-%m-%dT%H:%M",
    ),
)


def find(job_id: str) -> JobSpec | None:
    return next((job for job in JOBS if job.job_id == job_id), None)
