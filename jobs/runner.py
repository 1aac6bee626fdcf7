"""Running one job for one period: claimed in the database first, so no period runs twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core import Core
from jobs.registry import JobSpec
from storage.job_runs import claim_period, finish_period

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobResult:
    job_id: str
    period: str
    ran: bool
    summary: str


async def run_job(core: Core, job: JobSpec, *, force: bool = False) -> JobResult:
    now = core.clock.now()
    period = job.period(now, core.settings.tz)
    if force:
        period = f"{period}#manual-{now:%Y%m%dT%H%M%S.%f}"
    async with core.database.session() as session:
        claimed = await claim_period(session, job_id=job.job_id, period=period, now=now)
    if not claimed:
        log.info("job already ran for this period", extra={"job": job.job_id, "period": period})
        core.metrics.job_runs.labels(job.job_id, "skipped").inc()
        return JobResult(job.job_id, period, False, "already ran for this period")
    try:
        summary = await job.func(core, now)
    except Exception:
        log.exception("job failed", extra={"job": job.job_id, "period": period})
        async with core.database.session() as session:
            await finish_period(
                session, job_id=job.job_id, period=period, outcome="failed", now=core.clock.now()
            )
        raise
    async with core.database.session() as session:
        await finish_period(session, job_id=job.job_id, period=period, outcome="ok", now=core.clock.now())
    core.metrics.job_runs.labels(job.job_id, "ok").inc()
    log.info("job ran", extra={"job": job.job_id, "period": period})
    return JobResult(job.job_id, period, True, summary)
