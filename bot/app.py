"""The composition root: opens the database, builds the core, wires the edges, and closes it all.

This is the one module in bot/ allowed to reach into the platform edges.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

import aiohttp
import httpx
from aiohttp import web

from bot.ai import llm_configured, llm_from_settings
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.core import Core
from bot.delivery.limits import SLACK as SLACK_LIMITS
from bot.delivery.limits import TEAMS as TEAMS_LIMITS
from bot.delivery.limits import PlatformLimits
from bot.delivery.worker import OutboxWorker
from bot.domain import Actor, Platform, Role
from bot.eventloop import loop_name
from bot.features import FeatureBuilder
from bot.installed import FEATURES
from bot.ports import Messengers
from storage.engine import Database
from storage.migrate import upgrade

if TYPE_CHECKING:
    from botbuilder.integration.aiohttp import CloudAdapter

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0  # well inside the 30 s a container orchestrator waits after SIGTERM


def platform_limits(settings: Settings) -> dict[Platform, PlatformLimits]:
    """The published limits, with the app-wide rate each process may use from configuration."""
    return {
        Platform.SLACK: replace(
            SLACK_LIMITS, rate_per_second=settings.slack_rate, burst=max(1, int(settings.slack_rate))
        ),
        Platform.TEAMS: replace(
            TEAMS_LIMITS, rate_per_second=settings.teams_rate, burst=max(1, int(settings.teams_rate))
        ),
    }


async def migrate(settings: Settings) -> None:
    await asyncio.to_thread(upgrade, settings.database_url)


def start_worker(core: Core, settings: Settings, limits: dict[Platform, PlatformLimits]) -> OutboxWorker:
    """Every process that can talk to a platform drains the outbox; enqueueing wakes it at once."""
    worker = OutboxWorker(
        database=core.database,
        messengers=core.messengers,
        clock=core.clock,
        limits=limits,
        metrics=core.metrics,
        concurrency=settings.outbox_concurrency,
        max_attempts=settings.outbox_max_attempts,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        on_sent=core.outbox.notify_sent,
    )
    core.outbox.on_enqueue(worker.wake)
    worker.start()
    return worker


@asynccontextmanager
async def open_core(
    settings: Settings,
    *,
    clock: Clock | None = None,
    extra_roles: dict[tuple[Platform, str], frozenset[Role]] | None = None,
    migrate_first: bool = True,
    features: Sequence[FeatureBuilder] = FEATURES,
) -> AsyncIterator[Core]:
    """Migrate, open the database, and build the core with an empty Messengers registry."""
    if migrate_first:
        await migrate(settings)
    database = Database(settings.database_url)
    http = httpx.AsyncClient() if llm_configured(settings) else None  # only for AI drafts
    try:
        yield Core(
            settings=settings,
            database=database,
            clock=clock or SystemClock(),
            messengers=Messengers(),
            extra_roles=extra_roles,
            llm=llm_from_settings(settings, http) if http is not None else None,
            features=features,
        )
    finally:
        if http is not None:
            await http.aclose()
        await database.close()


def register_messengers(
    core: Core, settings: Settings, session: aiohttp.ClientSession, adapter: CloudAdapter
) -> None:
    """The platforms the core can send to: Slack when it has a bot token, Teams always (its
    adapter answers in emulator mode without credentials)."""
    from handlers.slack.app import web_client
    from handlers.slack.messenger import SlackMessenger
    from handlers.teams.messenger import TeamsMessenger

    if settings.slack_enabled:
        core.messengers.register(SlackMessenger(web_client(settings, session, retry_on_429=False)))
    people = core.people
    core.messengers.register(
        TeamsMessenger(
            adapter,
            settings.microsoft_app_id,
            conversation_reference=lambda key: people.conversation_reference(Platform.TEAMS, key),
            direct_reference=lambda key: people.direct_reference(Platform.TEAMS, key),
        )
    )


@dataclass
class Server:
    """A running `champbot run`: the web site, the edges, the scheduler; `port` is the bound port."""

    core: Core
    runner: web.AppRunner
    port: int
    platforms: dict[str, str]


@asynccontextmanager
async def serve(
    settings: Settings, *, clock: Clock | None = None, features: Sequence[FeatureBuilder] = FEATURES
) -> AsyncIterator[Server]:
    from handlers.slack.app import SlackEdge, connect_socket_mode, web_client
    from handlers.teams.adapter import build_adapter, close_adapter
    from handlers.teams.bot import TeamsBot
    from handlers.web import build_web_app
    from jobs.scheduler import SchedulerLeader

    async with AsyncExitStack() as resources:
        core = await resources.enter_async_context(open_core(settings, clock=clock, features=features))
        # Closed after the web site, the worker and the work lane are done with it (stack order).
        session = await resources.enter_async_context(aiohttp.ClientSession())
        platforms: dict[str, str] = {}
        slack_view = None
        adapter = build_adapter(settings)
        resources.push_async_callback(close_adapter, adapter)
        register_messengers(core, settings, session, adapter)
        if settings.slack_enabled:
            slack = SlackEdge(settings, core, web_client(settings, session, retry_on_429=True))
            if settings.slack_app_token:
                socket_handler = slack.socket_mode_handler(settings.slack_app_token.get_secret_value())
                # Closed however start-up ends: the client holds an HTTP session and a task from birth.
                resources.push_async_callback(socket_handler.close_async)
                await connect_socket_mode(socket_handler)  # a refused token stops start-up with one line
                platforms["slack"] = "socket mode"
            else:
                slack_view = slack.handle
                platforms["slack"] = "http"
        else:
            platforms["slack"] = "off (no SLACK_BOT_TOKEN)"

        resources.push_async_callback(drain, core)  # unwinds first: work ends before clients close
        teams_bot = TeamsBot(core, settings.teams_tenants)
        platforms["teams"] = (
            "authenticated" if settings.microsoft_app_id else "emulator mode (no MicrosoftAppId)"
        )

        leader = SchedulerLeader(core)

        async def health() -> dict[str, object]:
            ok = await core.database.ping()
            return {
                "status": "ok" if ok else "unavailable",
                "database": "ok" if ok else "unreachable",
                "scheduler": leader.state,
                # acknowledged requests waiting for or running in the lane, and how many run at once
                "work_lane": {"held": core.lane.held, "width": core.lane.width},
            }

        async def teams_view(request: web.Request) -> web.StreamResponse:
            # Teams waits for the turn (its limit is 15 s), and the turn waits for its slot in the
            # lane, so a burst of Teams activities does not hold up Slack's acknowledgements.
            async with core.lane.turn():
                return await adapter.process(request, teams_bot) or web.Response(status=200)

        async def refresh_metrics() -> None:
            status = await core.outbox.status()
            for state, count in status.by_state.items():
                core.metrics.outbox_depth.labels(state).set(count)

        web_app = build_web_app(
            health=health,
            slack=slack_view,
            teams=teams_view,
            metrics=core.metrics,
            refresh_metrics=refresh_metrics,
        )
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        resources.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, settings.host, settings.port).start()
        port = runner.addresses[0][1] if runner.addresses else settings.port
        await leader.start()
        resources.push_async_callback(leader.stop)
        worker = start_worker(core, settings, platform_limits(settings))
        resources.push_async_callback(worker.stop)
        # Features catch up on what fell due while no process ran (campaigns go out now).
        resources.push_async_callback(core.close)
        await core.start()
        log.info(
            "champbot listening on http://%s:%s; slack: %s; teams: %s; console: available",
            settings.host,
            port,
            platforms["slack"],
            platforms["teams"],
            extra={"port": port, "platforms": platforms, "event_loop": loop_name(asyncio.get_running_loop())},
        )
        yield Server(core, runner, port, platforms)


async def drain(core: Core) -> None:
    """Requests already acknowledged finish their work before the database closes."""
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            await core.lane.idle()
    except TimeoutError:
        log.warning("stopped with %d acknowledged requests unfinished", core.lane.held)


def settle_heap() -> None:
    """Exempt what start-up built (modules, lessons, catalogs, mappers: about 190,000 objects)
    from garbage collection. They live as long as the process, and every full collection walked
    them all, stopping the event loop for over 100 ms each time, acknowledgements included."""
    gc.collect()
    gc.freeze()


async def run_forever(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serve(settings):
        settle_heap()
        await stop.wait()
    log.info("champbot stopped")


async def run_console(
    settings: Settings,
    *,
    user: str,
    display_name: str,
    admin: bool,
    champion: bool,
    locale: str | None,
    timezone: str | None,
) -> None:
    from handlers.console.messenger import ConsoleMessenger
    from handlers.console.shell import ConsoleShell

    roles = frozenset({Role.ADMIN} if admin else set()) | frozenset({Role.CHAMPION} if champion else set())
    extra = {(Platform.CONSOLE, user): roles} if roles else {}
    async with open_core(settings, extra_roles=extra) as core:
        messenger = ConsoleMessenger(sys.stdout, user=user)
        core.messengers.register(messenger)
        # No background worker: the shell drains the outbox after each line, so what a command
        # sends is printed before the next prompt, in order.
        worker = OutboxWorker(
            database=core.database,
            messengers=core.messengers,
            clock=core.clock,
            limits={},
            metrics=core.metrics,
            on_sent=core.outbox.notify_sent,
        )
        actor = Actor(Platform.CONSOLE, user, display_name or user, locale, timezone)

        async def settle() -> None:
            while await worker.run_once():
                pass

        try:
            await ConsoleShell(core, messenger, actor, sys.stdout, sys.stdin, settle).run()
        finally:
            await core.close()  # fan-outs in hand finish first
            await settle()  # show what is still queued before the shell closes
