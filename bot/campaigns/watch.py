"""Live progress: one task per sending campaign updates the admin's message every few seconds.

The pace comes from the injected Clock (never faster than `interval`); the task only naps
between looks. Each process watches the campaigns it started or the tick handed it, and stops
when the campaign is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.clock import Clock

log = logging.getLogger(__name__)

Report = Callable[[int], Awaitable[bool]]  # campaign id → True when there is nothing more to show


class ProgressWatchers:
    def __init__(
        self, *, clock: Clock, report: Report, interval: timedelta = timedelta(seconds=3), nap: float = 0.25
    ) -> None:
        self._clock = clock
        self._report = report
        self._interval = interval
        self._nap = nap
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def watch(self, campaign_id: int) -> None:
        """Start watching, unless this process already does."""
        task = self._tasks.get(campaign_id)
        if task is not None and not task.done():
            return
        self._tasks[campaign_id] = asyncio.create_task(self._run(campaign_id), name=f"campaign-{campaign_id}")

    async def _run(self, campaign_id: int) -> None:
        last = None
        while True:
            now = self._clock.now()
            if last is None or now - last >= self._interval:
                last = now
                try:
                    if await self._report(campaign_id):
                        return
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("campaign progress update failed", extra={"campaign": campaign_id})
            await asyncio.sleep(self._nap)

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
