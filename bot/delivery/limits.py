"""Rate limits as the platforms state them: pure arithmetic on a monotonic clock, no I/O.

A `Limiter` answers "how long must this send wait?" from sliding windows (Teams' 7 per second,
8 per 2 s, 60 per 30 s, 1,800 per hour per conversation), token buckets (a workspace-wide rate),
and pauses the platform asked for with Retry-After. After a 429 the shared rate is cut, then
earns its way back (additive increase, multiplicative decrease), so one warning slows the
whole fan-out instead of every worker hitting the wall in turn.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

_EPSILON = 1e-6


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: float


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    burst: float
    tokens: float | None = None  # full on first use
    updated: float = 0.0

    def _refill(self, now: float) -> float:
        if self.tokens is None:
            self.tokens = self.burst
        else:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return self.tokens

    def delay(self, now: float) -> float:
        tokens = self._refill(now)
        # The epsilon stops a float crawl: 0.9999999 tokens would otherwise ask for ever-shorter waits.
        return 0.0 if tokens >= 1 - _EPSILON else max((1 - tokens) / self.rate, _EPSILON)

    def take(self, now: float) -> None:
        self.tokens = self._refill(now) - 1


@dataclass
class _WindowLog:
    windows: tuple[Window, ...]
    sent: deque[float] = field(default_factory=deque)

    def delay(self, now: float) -> float:
        longest = max(window.seconds for window in self.windows)
        while self.sent and self.sent[0] <= now - longest:
            self.sent.popleft()
        wait = 0.0
        for window in self.windows:
            recent = [t for t in self.sent if t > now - window.seconds]
            if len(recent) >= window.limit:
                wait = max(wait, recent[-window.limit] + window.seconds - now, _EPSILON)
        return wait

    def take(self, now: float) -> None:
        self.sent.append(now)


@dataclass(frozen=True)
class PlatformLimits:
    """What one platform allows: a shared rate for the whole app and windows per conversation."""

    rate_per_second: float
    burst: int
    per_conversation: tuple[Window, ...]
    min_rate_share: float = 0.2


SLACK = PlatformLimits(rate_per_second=20.0, burst=20, per_conversation=(Window(1, 1.0),))
TEAMS = PlatformLimits(
    rate_per_second=50.0,
    burst=50,
    per_conversation=(Window(7, 1.0), Window(8, 2.0), Window(60, 30.0), Window(1800, 3600.0)),
)


class Limiter:
    def __init__(self, limits: PlatformLimits) -> None:
        self.limits = limits
        self._bucket = TokenBucket(limits.rate_per_second, limits.burst)
        self._conversations: dict[str, _WindowLog] = {}
        self._paused_until = 0.0

    @property
    def rate(self) -> float:
        return self._bucket.rate

    def reserve(self, conversation: str, now: float) -> float:
        """Seconds to wait before sending to `conversation`; 0 means send now (and it is counted)."""
        log = self._conversations.setdefault(conversation, _WindowLog(self.limits.per_conversation))
        wait = max(self._paused_until - now, self._bucket.delay(now), log.delay(now))
        if wait > 0:
            return wait
        self._bucket.take(now)
        log.take(now)
        if len(self._conversations) > 50_000:  # DMs are one-off conversations; forget the idle ones
            self._forget_idle(now)
        return 0.0

    def rate_limited(self, retry_after: float, now: float) -> None:
        """The platform said 429: nothing goes out before Retry-After, and the shared rate is cut."""
        self._paused_until = max(self._paused_until, now + retry_after)
        floor = self.limits.rate_per_second * self.limits.min_rate_share
        self._bucket.rate = max(floor, self._bucket.rate * 0.7)

    def succeeded(self) -> None:
        self._bucket.rate = min(
            self.limits.rate_per_second, self._bucket.rate + self.limits.rate_per_second * 0.01
        )

    def _forget_idle(self, now: float) -> None:
        longest = max(window.seconds for window in self.limits.per_conversation)
        for key in [
            k for k, log in self._conversations.items() if not log.sent or log.sent[-1] <= now - longest
        ]:
            del self._conversations[key]
