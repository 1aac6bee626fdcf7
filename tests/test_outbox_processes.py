"""The outbox across real processes: a kill -9 half-way, and three replicas sharing one campaign."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

import pytest
from sqlalchemy import distinct, func, select

from bot.clock import SystemClock
from bot.delivery.outbox import OutboxService, Outgoing
from bot.domain import Platform
from bot.messages import Message
from bot.text import Markup, Text
from storage.engine import Database
from storage.migrate import upgrade
from storage.models import OutboxMessage
from tests.conftest import BOT_TOKEN, POSTGRES_URL, SIGNING_SECRET
from tests.fakes import FakeSlackApi
from tests.test_server import Process

NUDGE = Message.of(Text.of(Markup("This week: checking an AI answer critically (15 min).")))


def run_process(database_url: str, slack: FakeSlackApi, rate: int) -> Process:
    return Process(
        CHAMPBOT_DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.base_url,
        CHAMPBOT_SLACK_RATE=str(rate),
        # Short, so the restart picks up the killed process's rows soon; not so short that a send
        # slowed down by a busy machine outlives it and a live replica's row looks abandoned.
        CHAMPBOT_OUTBOX_LEASE_SECONDS="10",
    )


async def enqueue_campaign(database: Database, size: int) -> None:
    items = [
        Outgoing(f"nudge-7:U{n:05d}", Platform.SLACK, "dm", f"U{n:05d}", NUDGE, campaign="nudge-7")
        for n in range(size)
    ]
    assert await OutboxService(database=database, clock=SystemClock()).enqueue(items) == size


async def all_sent(database: Database, size: int, timeout: float = 180) -> None:  # noqa: ASYNC109
    async def poll() -> None:
        while True:
            async with database.session() as session:
                sent = (
                    await session.exec(
                        select(func.count()).where(OutboxMessage.state == "sent")  # type: ignore[arg-type]
                    )
                ).one()
            if sent[0] >= size:
                return
            await asyncio.sleep(0.2)  # the other processes do the work; we only look at the database

    await asyncio.wait_for(poll(), timeout)


def received(slack: FakeSlackApi) -> Counter[str]:
    return Counter(c.args["channel"] for c in slack.calls_to("chat.postMessage") if c.response.get("ok"))


async def test_a_kill_9_half_way_then_a_restart_loses_and_duplicates_nothing(
    tmp_path: object, slack_api: FakeSlackApi
) -> None:
    url = f"sqlite:///{tmp_path}/campaign.db"  # type: ignore[operator]
    for n in range(2000):
        slack_api.add_user(f"U{n:05d}", f"person{n}")
    await asyncio.to_thread(upgrade, url)
    database = Database(url)
    try:
        await enqueue_campaign(database, 2000)
        first = run_process(url, slack_api, rate=250)
        await slack_api.wait_for("chat.postMessage", 600, timeout=60)
        first.stop(signal.SIGKILL)
        halfway = len(received(slack_api))
        assert 600 <= halfway < 2000
        second = run_process(url, slack_api, rate=1000)
        try:
            await all_sent(database, 2000)
        finally:
            assert second.stop() == 0
    finally:
        await database.close()
    counts = received(slack_api)
    assert len(counts) == 2000 and set(counts.values()) == {1}


@pytest.mark.skipif(POSTGRES_URL is None, reason="replicas share PostgreSQL (CHAMPBOT_TEST_POSTGRES_URL)")
async def test_three_replicas_deliver_one_campaign_of_3000_exactly_once_and_share_the_work(
    slack_api: FakeSlackApi,
) -> None:
    from tests.conftest import reset_postgres

    assert POSTGRES_URL is not None
    await asyncio.to_thread(reset_postgres, POSTGRES_URL)
    for n in range(3000):
        slack_api.add_user(f"U{n:05d}", f"person{n}")
    replicas = [run_process(POSTGRES_URL, slack_api, rate=300) for _ in range(3)]
    database = Database(POSTGRES_URL)
    try:
        for replica in replicas:
            await asyncio.to_thread(replica.wait_for, "champbot listening")
        await enqueue_campaign(database, 3000)
        await all_sent(database, 3000)
        async with database.session() as session:
            workers = (await session.exec(select(func.count(distinct(OutboxMessage.claimed_by))))).one()
    finally:
        await database.close()
        for replica in replicas:
            replica.stop()
    counts = received(slack_api)
    assert len(counts) == 3000 and set(counts.values()) == {1}
    assert workers[0] == 3
