"""The outbox over the real Slack client and the fake Web API: exactly once, through 429s and 500s."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.app import Server, serve
from bot.clock import SystemClock
from bot.delivery import codec
from bot.delivery.outbox import Outgoing
from bot.domain import Platform
from bot.messages import Message
from bot.text import Markup, Text
from storage import outbox
from tests.cli import champbot
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, base_url, make_settings
from tests.fakes import (
    FakeBotConnector,
    FakeSlackApi,
    SlackRequestFactory,
    conversation_update_activity,
    event_body,
    message_activity,
    message_im_event,
    retry_headers,
)

HELLO = Message.of(Text.of(Markup("Your lesson of the week is ready.")))


def campaign(size: int, name: str = "welcome") -> list[Outgoing]:
    return [
        Outgoing(f"{name}:U{n:05d}", Platform.SLACK, "dm", f"U{n:05d}", HELLO, campaign=name)
        for n in range(size)
    ]


@pytest.fixture
async def fast_server(database_url: str, slack_api: FakeSlackApi) -> AsyncIterator[Server]:
    """The system clock on purpose: these tests are about honouring Retry-After and backoff, in real time."""
    settings = make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.base_url,
        slack_rate=1000.0,
        outbox_concurrency=32,
    )
    async with serve(settings, clock=SystemClock()) as running:
        yield running


def add_people(slack: FakeSlackApi, size: int) -> None:
    for n in range(size):
        slack.add_user(f"U{n:05d}", f"person{n}")


def delivered_to(slack: FakeSlackApi) -> Counter[str]:
    """Who got a DM: counted from successful chat.postMessage calls, the way a person would notice."""
    return Counter(
        c.args["channel"]
        for c in slack.calls_to("chat.postMessage")
        if c.status == 200 and c.response.get("ok")
    )


async def until_settled(server: Server, name: str, timeout: float = 120.0) -> dict[str, int]:  # noqa: ASYNC109
    """Wait (on the outbox, not the clock) until no message of the campaign is pending or in flight."""

    async def settled() -> dict[str, int]:
        while True:
            status = (await server.core.outbox.status(campaign=name)).by_state
            if status["pending"] == status["sending"] == status["failed"] == 0:
                return status
            await asyncio.sleep(
                0.05
            )  # polling our own database while the worker runs; no test logic waits on time

    return await asyncio.wait_for(settled(), timeout)


async def test_a_campaign_to_2000_people_arrives_exactly_once_through_429s_and_500s(
    fast_server: Server, slack_api: FakeSlackApi
) -> None:
    add_people(slack_api, 2000)

    def weather(call: int) -> tuple[int, int | None, str] | None:
        if call % 400 == 0:
            return 429, 1, "ratelimited"
        if call in (150, 151, 900):
            return 500, None, "internal_error"
        return None

    slack_api.schedule_faults("chat.postMessage", weather)
    assert await fast_server.core.outbox.enqueue(campaign(2000)) == 2000
    status = await until_settled(fast_server, "welcome")
    assert status["sent"] == 2000 and status["dead"] == 0
    received = delivered_to(slack_api)
    assert len(received) == 2000 and set(received.values()) == {1}
    rejected = [c for c in slack_api.calls_to("chat.postMessage") if c.status != 200]
    assert {c.status for c in rejected} == {429, 500}
    metrics = fast_server.core.metrics.exposition().decode()
    assert 'champbot_rate_limited_total{platform="slack"}' in metrics


async def test_enqueueing_the_same_keys_again_sends_nothing_twice(
    fast_server: Server, slack_api: FakeSlackApi
) -> None:
    add_people(slack_api, 50)
    assert await fast_server.core.outbox.enqueue(campaign(50)) == 50
    await until_settled(fast_server, "welcome")
    assert await fast_server.core.outbox.enqueue(campaign(50)) == 0
    await until_settled(fast_server, "welcome")
    assert set(delivered_to(slack_api).values()) == {1}


async def test_a_message_held_back_waits_and_a_sent_one_tells_where_it_landed(
    fast_server: Server, slack_api: FakeSlackApi
) -> None:
    add_people(slack_api, 2)
    later = datetime.now(UTC) + timedelta(hours=1)
    held = Outgoing("held:U00000", Platform.SLACK, "dm", "U00000", HELLO, campaign="held", not_before=later)
    await fast_server.core.outbox.enqueue([held, *campaign(2)[1:]])
    await until_settled(fast_server, "welcome")
    assert await fast_server.core.outbox.sent_ref("held:U00000") is None
    assert (await fast_server.core.outbox.status(campaign="held")).by_state["pending"] == 1
    ref = await fast_server.core.outbox.sent_ref("welcome:U00001")
    assert ref is not None and ref.platform is Platform.SLACK
    posted = [c for c in slack_api.calls_to("chat.postMessage") if c.status == 200]
    assert [(c.args["channel"], ref.message_id) for c in posted] == [("U00001", posted[0].response["ts"])]


async def test_permanent_errors_end_dead_with_the_reason_and_are_not_retried(
    fast_server: Server, slack_api: FakeSlackApi
) -> None:
    add_people(slack_api, 3)
    slack_api.add_user("U00009", "gone", deleted=True)
    items = [
        *campaign(3),
        Outgoing("welcome:U00009", Platform.SLACK, "dm", "U00009", HELLO, campaign="welcome"),
        Outgoing("welcome:C404", Platform.SLACK, "post", "C404", HELLO, campaign="welcome"),
    ]
    await fast_server.core.outbox.enqueue(items)
    status = await until_settled(fast_server, "welcome")
    assert (status["sent"], status["dead"]) == (3, 2)
    reasons = dict((await fast_server.core.outbox.status(campaign="welcome")).failures)
    assert reasons == {"user_disabled": 1, "channel_not_found": 1}
    attempts = [c for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] in {"U00009", "C404"}]
    assert len(attempts) == 2


async def test_a_row_whose_worker_died_after_sending_is_recognised_and_not_sent_again(
    fast_server: Server, slack_api: FakeSlackApi
) -> None:
    now = datetime.now(UTC)
    add_people(slack_api, 1)
    messenger = fast_server.core.messengers.get(Platform.SLACK)
    await messenger.dm("U00000", HELLO, key="welcome:U00000")  # it went out, then the worker was killed
    async with fast_server.core.database.session() as session:
        await outbox.enqueue(
            session,
            [
                {
                    "idempotency_key": "welcome:U00000",
                    "campaign": "welcome",
                    "platform": "slack",
                    "kind": "dm",
                    "target": "U00000",
                    "payload": "[]",
                    "state": "sending",
                    "attempts": 1,
                    "claimed_at": now - timedelta(hours=1),
                    "claimed_by": "dead-worker",
                    "send_started_at": now - timedelta(hours=1),
                    "next_attempt_at": now,
                    "created_at": now,
                }
            ],
        )
    status = await until_settled(fast_server, "welcome")
    assert status["sent"] == 1
    assert len(slack_api.calls_to("chat.postMessage")) == 1  # only the original send
    assert slack_api.calls_to("conversations.history")[-1].args["include_all_metadata"] in ("1", "true", True)


async def test_a_slack_event_delivered_three_times_is_handled_once(
    fast_server: Server, slack_api: FakeSlackApi, http: aiohttp.ClientSession
) -> None:
    signer = SlackRequestFactory(SIGNING_SECRET)
    body = event_body(message_im_event("whoami", user="U1", channel="D0ANA"), event_id="Ev0RETRIED")
    for attempt in range(3):
        headers = signer.headers_for(body, "json") | retry_headers(attempt)
        async with http.post(f"{base_url(fast_server)}/slack/events", data=body, headers=headers) as response:
            assert response.status == 200
    await slack_api.wait_for("chat.postMessage")
    replies = [c for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] == "D0ANA"]
    assert len(replies) == 1
    duplicates = 'champbot_inbound_requests_total{outcome="duplicate",platform="slack"} 2.0'
    for _ in range(500):  # the retries were acked at once; their duplicate check runs just after
        if duplicates in fast_server.core.metrics.exposition().decode():
            break
        await asyncio.sleep(0.01)
    assert duplicates in fast_server.core.metrics.exposition().decode()
    assert len([c for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] == "D0ANA"]) == 1


async def test_a_teams_activity_delivered_twice_is_handled_once(
    fast_server: Server, connector: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    activity = message_activity("help", service_url=connector.service_url, activity_id="1700000000999")
    for _ in range(2):
        async with http.post(f"{base_url(fast_server)}/api/messages", json=activity) as response:
            assert response.status in (200, 201)
    assert len(connector.activities) == 1


async def test_metrics_are_served_in_the_prometheus_text_format(
    fast_server: Server, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    activity = message_activity("help", service_url=connector.service_url)
    async with http.post(f"{base_url(fast_server)}/api/messages", json=activity) as response:
        assert response.status in (200, 201)
    async with http.post(
        f"{base_url(fast_server)}/api/messages", data="{broken", headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
    async with http.get(f"{base_url(fast_server)}/metrics") as response:
        assert response.status == 200 and response.content_type == "text/plain"
        text = await response.text()
    assert 'champbot_inbound_requests_total{outcome="ok",platform="teams"} 1.0' in text
    assert 'champbot_inbound_requests_total{outcome="rejected",platform="teams"} 1.0' in text
    assert 'champbot_ack_seconds_count{platform="teams"} 2.0' in text
    assert 'champbot_outbox_messages{state="pending"} 0.0' in text
    for family in ("champbot_deliveries", "champbot_rate_limited", "champbot_job_runs"):
        assert f"# TYPE {family}_total counter" in text or f"# TYPE {family} counter" in text


def test_outbox_status_prints_counts_and_failure_reasons(database_url: str) -> None:
    result = champbot("outbox", "status", CHAMPBOT_DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == [
        "PLATFORM",
        "pending",
        "sending",
        "sent",
        "failed",
        "dead",
    ]
    assert result.stdout.splitlines()[-1].split() == ["total", "0", "0", "0", "0", "0"]


async def test_teams_dms_go_out_once_each_through_the_connectors_429s(
    fast_server: Server, connector: FakeBotConnector, http: aiohttp.ClientSession
) -> None:
    people = [f"29:1person{n}" for n in range(30)]
    for user in people:  # each person installed the bot: a personal conversation reference is stored
        install = conversation_update_activity(
            [{"id": "28:bot", "name": "champbot"}],
            service_url=connector.service_url,
            user_id=user,
            conversation_id=f"a:{user}",
        )
        async with http.post(f"{base_url(fast_server)}/api/messages", json=install) as response:
            assert response.status in (200, 201)
    connector.clear()
    connector.fail_next(status=429, retry_after=1, times=3)
    items = [
        Outgoing(f"teams-welcome:{u}", Platform.TEAMS, "dm", u, HELLO, campaign="teams-welcome")
        for u in people
    ]
    await fast_server.core.outbox.enqueue(items)
    status = await until_settled(fast_server, "teams-welcome")
    assert status["sent"] == 30
    delivered = Counter(call.conversation_id for call in connector.calls if call.status < 300)
    assert len(delivered) == 30 and set(delivered.values()) == {1}
    assert sum(1 for call in connector.calls if call.status == 429) == 3


async def test_a_teams_person_who_never_met_the_bot_is_reported_not_retried(fast_server: Server) -> None:
    await fast_server.core.outbox.enqueue(
        [Outgoing("x:29:1ghost", Platform.TEAMS, "dm", "29:1ghost", HELLO, campaign="x")]
    )
    status = await until_settled(fast_server, "x")
    assert status["dead"] == 1
    assert dict((await fast_server.core.outbox.status(campaign="x")).failures) == {
        "no_conversation_reference": 1
    }


async def test_a_row_claimed_by_a_dead_worker_but_never_started_is_sent_without_asking_slack(
    fast_server: Server, slack_api: FakeSlackApi
) -> None:
    now = datetime.now(UTC)
    add_people(slack_api, 1)
    payload = codec.dumps(HELLO)
    async with fast_server.core.database.session() as session:
        await outbox.enqueue(
            session,
            [
                {
                    "idempotency_key": "welcome:U00000",
                    "campaign": "welcome",
                    "platform": "slack",
                    "kind": "dm",
                    "target": "U00000",
                    "payload": payload,
                    "state": "sending",
                    "attempts": 1,
                    "claimed_at": now - timedelta(hours=1),
                    "claimed_by": "dead-worker",
                    "next_attempt_at": now,
                    "created_at": now,
                }
            ],
        )
    status = await until_settled(fast_server, "welcome")
    assert status["sent"] == 1
    assert len(slack_api.calls_to("chat.postMessage")) == 1
    assert slack_api.calls_to("conversations.history") == []  # nothing to check: it never left
