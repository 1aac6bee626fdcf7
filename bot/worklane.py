"""Work that runs after a platform already has its answer, a few pieces at a time.

Slack wants every request acknowledged within 3 seconds, and the edges acknowledge before they
do anything else. What the request asked for (the database, the reply) then runs on the same
event loop, whose ready queue is first come, first served: with no limit, a burst of 200 requests
leaves 200 half-done pieces of work in that queue, and the next acknowledgement waits behind all
of them. Through a lane it waits behind at most `width` of them; the rest wait on a semaphore,
outside the ready queue, which costs nothing until their turn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import Gauge

log = logging.getLogger(__name__)


class WorkLane:
    def __init__(self, width: int, held: Gauge | None = None) -> None:
        if width < 1:
            raise ValueError("a lane needs room for at least one piece of work")
        self.width = width
        self._slots = asyncio.Semaphore(width)
        self._held = 0  # pieces waiting for a slot or running in one
        self._empty = asyncio.Event()
        self._empty.set()
        self._gauge = held
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def held(self) -> int:
        return self._held

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a slot, then run the block in it (for work the platform's answer waits for)."""
        self._count(+1)
        try:
            async with self._slots:
                yield
        finally:
            self._count(-1)

    def submit(self, work: Coroutine[Any, Any, object]) -> None:
        """Run `work` in a slot once one is free, and return at once (the caller acknowledges).
        A failure is logged here, since nobody waits for the result."""
        self._count(+1)
        task = asyncio.ensure_future(self._run(work))
        self._tasks.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Returns once no work is waiting or running."""
        await self._empty.wait()

    async def _run(self, work: Coroutine[Any, Any, object]) -> None:
        try:
            async with self._slots:
                await work
        except Exception:
            log.exception("work after an acknowledgement failed")
        finally:
            self._count(-1)

    def _count(self, change: int) -> None:
        self._held += change
        if self._held:
            self._empty.clear()
        else:
            self._empty.set()
        if self._gauge is not None:
            self._gauge.inc(change)
