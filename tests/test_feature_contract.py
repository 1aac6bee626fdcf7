"""A feature written only for this test joins the bot by the contract alone: help lists it to those
allowed, the core refuses its command and button to an employee, its button answers a champion, the
jobs registry lists and runs its tick, and its export and forget hooks answer for a person.
Nothing else is edited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import ActionContext
from bot.app import serve
from bot.clock import FrozenClock
from bot.context import CommandContext
from bot.domain import Platform, Role
from bot.events import ButtonPress
from bot.features import Button, Command, Feature, FeatureDeps, PersonKey, Sub, Tick
from bot.installed import FEATURES
from bot.messages import Reply
from jobs import registry
from jobs.runner import run_job
from jobs.scheduler import build_scheduler, next_runs
from tests.conftest import slack_settings
from tests.fakes import FakeSlackApi, SlackRequestFactory
from tests.test_questions_slack import press
from tests.test_slack_http import slash, text_of

TOY_TEXTS = {
    "cmd.toy.usage": "toy poke",
    "cmd.toy.summary": "poke the toy",
    "cmd.toy.poke.usage": "toy poke",
    "toy.poked": "Poked {count} times.",
    "toy.waved": "The toy waves back.",
}


def toy_feature(pokes: list[str], ticks: list[datetime]) -> Callable[[FeatureDeps], Feature]:
    """The whole toy: one command with one champion subcommand, one button, one tick, its data hooks."""

    def feature(deps: FeatureDeps) -> Feature:
        async def poke(ctx: CommandContext) -> Reply:
            pokes.append(ctx.identity.user_id)
            return ctx.reply(ctx.t("toy.poked", count=len(pokes)))

        async def wave(ctx: ActionContext, press: ButtonPress) -> Reply:
            return ctx.reply(ctx.t("toy.waved"))

        async def tick(now: datetime) -> str:
            ticks.append(now)
            return f"ticked {len(ticks)} times"

        async def export(session: AsyncSession, person: PersonKey) -> dict[str, object]:
            return {"pokes": pokes.count(person.user_id)}

        async def forget(session: AsyncSession, person: PersonKey) -> int:
            gone = pokes.count(person.user_id)
            pokes[:] = [user_id for user_id in pokes if user_id != person.user_id]
            return gone

        return Feature(
            name="toy",
            commands=(Command("toy", subcommands={"poke": Sub(Role.CHAMPION, poke, "cmd.toy.poke.usage")}),),
            buttons=(Button("toy.wave", Role.CHAMPION, wave),),
            # Monthly, so the running scheduler (on the wall clock) does not run it during the test.
            ticks=(Tick("toy_tick", "tick the toy", tick, {"day": "1", "hour": "4"}, "%Y-%m"),),
            catalog=("cmd.toy.", "toy."),
            export=export,
            forget=forget,
            messages={"en": TOY_TEXTS, "da": TOY_TEXTS},
        )

    return feature


async def test_a_toy_feature_installed_by_the_contract_gets_help_roles_buttons_and_jobs(
    database_url: str,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
) -> None:
    pokes: list[str] = []
    ticks: list[datetime] = []
    installed = (*FEATURES, toy_feature(pokes, ticks))
    async with serve(slack_settings(database_url, slack_api), clock=clock, features=installed) as server:
        # Ana is an employee: help does not list the toy, and the core refuses its command and button.
        assert "toy poke" not in text_of(await slash(http, server, signer, slack_api, "help", user_id="U1"))
        refused = text_of(await slash(http, server, signer, slack_api, "toy poke", user_id="U1"))
        assert "`toy poke` needs the *AI champion* role" in refused
        refused = text_of(await press(http, server, signer, slack_api, "toy.wave", "hi", user_id="U1"))
        assert "Only people with the *AI champion* role can use that." in refused
        assert pokes == []

        # HR makes her a champion: help lists the toy under the champions' commands, and both work.
        await slash(http, server, signer, slack_api, "grant champion <@U1|ana>", user_id="UADMIN")
        shown = text_of(await slash(http, server, signer, slack_api, "help", user_id="U1"))
        assert "`/champ toy poke` — poke the toy" in shown
        assert shown.index("For AI champions") < shown.index("toy poke")
        poked = text_of(await slash(http, server, signer, slack_api, "toy poke", user_id="U1"))
        assert "Poked 1 times." in poked
        assert pokes == ["U1"]
        waved = text_of(await press(http, server, signer, slack_api, "toy.wave", "hi", user_id="U1"))
        assert "The toy waves back." in waved
        usage = text_of(await slash(http, server, signer, slack_api, "toy", user_id="U1"))
        assert "Usage: `/champ toy poke`" in usage

        # The jobs: listed with a next run, scheduled, and run once per period.
        core = server.core
        listed = {job.job_id: when for job, when in next_runs(core, clock.now())}
        assert "toy_tick" in listed and "retention" in listed
        assert listed["toy_tick"] is not None
        assert listed["toy_tick"].isoformat(timespec="minutes") == "2026-12-01T04:00+01:00"
        assert "toy_tick" in {job.id for job in build_scheduler(core).get_jobs()}
        job = registry.find(core, "toy_tick")
        assert job is not None
        first = await run_job(core, job)
        assert first.ran and first.summary == "ticked 1 times" and ticks == [clock.now()]
        assert not (await run_job(core, job)).ran

        # Its part of a person's data export and deletion.
        ana = PersonKey(Platform.SLACK, "U1")
        assert await core.export_person(ana) == {"toy": {"pokes": 1}}
        assert await core.forget_person(ana) == 1
        assert await core.export_person(ana) == {"toy": {"pokes": 0}}
