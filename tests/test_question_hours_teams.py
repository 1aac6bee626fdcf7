"""Question hours in Teams: real Activities to /api/messages, cards observed at the fake Bot Connector."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.app import Server, serve
from bot.clock import FrozenClock
from tests.conftest import base_url, make_settings
from tests.fakes import FakeBotConnector, channel_message_activity, mention_entity, message_activity

CHANNEL = "19:questions@thread.tacv2"


@pytest.fixture
async def teams_server(database_url: str, clock: FrozenClock) -> AsyncIterator[Server]:
    async with serve(make_settings(database_url, qa_max_delay=0), clock=clock) as running:
        yield running


async def send(http: aiohttp.ClientSession, server: Server, activity: dict[str, Any]) -> None:
    async with http.post(f"{base_url(server)}/api/messages", json=activity) as response:
        assert response.status in (200, 201)


def text_of(activity: dict[str, Any]) -> str:
    parts = [activity.get("text") or ""]
    for attachment in activity.get("attachments") or []:
        parts.extend(element.get("text", "") for element in attachment.get("content", {}).get("body", []))
    return "\n".join(parts)


async def channel_post(connector: FakeBotConnector, needle: str) -> dict[str, Any]:
    for _ in range(20):
        found = [
            call.body
            for call in connector.calls
            if call.operation in ("send", "reply")
            and call.conversation_id.startswith(CHANNEL)
            and needle in text_of(call.body)
        ]
        if found:
            return found[-1]
        await connector.wait_for_activities(len(connector.activities) + 1)
    raise AssertionError(f"no channel post with {needle!r}")


async def test_an_admin_opens_a_question_hour_in_teams_and_a_mention_in_a_question_pings_nobody(
    teams_server: Server, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    url = connector.service_url
    await send(
        http,
        teams_server,
        channel_message_activity(
            "setup questions here",
            service_url=url,
            user_id="29:1admin",
            user_name="Hanne",
            channel_id=CHANNEL,
            channel_name="AI questions",
        ),
    )
    await send(
        http,
        teams_server,
        message_activity(
            "qa open 1h", service_url=url, user_id="29:1admin", user_name="Hanne", conversation_id="a:1hr"
        ),
    )
    invitation = await channel_post(connector, "question hour is open")
    assert "until 11:30 (Europe/Copenhagen)" in text_of(invitation)
    assert "ask <your question>" in text_of(invitation)

    bo = mention_entity("29:1bo", "Bo")
    await send(
        http,
        teams_server,
        message_activity(
            f"ask Should {bo['text']} really share our prompts with @everyone? Call 23456789",
            service_url=url,
            mentions=[bo],
        ),
    )
    post = await channel_post(connector, "Q-1")
    sent = json.dumps(post)
    assert "<at>" not in sent and "@everyone" not in sent and "23456789" not in sent
    assert not [entity for entity in post.get("entities") or [] if entity.get("type") == "mention"]
    assert "＠Bo" in text_of(post) and "phone removed" in text_of(post)

    await send(
        http,
        teams_server,
        message_activity(
            "qa close", service_url=url, user_id="29:1admin", user_name="Hanne", conversation_id="a:1hr"
        ),
    )
    summary = await channel_post(connector, "question hour is over")
    assert "1 question, 0 answered, 1 still open" in text_of(summary)
