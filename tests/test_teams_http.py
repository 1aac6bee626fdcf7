"""Teams over real HTTP: Bot Framework Activities to /api/messages, replies observed at the fake Connector."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.app import Server, serve
from bot.clock import FrozenClock
from storage import channels, conversations, people
from tests.conftest import base_url, make_settings
from tests.fakes import (
    FakeBotConnector,
    channel_message_activity,
    conversation_update_activity,
    mention_entity,
    message_activity,
)


@pytest.fixture
async def teams_server(database_url: str, clock: FrozenClock) -> AsyncIterator[Server]:
    async with serve(make_settings(database_url), clock=clock) as running:
        yield running


async def send(http: aiohttp.ClientSession, server: Server, activity: dict[str, Any]) -> int:
    async with http.post(f"{base_url(server)}/api/messages", json=activity) as response:
        return response.status


def card_text(activity: dict[str, Any]) -> str:
    """What a person reads on the Adaptive Card the bot sent."""
    card = activity["attachments"][0]["content"]
    parts = []
    for element in card["body"]:
        parts.append(element.get("text", ""))
        parts.extend(f"{fact['title']}: {fact['value']}" for fact in element.get("facts", []))
    return "\n".join(parts)


async def test_an_employee_says_help_in_a_personal_chat_and_gets_a_card(
    teams_server: Server, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    status = await send(http, teams_server, message_activity("help", service_url=connector.service_url))
    assert status in (200, 201)
    reply = (await connector.wait_for_activities(1))[-1]
    assert reply["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    shown = card_text(reply)
    assert "`help`" in shown and "`whoami`" in shown and "setup" not in shown


async def test_whoami_in_danish_with_the_time_zone_teams_reports(
    teams_server: Server, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    activity = message_activity(
        "whoami", service_url=connector.service_url, locale="da-DK", local_timezone="Asia/Singapore"
    )
    await send(http, teams_server, activity)
    shown = card_text((await connector.wait_for_activities(1))[-1])
    assert "Sådan kender champbot dig" in shown and "Asia/Singapore" in shown


async def test_an_admin_binds_a_team_channel_with_setup_here(
    teams_server: Server, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    activity = channel_message_activity(
        "setup questions here",
        service_url=connector.service_url,
        user_id="29:1admin",
        user_name="Hanne",
        channel_id="19:questions@thread.tacv2",
        channel_name="AI questions",
    )
    await send(http, teams_server, activity)
    sent = await connector.wait_for_activities(2)
    assert "anonymous AI questions" in "\n".join(card_text(a) for a in sent)
    async with teams_server.core.database.session() as session:
        binding = await channels.binding_for(session, platform="teams", purpose="questions")
    assert binding is not None
    assert (binding.channel_id, binding.channel_name) == ("19:questions@thread.tacv2", "AI questions")


async def test_setup_here_in_a_personal_chat_explains_where_to_run_it(
    teams_server: Server, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    await send(
        http,
        teams_server,
        message_activity("setup questions here", service_url=connector.service_url, user_id="29:1admin"),
    )
    assert "direct chat" in card_text((await connector.wait_for_activities(1))[-1])


async def test_grant_by_mention_stores_the_role_and_tells_the_new_champion(
    teams_server: Server, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    # Bo has installed the bot (a personal chat exists), so a proactive DM can reach him.
    await send(
        http,
        teams_server,
        conversation_update_activity(
            [{"id": "28:bot", "name": "champbot"}],
            service_url=connector.service_url,
            user_id="29:1bo",
            user_name="Bo",
            conversation_id="a:1bo-personal",
        ),
    )
    mention = mention_entity("29:1bo", "Bo")
    activity = message_activity(
        f"grant champion {mention['text']}",
        service_url=connector.service_url,
        user_id="29:1admin",
        user_name="Hanne",
        mentions=[mention],
    )
    await send(http, teams_server, activity)
    await connector.wait_for_activities(3)  # welcome, the admin's answer, and the notice via the outbox
    notices = connector.activities_in("a:1bo-personal")
    notice = next(a for a in notices if "made you an **AI champion**" in card_text(a))
    entities = notice["attachments"][0]["content"]["msteams"]["entities"]
    assert entities == [
        {"type": "mention", "text": "<at>Hanne</at>", "mentioned": {"id": "29:1admin", "name": "Hanne"}}
    ]
    async with teams_server.core.database.session() as session:
        assert await people.granted_roles(session, platform="teams", user_id="29:1bo") == {"champion"}


async def test_installing_the_bot_greets_the_person_and_stores_the_conversation_reference(
    teams_server: Server, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    await send(
        http,
        teams_server,
        conversation_update_activity(
            [{"id": "28:bot", "name": "champbot"}], service_url=connector.service_url
        ),
    )
    greeting = (await connector.wait_for_activities(1))[-1]
    assert "Hi, I'm **champbot**" in card_text(greeting)
    async with teams_server.core.database.session() as session:
        record = await conversations.direct_conversation(session, platform="teams", user_id="29:1ana")
    assert record is not None and record.reference is not None
    reference = json.loads(record.reference)
    assert (
        reference["serviceUrl"] == connector.service_url and reference["conversation"]["id"] == "a:1personal"
    )
    assert "activityId" not in reference  # a later proactive message starts fresh, it is not a reply


async def test_user_text_cannot_become_a_teams_mention(
    teams_server: Server, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    await send(http, teams_server, message_activity("<at>Everyone</at>", service_url=connector.service_url))
    reply = (await connector.wait_for_activities(1))[-1]
    content = reply["attachments"][0]["content"]
    assert "msteams" not in content and "<at>" not in card_text(reply)


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        ("{not json", "application/json", 400),
        ('["a list"]', "application/json", 400),
        ('{"text": "no type"}', "application/json", 400),
        ("type=message", "application/x-www-form-urlencoded", 415),
    ],
)
async def test_bad_activities_get_a_4xx_and_no_reply(
    teams_server: Server,
    http: aiohttp.ClientSession,
    connector: FakeBotConnector,
    body: str,
    content_type: str,
    status: int,
) -> None:
    async with http.post(
        f"{base_url(teams_server)}/api/messages", data=body, headers={"Content-Type": content_type}
    ) as response:
        assert response.status == status
    assert connector.calls == []


async def test_with_an_app_id_an_unsigned_activity_is_rejected_with_401(
    database_url: str, clock: FrozenClock, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    settings = make_settings(
        database_url, microsoft_app_id="00000000-0000-0000-0000-000000000001", microsoft_app_password="secret"
    )
    async with serve(settings, clock=clock) as server:
        status = await send(http, server, message_activity("help", service_url=connector.service_url))
    assert status == 401
    assert connector.calls == []


async def test_a_tenant_outside_the_allow_list_gets_no_answer(
    database_url: str, clock: FrozenClock, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    settings = make_settings(database_url, teams_tenants="tenant-ok")
    async with serve(settings, clock=clock) as server:
        await send(
            http, server, message_activity("help", service_url=connector.service_url, tenant_id="tenant-x")
        )
        assert connector.calls == []
        await send(
            http, server, message_activity("help", service_url=connector.service_url, tenant_id="tenant-ok")
        )
        assert len(await connector.wait_for_activities(1)) == 1
