"""Anonymity tools: keyed hashes under a daily secret, receipt tokens, and the random posting delay.

Why each piece exists:
- A per-person limit or a one-vote rule needs to recognise a person again *today* without
  storing who they are. An HMAC of the person's id under a secret that exists only for that day
  does it: while the day lasts the hash repeats; when the secret is deleted nobody — not with the
  database, not with the configuration — can recompute whose hash is whose.
- The secret is random, never derived from configuration and never logged. It lives in the
  database, on SQLite as on PostgreSQL, for that day only: every process of a deployment (replicas,
  a console next to `champbot run`) counts under the same secret, a restart within the day keeps
  it, and the first call of the next day deletes it with that day's hashes.
- A follow-up needs the asker again without any stored identity: a random token in their private
  receipt is the capability; the database keeps only its SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.clock import Clock
from storage import questions
from storage.engine import Database

_random = secrets.SystemRandom()


def keyed_digest(secret: bytes, scope: str, platform: str, user_id: str) -> str:
    """HMAC-SHA256 of the person within a scope (``ask``, ``question:12``): different scopes give
    unrelated hashes, so two votes of one person cannot be linked to each other either."""
    message = f"{scope}\x1f{platform}\x1f{user_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def new_token() -> str:
    """A receipt's capability: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def random_delay(max_seconds: float) -> timedelta:
    """0..max seconds from the operating system's randomness, so the post time says nothing about
    when the asker typed (0 turns the delay off)."""
    if max_seconds <= 0:
        return timedelta(0)
    return timedelta(seconds=_random.uniform(0, max_seconds))


class SecretStore(Protocol):
    async def secret_for(self, day: str) -> bytes:
        """The secret of `day`; every other day's secret is forgotten on the way."""
        ...


class DatabaseSecrets:
    """The day's secret, shared by every process through one row and deleted when the day is over.
    Each process keeps a copy for the day; all of them read the same row, so the copies agree."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._cache: tuple[str, bytes] | None = None

    async def secret_for(self, day: str) -> bytes:
        if self._cache and self._cache[0] == day:
            return self._cache[1]
        async with self._db.session() as session:
            await questions.forget_before(session, day=day)
            stored = await questions.shared_secret(session, day=day, candidate=secrets.token_hex(32))
        self._cache = (day, bytes.fromhex(stored))
        return self._cache[1]


class Anonymity:
    """Today's keyed hashes, and the clean-up that makes yesterday's meaningless."""

    def __init__(self, *, database: Database, clock: Clock, store: SecretStore, timezone: str) -> None:
        self._db = database
        self._clock = clock
        self._store = store
        self._tz = ZoneInfo(timezone)
        self._pruned = ""

    def today(self) -> str:
        """The organisation's calendar day: limits reset at local midnight."""
        return self._clock.now().astimezone(self._tz).date().isoformat()

    async def digest(self, scope: str, platform: str, user_id: str) -> tuple[str, str]:
        """(day, keyed hash of the person in this scope today). Old days' hashes are deleted first."""
        day = self.today()
        if day != self._pruned:
            async with self._db.session() as session:
                await questions.forget_before(session, day=day)
            self._pruned = day
        secret = await self._store.secret_for(day)
        return day, keyed_digest(secret, scope, platform, user_id)


def store_for(database: Database) -> SecretStore:
    """The database, for the day only, whichever database it is: a secret held in one process's
    memory would let a second process, or the same one restarted, count everyone afresh."""
    return DatabaseSecrets(database)


def visible_time(now: datetime, max_delay_seconds: float) -> datetime:
    return now + random_delay(max_delay_seconds)
