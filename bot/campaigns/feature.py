"""The campaigns feature: `nudge schedule | list | status | cancel` and the campaign tick."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.campaigns.lessons import FromLearning
from bot.campaigns.service import CampaignService
from bot.domain import Role
from bot.features import Command, Feature, FeatureDeps, Sub, Tick
from bot.learning.service import LearningService


def feature(deps: FeatureDeps) -> Feature:
    learning = deps.shared.get(LearningService)
    campaigns = CampaignService(
        database=deps.database,
        clock=deps.clock,
        messengers=deps.messengers,
        outbox=deps.outbox,
        catalog=deps.catalog,
        timezone=deps.settings.timezone,
        default_locale=deps.settings.locale,
        lessons=lambda: FromLearning(learning),
    )
    deps.shared.provide(campaigns)

    async def catch_up() -> None:
        """Campaigns due while no process ran go out now; live progress resumes where it was."""
        await campaigns.tick(deps.clock.now())

    async def tick(now: datetime) -> str:
        return await campaigns.tick(now)

    admin = Role.ADMIN
    return Feature(
        name="campaigns",
        commands=(
            Command(
                "nudge",
                admin,
                subcommands={
                    "schedule": Sub(admin, campaigns.schedule, "cmd.nudge.schedule.usage"),
                    "list": Sub(admin, campaigns.list, "cmd.nudge.list.usage"),
                    "status": Sub(admin, campaigns.status, "cmd.nudge.status.usage"),
                    "cancel": Sub(admin, campaigns.cancel, "cmd.nudge.cancel.usage"),
                },
            ),
        ),
        ticks=(
            Tick(
                job_id="campaign_tick",
                description="fan out the HR campaigns (nudge schedule) that are due; keep progress live",
                run=tick,
                cron={"minute": "*"},
                period_format="%Y-%m-%dT%H:%M",
                keep_runs=timedelta(days=2),
            ),
        ),
        catalog=("cmd.nudge.", "nudge."),
        start=catch_up,
        close=campaigns.close,
    )
