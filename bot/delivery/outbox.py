"""The outbox service: everything a job or campaign sends is written here first, once per key."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.delivery import codec
from bot.domain import Platform
from bot.messages import Message, MessageRef
from storage import outbox
from storage.engine import Database

log = logging.getLogger(__name__)

# Called with (key, where it landed) once a message is sent, by the replica that sent it.
SentHook = Callable[[str, MessageRef], Awaitable[None]]


@dataclass(frozen=True)
class Outgoing:
    """One message to deliver. The key makes it idempotent: e.g. campaign id + person id + lesson id."""

    key: str
    platform: Platform
    kind: str  # "dm" to a person, "post" to a channel
    target: str
    message: Message
    campaign: str | None = None
    thread_id: str | None = None
    not_before: datetime | None = None  # hold it back until then (e.g. a random delay, a local time)
    # An anonymous post must not record when it was asked for: the row's created_at is then
    # not_before, so the outbox cannot be matched against the moment a person spoke to the bot.
    conceal_enqueue_time: bool = False

    def __post_init__(self) -> None:
        if self.kind not in {"dm", "post"}:
            raise ValueError(f"unknown delivery kind {self.kind!r}")
        if not self.key or len(self.key) > 200:
            raise ValueError("an idempotency key is 1 to 200 characters")


@dataclass(frozen=True)
class OutboxStatus:
    by_state: dict[str, int]
    by_platform: dict[str, dict[str, int]]
    failures: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


class OutboxService:
    def __init__(self, *, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock
        self._listeners: list[Callable[[], None]] = []
        self._sent_hooks: list[tuple[str, SentHook]] = []

    def on_enqueue(self, listener: Callable[[], None]) -> None:
        """Workers in this process subscribe, so new work starts at once instead of at the next poll."""
        self._listeners.append(listener)

    def on_sent(self, prefix: str, hook: SentHook) -> None:
        """Run `hook` after each message whose key starts with `prefix` is sent, e.g. to thread a
        reply under a question that was held back by a random delay."""
        self._sent_hooks.append((prefix, hook))

    async def notify_sent(self, key: str, ref: MessageRef) -> None:
        """The workers call this after recording a send; a failing hook is logged and never undoes it."""
        for prefix, hook in self._sent_hooks:
            if key.startswith(prefix):
                try:
                    await hook(key, ref)
                except Exception:
                    log.exception("after-send hook failed", extra={"key": key})

    async def enqueue(self, items: Sequence[Outgoing], *, chunk: int = 500) -> int:
        """Write messages to the outbox; keys already there are skipped. Returns how many were new."""
        now = self._clock.now()
        added = 0
        for start in range(0, len(items), chunk):
            rows = [
                {
                    "idempotency_key": item.key,
                    "campaign": item.campaign,
                    "platform": item.platform.value,
                    "kind": item.kind,
                    "target": item.target,
                    "thread_id": item.thread_id,
                    "payload": codec.dumps(item.message),
                    "state": outbox.PENDING,
                    "attempts": 0,
                    "next_attempt_at": max(now, item.not_before) if item.not_before else now,
                    "created_at": (item.not_before or now) if item.conceal_enqueue_time else now,
                }
                for item in items[start : start + chunk]
            ]
            async with self._db.session() as session:
                added += await outbox.enqueue(session, rows)
        for listener in self._listeners:
            listener()
        return added

    async def sent_ref(self, key: str) -> MessageRef | None:
        """Where the message with this key landed, once it is sent (to thread under it or update it)."""
        async with self._db.session() as session:
            found = await outbox.sent_location(session, key=key)
        if found is None:
            return None
        platform, channel_id, message_id = found
        return MessageRef(Platform(platform), channel_id, message_id)

    async def status(self, *, campaign: str | None = None) -> OutboxStatus:
        async with self._db.session() as session:
            counts = await outbox.counts(session, campaign=campaign)
            failures = await outbox.failure_reasons(session, campaign=campaign)
        by_state = {state: 0 for state in outbox.STATES}
        by_platform: dict[str, dict[str, int]] = {}
        for (platform, state), count in counts.items():
            by_state[state] = by_state.get(state, 0) + count
            by_platform.setdefault(platform, {s: 0 for s in outbox.STATES})[state] = count
        return OutboxStatus(by_state, by_platform, failures)
