"""AI-drafted answers against a loopback OpenAI-compatible server: champions only, labelled when published,
and a model that hangs or talks garbage leaves the question open with one warning."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.app import Server, serve
from bot.clock import FrozenClock
from storage.models import AiDraft, Question, QuestionAnswer
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, make_settings
from tests.fakes import FakeSlackApi, SlackRequestFactory
from tests.fakes.openai_api import FakeOpenAI
from tests.questions_support import SentKeys
from tests.test_questions_slack import buttons, prepare, press, text_of
from tests.test_slack_http import slash

DRAFT = "Only with the approved assistant, and never with customer names or numbers."


@pytest.fixture
async def openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(answer=DRAFT) as fake:
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
        llm_timeout=0.5,
    )
    async with serve(settings, clock=clock) as running:
        yield running


async def ask_with_champions(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack: FakeSlackApi
) -> tuple[SentKeys, dict[str, Any]]:
    await prepare(http, server, signer, slack)
    await slash(http, server, signer, slack, "setup champions <#CCHAMPS|ai-champions>", user_id="UADMIN")
    sent = SentKeys(server.core.outbox)
    receipt = await slash(
        http, server, signer, slack, "ask Can I use ChatGPT for customer e-mails?", user_id="U1"
    )
    await sent.wait("qa:q:")
    return sent, receipt


def posts_to(slack: FakeSlackApi, channel: str) -> list[dict[str, Any]]:
    return [call.args for call in slack.calls_to("chat.postMessage") if call.args["channel"] == channel]


async def test_a_draft_reaches_only_the_champions_and_publish_posts_it_labelled_as_ai_generated(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    openai: FakeOpenAI,
) -> None:
    sent, _ = await ask_with_champions(server, http, signer, slack_api)
    await sent.wait("qa:d:")
    # The model saw the question, never who asked it.
    assert len(openai.requests) == 1 and "customer e-mails" in openai.requests[0].text()
    shown_to_model = json.dumps(openai.requests[0].body, ensure_ascii=False)
    assert "U1" not in shown_to_model and "Ana" not in shown_to_model

    drafts = [p for p in posts_to(slack_api, "CCHAMPS") if "AI draft for Q-1" in text_of(p)]
    assert len(drafts) == 1 and DRAFT in text_of(drafts[0])
    assert set(buttons(drafts[0])) == {"qa.publish", "qa.edit", "qa.discard"}
    everywhere_else = [
        c.args for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] != "CCHAMPS"
    ]
    assert not any(DRAFT in json.dumps(args) for args in everywhere_else)

    draft_id = buttons(drafts[0])["qa.publish"]
    refused = await press(
        http, server, signer, slack_api, "qa.publish", draft_id, user_id="U1", channel_id="CCHAMPS"
    )
    assert "Only AI champions" in text_of(refused)
    published = await press(
        http, server, signer, slack_api, "qa.publish", draft_id, user_id="U2", channel_id="CCHAMPS"
    )
    assert published["replace_original"] is True and "<@U2>" in text_of(published)
    await sent.wait("qa:ai:")
    async with server.core.database.session() as session:
        question = (await session.exec(select(Question))).one()
        answers = (await session.exec(select(QuestionAnswer))).all()
    in_thread = [p for p in posts_to(slack_api, "CQUESTIONS") if p.get("thread_ts") == question.message_id]
    label = text_of(in_thread[-1])
    assert "AI-generated answer" in label and "approved by <@U2>" in label and DRAFT in label
    assert question.status == "answered" and [(a.kind, a.author_id) for a in answers] == [("ai", "U2")]
    again = await press(
        http, server, signer, slack_api, "qa.publish", draft_id, user_id="UADMIN", channel_id="CCHAMPS"
    )
    assert "already been published or discarded" in text_of(again)


async def test_discard_throws_the_draft_away_and_leaves_the_question_open(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    sent, _ = await ask_with_champions(server, http, signer, slack_api)
    await sent.wait("qa:d:")
    draft = next(p for p in posts_to(slack_api, "CCHAMPS") if "AI draft" in text_of(p))
    answer = await press(
        http,
        server,
        signer,
        slack_api,
        "qa.discard",
        buttons(draft)["qa.discard"],
        user_id="U2",
        channel_id="CCHAMPS",
    )
    assert "discarded" in text_of(answer) or "kasseret" in text_of(answer)
    async with server.core.database.session() as session:
        assert (await session.exec(select(Question))).one().status == "open"
        assert (await session.exec(select(AiDraft))).one().state == "discarded"


@pytest.mark.parametrize("mode", ["hang", "garbage", "500"])
async def test_a_model_that_hangs_or_talks_garbage_leaves_the_question_open_with_one_warning(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    openai: FakeOpenAI,
    caplog: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    openai.mode = mode  # type: ignore[assignment]
    caplog.set_level(logging.INFO)
    sent, receipt = await ask_with_champions(server, http, signer, slack_api)
    await sent.wait("qa:q:")
    assert "*Q-1*" in text_of(receipt)
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and "AI draft failed" in r.getMessage()
    ]
    assert len(warnings) == 1 and len(openai.requests) == 1
    async with server.core.database.session() as session:
        assert (await session.exec(select(Question))).one().status == "open"
        assert (await session.exec(select(AiDraft))).all() == []
    assert not [p for p in posts_to(slack_api, "CCHAMPS") if "AI draft" in text_of(p)]
    assert "Q-1" in json.dumps(
        posts_to(slack_api, "CQUESTIONS")
    )  # the question itself is up for the champions


async def test_a_post_confirmed_twice_after_a_restart_gets_one_draft(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    openai: FakeOpenAI,
) -> None:
    sent, _ = await ask_with_champions(server, http, signer, slack_api)
    await sent.wait("qa:d:")
    await server.core.outbox.notify_sent("qa:q:1", sent.refs["qa:q:1"])  # as a recovering worker would
    async with server.core.database.session() as session:
        assert len((await session.exec(select(AiDraft))).all()) == 1
    assert len(openai.requests) == 1
