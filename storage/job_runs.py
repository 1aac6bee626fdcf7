"""Claiming a job's period, so that a job runs once per period however many times it is triggered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import JobRun
from storage.upsert import insert_if_absent


async def claim_period(session: AsyncSession, *, job_id: str, period: str, now: datetime) -> bool:
    """True for exactly one caller per (job, period), across processes."""
    return await insert_if_absent(
        session,
        JobRun,
        {"job_id": job_id, "period": period, "started_at": now, "outcome": "running"},
        key=("job_id", "period"),
    )


async def finish_period(
    session: AsyncSession, *, job_id: str, period: str, outcome: str, now: datetime
) -> None:
    await (await session.connection()).execute(
        update(JobRun)
        .where(col(JobRun.job_id) == job_id, col(JobRun.period) == period)
        .values(outcome=outcome, finished_at=now)
    )


async def last_runs(session: AsyncSession, *, job_id: str, limit: int = 5) -> list[JobRun]:
    result = await session.exec(
        select(JobRun).where(JobRun.job_id == job_id).order_by(col(JobRun.started_at).desc()).limit(limit)
    )
    return list(result.all())


async def delete_runs_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await (await session.connection()).execute(delete(JobRun).where(col(JobRun.started_at) < cutoff))
    return int(result.rowcount or 0)


async def delete_job_runs_before(session: AsyncSession, *, job_id: str, cutoff: datetime) -> int:
    """One job's records older than `cutoff`: a job that runs every minute keeps days, not a year."""
    result = await (await session.connection()).execute(
        delete(JobRun).where(col(JobRun.job_id) == job_id, col(JobRun.started_at) < cutoff)
    )
    return int(result.rowcount or 0)
