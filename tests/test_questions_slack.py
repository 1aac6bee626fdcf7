"""Anonymous questions in Slack, over real HTTP with signed requests, observed at the fake Web API."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.app import Server
from bot.config import Settings
from storage.models import Question, QuestionAnswer
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, base_url, make_settings
from tests.fakes import (
    FakeSlackApi,
    SlackRequestFactory,
    app_mention_event,
    block_actions_body,
    event_body,
    plain_text_value,
    view_submission_body,
)
from tests.questions_support import SentKeys
from tests.test_slack_http import post_event, slash

QUESTION = "Am I allowed to paste customer data into ChatGPT? Write me at ana@example.com"
PARAPHRASE = "May we put our customers' data into ChatGPT?"
ANSWER = "No. Never paste customer data into public AI tools; use the company's approved Copilot instead."


@pytest.fixture
def settings(database_url: str, slack_api: FakeSlackApi) -> Settings:
    return make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.base_url,
        qa_max_delay=0,
    )


def text_of(payload: dict[str, Any]) -> str:
    """What a person reads in a Block Kit message: sections and context lines (buttons left out)."""
    parts = []
    for block in payload.get("blocks", []):
        parts.append(block.get("text", {}).get("text", ""))
        if block.get("type") == "context":
            parts.extend(item.get("text", "") for item in block.get("elements", []))
    return "\n".join(parts)


def questions_posts(slack: FakeSlackApi) -> list[dict[str, Any]]:
    return [
        call.args
        for call in slack.calls_to("chat.postMessage")
        if call.args["channel"] == "CQUESTIONS"
        and str(((call.args.get("metadata") or {}).get("event_payload") or {}).get("key", "")).startswith(
            "qa:q:"
        )
    ]


def thread_posts(slack: FakeSlackApi, thread_ts: str) -> list[dict[str, Any]]:
    return [
        call.args for call in slack.calls_to("chat.postMessage") if call.args.get("thread_ts") == thread_ts
    ]


def buttons(payload: dict[str, Any]) -> dict[str, str]:
    """action_id → value of every button in a Block Kit payload."""
    return {
        element["action_id"]: element.get("value", "")
        for block in payload.get("blocks", [])
        if block.get("type") == "actions"
        for element in block["elements"]
    }


async def press(
    http: aiohttp.ClientSession,
    server: Server,
    signer: SlackRequestFactory,
    slack: FakeSlackApi,
    action_id: str,
    value: str,
    *,
    user_id: str,
    channel_id: str = "CQUESTIONS",
    message_ts: str | None = None,
) -> dict[str, Any]:
    """Press a button and return the bot's (ephemeral) answer through the response_url."""
    before = len(slack.calls_to("response_url"))
    body = block_actions_body(
        action_id,
        value,
        response_url=slack.response_url(),
        user_id=user_id,
        channel_id=channel_id,
        message_ts=message_ts,
    )
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
    ) as r:
        assert r.status == 200
    calls = await slack.wait_for("response_url", before + 1)
    return calls[before].args


def thread_reply_event(user: str, text: str, *, channel: str, thread_ts: str, ts: str) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "event_ts": ts,
        "channel_type": "channel",
        "team": "T0001",
    }


async def prepare(
    http: aiohttp.ClientSession, server: Server, signer: SlackRequestFactory, slack: FakeSlackApi
) -> None:
    """HR binds the questions channel and makes Bo a champion."""
    await slash(http, server, signer, slack, "setup questions <#CQUESTIONS|ai-questions>", user_id="UADMIN")
    await slash(http, server, signer, slack, "grant champion <@U2|bo>", user_id="UADMIN")


async def ask(
    http: aiohttp.ClientSession,
    server: Server,
    signer: SlackRequestFactory,
    slack: FakeSlackApi,
    text: str,
    user: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ask and return (the receipt, the anonymous post it led to)."""
    before = len(questions_posts(slack))
    receipt = await slash(http, server, signer, slack, f"ask {text}", user_id=user)
    for _ in range(50):
        if len(questions_posts(slack)) > before:
            break
        await slack.wait_for("chat.postMessage", len(slack.calls_to("chat.postMessage")) + 1)
    return receipt, questions_posts(slack)[before]


async def test_an_employee_asks_anonymously_people_vote_a_champion_answers_and_the_receipt_finds_it(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    await prepare(http, server, signer, slack_api)
    sent = SentKeys(server.core.outbox)
    receipt, post = await ask(http, server, signer, slack_api, QUESTION, "U1")
    await sent.wait("qa:q:")

    # The receipt is private, names the number, says what was masked, and carries the token.
    assert receipt["response_type"] == "ephemeral"
    shown = text_of(receipt)
    assert "*Q-1*" in shown and "<#CQUESTIONS>" in shown and "e-mail address" in shown
    token = buttons(receipt)["ask.show"]
    assert token and buttons(receipt)["ask.followup"] == token

    # The question is the bot's own message: a number, the masked words, no trace of Ana.
    assert "*Q-1*" in text_of(post) and "paste customer data" in text_of(post)
    assert "ana@example.com" not in json.dumps(post) and "[e-mail removed]" in text_of(post)
    everything_sent = json.dumps(post)
    for trace in ("U1", "ana", "Ana", "C0GENERAL"):
        assert trace not in everything_sent
    question_id = buttons(post)["qa.vote"]
    posted = [m for m in slack_api.messages_in("CQUESTIONS") if "Q-1" in m.get("text", "")]
    assert len(posted) == 1
    question_ts = posted[0]["ts"]

    # Two people +1; a repeat press is counted once.
    first = await press(
        http, server, signer, slack_api, "qa.vote", question_id, user_id="U1", message_ts=question_ts
    )
    assert "now has 1" in text_of(first)
    second = await press(
        http, server, signer, slack_api, "qa.vote", question_id, user_id="UADMIN", message_ts=question_ts
    )
    assert "now has 2" in text_of(second)
    again = await press(
        http, server, signer, slack_api, "qa.vote", question_id, user_id="U1", message_ts=question_ts
    )
    assert "already" in text_of(again)
    updates = [c.args for c in slack_api.calls_to("chat.update") if c.args["ts"] == question_ts]
    assert "+1: 2" in text_of(updates[-1]) and len(updates) == 2

    # A non-champion's thread reply is just conversation; the champion's is the answer.
    chatter = event_body(
        thread_reply_event(
            "U1", "Good question!", channel="CQUESTIONS", thread_ts=question_ts, ts="1900000000.000001"
        )
    )
    assert await post_event(http, server, signer, chatter) == 200
    answer = event_body(
        thread_reply_event("U2", ANSWER, channel="CQUESTIONS", thread_ts=question_ts, ts="1900000000.000002")
    )
    assert await post_event(http, server, signer, answer) == 200
    await slack_api.wait_for("chat.update", len(slack_api.calls_to("chat.update")) + 1)
    assert "Answered" in text_of(slack_api.calls_to("chat.update")[-1].args)
    async with server.core.database.session() as session:
        stored = (await session.exec(select(QuestionAnswer))).all()
    assert [(a.author_id, a.text) for a in stored] == [("U2", ANSWER)]

    # The receipt's "Show my question" resolves to the posted question.
    shown_link = await press(
        http, server, signer, slack_api, "ask.show", token, user_id="U1", channel_id="C0GENERAL"
    )
    assert f"https://fake.slack.test/archives/CQUESTIONS/p{question_ts.replace('.', '')}" in text_of(
        shown_link
    )

    # Later, someone asks the same thing in other words: the thread answers at once from Q-1.
    await ask(http, server, signer, slack_api, PARAPHRASE, "UADMIN")
    await sent.wait("qa:q:", 2)
    await sent.wait("qa:kb:")
    second_ts = sent.refs["qa:q:2"].message_id
    asked_before = thread_posts(slack_api, second_ts)
    assert len(asked_before) == 1
    shown = text_of(asked_before[0])
    assert "Asked before:" in shown and "*Q-1*" in shown and "approved Copilot" in shown


async def test_asking_without_the_questions_channel_says_so_and_stores_nothing(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    answer = await slash(http, server, signer, slack_api, "ask Will AI take my job?", user_id="U1")
    assert "not set up yet" in text_of(answer) and "setup questions" in text_of(answer)
    async with server.core.database.session() as session:
        assert (await session.exec(select(Question))).all() == []


async def test_an_employee_who_mentions_the_bot_under_a_question_gets_the_command_once(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    """The thread check looks the speaker up (claiming the event id) and finds no champion; the
    command then looks them up again in the same request and runs. Slack's retry runs nothing."""
    await prepare(http, server, signer, slack_api)
    sent = SentKeys(server.core.outbox)
    await ask(http, server, signer, slack_api, "Can I use AI for my expense reports?", "U1")
    await sent.wait("qa:q:")
    thread = sent.refs["qa:q:1"].message_id
    slack_api.add_user("U3", "cai")
    mention = app_mention_event("whoami", user="U3", channel="CQUESTIONS", thread_ts=thread)
    body = event_body(mention, event_id="Ev0MENTIONED")
    assert await post_event(http, server, signer, body) == 200
    await slack_api.wait_for("chat.postEphemeral")
    assert await post_event(http, server, signer, body) == 200  # Slack's retry of the same event
    await server.core.lane.idle()
    replies = [c.args for c in slack_api.calls_to("chat.postEphemeral") if c.args["user"] == "U3"]
    assert len(replies) == 1 and replies[0]["thread_ts"] == thread
    assert "Roles: employee" in replies[0]["text"]
    async with server.core.database.session() as session:
        assert not (await session.exec(select(QuestionAnswer))).all()


async def test_ask_without_text_opens_the_ask_anonymously_modal_and_its_submission_is_posted(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    await prepare(http, server, signer, slack_api)
    answer = await slash(http, server, signer, slack_api, "ask", user_id="U1")
    assert "form" in text_of(answer)
    view = (await slack_api.wait_for("views.open"))[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "ask.new" and view["title"]["text"] == "Ask anonymously"
    body = view_submission_body(
        "ask.new", {"question": {"question": plain_text_value("Will AI take my job?")}}, user_id="U1"
    )
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
    ) as r:
        assert r.status == 200
    for _ in range(5):
        if questions_posts(slack_api):
            break
        await slack_api.wait_for("chat.postMessage", len(slack_api.calls_to("chat.postMessage")) + 1)
    assert "Will AI take my job?" in text_of(questions_posts(slack_api)[0])


async def test_a_champions_reply_is_still_an_answer_when_the_posted_hook_never_ran(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    """A replica may die right after sending, before copying the question's location: the outbox row
    still says where the question landed, and the thread reply finds it there."""
    await prepare(http, server, signer, slack_api)
    sent = SentKeys(server.core.outbox)
    await ask(http, server, signer, slack_api, "Who decides which AI tools we get?", "U1")
    await sent.wait("qa:q:")
    async with server.core.database.session() as session:
        question = (await session.exec(select(Question))).one()
        question_ts = question.message_id
        question.channel_id = question.message_id = None  # as if the after-send hook never ran
        session.add(question)
    assert question_ts is not None
    reply = thread_reply_event(
        "U2", ANSWER, channel="CQUESTIONS", thread_ts=question_ts, ts="1900000000.000009"
    )
    updates = len(slack_api.calls_to("chat.update"))
    assert await post_event(http, server, signer, event_body(reply)) == 200
    await slack_api.wait_for("chat.update", updates + 1)
    async with server.core.database.session() as session:
        repaired = (await session.exec(select(Question))).one()
    assert repaired.status == "answered" and repaired.message_id == question_ts


async def test_a_broadcast_reply_that_mentions_the_bot_is_one_answer_and_no_command(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    """Slack sends such a reply twice (message.channels and app_mention): it is recorded once."""
    await prepare(http, server, signer, slack_api)
    sent = SentKeys(server.core.outbox)
    await ask(http, server, signer, slack_api, "Do we get AI training this year?", "U1")
    await sent.wait("qa:q:")
    thread = sent.refs["qa:q:1"].message_id
    text = "<@UBOT> Yes, every team gets a session in spring."
    reply = thread_reply_event("U2", text, channel="CQUESTIONS", thread_ts=thread, ts="1900000000.000042")
    reply["subtype"] = "thread_broadcast"
    mention = app_mention_event(
        text, user="U2", channel="CQUESTIONS", ts="1900000000.000042", thread_ts=thread
    )
    updates = len(slack_api.calls_to("chat.update"))
    assert await post_event(http, server, signer, event_body(reply)) == 200
    assert await post_event(http, server, signer, event_body(mention)) == 200
    await slack_api.wait_for("chat.update", updates + 1)
    async with server.core.database.session() as session:
        answers = (await session.exec(select(QuestionAnswer))).all()
    assert [(a.author_id, a.text) for a in answers] == [("U2", "Yes, every team gets a session in spring.")]
    assert not [c for c in slack_api.calls_to("chat.postEphemeral") if "don't know" in json.dumps(c.args)]
