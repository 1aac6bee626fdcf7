"""How fast does `champbot run` acknowledge signed Slack requests, compared with a bare Bolt app?

Starts three things on 127.0.0.1: a FakeSlackApi in this process (the bot's SLACK_API_URL, and
the response_url of every slash command), `champbot run` (SQLite in a temporary folder) and the
baseline, a bare slack-bolt AsyncApp that only acks (benchmarks/_bare_bolt.py), each in its own
process, both on the same event loop (uvloop where installed, bot/eventloop.py). For each request
kind and rate, an open-loop load generator in a fourth process (benchmarks/_loadgen.py) sends
signed requests to /slack/events of one server at a time and measures the time until the kernel
received the HTTP answer (the ack). The servers take turns in short rounds, and each one's rounds
are pooled.

    python -m benchmarks.ack_latency [--rates 50,200,500] [--seconds 12] [--rounds 4]
                                     [--kinds slash,im] [--postgres URL]

Target (issue): p99 under 100 ms at 200 requests/s, and within 1.5x of the bare app's p99.
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
from tests.conftest import reset_postgres
from tests.fakes import FakeSlackApi

KINDS = {"slash": "`/champ help` (slash command)", "im": "`help` (message.im event)"}
REPLY_METHOD = {"slash": "response_url", "im": "chat.postMessage"}
TARGET_RATE = 200.0
TARGET_P99_MS = 100.0
TARGET_RATIO = 1.5


async def generate(spec: dict[str, Any]) -> dict[str, Any]:
    """One load-generator process; its own CPU use comes back as `gen_cpu`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks._loadgen",
        json.dumps(spec),
        stdout=asyncio.subprocess.PIPE,
    )
    started = time.monotonic()
    try:
        stdout, _ = await asyncio.wait_for(process.communicate(), timeout=float(spec["seconds"]) + 90)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError("load generator did not finish in time") from None
    if process.returncode != 0:
        raise RuntimeError(f"load generator failed with exit code {process.returncode}")
    result: dict[str, Any] = json.loads(stdout)
    result["gen_wall"] = time.monotonic() - started
    return result


async def settle(slack: FakeSlackApi, quiet: float = 2.0, limit: float = 120.0) -> float:
    """Wait until the server's work behind the acks (replies to the fake) has stopped; seconds waited."""
    started = time.monotonic()
    seen = -1
    while time.monotonic() - started < limit:
        if len(slack.calls) == seen:
            return time.monotonic() - started
        seen = len(slack.calls)
        await asyncio.sleep(quiet)
    return time.monotonic() - started


async def measure(
    slack: FakeSlackApi,
    target: tuple[str, Child, int],
    kind: str,
    rate: float,
    seconds: float,
    users: int,
) -> dict[str, Any]:
    name, child, port = target
    spec = {
        "url": f"http://127.0.0.1:{port}/slack/events",
        "kind": kind,
        "rate": rate,
        "seconds": seconds,
        "secret": SIGNING_SECRET,
        "response_url": slack.response_url("bench-"),  # + request number
        "users": users,
    }
    mark = len(slack.calls)
    cpu_before, fake_before = server_cpu_seconds(child.pid), cpu_seconds(os.getpid())
    acking_before = cpu_seconds(child.pid)
    wall_before = time.monotonic()
    result = await generate(spec)
    wall = time.monotonic() - wall_before
    result["wall_s"] = wall
    result["server_cpu"] = (server_cpu_seconds(child.pid) - cpu_before) / wall
    result["acking_cpu"] = (cpu_seconds(child.pid) - acking_before) / wall
    result["fake_cpu"] = (cpu_seconds(os.getpid()) - fake_before) / wall
    result["settle_s"] = await settle(slack)
    result["replies"] = sum(1 for call in slack.calls[mark:] if call.method == REPLY_METHOD[kind])
    result["target"], result["kind"], result["rate"] = name, kind, rate
    return result


async def measure_both(
    slack: FakeSlackApi,
    targets: list[tuple[str, Child, int]],
    kind: str,
    rate: float,
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    """Each server gets `rounds` runs of seconds/rounds, taking turns and swapping who goes first
    every round, and each server's runs are pooled: a slow stretch of the machine (another
    process, a frequency change) then falls on both servers instead of on whichever ran in it."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in targets}
    for number in range(args.rounds):
        for target in targets if number % 2 == 0 else targets[::-1]:
            result = await measure(slack, target, kind, rate, args.seconds / args.rounds, args.users)
            log(
                f"  {target[0]} round {number + 1}/{args.rounds}: p50 {result['p50_ms']:.1f} ms, "
                f"p99 {result['p99_ms']:.1f} ms, errors {result['errors']}, replies {result['replies']}"
            )
            runs[target[0]].append(result)
    return [pool(parts) for parts in runs.values()]


def pool(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One server's runs as if they were one: percentiles over all samples, sums of counts, and
    CPU shares weighted by each run's length."""
    latencies = sorted(value for part in parts for value in part["latencies_ms"])
    lags = sorted(value for part in parts for value in part["lags_ms"])
    read = sorted(value for part in parts for value in part["read_latencies_ms"])
    wall = sum(part["wall_s"] for part in parts)

    def weighted(key: str) -> float:
        return sum(part[key] * part["wall_s"] for part in parts) / wall

    return {
        "target": parts[0]["target"],
        "kind": parts[0]["kind"],
        "rate": parts[0]["rate"],
        "errors": sum(part["errors"] for part in parts),
        "late_over_3s": sum(part["late_over_3s"] for part in parts),
        "unstamped": sum(part["unstamped"] for part in parts),
        "replies": sum(part["replies"] for part in parts),
        "achieved_rate": sum(part["ok"] for part in parts) / sum(part["elapsed_s"] for part in parts),
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "read_p99_ms": percentile(read, 0.99),
        "max_ms": latencies[-1] if latencies else float("nan"),
        "lag_p99_ms": percentile(lags, 0.99),
        "server_cpu": weighted("server_cpu"),
        "acking_cpu": weighted("acking_cpu"),
        "gen_cpu": weighted("gen_cpu"),
        "fake_cpu": weighted("fake_cpu"),
    }


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def report(results: list[dict[str, Any]], args: argparse.Namespace, loops: str) -> str:
    rows = [
        [
            r["target"],
            KINDS[r["kind"]],
            fmt(r["rate"], 0),
            fmt(r["achieved_rate"]),
            fmt(r["p50_ms"]),
            fmt(r["p99_ms"]),
            fmt(r["max_ms"]),
            fmt(r["read_p99_ms"]),
            r["errors"],
            r["late_over_3s"],
            f"{r['server_cpu'] * 100:.0f}%",
            f"{r['acking_cpu'] * 100:.0f}%",
            r["replies"] if r["target"] == "champbot" else "–",
            fmt(r["lag_p99_ms"]),
            f"{r['gen_cpu'] * 100:.0f}%",
            f"{r['fake_cpu'] * 100:.0f}%",
        ]
        for r in results
    ]
    detail = table(
        [
            "server",
            "request",
            "offered req/s",
            "achieved req/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "p99 ms as read",
            "errors",
            "> 3 s",
            "server CPU",
            "acknowledging process CPU",
            "replies sent",
            "generator lag p99 ms",
            "generator CPU",
            "fake Slack CPU",
        ],
        rows,
    )
    by_key = {(r["target"], r["kind"], r["rate"]): r for r in results}
    summary_rows = []
    for kind in args.kinds:
        for rate in args.rates:
            bot, bare = by_key.get(("champbot", kind, rate)), by_key.get(("bare bolt", kind, rate))
            if bot is None or bare is None:
                continue
            ratio = bot["p99_ms"] / bare["p99_ms"] if bare["p99_ms"] > 0 else float("nan")
            under = bot["p99_ms"] < TARGET_P99_MS and bot["errors"] == 0
            within = ratio <= TARGET_RATIO
            summary_rows.append(
                [
                    KINDS[kind],
                    fmt(rate, 0),
                    fmt(bot["p99_ms"]),
                    fmt(bare["p99_ms"]),
                    f"{ratio:.2f}x",
                    "yes" if under else "no",
                    "yes" if within else "no",
                    ("**met**" if under and within else "**not met**") if rate == TARGET_RATE else "–",
                ]
            )
    summary = table(
        [
            "request",
            "req/s",
            "champbot p99 ms",
            "bare p99 ms",
            "champbot / bare",
            "p99 < 100 ms",
            "≤ 1.5x bare",
            "target (200 req/s)",
        ],
        summary_rows,
    )
    return (
        f"## Slack ack latency ({args.seconds:g} s per server and rate, in {args.rounds} rounds; open loop)"
        "\n\n"
        f"Machine: {machine()}; champbot on {'PostgreSQL' if args.postgres else 'SQLite'}"
        + "".join(f", {name}={value}" for name, value in args.env.items())
        + f"; event loop: {loops}\n\n"
        f"{summary}\n\n{detail}\n\n"
        "Latency is from the moment the generator hands a request to the kernel to the kernel's "
        "receive timestamp of the answer's last bytes; *p99 as read* ends when the generator's "
        "process read the answer instead, which adds the generator's own wait for a core. "
        "Errors are non-200 answers and requests without an answer within 10 s. "
        "*replies sent*: the follow-up answers champbot's listeners delivered after the ack to the fake "
        "Slack (response_url or chat.postMessage) for that run, counted until the server went quiet. "
        "*generator lag*: how late the generator started a request against its schedule. "
        "CPU columns: share of one core used during the run by the server (champbot: both of its "
        "processes), by the process that answers (champbot's first; its work process does the "
        "rest), the generator process, and this process (the fake Slack API that receives "
        "champbot's replies).\n"
    )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="champbot-bench-") as folder:
        async with FakeSlackApi(token=BOT_TOKEN) as slack:
            members = [f"UB{n:04d}" for n in range(args.users)]
            for user in members:
                slack.add_user(user, user.lower(), tz="Europe/Copenhagen", locale="en-US")
            slack.add_channel("C0GENERAL", "general", members)
            url = f"sqlite:///{Path(folder) / 'champbot.db'}"
            if args.postgres:
                # A scratch database starts empty, so earlier runs' rows never change the measurement.
                await asyncio.to_thread(reset_postgres, args.postgres)
                url = args.postgres
            log("starting champbot run and the bare Bolt app")
            bot, bot_port = await asyncio.to_thread(start_champbot, url, slack.base_url, **args.env)
            bare, bare_port = await asyncio.to_thread(start_bare_bolt, slack.base_url)
            targets = [("bare bolt", bare, bare_port), ("champbot", bot, bot_port)]
            results = []
            try:
                for kind in args.kinds:
                    # Warm-up: the first requests pay for imports and auth.test, and every user's
                    # first command a users.info call (Tier 4, so ~100 a minute), then cached.
                    warmup = max(args.warmup, args.users / 20)
                    for target in targets:
                        log(f"warm-up {target[0]} {kind}")
                        await measure(slack, target, kind, 20, warmup, args.users)
                    for rate in args.rates:
                        log(f"{kind} at {rate:g}/s, {args.seconds:g} s per server in {args.rounds} rounds")
                        results += await measure_both(slack, targets, kind, rate, args)
            finally:
                for _, child, _ in targets:
                    await asyncio.to_thread(child.stop)
            problems = [f"{child.name}: {line}" for _, child, _ in targets for line in child.errors[:8]]
    problems += [
        f"load generator: {r['unstamped']} answers from {r['target']} ({r['kind']}, {r['rate']:g}/s) "
        "had no kernel receive timestamp and were timed as read"
        for r in results
        if r["unstamped"]
    ]
    print(report(results, args, ", ".join(f"{child.name} {child.event_loop}" for _, child, _ in targets)))
    if problems:
        print("Warnings and errors (the servers' distinct first lines, with counts):\n")
        print("\n".join(f"- {line}" for line in problems))


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rates", default="50,200,500", help="requests per second, comma-separated")
    parser.add_argument(
        "--seconds", type=float, default=12.0, help="measured seconds per server, rate and kind"
    )
    parser.add_argument(
        "--rounds", type=int, default=4, help="the seconds are split into this many turns per server"
    )
    parser.add_argument("--kinds", default="slash,im", help="slash (/champ help), im (message.im)")
    parser.add_argument(
        "--postgres", help="run champbot on this scratch PostgreSQL database (its public schema is emptied)"
    )
    parser.add_argument("--users", type=int, default=100, help="distinct Slack users sending requests")
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="seconds of warm-up at 20/s per server and kind (at least one request per user)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable for champbot run, e.g. CHAMPBOT_WORK_PROCESS=false (repeatable)",
    )
    args = parser.parse_args(argv)
    if not all("=" in pair for pair in args.env):
        parser.error("--env takes NAME=VALUE")
    args.env = dict(pair.split("=", 1) for pair in args.env)
    args.rates = [float(r) for r in args.rates.split(",") if r.strip()]
    args.kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if not set(args.kinds) <= set(KINDS) or not args.rates or not 0 < args.seconds <= 120:
        parser.error("kinds are slash and im; rates must be given; --seconds is at most 120")
    if not 1 <= args.rounds <= 20 or args.seconds / args.rounds < 1:
        parser.error("--rounds is between 1 and 20, and each round lasts at least a second")
    if not all(0 < rate <= 2000 for rate in args.rates):
        parser.error("each rate must be between 1 and 2000 requests per second")
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
