"""Anonymous questions in Teams: real Activities to /api/messages, cards observed at the fake Connector."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.app import Server, serve
from bot.clock import FrozenClock
from storage.models import Question, QuestionAnswer
from tests.conftest import base_url, make_settings
from tests.fakes import (
    FakeBotConnector,
    card_action_activity,
    channel_message_activity,
    conversation_update_activity,
    mention_entity,
    message_activity,
)
from tests.questions_support import SentKeys

CHANNEL = "19:questions@thread.tacv2"
ANSWER = "No. Customer data never goes into public AI tools; use the approved Copilot."


@pytest.fixture
async def teams_server(database_url: str, clock: FrozenClock) -> AsyncIterator[Server]:
    async with serve(make_settings(database_url, qa_max_delay=0), clock=clock) as running:
        yield running


async def send(http: aiohttp.ClientSession, server: Server, activity: dict[str, Any]) -> None:
    async with http.post(f"{base_url(server)}/api/messages", json=activity) as response:
        assert response.status in (200, 201)


def card(activity: dict[str, Any]) -> dict[str, Any]:
    return dict(activity["attachments"][0]["content"])


def card_text(activity: dict[str, Any]) -> str:
    return "\n".join(element.get("text", "") for element in card(activity)["body"])


def card_buttons(activity: dict[str, Any]) -> dict[str, str]:
    return {a["data"]["action_id"]: a["data"]["value"] for a in card(activity).get("actions", [])}


async def until(connector: FakeBotConnector, found: Any) -> Any:
    """Wait for the next activities until `found(connector)` returns something."""
    for _ in range(20):
        result = found(connector)
        if result:
            return result
        await connector.wait_for_activities(len(connector.activities) + 1)
    raise AssertionError("never arrived")


def question_posts(connector: FakeBotConnector) -> list[dict[str, Any]]:
    return [
        call.body
        for call in connector.calls
        if call.operation in ("send", "reply")
        and call.conversation_id == CHANNEL
        and "Q-" in card_text(call.body)
    ]


def updates(connector: FakeBotConnector) -> list[Any]:
    return [call for call in connector.calls if call.operation == "update"]


async def prepare(http: aiohttp.ClientSession, server: Server, connector: FakeBotConnector) -> None:
    """Hanne binds the questions channel; Bo installs the bot and is made a champion."""
    url = connector.service_url
    await send(
        http,
        server,
        channel_message_activity(
            "setup questions here",
            service_url=url,
            user_id="29:1admin",
            user_name="Hanne",
            channel_id=CHANNEL,
            channel_name="AI questions",
        ),
    )
    for user, name, conversation in (("29:1ana", "Ana", "a:1personal"), ("29:1bo", "Bo", "a:1bo-personal")):
        await send(
            http,
            server,
            conversation_update_activity(
                [{"id": "28:bot", "name": "champbot"}],
                service_url=url,
                user_id=user,
                user_name=name,
                conversation_id=conversation,
            ),
        )
    mention = mention_entity("29:1bo", "Bo")
    await send(
        http,
        server,
        message_activity(
            f"grant champion {mention['text']}",
            service_url=url,
            user_id="29:1admin",
            user_name="Hanne",
            conversation_id="a:1admin",
            mentions=[mention],
        ),
    )


async def test_a_teams_employee_asks_people_vote_a_champion_answers_in_the_thread_and_the_receipt_links_it(
    teams_server: Server, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    await prepare(http, teams_server, connector)
    sent_keys = SentKeys(teams_server.core.outbox)
    url = connector.service_url
    await send(http, teams_server, message_activity("ask Will AI take my job?", service_url=url))
    await sent_keys.wait("qa:q:")
    receipt = await until(
        connector, lambda c: [a for a in c.activities_in("a:1personal") if "Q-1" in card_text(a)]
    )
    token = card_buttons(receipt[-1])["ask.show"]
    post = (await until(connector, question_posts))[0]
    assert "Will AI take my job?" in card_text(post)
    assert "29:1ana" not in json.dumps(post) and "Ana" not in json.dumps(post)
    question_id = card_buttons(post)["qa.vote"]
    sent = next(c for c in connector.calls if c.body is post)
    assert sent.status < 300
    async with teams_server.core.database.session() as session:
        question = (await session.exec(select(Question))).one()
    assert question.channel_id == CHANNEL and question.message_id

    # Two people +1 (Ana twice: counted once).
    for user in ("29:1ana", "29:1bo", "29:1ana"):
        vote = card_action_activity(
            {"action_id": "qa.vote", "value": question_id},
            service_url=url,
            user_id=user,
            conversation_id=f"{CHANNEL};messageid={question.message_id}",
            conversation_type="channel",
            reply_to_id=question.message_id,
        )
        await send(http, teams_server, vote)
    await until(connector, lambda c: len(updates(c)) >= 2 and updates(c))
    assert "+1: 2" in card_text(updates(connector)[-1].body)
    async with teams_server.core.database.session() as session:
        assert (await session.exec(select(Question))).one().votes == 2
    # Teams has no ephemeral messages: each voter is answered in their own chat, never in the channel.
    counted = await until(
        connector, lambda c: [a for a in c.activities_in("a:1personal") if "already" in card_text(a)]
    )
    assert counted and [a for a in connector.activities_in("a:1bo-personal") if "Q-1" in card_text(a)]
    channel_replies = [
        c.body for c in connector.calls if c.conversation_id.startswith(CHANNEL) and c.operation != "update"
    ]
    assert not [
        body for body in channel_replies if "Counted" in json.dumps(body) or "already" in json.dumps(body)
    ]

    # Bo answers in the question's thread, mentioning the bot as Teams requires.
    await send(
        http,
        teams_server,
        channel_message_activity(
            ANSWER,
            service_url=url,
            user_id="29:1bo",
            user_name="Bo",
            channel_id=CHANNEL,
            thread_id=question.message_id,
        ),
    )
    answered = await until(connector, lambda c: [u for u in updates(c) if "Answered" in card_text(u.body)])
    assert answered
    async with teams_server.core.database.session() as session:
        answers = (await session.exec(select(QuestionAnswer))).all()
    assert [(a.author_id, a.text) for a in answers] == [("29:1bo", ANSWER)]

    # Ana's receipt button links to the question.
    before = len(connector.activities_in("a:1personal"))
    await send(
        http, teams_server, card_action_activity({"action_id": "ask.show", "value": token}, service_url=url)
    )
    shown = await until(connector, lambda c: c.activities_in("a:1personal")[before:])
    assert (
        f"https://teams.microsoft.com/l/message/19%3Aquestions%40thread.tacv2/{question.message_id}"
        in card_text(shown[-1])
    )

    # Hanne later asks the same in other words: the new question's thread answers from Q-1.
    await send(
        http,
        teams_server,
        message_activity(
            "ask Could AI take over my job one day?",
            service_url=url,
            user_id="29:1admin",
            user_name="Hanne",
            conversation_id="a:1admin",
        ),
    )
    await sent_keys.wait("qa:q:", 2)
    await sent_keys.wait("qa:kb:")
    thread = f"{CHANNEL};messageid={sent_keys.refs['qa:q:2'].message_id}"
    asked_before = [c.body for c in connector.calls if c.conversation_id == thread and c.status < 300]
    assert len(asked_before) == 1
    assert "Asked before:" in card_text(asked_before[0]) and "Q-1" in card_text(asked_before[0])
    assert "approved Copilot" in card_text(asked_before[0])


async def test_asking_in_a_team_channel_sends_the_receipt_privately_never_into_the_channel(
    teams_server: Server, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    await prepare(http, teams_server, connector)
    general = "19:general@thread.tacv2"
    await send(
        http,
        teams_server,
        channel_message_activity(
            "ask Is Copilot allowed for HR data?", service_url=connector.service_url, channel_id=general
        ),
    )
    receipt = await until(
        connector, lambda c: [a for a in c.activities_in("a:1personal") if "Q-1" in card_text(a)]
    )
    assert receipt
    assert not [call for call in connector.calls if call.conversation_id.startswith(general)]
