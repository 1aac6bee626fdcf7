"""How fast does `champbot run` acknowledge Slack while it delivers a 10,000-person campaign?

Starts on 127.0.0.1: a FakeSlackApi in this process (the bot's SLACK_API_URL, and the
response_url of every slash command and button), `champbot run` (SQLite in a temporary folder,
or `--postgres`) and the baseline, a bare slack-bolt AsyncApp that only acks
(benchmarks/_bare_bolt.py), each in its own process on the same event loop (uvloop where
installed, bot/eventloop.py). After a warm-up, a campaign of `--campaign` DMs is written to the
bot's outbox (as a job would, through OutboxService) and delivered at CHAMPBOT_SLACK_RATE=
`--campaign-rate`; while it goes out, an open-loop load generator in its own process
(benchmarks/_loadgen.py) sends `--rate` signed requests a second, slash commands, DM events and
button presses in turn, to one server at a time, and measures the time until the kernel received
the HTTP answer (the ack). The servers take turns in short rounds; each one's rounds are pooled.

    python -m benchmarks.ack_latency [--rate 50] [--seconds 24] [--rounds 4]
                                     [--campaign 10000] [--campaign-rate 100] [--postgres URL]

Target (issue 20): champbot's p99 under 100 ms at 50 requests/s during the campaign. The ratio to
bare Bolt is reported, not targeted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks._harness import (
    BOT_TOKEN,
    SIGNING_SECRET,
    Child,
    cpu_seconds,
    log,
    machine,
    percentile,
    server_cpu_seconds,
    start_bare_bolt,
    start_champbot,
    table,
)
from benchmarks.fanout import enqueue, outbox_states
from bot.domain import Platform
from storage.engine import Database
from tests.conftest import reset_postgres
from tests.fakes import FakeSlackApi

KINDS = {
    "slash": "`/champ help` (slash command)",
    "im": "`help` (message.im event)",
    "button": "`ask.show` (button press)",
}
TARGET_P99_MS = 100.0
CAMPAIGN_PREFIX = "UC"  # campaign recipients; the requests come from UB… users


async def generate(spec: dict[str, Any]) -> dict[str, Any]:
    """One load-generator process; its own CPU use comes back as `gen_cpu`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks._loadgen",
        json.dumps(spec),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        stdout, _ = await asyncio.wait_for(process.communicate(), timeout=float(spec["seconds"]) + 90)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError("load generator did not finish in time") from None
    if process.returncode != 0:
        raise RuntimeError(f"load generator failed with exit code {process.returncode}")
    result: dict[str, Any] = json.loads(stdout)
    return result


def is_reply(call: Any) -> bool:
    """A follow-up answer to one of the generator's requests (not a campaign DM)."""
    if call.method == "response_url":
        return True
    return call.method == "chat.postMessage" and str(call.args.get("channel", "")).startswith("DUB")


def campaign_sent(slack: FakeSlackApi) -> int:
    return sum(
        1
        for call in slack.calls_to("chat.postMessage")
        if str(call.args.get("channel", "")).startswith(CAMPAIGN_PREFIX) and call.response.get("ok")
    )


async def lane_held(http: aiohttp.ClientSession, port: int) -> int:
    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
        return int((await response.json())["work_lane"]["held"])


async def settle(port: int | None, limit: float = 120.0) -> float:
    """Wait until champbot's work lane is empty again (its replies are out); seconds waited.
    The bare app has no work after the ack."""
    started = time.monotonic()
    if port is None:
        return 0.0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        while time.monotonic() - started < limit:
            if not await lane_held(http, port):
                break
            await asyncio.sleep(0.2)  # another process's lane: polling is all there is
    return time.monotonic() - started


async def measure(
    slack: FakeSlackApi, target: tuple[str, Child, int], args: argparse.Namespace, rate: float, seconds: float
) -> dict[str, Any]:
    name, child, port = target
    spec = {
        "url": f"http://127.0.0.1:{port}/slack/events",
        "kinds": list(KINDS),
        "rate": rate,
        "seconds": seconds,
        "secret": SIGNING_SECRET,
        "response_url": slack.response_url("bench-"),  # + request number
        "users": args.users,
    }
    mark = len(slack.calls)
    cpu_before, fake_before = server_cpu_seconds(child.pid), cpu_seconds(os.getpid())
    wall_before = time.monotonic()
    result = await generate(spec)
    wall = time.monotonic() - wall_before
    result["wall_s"] = wall
    result["server_cpu"] = (server_cpu_seconds(child.pid) - cpu_before) / wall
    result["fake_cpu"] = (cpu_seconds(os.getpid()) - fake_before) / wall
    result["settle_s"] = await settle(port if name == "champbot" else None)
    result["replies"] = sum(1 for call in slack.calls[mark:] if is_reply(call))
    result["target"] = name
    return result


async def measure_both(
    slack: FakeSlackApi, targets: list[tuple[str, Child, int]], args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Each server gets `rounds` runs of seconds/rounds, taking turns and swapping who goes first
    every round, and each server's runs are pooled: a slow stretch of the machine (another
    process, a frequency change) then falls on both servers instead of on whichever ran in it."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in targets}
    for number in range(args.rounds):
        for target in targets if number % 2 == 0 else targets[::-1]:
            result = await measure(slack, target, args, args.rate, args.seconds / args.rounds)
            log(
                f"  {target[0]} round {number + 1}/{args.rounds}: p50 {result['p50_ms']:.1f} ms, "
                f"p99 {result['p99_ms']:.1f} ms, errors {result['errors']}, replies {result['replies']}, "
                f"campaign {campaign_sent(slack)} sent"
            )
            runs[target[0]].append(result)
    return [pool(parts) for parts in runs.values()]


def pool(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One server's runs as if they were one: percentiles over all samples, sums of counts, and
    CPU shares weighted by each run's length."""
    wall = sum(part["wall_s"] for part in parts)

    def samples(key: str) -> list[float]:
        return sorted(value for part in parts for value in part[key])

    def weighted(key: str) -> float:
        return sum(part[key] * part["wall_s"] for part in parts) / wall

    latencies = samples("latencies_ms")
    by_kind = {
        kind: sorted(value for part in parts for value in part["latencies_by_kind_ms"][kind])
        for kind in KINDS
    }
    return {
        "target": parts[0]["target"],
        "sent": sum(part["sent"] for part in parts),
        "errors": sum(part["errors"] for part in parts),
        "late_over_3s": sum(part["late_over_3s"] for part in parts),
        "unstamped": sum(part["unstamped"] for part in parts),
        "replies": sum(part["replies"] for part in parts),
        "achieved_rate": sum(part["ok"] for part in parts) / sum(part["elapsed_s"] for part in parts),
        "latencies": latencies,
        "by_kind": by_kind,
        "read_p99_ms": percentile(samples("read_latencies_ms"), 0.99),
        "lag_p99_ms": percentile(samples("lags_ms"), 0.99),
        "server_cpu": weighted("server_cpu"),
        "gen_cpu": weighted("gen_cpu"),
        "fake_cpu": weighted("fake_cpu"),
    }


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def report(
    results: list[dict[str, Any]], args: argparse.Namespace, loops: str, campaign: dict[str, Any]
) -> str:
    by_target = {r["target"]: r for r in results}
    bot, bare = by_target["champbot"], by_target["bare bolt"]
    summary_rows = []
    for kind, label in [("all", "all three, mixed"), *KINDS.items()]:
        mine = bot["latencies"] if kind == "all" else bot["by_kind"][kind]
        theirs = bare["latencies"] if kind == "all" else bare["by_kind"][kind]
        p99, bare_p99 = percentile(mine, 0.99), percentile(theirs, 0.99)
        met = p99 < TARGET_P99_MS and bot["errors"] == 0
        summary_rows.append(
            [
                label,
                len(mine),
                f"{fmt(percentile(mine, 0.5))} / {fmt(p99)}",
                f"{fmt(percentile(theirs, 0.5))} / {fmt(bare_p99)}",
                f"{p99 / bare_p99:.2f}x" if bare_p99 > 0 else "–",
                ("**met**" if met else "**not met**") if kind == "all" else ("yes" if met else "no"),
            ]
        )
    summary = table(
        [
            "request",
            "champbot samples",
            "champbot p50 / p99 ms",
            "bare Bolt p50 / p99 ms",
            "champbot / bare p99",
            "p99 < 100 ms",
        ],
        summary_rows,
    )
    detail = table(
        [
            "server",
            "achieved req/s",
            "max ms",
            "p99 ms as read",
            "errors",
            "> 3 s",
            "server CPU",
            "replies sent",
            "generator lag p99 ms",
            "generator CPU",
            "fake Slack CPU",
        ],
        [
            [
                r["target"],
                fmt(r["achieved_rate"]),
                fmt(r["latencies"][-1] if r["latencies"] else float("nan")),
                fmt(r["read_p99_ms"]),
                r["errors"],
                r["late_over_3s"],
                f"{r['server_cpu'] * 100:.0f}%",
                r["replies"] if r["target"] == "champbot" else "–",
                fmt(r["lag_p99_ms"]),
                f"{r['gen_cpu'] * 100:.0f}%",
                f"{r['fake_cpu'] * 100:.0f}%",
            ]
            for r in results
        ],
    )
    during = "yes" if campaign["at_end"] < args.campaign else "no: it finished before the last round ended"
    return (
        f"## Slack ack latency during a {args.campaign:,}-person campaign "
        f"({args.rate:g} req/s, {args.seconds:g} s per server in {args.rounds} rounds; open loop)\n\n"
        f"Machine: {machine()}; champbot on {'PostgreSQL' if args.postgres else 'SQLite'}"
        + "".join(f", {name}={value}" for name, value in args.env.items())
        + f"; event loop: {loops}\n\n"
        f"{summary}\n\n"
        f"Campaign (CHAMPBOT_SLACK_RATE={args.campaign_rate:g}): {campaign['at_start']:,} of "
        f"{args.campaign:,} DMs delivered when measuring began, {campaign['at_end']:,} when it ended "
        f"({campaign['rate']:.1f} DMs/s in between); delivering throughout: {during}. "
        f"Outbox at the end: {campaign['states']}.\n\n"
        f"{detail}\n\n"
        "Latency is from the moment the generator hands a request to the kernel to the kernel's "
        "receive timestamp of the answer's last bytes; *p99 as read* ends when the generator's "
        "process read the answer instead, which adds the generator's own wait for a core. "
        "Errors are non-200 answers and requests without an answer within 10 s. "
        "*replies sent*: the follow-up answers champbot delivered after the ack (response_url or "
        "chat.postMessage), counted once its work lane was empty again (`/healthz`). "
        "*generator lag*: how late the generator started a request against its schedule. "
        "CPU columns: share of one core used during the run by the server, the generator process, "
        "and this process (the fake Slack API, which also receives the campaign).\n"
    )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="champbot-bench-") as folder:
        async with FakeSlackApi(token=BOT_TOKEN) as slack:
            members = [f"UB{n:04d}" for n in range(args.users)]
            for user in members:
                slack.add_user(user, user.lower(), tz="Europe/Copenhagen", locale="en-US")
            recipients = [f"{CAMPAIGN_PREFIX}{n:05d}" for n in range(args.campaign)]
            for user in recipients:
                slack.add_user(user, user.lower())
            slack.add_channel("C0GENERAL", "general", members)
            url = f"sqlite:///{Path(folder) / 'champbot.db'}"
            if args.postgres:
                # A scratch database starts empty, so earlier runs' rows never change the measurement.
                await asyncio.to_thread(reset_postgres, args.postgres)
                url = args.postgres
            log("starting champbot run and the bare Bolt app")
            variables = {"CHAMPBOT_SLACK_RATE": f"{args.campaign_rate:g}", **args.env}
            bot, bot_port = await asyncio.to_thread(start_champbot, url, slack.base_url, **variables)
            bare, bare_port = await asyncio.to_thread(start_bare_bolt, slack.base_url)
            targets = [("bare bolt", bare, bare_port), ("champbot", bot, bot_port)]
            database = Database(url)
            try:
                # Warm-up: the first requests pay for imports and auth.test, and every user's
                # first request a users.info call (Tier 4, paced), then cached.
                warmup = max(args.warmup, len(KINDS) * args.users / 20)
                for target in targets:
                    log(f"warm-up {target[0]}")
                    await measure(slack, target, args, 20, warmup)
                log(f"enqueueing a campaign of {args.campaign:,} DMs at up to {args.campaign_rate:g}/s")
                await enqueue(database, Platform.SLACK, recipients)
                await slack.wait_for("chat.postMessage", len(slack.calls_to("chat.postMessage")) + 1, 60)
                started, at_start = time.monotonic(), campaign_sent(slack)
                log(f"{args.rate:g}/s mixed, {args.seconds:g} s per server in {args.rounds} rounds")
                results = await measure_both(slack, targets, args)
                at_end = campaign_sent(slack)
                campaign = {
                    "at_start": at_start,
                    "at_end": at_end,
                    "rate": (at_end - at_start) / (time.monotonic() - started),
                    "states": ", ".join(
                        f"{k} {v}" for k, v in sorted((await outbox_states(database)).items())
                    ),
                }
            finally:
                await database.close()
                for _, child, _ in targets:
                    await asyncio.to_thread(child.stop)
            problems = [f"{child.name}: {line}" for _, child, _ in targets for line in child.errors[:8]]
    problems += [
        f"load generator: {r['unstamped']} answers from {r['target']} had no kernel receive timestamp "
        "and were timed as read"
        for r in results
        if r["unstamped"]
    ]
    loops = ", ".join(f"{child.name} {child.event_loop}" for _, child, _ in targets)
    print(report(results, args, loops, campaign))
    if problems:
        print("Warnings and errors (the servers' distinct first lines, with counts):\n")
        print("\n".join(f"- {line}" for line in problems))


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--rate", type=float, default=50.0, help="requests per second, the three kinds in turn"
    )
    parser.add_argument("--seconds", type=float, default=24.0, help="measured seconds per server")
    parser.add_argument(
        "--rounds", type=int, default=4, help="the seconds are split into this many turns per server"
    )
    parser.add_argument("--campaign", type=int, default=10_000, help="people in the campaign")
    parser.add_argument(
        "--campaign-rate",
        type=float,
        default=100.0,
        help="CHAMPBOT_SLACK_RATE while the campaign goes out (the fake enforces no limit)",
    )
    parser.add_argument(
        "--postgres", help="run champbot on this scratch PostgreSQL database (its public schema is emptied)"
    )
    parser.add_argument("--users", type=int, default=100, help="distinct Slack users sending requests")
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="seconds of warm-up at 20/s per server (at least one request of each kind per user)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable for champbot run, e.g. CHAMPBOT_WORK_CONCURRENCY=8 (repeatable)",
    )
    args = parser.parse_args(argv)
    if not all("=" in pair for pair in args.env):
        parser.error("--env takes NAME=VALUE")
    args.env = dict(pair.split("=", 1) for pair in args.env)
    if not 0 < args.seconds <= 120 or not 0 < args.rate <= 2000:
        parser.error("--seconds is at most 120; --rate is between 1 and 2000 requests per second")
    if not 1 <= args.rounds <= 20 or args.seconds / args.rounds < 1:
        parser.error("--rounds is between 1 and 20, and each round lasts at least a second")
    if not 1 <= args.campaign <= 100_000 or not 0 < args.campaign_rate <= 1000:
        parser.error("--campaign 1..100000, --campaign-rate up to 1000")
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
