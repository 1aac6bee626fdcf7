"""Champions at work in Slack: the Answer modal, accept and re-open, follow-ups, editing an AI draft."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlmodel import select

from bot.app import Server, serve
from bot.clock import FrozenClock
from bot.services.knowledge import KnowledgeService
from storage.models import Question, QuestionAnswer
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, base_url, make_settings
from tests.fakes import (
    FakeSlackApi,
    SlackRequestFactory,
    block_actions_body,
    plain_text_value,
    view_submission_body,
)
from tests.fakes.openai_api import FakeOpenAI
from tests.questions_support import SentKeys, dm_saying
from tests.test_questions_slack import buttons, prepare, press, text_of, thread_posts
from tests.test_slack_http import slash

QUESTION = "Which AI tools may we use for meeting notes?"
ANSWER = "Use the approved Copilot in Teams; do not upload recordings to other services."


@pytest.fixture
async def openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(answer="Copilot, with recordings kept inside the company.") as fake:
        yield fake


@pytest.fixture
async def server(
    database_url: str, slack_api: FakeSlackApi, openai: FakeOpenAI, clock: FrozenClock
) -> AsyncIterator[Server]:
    slack_api.add_channel("CCHAMPS", "ai-champions", ["UADMIN", "U2"])
    settings = make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.base_url,
        qa_max_delay=0,
        llm_base_url=openai.base_url,
        llm_api_key=openai.api_key,
        llm_model="test-model",
    )
    async with serve(settings, clock=clock) as running:
        yield running


async def submit(
    http: aiohttp.ClientSession,
    server: Server,
    signer: SlackRequestFactory,
    form: str,
    values: dict[str, Any],
    **kw: Any,
) -> None:
    body = view_submission_body(form, values, **kw)
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
    ) as r:
        assert r.status == 200


async def click(
    http: aiohttp.ClientSession,
    server: Server,
    signer: SlackRequestFactory,
    slack: FakeSlackApi,
    action: str,
    value: str,
    user: str,
) -> dict[str, Any]:
    """Press a button that opens a modal; return the modal."""
    opened = len(slack.calls_to("views.open"))
    body = block_actions_body(
        action, value, response_url=slack.response_url(), user_id=user, channel_id="CQUESTIONS"
    )
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
    ) as r:
        assert r.status == 200
    view = (await slack.wait_for("views.open", opened + 1))[-1].args["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


async def test_a_champion_answers_by_modal_accepts_and_reopens_and_the_knowledge_base_follows(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    await prepare(http, server, signer, slack_api)
    sent = SentKeys(server.core.outbox)
    await slash(http, server, signer, slack_api, f"ask {QUESTION}", user_id="U1")
    await sent.wait("qa:q:")
    question_ts = sent.refs["qa:q:1"].message_id

    modal = await click(http, server, signer, slack_api, "qa.answer", "1", "U2")
    assert modal["callback_id"] == "qa.answer" and modal["private_metadata"] == "1"
    await submit(
        http,
        server,
        signer,
        "qa.answer",
        {"answer": {"answer": plain_text_value(ANSWER)}},
        user_id="U2",
        private_metadata="1",
    )
    await sent.wait("qa:a:")
    posted = thread_posts(slack_api, question_ts)[-1]
    assert "<@U2>" in text_of(posted) and ANSWER in text_of(posted)
    found = await server.core.service(KnowledgeService).search("AI tools for meeting notes")
    assert found and found[0].question_number == 1 and ANSWER in found[0].answer

    accepted = await press(http, server, signer, slack_api, "qa.accept", "1", user_id="UADMIN")
    assert "accepted" in text_of(accepted)
    async with server.core.database.session() as session:
        assert (await session.exec(select(Question))).one().status == "accepted"
        assert [a.accepted for a in (await session.exec(select(QuestionAnswer))).all()] == [True]
    assert "Answer accepted" in text_of(slack_api.calls_to("chat.update")[-1].args)

    reopened = await press(http, server, signer, slack_api, "qa.reopen", "1", user_id="UADMIN")
    assert "open again" in text_of(reopened)
    async with server.core.database.session() as session:
        assert (await session.exec(select(Question))).one().status == "open"
    assert [
        m
        for m in await server.core.service(KnowledgeService).search("AI tools for meeting notes")
        if m.question_number == 1
    ] == []


async def test_the_asker_follows_up_through_the_receipt_and_it_appears_in_the_thread_without_a_name(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    await prepare(http, server, signer, slack_api)
    sent = SentKeys(server.core.outbox)
    receipt = await slash(http, server, signer, slack_api, f"ask {QUESTION}", user_id="U1")
    await sent.wait("qa:q:")
    token = buttons(receipt)["ask.followup"]
    modal = await click(http, server, signer, slack_api, "ask.followup", token, "U1")
    assert modal["callback_id"] == "ask.followup" and modal["private_metadata"] == token
    values = {"followup": {"followup": plain_text_value("Also for customer calls?")}}
    await submit(http, server, signer, "ask.followup", values, user_id="U1", private_metadata=token)
    await sent.wait("qa:f:")
    followup = thread_posts(slack_api, sent.refs["qa:q:1"].message_id)[-1]
    assert "Follow-up from the asker of Q-1" in text_of(followup) and "Also for customer calls?" in text_of(
        followup
    )
    assert "U1" not in json.dumps(followup) and "ana" not in json.dumps(followup)
    await dm_saying(slack_api, "U1", "will appear under *Q-1*")


async def test_a_champion_edits_the_ai_draft_before_publishing_it(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    await prepare(http, server, signer, slack_api)
    await slash(http, server, signer, slack_api, "setup champions <#CCHAMPS|ai-champions>", user_id="UADMIN")
    sent = SentKeys(server.core.outbox)
    await slash(http, server, signer, slack_api, f"ask {QUESTION}", user_id="U1")
    await sent.wait("qa:d:")
    modal = await click(http, server, signer, slack_api, "qa.edit", "1", "U2")
    assert modal["callback_id"] == "qa.edit"
    assert (
        modal["blocks"][0]["element"]["initial_value"] == "Copilot, with recordings kept inside the company."
    )
    edited = "Copilot only. Recordings stay inside the company, always."
    await submit(
        http,
        server,
        signer,
        "qa.edit",
        {"answer": {"answer": plain_text_value(edited)}},
        user_id="U2",
        private_metadata="1",
    )
    await sent.wait("qa:ai:")
    published = thread_posts(slack_api, sent.refs["qa:q:1"].message_id)[-1]
    assert "AI-generated answer" in text_of(published) and "<@U2>" in text_of(published)
    assert edited in text_of(published) and "kept inside the company." not in text_of(published)


async def test_the_ask_anonymously_shortcut_opens_the_form(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    payload = {
        "type": "message_action",
        "callback_id": "ask.shortcut",
        "trigger_id": "1337.42.abcd",
        "user": {"id": "U1", "username": "ana", "name": "ana", "team_id": "T0001"},
        "channel": {"id": "C0GENERAL", "name": "general"},
        "team": {"id": "T0001", "domain": "fake"},
        "message": {"type": "message", "user": "U2", "ts": "1700000000.000100", "text": "AI is scary"},
        "message_ts": "1700000000.000100",
        "response_url": slack_api.response_url(),
        "token": "verification-token",
        "action_ts": "1700000000.000200",
    }
    body = urlencode({"payload": json.dumps(payload)})
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
    ) as r:
        assert r.status == 200
    view = (await slack_api.wait_for("views.open"))[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "ask.new" and "AI is scary" not in json.dumps(view)
