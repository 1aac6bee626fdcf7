"""Running one job for one period: claimed in the database first, so no period runs twice; the job's
records older than its tick keeps are pruned after each run, so a minute-by-minute job keeps days."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core import Core
from jobs.registry import JobSpec

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
    if not await core.job_runs.claim(job.job_id, period, now):
        log.info("job already ran for this period", extra={"job": job.job_id, "period": period})
        core.metrics.job_runs.labels(job.job_id, "skipped").inc()
        return JobResult(job.job_id, period, False, "already ran for this period")
    try:
        summary = await job.tick.run(now)
    except Exception:
        log.exception("job failed", extra={"job": job.job_id, "period": period})
        await core.job_runs.finish(job.job_id, period, "failed", core.clock.now())
        raise
    await core.job_runs.finish(job.job_id, period, "ok", core.clock.now())
    await core.job_runs.prune(job.job_id, before=now - job.tick.keep_runs)
    core.metrics.job_runs.labels(job.job_id, "ok").inc()
    log.info("job ran", extra={"job": job.job_id, "period": period})
    return JobResult(job.job_id, period, True, summary)
