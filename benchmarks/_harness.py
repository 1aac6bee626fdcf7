"""Shared plumbing for the benchmarks: child processes with JSON logs, /proc memory, Markdown tables.

Everything here talks to 127.0.0.1 only, and every wait has a time limit.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench"
_OUR_VARIABLES = ("CHAMPBOT_", "SLACK_", "MICROSOFTAPP", "PORT")
_TICK = os.sysconf("SC_CLK_TCK")


def clean_environment(**variables: str) -> dict[str, str]:
    """The parent's environment without any champbot/Slack/Teams settings, plus `variables`."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(_OUR_VARIABLES)}
    env.update(variables)
    return env


def champbot_command() -> list[str]:
    script = Path(sys.executable).with_name("champbot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


class Child:
    """A child process whose stderr carries one JSON object per line, read on a thread so that
    waits have timeouts and the pipe never fills up."""

    def __init__(self, argv: list[str], env: dict[str, str], name: str) -> None:
        self.name = name
        self.event_loop = "unknown"  # from its start-up line
        self.popen = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=10_000)
        self.problems: Counter[str] = Counter()  # WARNING and above, by first line, for the report
        threading.Thread(target=self._read, daemon=True, name=f"{name}-stderr").start()

    def _read(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                entry = {"message": line.rstrip()}
            if not isinstance(entry, dict):
                entry = {"message": str(entry)}
            if entry.get("level") in {"WARNING", "ERROR", "CRITICAL"}:
                first_line = str(entry.get("message", "")).strip().split("\n", 1)[0][:200]
                cause = _cause(str(entry.get("exception", "")))
                self.problems[f"{entry.get('level')}: {first_line}{cause}"] += 1
            with contextlib.suppress(queue.Full):  # only start-up lines are waited for
                self.lines.put_nowait(entry)

    @property
    def errors(self) -> list[str]:
        """Distinct warnings and errors it logged, most frequent first, with their counts."""
        return [f"{count}× {line}" for line, count in self.problems.most_common()]

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_for(self, text: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or self.popen.poll() is not None and self.lines.empty():
                raise RuntimeError(f"{self.name}: no log line containing {text!r} within {timeout:.0f} s")
            try:
                entry = self.lines.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if text in str(entry.get("message", "")):
                return entry

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.popen.poll() is None:
            os.kill(self.popen.pid, signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait(timeout=10)


def _cause(traceback: str) -> str:
    """The exception line of a formatted traceback, e.g. ` (sqlite3.OperationalError: ...)`."""
    for line in reversed(traceback.strip().splitlines()):
        if re.match(r"^[\w.]+(Error|Exception|Exit)\b", line):
            return f" ({line.strip()[:200]})"
    return ""


def start_champbot(database_url: str, slack_api_url: str | None, **variables: str) -> tuple[Child, int]:
    """`champbot run` on a free port (Slack over HTTP when `slack_api_url` is given, Teams in
    Emulator mode); returns the child and its port."""
    slack = (
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack_api_url}
        if slack_api_url
        else {}
    )
    env = clean_environment(
        PORT="0", CHAMPBOT_LOG_FORMAT="json", CHAMPBOT_DATABASE_URL=database_url, **slack, **variables
    )
    child = Child([*champbot_command(), "run"], env, "champbot")
    ready = child.wait_for("champbot listening", timeout=90)
    child.event_loop = ready.get("event_loop", "unknown")
    return child, int(ready["port"])


def start_bare_bolt(slack_api_url: str) -> tuple[Child, int]:
    """The baseline: a bare slack-bolt AsyncApp that only acks (benchmarks/_bare_bolt.py)."""
    env = clean_environment(
        PORT="0", SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack_api_url
    )
    child = Child([sys.executable, "-m", "benchmarks._bare_bolt"], env, "bare-bolt")
    ready = child.wait_for("bare bolt listening", timeout=60)
    child.event_loop = ready.get("event_loop", "unknown")
    return child, int(ready["port"])


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state is [0], ppid [1])."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rpartition(")")[2].split()


def process_tree(pid: int) -> list[int]:
    """`pid` and its living descendants (`champbot run` should have none; a reading would show one)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdecimal():
            try:
                parents.setdefault(int(_stat(int(entry))[1]), []).append(int(entry))
            except (OSError, IndexError):  # gone meanwhile
                continue
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (all its threads)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICK


def server_cpu_seconds(pid: int) -> float:
    """The same for a server and its living descendants."""
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            total += cpu_seconds(member)
    return total


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process from /proc/<pid>/status, and Pss (its share of the
    pages it shares with other processes) from /proc/<pid>/smaps_rollup, in KiB."""
    values: dict[str, int] = {}
    for name, keys in (("status", {"VmRSS", "VmHWM"}), ("smaps_rollup", {"Pss"})):
        with open(f"/proc/{pid}/{name}", encoding="ascii") as readings:
            for line in readings:
                key, _, rest = line.partition(":")
                if key in keys:
                    values[key] = int(rest.split()[0])
    return values


def server_memory_kib(pid: int) -> dict[str, int]:
    """The same summed over a server and its living descendants. The sums of VmRSS and VmHWM
    count the pages the processes share (the interpreter, libraries) once per process; Pss does not."""
    total = {"VmRSS": 0, "VmHWM": 0, "Pss": 0}
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            for key, value in memory_kib(member).items():
                total[key] += value
    return total


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (nan when empty)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; numbers right-aligned."""
    cells = [[str(c) for c in row] for row in rows]
    align = [
        "---:" if rows and all(_numeric(str(row[i])) for row in rows) else "---" for i in range(len(headers))
    ]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def _numeric(text: str) -> bool:
    try:
        float(text.rstrip("%x").replace(",", ""))
    except ValueError:
        return False
    return True


def machine() -> str:
    return (
        f"{os.cpu_count()} CPU ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def log(message: str) -> None:
    """Progress goes to stderr so stdout stays a clean Markdown report."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
