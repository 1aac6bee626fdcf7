"""Outbox workers: claim due rows, wait for the platform's rate limits, send, and record the outcome.

Every replica runs one. Rows are claimed in the database (SKIP LOCKED on PostgreSQL), so
replicas share a campaign without sending any message twice; a row whose worker died
mid-send is checked with the platform before it is sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from datetime import timedelta

from bot.clock import Clock
from bot.delivery import codec
from bot.delivery.limits import Limiter, PlatformLimits
from bot.delivery.outbox import SentHook
from bot.domain import Platform
from bot.messages import MessageRef
from bot.metrics import Metrics
from bot.ports import DeliveryError, Messengers
from storage import outbox
from storage.engine import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=15)


def backoff(attempt: int, rng: random.Random) -> timedelta:
    """Exponential backoff with jitter: about 2 s, 4 s, 8 s … up to 15 minutes."""
    ceiling = min(MAX_BACKOFF.total_seconds(), 2.0 ** max(attempt, 1))
    return timedelta(seconds=rng.uniform(ceiling / 2, ceiling))


class OutboxWorker:
    def __init__(
        self,
        *,
        database: Database,
        messengers: Messengers,
        clock: Clock,
        limits: dict[Platform, PlatformLimits],
        metrics: Metrics,
        concurrency: int = 16,
        max_attempts: int = 8,
        lease: timedelta = timedelta(minutes=5),
        poll_seconds: float = 1.0,
        worker_id: str | None = None,
        on_sent: SentHook | None = None,
    ) -> None:
        self._db = database
        self._messengers = messengers
        self._clock = clock
        self._limiters = {platform: Limiter(limit) for platform, limit in limits.items()}
        self._metrics = metrics
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self._lease = lease
        self._poll = poll_seconds
        self.worker_id = worker_id or uuid.uuid4().hex[:12]
        self._on_sent = on_sent
        self._wake = asyncio.Event()
        self._rng = random.Random()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-{self.worker_id}")

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Finish the round in hand (so no row is left half-sent), then stop; cancel after the grace time."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace_seconds)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while not self._stopping:
            try:
                delivered = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox round failed; retrying")
                delivered = 0
            if delivered == 0 and not self._stopping:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)

    def _batch_size(self) -> int:
        fastest = max((limiter.rate for limiter in self._limiters.values()), default=10.0)
        return max(self._concurrency, min(200, int(fastest * 5)))

    async def run_once(self) -> int:
        """Claim one batch and deliver it; returns how many rows were handled."""
        now = self._clock.now()
        async with self._db.session() as session:
            claimed = await outbox.claim(
                session,
                worker=self.worker_id,
                now=now,
                stale_before=now - self._lease,
                limit=self._batch_size(),
            )
        if not claimed:
            return 0
        gate = asyncio.Semaphore(self._concurrency)

        async def one(item: outbox.Claimed) -> None:
            async with gate:
                await self._deliver(item.message, item.was_stale)

        outcomes = await asyncio.gather(*(one(item) for item in claimed), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, Exception):  # e.g. the database went away while recording a send;
                log.error("outbox delivery not recorded", exc_info=outcome)  # the lease brings it back
        return len(claimed)

    async def _deliver(self, row: OutboxMessage, was_stale: bool) -> None:
        assert row.id is not None
        platform = Platform(row.platform)
        try:
            messenger = self._messengers.get(platform)
            if was_stale:
                found = await messenger.find_sent(
                    row.kind, row.target, row.idempotency_key, thread_id=row.thread_id
                )
                if found is not None:
                    log.info("outbox row was already delivered before a restart", extra={"row": row.id})
                    await self._sent(row, found)
                    return
            await self._wait_for_turn(platform, f"{row.kind}:{row.target}")
            async with self._db.session() as session:
                mine = await outbox.take_turn(
                    session, row_id=row.id, worker=self.worker_id, now=self._clock.now()
                )
            if not mine:
                log.info("outbox row was taken over by another worker", extra={"row": row.id})
                return
            message = codec.loads(row.payload)
            if row.kind == "dm":
                ref = await messenger.dm(row.target, message, key=row.idempotency_key)
            else:
                ref = await messenger.post(
                    row.target, message, thread_id=row.thread_id, key=row.idempotency_key
                )
        except DeliveryError as error:
            await self._failed(row, platform, error)
            return
        except Exception as error:  # network errors, timeouts: transient by nature
            await self._failed(row, platform, DeliveryError(type(error).__name__, permanent=False))
            return
        await self._sent(row, ref)

    async def _wait_for_turn(self, platform: Platform, conversation: str) -> None:
        limiter = self._limiters.get(platform)
        if limiter is None:
            return
        loop = asyncio.get_running_loop()
        # The limiter says exactly how long; there is no event to wait on but the clock.
        while (wait := limiter.reserve(conversation, loop.time())) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)

    async def _sent(self, row: OutboxMessage, ref: MessageRef) -> None:
        assert row.id is not None
        if limiter := self._limiters.get(Platform(row.platform)):
            limiter.succeeded()
        async with self._db.session() as session:
            await outbox.mark_sent(
                session,
                row_id=row.id,
                channel_id=ref.channel_id,
                message_id=ref.message_id,
                now=self._clock.now(),
            )
        self._metrics.deliveries.labels(row.platform, "sent").inc()
        if self._on_sent is not None:
            await self._on_sent(row.idempotency_key, ref)

    async def _failed(self, row: OutboxMessage, platform: Platform, error: DeliveryError) -> None:
        assert row.id is not None
        now = self._clock.now()
        async with self._db.session() as session:
            if error.retry_after is not None:
                # "Slow down" is not a failure of this message: honour Retry-After exactly, and
                # give the attempt back so a busy day can never kill a message.
                limiter = self._limiters.get(platform)
                if limiter is not None:
                    limiter.rate_limited(error.retry_after, asyncio.get_running_loop().time())
                self._metrics.rate_limited.labels(row.platform).inc()
                at = now + timedelta(seconds=error.retry_after)
                await outbox.mark_retry(
                    session,
                    row_id=row.id,
                    state=outbox.PENDING,
                    at=at,
                    error=error.reason,
                    refund_attempt=True,
                )
                return
            if error.permanent or row.attempts >= self._max_attempts:
                await outbox.mark_dead(session, row_id=row.id, error=error.reason)
                self._metrics.deliveries.labels(row.platform, "dead").inc()
                log.info("outbox row dead", extra={"row": row.id, "reason": error.reason})
                return
            at = now + backoff(row.attempts, self._rng)
            await outbox.mark_retry(session, row_id=row.id, state=outbox.FAILED, at=at, error=error.reason)
            self._metrics.deliveries.labels(row.platform, "retry").inc()
