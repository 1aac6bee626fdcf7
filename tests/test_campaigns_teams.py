"""Campaigns in Teams: `here` in a team channel reaches the team's members (TeamsInfo, paged),
each through the personal chat they have with the bot; the admin's progress card is updated."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.app import Server, serve
from bot.clock import FrozenClock
from storage.models import OutboxMessage
from tests.conftest import base_url, make_settings
from tests.fakes import FakeBotConnector, channel_message_activity, message_activity
from tests.fakes.activities import DEFAULT_CHANNEL_ID


@pytest.fixture
async def teams_server(database_url: str, clock: FrozenClock) -> AsyncIterator[Server]:
    async with serve(make_settings(database_url), clock=clock) as running:
        yield running


async def send(http: aiohttp.ClientSession, server: Server, activity: dict[str, Any]) -> None:
    async with http.post(f"{base_url(server)}/api/messages", json=activity) as response:
        assert response.status in (200, 201)


def card_text(activity: dict[str, Any]) -> str:
    attachments = activity.get("attachments") or []
    if not attachments:
        return str(activity.get("text", ""))
    return "\n".join(element.get("text", "") for element in attachments[0]["content"]["body"])


async def test_here_in_a_team_channel_reaches_the_team_through_personal_chats(
    teams_server: Server, http: aiohttp.ClientSession, connector: FakeBotConnector, clock: FrozenClock
) -> None:
    connector.add_members(
        DEFAULT_CHANNEL_ID,
        [
            {"id": "29:1admin", "name": "Hanne"},
            {"id": "29:2bo", "name": "Bo"},
            {"id": "29:3carl", "name": "Carl"},
        ],
    )
    await send(
        http,
        teams_server,
        message_activity(
            "help",
            service_url=connector.service_url,
            user_id="29:2bo",
            user_name="Bo",
            conversation_id="a:2bo",
        ),
    )
    await connector.wait_for_activities(1)
    await send(
        http,
        teams_server,
        channel_message_activity(
            "nudge schedule here now Team update: the AI pilot starts Monday.",
            service_url=connector.service_url,
            user_id="29:1admin",
            user_name="Hanne",
        ),
    )
    for _ in range(100):
        updates = [c.body for c in connector.calls if c.operation == "update" and c.status < 300]
        if updates and "is done" in card_text(updates[-1]):
            break
        clock.advance(timedelta(seconds=3))
        with contextlib.suppress(AssertionError):
            await connector.wait_for_calls("update", len(updates) + 1, timeout=1.5)
    else:
        raise AssertionError("the progress card never said done")
    assert any(c.operation == "paged_members" for c in connector.calls)  # read with TeamsInfo
    answer = [a for a in connector.activities if "scheduled: now" in card_text(a)]
    assert answer and "message in this channel" in card_text(answer[0])
    to_bo = [a for a in connector.activities_in("a:2bo") if "AI pilot starts Monday" in card_text(a)]
    assert len(to_bo) == 1
    final = card_text(updates[-1])
    assert "Sent 1" in final.replace("*", "") and "failed 2" in final.replace("*", "")
    assert "no_conversation_reference" in final  # Hanne and Carl never opened a personal chat
    async with teams_server.core.database.session() as session:
        states = {r.target: r.state for r in (await session.exec(select(OutboxMessage))).all() if r.campaign}
    assert states == {"29:1admin": "dead", "29:2bo": "sent", "29:3carl": "dead"}
