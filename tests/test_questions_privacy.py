"""The anonymity promise, checked on what is stored and logged after a real session over Slack HTTP.

Ten questions from three people, votes and follow-ups, a champion's answer; then every row of
every table and every log line (at DEBUG) is searched for anything that ties them together.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import MetaData, create_engine, select

from bot.app import Server
from bot.clock import FrozenClock
from bot.config import Settings
from bot.logs import JsonFormatter
from storage.engine import sync_url
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, base_url, make_settings
from tests.fakes import (
    FakeSlackApi,
    SlackRequestFactory,
    block_actions_body,
    event_body,
    plain_text_value,
    view_submission_body,
)
from tests.questions_support import SentKeys
from tests.test_questions_slack import buttons, prepare, press, thread_reply_event
from tests.test_slack_http import post_event, slash

PEOPLE = {"U1": "ana", "U2": "bo", "UADMIN": "hanne"}
WORDS = ["copilot", "prompting", "licences", "hallucinations", "customer", "training", "budget", "privacy",
         "automation", "translation"]  # fmt: skip


@pytest.fixture
def settings(database_url: str, slack_api: FakeSlackApi) -> Settings:
    return make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.base_url,
        qa_max_delay=120,
        log_level="DEBUG",
    )


async def session_of_ten_questions(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack: FakeSlackApi,
    clock: FrozenClock,
) -> tuple[list[tuple[str, str, int]], list[datetime]]:
    """Ten questions from three people, each voted on by the others and followed up by its asker.

    Returns (asker, text, number) per question and the moments people spoke to the bot."""
    await prepare(http, server, signer, slack)
    sent = SentKeys(server.core.outbox)
    spoke: list[datetime] = []
    asked: list[tuple[str, str, int]] = []
    askers = ["U1", "U2", "UADMIN", "U1", "U2", "U1", "UADMIN", "U2", "U1", "UADMIN"]
    for index, user in enumerate(askers):
        clock.advance(timedelta(minutes=7))
        spoke.append(clock.now())
        text = f"How do we handle {WORDS[index]} with AI tools, question {index + 1}?"
        receipt = await slash(http, server, signer, slack, f"ask {text}", user_id=user)
        assert f"Q-{index + 1}" in receipt["text"] and (
            "2 minutes" in receipt["text"] or "2 minutter" in receipt["text"]
        )
        token = buttons(receipt)["ask.followup"]
        clock.advance(timedelta(seconds=121))  # past the random delay: the worker may post it now
        await server.core.outbox.enqueue([])  # wakes the worker at once instead of at its next poll
        await sent.wait("qa:q:", index + 1)
        asked.append((user, text, index + 1))
        question_id = buttons(slack.calls_to("chat.postMessage")[-1].args)["qa.vote"]
        for voter in PEOPLE:
            if voter != user:
                clock.advance(timedelta(seconds=13))
                spoke.append(clock.now())
                await press(http, server, signer, slack, "qa.vote", question_id, user_id=voter)
        clock.advance(timedelta(seconds=17))
        spoke.append(clock.now())
        opened = len(slack.calls_to("views.open"))
        click = block_actions_body("ask.followup", token, response_url=slack.response_url(), user_id=user)
        async with http.post(
            f"{base_url(server)}/slack/events", data=click, headers=signer.headers_for(click)
        ) as r:
            assert r.status == 200
        await slack.wait_for("views.open", opened + 1)
        body = view_submission_body(
            "ask.followup",
            {"followup": {"followup": plain_text_value(f"More about {WORDS[index]}, please.")}},
            user_id=user,
            private_metadata=token,
        )
        async with http.post(
            f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
        ) as r:
            assert r.status == 200
        await slack.wait_for(
            "chat.postMessage", len(slack.calls_to("chat.postMessage")) + 1
        )  # the receipt DM
        clock.advance(timedelta(seconds=121))
        await server.core.outbox.enqueue([])
        await sent.wait("qa:f:", index + 1)
    first = slack.messages_in("CQUESTIONS")
    question_ts = next(m["ts"] for m in first if "Q-1*" in json.dumps(m.get("blocks", [])))
    reply = thread_reply_event(
        "U2", "Use the approved tools.", channel="CQUESTIONS", thread_ts=question_ts, ts="1.2"
    )
    assert await post_event(http, server, signer, event_body(reply)) == 200
    return asked, spoke


def dump(database_url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as plain values."""
    engine = create_engine(sync_url(database_url))
    metadata = MetaData()
    metadata.reflect(engine)
    tables: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as connection:
        for name, table in metadata.tables.items():
            tables[name] = [dict(row._mapping) for row in connection.execute(select(table))]
    engine.dispose()
    return tables


def mentions_person(value: Any) -> str | None:
    text = str(value)
    for user_id, name in PEOPLE.items():
        if user_id in text or f'"{name}"' in text:
            return user_id
    return None


async def test_after_ten_questions_from_three_people_no_row_ties_a_question_vote_or_follow_up_to_anyone(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    clock: FrozenClock,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    asked, spoke = await session_of_ten_questions(server, http, signer, slack_api, clock)
    tables = dump(database_url)
    assert len(tables["question"]) == 10 and len(tables["question_followup"]) == 10
    assert sorted(q["votes"] for q in tables["question"]) == [2] * 10
    texts = [text for _, text, _ in asked] + [f"More about {word}, please." for word in WORDS]

    # 1. The question side holds no person: no id, no name, no hash on the question row.
    question_tables = [
        name for name in tables if name.startswith(("question", "anon_", "daily_secret", "knowledge"))
    ]
    for name in question_tables:
        for row in tables[name]:
            if name == "question_answer":
                continue  # answers are public and carry the champion's name by design
            assert mentions_person(json.dumps(row, default=str)) is None, (name, row)
    assert set(tables["question"][0]) == {
        "id", "platform", "number", "text", "locale", "status", "votes",
        "channel_id", "message_id", "visible_at",
    }  # fmt: skip

    # 2. Rows about people hold no question: no text, no number, no token hash, no vote hash.
    hashes = {row["token_hash"] for row in tables["question_token"]} | {
        row["digest"] for row in tables["anon_vote"]
    }
    for name, rows in tables.items():
        for row in rows:
            serialised = json.dumps(row, default=str)
            if mentions_person(serialised) is None or name == "question_answer":
                continue
            assert not any(text in serialised for text in texts), (name, row)
            assert not any(digest in serialised for digest in hashes), (name, row)
            assert "qa:q:" not in serialised and "qa:f:" not in serialised, (name, row)

    # 3. No anonymous row remembers when someone spoke to the bot (only the random, later post time).
    anonymous_rows = (
        tables["question"]
        + tables["question_followup"]
        + [row for row in tables["outbox"] if str(row["idempotency_key"]).startswith(("qa:q:", "qa:f:"))]
    )
    moments = {moment.replace(tzinfo=None) for moment in spoke}
    for row in anonymous_rows:
        for value in row.values():
            if isinstance(value, datetime):
                assert value.replace(tzinfo=None) not in moments, row

    # 4. The logs, at every level, never carry an asker's id with a question, its text or its number.
    lines = [JsonFormatter().format(record) for record in caplog.records]
    for user, text, number in asked:
        for line in lines:
            if user in line:
                assert text not in line and f"Q-{number}" not in line and '"question_number"' not in line, (
                    line
                )
    # And, as for every message body, no question or follow-up text at INFO or above.
    above_debug = [JsonFormatter().format(r) for r in caplog.records if r.levelno >= logging.INFO]
    assert not any(text in line for line in above_debug for text in texts)
