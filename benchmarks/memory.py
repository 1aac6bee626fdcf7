"""Resident memory of `champbot run`: idle after start, and after delivering a Slack campaign.

Reads VmRSS (resident now) and VmHWM (the peak so far) from /proc/<pid>/status, and PSS (shared
pages divided among the processes sharing them) from /proc/<pid>/smaps_rollup, of (summed over
a server and any children it has; `champbot run` has none):

- the baseline, a bare slack-bolt AsyncApp (benchmarks/_bare_bolt.py), idle after start;
- `champbot run` (SQLite in a temporary folder, Slack over HTTP against a FakeSlackApi in this
  process), idle after start, then after a campaign of `--size` DMs written to its outbox
  through OutboxService and delivered with CHAMPBOT_SLACK_RATE=`--rate` (the fake enforces no limit).

    python -m benchmarks.memory [--size 10000] [--rate 1000] [--settle 3]

Targets (issue 20): `champbot run` under 150 MiB resident idle, under 250 MiB after the campaign.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks._harness import (
    BOT_TOKEN,
    log,
    machine,
    memory_kib,
    server_memory_kib,
    start_bare_bolt,
    start_champbot,
    table,
)
from benchmarks.fanout import enqueue, outbox_states
from bot.domain import Platform
from storage.engine import Database
from tests.fakes import FakeSlackApi

TARGET_MIB = {"idle": 150.0, "after": 250.0}


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


async def delivered(slack: FakeSlackApi, size: int, limit_seconds: float) -> tuple[int, float]:
    """Wait until `size` DMs were accepted by the fake; returns (accepted, seconds)."""
    started = time.monotonic()
    seen, accepted = 0, 0
    while time.monotonic() - started < limit_seconds:
        new = slack.calls[seen:]
        seen += len(new)
        accepted += sum(1 for c in new if c.method == "chat.postMessage" and c.response.get("ok"))
        if accepted >= size:
            break
        await asyncio.sleep(0.1)
    return accepted, time.monotonic() - started


async def main(args: argparse.Namespace) -> None:
    readings: list[tuple[str, str, dict[str, int]]] = []
    targets_by_row = [None, "idle", "after"]
    with tempfile.TemporaryDirectory(prefix="champbot-bench-") as folder:
        async with FakeSlackApi(token=BOT_TOKEN) as slack:
            targets = [f"U{n:05d}" for n in range(args.size)]
            for user in targets:
                slack.add_user(user, user.lower())

            bare, _ = await asyncio.to_thread(start_bare_bolt, slack.base_url)
            try:
                await asyncio.sleep(args.settle)
                idle = memory_kib(bare.pid)
                readings.append(("bare slack-bolt AsyncApp (baseline)", "idle after start", idle))
            finally:
                await asyncio.to_thread(bare.stop)

            url = f"sqlite:///{Path(folder) / 'champbot.db'}"
            bot, _ = await asyncio.to_thread(
                start_champbot, url, slack.base_url, CHAMPBOT_SLACK_RATE=f"{args.rate:g}"
            )
            database = Database(url)
            try:
                await asyncio.sleep(args.settle)
                readings.append(("champbot run", "idle after start", server_memory_kib(bot.pid)))
                log(f"enqueueing {args.size} Slack DMs, delivered at up to {args.rate:g}/s")
                await enqueue(database, Platform.SLACK, targets)
                accepted, seconds = await delivered(slack, args.size, args.size / args.rate * 3 + 300)
                log(f"{accepted} delivered in {seconds:.1f} s")
                await asyncio.sleep(args.settle)
                readings.append(
                    (
                        "champbot run",
                        f"after delivering {accepted:,} DMs ({seconds:.0f} s)",
                        server_memory_kib(bot.pid),
                    )
                )
                states = await outbox_states(database)
            finally:
                await database.close()
                await asyncio.to_thread(bot.stop)
    baseline = readings[0][2]["VmRSS"]
    rows = [
        [
            name,
            state,
            mib(m["VmRSS"]),
            mib(m["VmHWM"]),
            mib(m["Pss"]),
            f"{m['VmRSS'] / baseline:.1f}x",
            verdict(m["VmRSS"], target),
        ]
        for (name, state, m), target in zip(readings, targets_by_row, strict=True)
    ]
    print(f"## Resident memory\n\nMachine: {machine()}\n")
    headers = ["process", "state", "VmRSS MiB", "peak (VmHWM) MiB", "PSS MiB", "RSS / bare idle", "target"]
    print(table(headers, rows))
    print(
        f"\nRead {args.settle:g} s after each state was reached. Outbox after the campaign: "
        + ", ".join(f"{k} {v}" for k, v in sorted(states.items()))
        + "."
    )
    if bot.errors:
        print("\n" + "\n".join(f"- champbot log: {line}" for line in bot.errors[:8]))


def verdict(kib: int, target: str | None) -> str:
    if target is None:
        return "–"
    limit = TARGET_MIB[target]
    return f"< {limit:g} MiB: {'**met**' if kib / 1024 < limit else '**not met**'}"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000, help="people in the campaign")
    parser.add_argument("--rate", type=float, default=1000.0, help="CHAMPBOT_SLACK_RATE (at most 1000)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait before each reading")
    args = parser.parse_args(argv)
    if not 1 <= args.size <= 100_000 or not 0 < args.rate <= 1000 or not 0 <= args.settle <= 60:
        parser.error("--size 1..100000, --rate up to 1000, --settle up to 60 s")
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
