"""Slack's HTTP requests are answered in this process and worked on in a second one.

An acknowledgement waits for whatever runs on its event loop. With the work after the answer
(about 3 ms of CPU per event: the database, the reply) on the same loop, a burst of events made
the next answer wait behind it. So `champbot run` starts one work process
(`champbot slack-work`) and hands it each answered request as it came in, signature and all: the
child's Bolt app verifies and dispatches it again, as the events path always did after its answer.

The pipe is the child's stdin: frames of a 4-byte length and a JSON object. The child reports
each request's outcome on its stdout, one line each (`ready` once, then `ok`, `duplicate` or
`failed`), so the parent keeps the metrics and knows what is in flight. While no child is ready
(starting, or restarting after it died) the parent does the work itself: an acknowledged request
is never dropped because the child was away. Requests the child held when it died are lost, and
the parent logs how many. A child reads until its stdin closes, so it never outlives the parent,
not even one killed with SIGKILL; then it finishes what it holds and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import struct
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from bot.metrics import Metrics

log = logging.getLogger(__name__)

LENGTH = struct.Struct(">I")
RESTART_SECONDS = 1.0  # after a child that was ready dies; doubled after each that never got ready
RESTART_MAX_SECONDS = 60.0
STOP_SECONDS = 15.0  # its own drain (10 s) and a little more
READY, OK, DUPLICATE, FAILED = "ready", "ok", "duplicate", "failed"
OUR_VARIABLES = ("CHAMPBOT_", "SLACK_", "MICROSOFTAPP", "PORT")


@dataclass(frozen=True)
class RawRequest:
    """A Slack request as it arrived, enough for Bolt to verify and dispatch it again."""

    headers: dict[str, str]
    query: str
    body: str

    def frame(self) -> bytes:
        data = json.dumps({"headers": self.headers, "query": self.query, "body": self.body}).encode()
        return LENGTH.pack(len(data)) + data

    @classmethod
    async def read(cls, stream: asyncio.StreamReader) -> RawRequest | None:
        """The next frame, or None once the parent closed the pipe."""
        try:
            (size,) = LENGTH.unpack(await stream.readexactly(LENGTH.size))
            data = json.loads(await stream.readexactly(size))
        except asyncio.IncompleteReadError:
            return None
        return cls(dict(data["headers"]), str(data["query"]), str(data["body"]))


def child_environment(variables: dict[str, str]) -> dict[str, str]:
    """The parent's environment without its champbot, Slack and Teams variables, plus the
    parent's settings: the child must run with the settings the parent runs with, overrides included."""
    env = {name: value for name, value in os.environ.items() if not name.upper().startswith(OUR_VARIABLES)}
    env.update(variables)
    return env


class WorkProcess:
    """The parent's side: starts the child, feeds it, restarts it when it dies, stops it last."""

    def __init__(self, env: dict[str, str], metrics: Metrics) -> None:
        self._env = env
        self._metrics = metrics
        self._process: asyncio.subprocess.Process | None = None
        self._ready = False
        self._in_flight = 0
        self.handed_over = 0
        self.exits = 0  # children that ended, for whatever reason
        self._was_ready = False  # the current child said it was ready
        self._stopping = asyncio.Event()  # set by `stop`; also cuts a restart pause short
        self._supervisor: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    @property
    def ready(self) -> bool:
        return self._ready

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def in_flight(self) -> int:
        """Requests handed over whose outcome the child has not reported yet."""
        return self._in_flight

    def start(self) -> None:
        """Start the child, and keep one running until `stop`. Until it says it is ready, this
        process does the work itself, so starting it never delays the first answer."""
        self._supervisor = asyncio.create_task(self._supervise(), name="slack-work-process")

    async def wait_ready(self) -> None:
        await self.wait_until(lambda work: work.ready)

    async def wait_until(self, condition: Callable[[WorkProcess], bool]) -> None:
        """Returns once `condition` holds; checked after each change of readiness and each report."""
        while not condition(self):
            await self._changed.wait()

    def send(self, request: RawRequest) -> bool:
        """Hand over an answered request; False when no child is ready to take it (the caller works on it)."""
        pipe = self._process.stdin if self._ready and self._process is not None else None
        if pipe is None or pipe.is_closing():  # closing: the child died and has not been seen to yet
            return False
        pipe.write(request.frame())  # buffered by the transport; never waits
        self.handed_over += 1
        self._in_flight += 1
        self._metrics.work_held.inc()
        return True

    async def stop(self) -> None:
        """Close the pipe: the child finishes what it holds and exits; killed if it takes too long."""
        self._stopping.set()
        self._set_ready(False)
        process = self._process
        if process is not None and process.stdin is not None:
            process.stdin.close()
        if self._supervisor is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._supervisor), STOP_SECONDS)
            except TimeoutError:
                if process is not None and process.returncode is None:
                    log.warning("the Slack work process did not stop in time; killing it")
                    process.kill()
                await self._supervisor

    async def _supervise(self) -> None:
        pause = RESTART_SECONDS
        while not self._stopping.is_set():
            self._was_ready = False
            try:
                await self._run_child()
            except OSError as error:
                log.error("cannot start the Slack work process: %s", error)
            # A child that cannot start (a broken install) is retried less and less often.
            pause = RESTART_SECONDS if self._was_ready else min(pause * 2, RESTART_MAX_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)

    async def _run_child(self) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "slack-work",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=self._env,
        )
        self._process = process
        if self._stopping.is_set() and process.stdin is not None:
            process.stdin.close()  # `stop` came while it was starting
        assert process.stdout is not None
        while report := await process.stdout.readline():
            self._on_report(report.decode().strip(), process.pid)
        self._set_ready(False)
        code = await process.wait()
        self.exits += 1
        lost, self._in_flight = self._in_flight, 0
        self._metrics.work_held.dec(lost)
        self._notify()
        if self._stopping.is_set() and not lost:
            return
        log.warning(
            "the Slack work process exited with code %s; %d acknowledged requests in it were lost",
            code,
            lost,
            extra={"lost": lost},
        )

    def _set_ready(self, ready: bool) -> None:
        self._ready = ready
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed.clear()  # wakes who waits now; later waiters wait for the next change

    def _on_report(self, line: str, pid: int) -> None:
        if line == READY:
            self._was_ready = True
            self._set_ready(not self._stopping.is_set())
            log.info("the Slack work process is ready", extra={"pid": pid})
            return
        if line not in {OK, DUPLICATE, FAILED}:
            log.warning("unexpected report from the Slack work process: %.40r", line)
            return
        self._in_flight -= 1
        self._metrics.work_held.dec()
        if line == DUPLICATE:
            self._metrics.inbound.labels("slack", "duplicate").inc()
        self._notify()


Work = Callable[[RawRequest], Awaitable[bool]]


async def serve_handoffs(work: Work, submit: Callable[[Coroutine[Any, Any, None]], None]) -> None:
    """The child's side: read frames from stdin until it closes, run each through `work` in the
    lane (`submit`), and report each outcome on stdout."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, sys.stdout)
    writer = asyncio.StreamWriter(transport, protocol, None, loop)

    def report(line: str) -> None:
        if not writer.is_closing():
            writer.write(line.encode() + b"\n")

    async def run(request: RawRequest) -> None:
        outcome = FAILED
        try:
            outcome = OK if await work(request) else DUPLICATE
        except Exception:
            log.exception("work after an acknowledgement failed")
        finally:
            report(outcome)

    report(READY)
    while (request := await RawRequest.read(reader)) is not None:
        submit(run(request))
    with contextlib.suppress(Exception):
        await writer.drain()
