"""Scheduled jobs: registered from code with stable ids, one run per period, runnable by hand."""

from __future__ import annotations

from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger

from bot.app import open_core
from bot.clock import FrozenClock
from jobs import registry
from jobs.runner import run_job
from jobs.scheduler import MISFIRE_GRACE_SECONDS, build_scheduler
from storage.job_runs import claim_period, last_runs
from tests.cli import champbot
from tests.conftest import make_settings


def test_jobs_list_shows_each_job_with_its_next_run(database_url: str) -> None:
    result = champbot(
        "jobs", "list", CHAMPBOT_DATABASE_URL=database_url, CHAMPBOT_TIMEZONE="Europe/Copenhagen"
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("retention"))
    assert "T03:17+01:00" in line or "T03:17+02:00" in line


def test_jobs_run_runs_once_per_period_and_force_runs_again(database_url: str) -> None:
    first = champbot("jobs", "run", "retention", CHAMPBOT_DATABASE_URL=database_url)
    assert first.returncode == 0, first.stderr
    assert (
        "retention ran for" in first.stdout
        and "deleted 0 old job-run records, 0 inbound event ids, 0 delivered outbox messages" in first.stdout
    )
    again = champbot("jobs", "run", "retention", CHAMPBOT_DATABASE_URL=database_url)
    assert "already ran" in again.stdout and "--force" in again.stdout
    forced = champbot("jobs", "run", "retention", "--force", CHAMPBOT_DATABASE_URL=database_url)
    assert "retention ran for" in forced.stdout


def test_an_unknown_job_name_lists_the_known_ones(database_url: str) -> None:
    result = champbot("jobs", "run", "nope", CHAMPBOT_DATABASE_URL=database_url)
    assert result.returncode == 2
    assert "no job named 'nope'" in result.stderr and "retention" in result.stderr


async def test_retention_deletes_only_records_past_the_retention_period(
    database_url: str, clock: FrozenClock
) -> None:
    async with open_core(make_settings(database_url), clock=clock) as core:
        async with core.database.session() as session:
            await claim_period(session, job_id="old", period="2025-01", now=clock.now() - timedelta(days=401))
            await claim_period(
                session, job_id="recent", period="2026-10", now=clock.now() - timedelta(days=30)
            )
        result = await run_job(core, registry.find(core, "retention"))  # type: ignore[arg-type]
        assert result.ran and result.summary.startswith("deleted 1 old job-run records,")
        async with core.database.session() as session:
            assert await last_runs(session, job_id="old") == []
            assert len(await last_runs(session, job_id="recent")) == 1
            (run,) = await last_runs(session, job_id="retention")
            assert run.outcome == "ok" and run.period == "2026-11-24"


async def test_the_period_follows_the_organisations_time_zone(database_url: str, clock: FrozenClock) -> None:
    clock.set(clock.now().replace(hour=23, minute=30))  # 23:30 UTC is already tomorrow in Copenhagen
    async with open_core(make_settings(database_url), clock=clock) as core:
        result = await run_job(core, registry.find(core, "retention"))  # type: ignore[arg-type]
    assert result.period == "2026-11-25"


async def test_the_scheduler_registers_every_job_with_a_stable_id_and_safe_options(
    database_url: str, clock: FrozenClock
) -> None:
    async with open_core(make_settings(database_url), clock=clock) as core:
        scheduler = build_scheduler(core)
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {spec.job_id for spec in registry.jobs(core)}
        for job in jobs.values():
            assert job.coalesce is True and job.max_instances == 1
            assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS
            assert isinstance(job.trigger, CronTrigger) and str(job.trigger.timezone) == "Europe/Copenhagen"


async def test_every_tick_keeps_its_run_records_for_days_not_a_year(
    database_url: str, clock: FrozenClock
) -> None:
    async with open_core(make_settings(database_url), clock=clock) as core:
        ticks = {tick.job_id: tick for tick in core.ticks}
    assert {"retention", "learning_tick", "campaign_tick", "qa_tick"} <= set(ticks)
    assert all(tick.keep_runs <= timedelta(days=7) for tick in ticks.values())


async def test_a_run_prunes_that_jobs_old_records_and_leaves_other_jobs_alone(
    database_url: str, clock: FrozenClock
) -> None:
    """campaign_tick runs every minute: without pruning it would keep about half a million rows a year."""
    async with open_core(make_settings(database_url), clock=clock) as core:
        job = registry.find(core, "campaign_tick")
        assert job is not None
        async with core.database.session() as session:
            for minutes in range(0, 4 * 24 * 60, 30):  # four days of earlier runs, every half hour
                at = clock.now() - timedelta(minutes=minutes + 1)
                await claim_period(session, job_id="campaign_tick", period=f"{at:%Y-%m-%dT%H:%M}", now=at)
            await claim_period(session, job_id="other", period="old", now=clock.now() - timedelta(days=5))
        assert (await run_job(core, job)).ran
        async with core.database.session() as session:
            kept = await last_runs(session, job_id="campaign_tick", limit=10_000)
            assert len(await last_runs(session, job_id="other")) == 1
    assert kept and min(run.started_at for run in kept) >= clock.now() - job.tick.keep_runs
    assert len(kept) == 1 + 2 * 24 * 2  # this run and two days of half-hourly ones
