"""Campaign fan-out: does `champbot run` use the platform's allowed rate, without duplicates or losses?

A campaign of `--size` DMs is written to the outbox of a running `champbot run` (SQLite in a
temporary folder) through bot.delivery.outbox.OutboxService, from this process, as a job would.
The bot's workers deliver it to a loopback fake that enforces `--rate` messages per second
(token bucket, burst = rate) and answers 429 with Retry-After above it; the bot is configured
with the same rate (CHAMPBOT_SLACK_RATE / CHAMPBOT_TEAMS_RATE). The baseline is the allowed
rate itself: the target is an achieved/allowed share of at least 95 %.

- Slack: FakeSlackApi with `enforce_rate("chat.postMessage", rate, burst=rate)`.
- Teams: FakeBotConnector extended here with the same kind of app-wide limit. Each person first
  installs the bot (a conversationUpdate POSTed to /api/messages), so the bot stores the
  personal conversation reference it needs for a proactive DM.

    python -m benchmarks.fanout --platform slack --size 10000 --rate 20
    python -m benchmarks.fanout --platform teams --size 10000 --rate 50
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlmodel import select

from benchmarks._harness import (
    BOT_TOKEN,
    cpu_seconds,
    log,
    machine,
    server_cpu_seconds,
    start_champbot,
    table,
)
from bot.clock import SystemClock
from bot.delivery.outbox import OutboxService, Outgoing
from bot.domain import Platform
from bot.messages import Message
from bot.text import Markup, Text
from storage.engine import Database
from storage.models import ConversationRecord
from tests.fakes import FakeBotConnector, FakeSlackApi, conversation_update_activity

NUDGE = Message.of(Text.of(Markup("This week: checking an AI answer critically (15 min).")))
DEFAULT_RATE = {"slack": 20.0, "teams": 50.0}  # champbot's defaults: CHAMPBOT_SLACK_RATE, _TEAMS_RATE
TARGET_SHARE = 0.95
_SENDING = frozenset({"send", "reply", "update", "create_conversation"})


class RateLimitedConnector(FakeBotConnector):
    """FakeBotConnector that answers 429 + Retry-After when the app sends faster than `rate`/s,
    as the Bot Connector does when an app exceeds its Teams limits (token bucket, burst = `burst`)."""

    def __init__(self) -> None:
        super().__init__()
        self.limit: tuple[float, float] | None = None
        self.throttled = 0
        self._tokens = 0.0
        self._updated = 0.0

    def enforce_rate(self, per_second: float, burst: int) -> None:
        self.limit = (per_second, float(burst))
        self._tokens, self._updated = float(burst), time.monotonic()

    def _retry_after(self) -> int | None:
        """None when a token is free (and takes it); otherwise whole seconds until one is."""
        if self.limit is None:
            return None
        rate, burst = self.limit
        now = time.monotonic()
        self._tokens = min(burst, self._tokens + (now - self._updated) * rate)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return max(1, math.ceil((1 - self._tokens) / rate))

    async def _handle(self, request: web.Request, operation: str, answer: Any) -> web.Response:
        if operation in _SENDING:
            retry_after = self._retry_after()
            if retry_after is not None:
                self.throttled += 1
                await request.read()
                error = {"code": "TooManyRequests", "message": "Too many requests"}
                return web.json_response(
                    {"error": error}, status=429, headers={"Retry-After": str(retry_after)}
                )
        return await super()._handle(request, operation, answer)


class CpuWatch:
    """Share of one core used by the bot and by this process (the fake) between start and stop."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._wall = time.monotonic()
        self._bot, self._fake = server_cpu_seconds(pid), cpu_seconds(os.getpid())
        self.bot = self.fake = 0.0

    def stop(self) -> None:
        wall = max(time.monotonic() - self._wall, 1e-9)
        self.bot = (server_cpu_seconds(self.pid) - self._bot) / wall
        self.fake = (cpu_seconds(os.getpid()) - self._fake) / wall


@dataclass
class Tally:
    """Deliveries the fake accepted, read incrementally from its call log while the campaign runs."""

    seen: int = 0
    delivered: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    other_errors: Counter[str] = field(default_factory=Counter)
    first_at: float | None = None
    last_at: float | None = None

    def update(self, new: list[tuple[str, int]], now: float) -> None:
        """`new`: (conversation, HTTP status or 0 for a Slack error body) of calls since the last look."""
        for conversation, status in new:
            if status == 429:
                self.rate_limited += 1
            elif 200 <= status < 300:
                if self.first_at is None:
                    self.first_at = now
                self.last_at = now
                self.delivered[conversation] += 1
            else:
                self.other_errors[str(status)] += 1


async def poll_until_done(
    read_new: Any, tally: Tally, size: int, deadline: float, started: float, label: str
) -> None:
    last_log = time.monotonic()
    while time.monotonic() < deadline:
        tally.update(read_new(), time.monotonic())
        if len(tally.delivered) >= size:
            return
        if time.monotonic() - last_log >= 30:
            last_log = time.monotonic()
            done = len(tally.delivered)
            seconds = last_log - started
            log(f"{label}: {done}/{size} delivered after {seconds:.0f} s, 429s {tally.rate_limited}")
        await asyncio.sleep(0.1)
    log(f"{label}: deadline reached with {len(tally.delivered)}/{size} delivered")


async def enqueue(database: Database, platform: Platform, targets: list[str]) -> float:
    service = OutboxService(database=database, clock=SystemClock())
    items = [
        Outgoing(f"bench-{platform.value}:{target}", platform, "dm", target, NUDGE, campaign="bench")
        for target in targets
    ]
    started = time.monotonic()
    added = await service.enqueue(items)
    if added != len(items):
        raise RuntimeError(f"only {added} of {len(items)} outbox rows were new")
    return time.monotonic() - started


async def outbox_states(database: Database) -> dict[str, int]:
    status = await OutboxService(database=database, clock=SystemClock()).status(campaign="bench")
    return {state: count for state, count in status.by_state.items() if count}


async def bot_rate_limited(port: int, platform: Platform) -> str:
    """What the bot itself counted as 429s (champbot_rate_limited_total on /metrics)."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
            http.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            text = await response.text()
    except (TimeoutError, aiohttp.ClientError):
        return "?"
    found = re.search(rf'champbot_rate_limited_total\{{platform="{platform.value}"\}} ([0-9.e+]+)', text)
    return str(int(float(found.group(1)))) if found else "0"


def result_row(
    platform: str,
    size: int,
    rate: float,
    tally: Tally,
    enqueue_started: float,
    states: dict[str, int],
    bot_429: str,
) -> dict[str, Any]:
    """The window is first to last accepted message; in it the fake's token bucket allowed
    `burst + rate * window` messages, which is the baseline for the share."""
    delivered = len(tally.delivered)
    accepted = sum(tally.delivered.values())
    burst = max(1, int(rate))
    last = tally.last_at or time.monotonic()
    window = max(last - (tally.first_at or last), 1e-9)
    return {
        "platform": platform,
        "messages": size,
        "delivered": delivered,
        "campaign": last - enqueue_started,
        "window": window,
        "ideal": max(size - burst, 0) / rate,
        "achieved": accepted / window,
        "allowed": rate,
        "share": accepted / (burst + rate * window),
        "rate_limited": tally.rate_limited,
        "bot_429": bot_429,
        "duplicates": accepted - delivered,
        "lost": size - delivered,
        "states": ", ".join(f"{k} {v}" for k, v in sorted(states.items())),
        "other_errors": dict(tally.other_errors),
    }


async def run_slack(folder: Path, size: int, rate: float, deadline_factor: float) -> dict[str, Any]:
    url = f"sqlite:///{folder / 'slack.db'}"
    async with FakeSlackApi(token=BOT_TOKEN) as slack:
        targets = [f"U{n:05d}" for n in range(size)]
        for user in targets:
            slack.add_user(user, user.lower())
        slack.enforce_rate("chat.postMessage", rate, burst=max(1, int(rate)))
        bot, port = await asyncio.to_thread(
            start_champbot, url, slack.base_url, CHAMPBOT_SLACK_RATE=f"{rate:g}"
        )
        database = Database(url)
        try:
            tally = Tally()

            def read_new() -> list[tuple[str, int]]:
                new = slack.calls[tally.seen :]
                tally.seen += len(new)
                return [
                    (str(c.args.get("channel")), c.status if c.status != 200 or c.response.get("ok") else 0)
                    for c in new
                    if c.method == "chat.postMessage"
                ]

            log(f"slack: enqueueing {size} DMs")
            # Watch the fake from the start: the bot's workers begin while later chunks are written.
            enqueue_started = time.monotonic()
            deadline = enqueue_started + size / rate * deadline_factor + 120
            cpu = CpuWatch(bot.pid)
            watch = asyncio.create_task(
                poll_until_done(read_new, tally, size, deadline, enqueue_started, "slack")
            )
            enqueue_seconds = await enqueue(database, Platform.SLACK, targets)
            log(f"slack: enqueued in {enqueue_seconds:.1f} s; delivering at {rate:g}/s")
            await watch
            cpu.stop()
            await asyncio.sleep(2)  # anything sent twice late would show up now
            tally.update(read_new(), tally.last_at or time.monotonic())
            states = await outbox_states(database)
            bot_429 = await bot_rate_limited(port, Platform.SLACK)
        finally:
            await database.close()
            await asyncio.to_thread(bot.stop)
    row = result_row("Slack", size, rate, tally, enqueue_started, states, bot_429)
    row["cpu"] = cpu
    row["setup"] = f"enqueue {enqueue_seconds:.1f} s"
    row["log"] = bot.errors
    return row


async def install(port: int, connector: RateLimitedConnector, users: list[str], limit_seconds: float) -> None:
    """Each person installs the bot in a personal chat: the bot stores that conversation reference."""
    gate = asyncio.Semaphore(16)
    failures: Counter[int] = Counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:

        async def one(user: str) -> None:
            activity = conversation_update_activity(
                [{"id": "28:bot", "name": "champbot"}],
                service_url=connector.service_url,
                user_id=user,
                conversation_id=f"a:{user}",
            )
            async with gate, http.post(f"http://127.0.0.1:{port}/api/messages", json=activity) as response:
                await response.read()
                if response.status >= 300:
                    failures[response.status] += 1

        await asyncio.wait_for(asyncio.gather(*(one(user) for user in users)), limit_seconds)
    if failures:
        raise RuntimeError(f"installing the bot failed: {dict(failures)}")


async def known_people(database: Database) -> set[str]:
    async with database.session() as session:
        found = await session.exec(
            select(ConversationRecord.user_id).where(
                ConversationRecord.platform == "teams", ConversationRecord.kind == "direct"
            )
        )
        return {str(user) for user in found.all()}


async def install_everyone(
    port: int, connector: RateLimitedConnector, database: Database, users: list[str]
) -> list[int]:
    """Install for everyone, then again for whoever the bot did not remember (its turn failed but
    the HTTP answer was still 2xx, so Teams would not have retried). Returns the misses per round."""
    missing, misses = list(users), []
    for _ in range(4):
        await install(port, connector, missing, limit_seconds=max(300.0, len(missing) / 5))
        known = await known_people(database)
        missing = [user for user in users if user not in known]
        misses.append(len(missing))
        if not missing:
            break
    return misses


async def run_teams(folder: Path, size: int, rate: float, deadline_factor: float) -> dict[str, Any]:
    url = f"sqlite:///{folder / 'teams.db'}"
    async with RateLimitedConnector() as connector:
        bot, port = await asyncio.to_thread(start_champbot, url, None, CHAMPBOT_TEAMS_RATE=f"{rate:g}")
        database = Database(url)
        try:
            users = [f"29:1bench{n:05d}" for n in range(size)]
            log(f"teams: {size} people install the bot (conversationUpdate to /api/messages)")
            setup_started = time.monotonic()
            misses = await install_everyone(port, connector, database, users)
            setup_seconds = time.monotonic() - setup_started
            stored = size - misses[-1]
            log(f"teams: {stored} references stored in {setup_seconds:.0f} s; missing per round {misses}")
            connector.clear()
            tally = Tally()

            def read_new() -> list[tuple[str, int]]:
                new = connector.calls[tally.seen :]
                tally.seen += len(new)
                return [(c.conversation_id, c.status) for c in new if c.operation in ("send", "reply")]

            throttled_before = connector.throttled
            connector.enforce_rate(rate, max(1, int(rate)))
            # Watch the fake from the start: the bot's workers begin while later chunks are written.
            enqueue_started = time.monotonic()
            deadline = enqueue_started + size / rate * deadline_factor + 120
            cpu = CpuWatch(bot.pid)
            watch = asyncio.create_task(
                poll_until_done(read_new, tally, size, deadline, enqueue_started, "teams")
            )
            enqueue_seconds = await enqueue(database, Platform.TEAMS, users)
            log(f"teams: enqueued in {enqueue_seconds:.1f} s; delivering at {rate:g}/s")
            await watch
            cpu.stop()
            await asyncio.sleep(2)
            tally.update(read_new(), tally.last_at or time.monotonic())
            tally.rate_limited = connector.throttled - throttled_before
            states = await outbox_states(database)
            bot_429 = await bot_rate_limited(port, Platform.TEAMS)
        finally:
            await database.close()
            await asyncio.to_thread(bot.stop)
    row = result_row("Teams", size, rate, tally, enqueue_started, states, bot_429)
    row["cpu"] = cpu
    row["setup"] = (
        f"{stored} of {size} people installed the bot in {setup_seconds:.0f} s (16 at a time); "
        f"installs the bot acknowledged but did not remember, per round: {misses}; "
        f"enqueue {enqueue_seconds:.1f} s"
    )
    row["log"] = bot.errors
    return row


def report(rows: list[dict[str, Any]]) -> str:
    body = table(
        [
            "platform",
            "messages",
            "campaign s",
            "first→last s",
            "ideal s",
            "achieved msg/s",
            "allowed msg/s",
            "achieved / allowed",
            "target ≥ 95 %",
            "429s received",
            "429s (bot's /metrics)",
            "duplicates",
            "lost",
            "outbox states",
            "bot CPU",
            "fake CPU",
        ],
        [
            [
                r["platform"],
                f"{r['messages']:,}",
                f"{r['campaign']:.1f}",
                f"{r['window']:.1f}",
                f"{r['ideal']:.1f}",
                f"{r['achieved']:.2f}",
                f"{r['allowed']:g}",
                f"{r['share'] * 100:.2f}%",
                "met"
                if r["share"] >= TARGET_SHARE and r["lost"] == 0 and r["duplicates"] == 0
                else "not met",
                r["rate_limited"],
                r["bot_429"],
                r["duplicates"],
                r["lost"],
                r["states"],
                f"{r['cpu'].bot * 100:.0f}%",
                f"{r['cpu'].fake * 100:.0f}%",
            ]
            for r in rows
        ],
    )
    notes = [
        f"- {r['platform']}: setup {r['setup']}"
        + (f"; other error answers {r['other_errors']}" if r["other_errors"] else "")
        for r in rows
    ]
    problems = [f"- {r['platform']} bot log: {line}" for r in rows for line in r["log"][:8]]
    return "\n".join(
        [
            "## Campaign fan-out against an enforced platform rate",
            "",
            f"Machine: {machine()}",
            "",
            body,
            "",
            "*campaign*: from the start of the enqueue to the last accepted message (the workers "
            "start while later chunks are still being written); the fake is polled every 0.1 s. "
            "*first→last*: from the first to the "
            "last accepted message; *ideal*: the shortest first→last the limit allows, "
            "(messages − burst) / rate; *achieved*: accepted / first→last; *achieved / allowed*: "
            "accepted messages / what the fake's token bucket (burst = rate) allowed in that window, "
            "burst + rate × first→last; *lost*: people who never got the message; *duplicates*: "
            "extra copies accepted.",
            "",
            *notes,
            *problems,
            "",
        ]
    )


async def main(args: argparse.Namespace) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="champbot-bench-") as name:
        folder = Path(name)
        for platform in args.platforms:
            rate = args.rate or DEFAULT_RATE[platform]
            runner = run_slack if platform == "slack" else run_teams
            rows.append(await runner(folder, args.size, rate, args.deadline_factor))
    print(report(rows))


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--platform", choices=("slack", "teams", "both"), default="both")
    parser.add_argument("--size", type=int, default=10_000, help="people in the campaign")
    parser.add_argument(
        "--rate", type=float, default=None, help="allowed messages/s (default: Slack 20, Teams 50)"
    )
    parser.add_argument(
        "--deadline-factor",
        type=float,
        default=1.5,
        help="give up after factor × size/rate seconds (+120 s) and report what was delivered",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.size <= 100_000 or (args.rate is not None and not 0 < args.rate <= 1000):
        parser.error("--size is 1 to 100,000 and --rate is up to 1,000 (champbot's own maximum)")
    args.platforms = ["slack", "teams"] if args.platform == "both" else [args.platform]
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
