"""The basics feature: help, whoami, setup, grant, revoke, and the daily retention job."""

from __future__ import annotations

from datetime import datetime

from bot.basics import retention
from bot.domain import Role
from bot.features import Command, Feature, FeatureDeps, Tick
from bot.services.help import HelpService
from bot.services.roles import RolesService
from bot.services.setup import SetupService


def feature(deps: FeatureDeps) -> Feature:
    help_service = deps.shared.get(HelpService)  # the core builds it: it reads every feature's commands
    setup = SetupService(database=deps.database, clock=deps.clock, messengers=deps.messengers)
    roles = RolesService(people=deps.people, outbox=deps.outbox)

    async def housekeeping(now: datetime) -> str:
        return await retention.run(deps.database, now)

    return Feature(
        name="basics",
        commands=(
            Command("help", handler=help_service.help),
            Command("whoami", handler=help_service.whoami),
            Command("setup", Role.ADMIN, handler=setup.setup),
            Command("grant", Role.ADMIN, handler=roles.grant),
            Command("revoke", Role.ADMIN, handler=roles.revoke),
        ),
        ticks=(
            Tick(
                job_id="retention",
                description="delete old job runs, inbound event ids and delivered outbox messages",
                run=housekeeping,
                cron={"hour": "3", "minute": "17"},
                period_format="%Y-%m-%d",
            ),
        ),
        catalog=(
            *(f"cmd.{name}." for name in ("help", "whoami", "setup", "grant", "revoke")),
            "help.",
            "whoami.",
            "setup.",
            "grant.",
            "revoke.",
        ),
    )
