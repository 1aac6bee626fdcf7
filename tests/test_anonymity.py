"""Anonymity tools: keyed hashes under a daily secret that dies with its day, tokens, the random delay."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from bot.clock import FrozenClock
from bot.questions import anonymity
from bot.questions.anonymity import (
    Anonymity,
    DatabaseSecrets,
    keyed_digest,
    new_token,
    random_delay,
    store_for,
    token_hash,
)
from storage import questions
from storage.engine import Database
from storage.migrate import upgrade
from storage.models import AnonQuota, AnonVote, DailySecret
from tests.conftest import NOW


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    await asyncio.to_thread(upgrade, database_url)
    db = Database(database_url)
    yield db
    await db.close()


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_a_keyed_digest_repeats_for_one_person_and_scope_and_differs_otherwise(scope: str, user: str) -> None:
    secret = b"k" * 32
    digest = keyed_digest(secret, scope, "slack", user)
    assert digest == keyed_digest(secret, scope, "slack", user) and len(digest) == 64
    assert digest != keyed_digest(secret, scope + "x", "slack", user)
    assert digest != keyed_digest(b"j" * 32, scope, "slack", user)
    assert user not in digest or len(user) < 3


def test_the_separator_keeps_scope_and_person_apart() -> None:
    secret = b"s" * 32
    assert keyed_digest(secret, "question:1", "slack", "2U") != keyed_digest(
        secret, "question:12", "slack", "U"
    )


async def test_the_days_secret_is_random_not_configured_and_survives_a_restart_within_the_day(
    database: Database, database_url: str
) -> None:
    today = await DatabaseSecrets(database).secret_for("2026-11-24")
    assert len(today) == 32 and today != bytes(32)
    restarted = Database(database_url)  # a new process: nothing in memory, the same database
    try:
        assert await DatabaseSecrets(restarted).secret_for("2026-11-24") == today
    finally:
        await restarted.close()
    assert await DatabaseSecrets(database).secret_for("2026-11-25") != today  # a new random one each day


async def test_replicas_share_the_days_secret_through_the_database_and_it_is_deleted_the_next_day(
    database: Database,
) -> None:
    replica_a, replica_b = DatabaseSecrets(database), DatabaseSecrets(database)
    assert await replica_a.secret_for("2026-11-24") == await replica_b.secret_for("2026-11-24")
    await replica_b.secret_for("2026-11-25")
    async with database.session() as session:
        days = [row.day for row in (await session.exec(select(DailySecret))).all()]
    assert days == ["2026-11-25"]


def test_sqlite_and_postgresql_both_keep_the_secret_in_the_database(database_url: str) -> None:
    assert isinstance(store_for(Database(database_url)), DatabaseSecrets)


async def test_a_new_day_deletes_yesterdays_vote_hashes_and_quotas(database: Database) -> None:
    clock = FrozenClock(NOW)
    anon = Anonymity(
        database=database, clock=clock, store=DatabaseSecrets(database), timezone="Europe/Copenhagen"
    )
    day, digest = await anon.digest("question:1", "slack", "U1")
    async with database.session() as session:
        await questions.add_vote(session, scope="question:1", digest=digest, day=day)
        await questions.take_quota(session, day=day, digest=digest, limit=5)
    clock.advance(timedelta(days=1))
    next_day, next_digest = await anon.digest("question:1", "slack", "U1")
    assert next_day != day and next_digest != digest
    async with database.session() as session:
        assert (await session.exec(select(AnonVote))).all() == []
        assert (await session.exec(select(AnonQuota))).all() == []


async def test_the_daily_limit_holds_when_many_asks_arrive_at_once(database: Database) -> None:
    async def one() -> bool:
        async with database.session() as session:
            return await questions.take_quota(session, day="2026-11-24", digest="d" * 64, limit=5)

    results = [await one() for _ in range(3)]
    results += await asyncio.gather(*(one() for _ in range(7)))
    assert results.count(True) == 5


async def test_question_numbers_are_unique_even_when_asked_at_once(database: Database) -> None:
    async def one() -> int:
        async with database.session() as session:
            return await questions.next_number(session, platform="slack")

    numbers = await asyncio.gather(*(one() for _ in range(12)))
    assert sorted(numbers) == list(range(1, 13))
    async with database.session() as session:
        assert await questions.next_number(session, platform="teams") == 1


def test_receipt_tokens_are_random_and_only_their_sha256_is_kept() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(len(token) == 32 for token in tokens)
    token = next(iter(tokens))
    assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest() and token not in token_hash(token)


def test_the_posting_delay_comes_from_the_operating_systems_randomness_within_bounds() -> None:
    assert isinstance(anonymity._random, random.SystemRandom)
    delays = [random_delay(120).total_seconds() for _ in range(200)]
    assert all(0 <= delay <= 120 for delay in delays) and len(set(delays)) > 150
    assert random_delay(0) == timedelta(0)
