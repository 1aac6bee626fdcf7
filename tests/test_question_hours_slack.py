"""Question hours and moderation in Slack: real HTTP with signed requests, observed at the fake Web API."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from bot.app import Server
from bot.config import Settings
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, base_url, make_settings
from tests.fakes import (
    FakeSlackApi,
    SlackRequestFactory,
    block_actions_body,
    plain_text_value,
    view_submission_body,
)
from tests.test_questions_slack import ask, buttons, prepare, press, text_of
from tests.test_slack_http import slash

PINGS = (
    "<!channel>",
    "<!here",
    "<!everyone",
    "<@UADMIN",
    "<@U2",
    "<!subteam",
    "@here",
    "@channel",
    "@everyone",
)


@pytest.fixture
def settings(database_url: str, slack_api: FakeSlackApi) -> Settings:
    return make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.base_url,
        qa_max_delay=0,
    )


def posts_with_key(slack: FakeSlackApi, prefix: str) -> list[dict[str, Any]]:
    return [
        call.args
        for call in slack.calls_to("chat.postMessage")
        if str(((call.args.get("metadata") or {}).get("event_payload") or {}).get("key", "")).startswith(
            prefix
        )
    ]


async def until_posted(slack: FakeSlackApi, prefix: str) -> dict[str, Any]:
    for _ in range(20):
        found = posts_with_key(slack, prefix)
        if found:
            return found[-1]
        await slack.wait_for("chat.postMessage", len(slack.calls_to("chat.postMessage")) + 1)
    raise AssertionError(f"nothing posted with key {prefix}")


async def test_a_question_hour_where_a_question_tries_to_ping_everyone_and_leak_personal_data(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    await prepare(http, server, signer, slack_api)  # questions channel bound; Bo (U2, Danish) is champion
    opened = await slash(http, server, signer, slack_api, "qa open 30m", user_id="U2")
    assert "Spørgetimen er åben indtil 11:00 (Europe/Copenhagen)" in text_of(opened)
    invitation = await until_posted(slack_api, "qahours:open:")
    assert invitation["channel"] == "CQUESTIONS"
    assert "The question hour is open" in text_of(invitation) and "/champ ask" in text_of(invitation)

    hostile = (
        "<!channel> <!here|here> <@UADMIN|hanne> <!subteam^S1|@design> @everyone can I mail "
        "anna.jensen@firma.dk or call +45 23 45 67 89 about CPR 010190-1234?"
    )
    receipt, post = await ask(http, server, signer, slack_api, hostile, "U1")
    sent = json.dumps(post)  # everything the fake Slack API received for the post
    for ping in PINGS:
        assert ping not in sent, ping
    assert "anna.jensen@firma.dk" not in sent and "23 45 67 89" not in sent and "010190" not in sent
    words = text_of(post)
    assert "[e-mail removed]" in words and "[phone removed]" in words and "[CPR removed]" in words
    assert "＠channel" in words and "＠hanne" in words and "＠design" in words
    assert not post.get("link_names")
    told = text_of(receipt)
    assert receipt["response_type"] == "ephemeral" and "e-mail address" in told

    status = await slash(http, server, signer, slack_api, "qa status", user_id="U1")
    assert "A question hour is open* until 11:00" in text_of(status)

    closed = await slash(http, server, signer, slack_api, "qa close", user_id="U2")
    assert "Spørgetimen er lukket" in text_of(closed)
    summary = await until_posted(slack_api, "qahours:summary:")
    assert summary["channel"] == "CQUESTIONS"
    assert "1 question, 0 answered, 1 still open" in text_of(summary)


async def test_pre_moderation_in_slack_a_champion_approves_from_the_champions_channel(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    slack_api.add_channel("CCHAMPS", "ai-champions", ["UADMIN", "U2"])
    await prepare(http, server, signer, slack_api)
    await slash(http, server, signer, slack_api, "setup champions <#CCHAMPS|ai-champions>", user_id="UADMIN")
    assert "Forhåndsgodkendelse er *slået til*" in text_of(
        await slash(http, server, signer, slack_api, "qa moderation on", user_id="U2")
    )
    receipt = await slash(
        http, server, signer, slack_api, "ask Can HR see what I type into Copilot?", user_id="U1"
    )
    assert "goes to a champion for review first" in text_of(receipt)
    card = await until_posted(slack_api, "qamod:hold:")
    assert card["channel"] == "CCHAMPS" and "Can HR see what I type into Copilot?" in text_of(card)
    assert not posts_with_key(slack_api, "qa:q:")
    question_id = buttons(card)["qamod.approve"]
    card_ts = [m for m in slack_api.messages_in("CCHAMPS") if "awaits review" in m.get("text", "")][0]["ts"]

    refused = await press(
        http, server, signer, slack_api, "qamod.approve", question_id, user_id="U1", channel_id="CCHAMPS"
    )
    assert "Only AI champions" in text_of(refused)
    approved = await press(
        http,
        server,
        signer,
        slack_api,
        "qamod.approve",
        question_id,
        user_id="U2",
        channel_id="CCHAMPS",
        message_ts=card_ts,
    )
    assert "er godkendt" in text_of(approved)
    post = await until_posted(slack_api, "qa:q:")
    assert post["channel"] == "CQUESTIONS" and "Can HR see what I type into Copilot?" in text_of(post)
    assert "U1" not in json.dumps(post)
    updated = [c.args for c in slack_api.calls_to("chat.update") if c.args["ts"] == card_ts]
    assert updated and "Approved by <@U2>" in text_of(updated[-1])


async def test_a_rejection_in_slack_reaches_only_the_asker_through_their_receipt(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    slack_api.add_channel("CCHAMPS", "ai-champions", ["UADMIN", "U2"])
    await prepare(http, server, signer, slack_api)
    await slash(http, server, signer, slack_api, "setup champions <#CCHAMPS|ai-champions>", user_id="UADMIN")
    await slash(http, server, signer, slack_api, "qa moderation on", user_id="U2")
    receipt = await slash(
        http, server, signer, slack_api, "ask Why is Jens in sales so slow with AI?", user_id="U1"
    )
    token = buttons(receipt)["ask.show"]
    card = await until_posted(slack_api, "qamod:hold:")
    question_id = buttons(card)["qamod.reject"]

    # Bo presses Reject: a modal asks why; he submits a reason.
    views = len(slack_api.calls_to("views.open"))
    body = block_actions_body(
        "qamod.reject", question_id, response_url=slack_api.response_url(), user_id="U2", channel_id="CCHAMPS"
    )
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
    ) as r:
        assert r.status == 200
    view = (await slack_api.wait_for("views.open", views + 1))[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "qamod.reject_form" and view["private_metadata"] == question_id
    reason = "Questions about named colleagues go to HR."
    submission = view_submission_body(
        "qamod.reject_form",
        {"reason": {"reason": plain_text_value(reason)}},
        user_id="U2",
        private_metadata=question_id,
    )
    updates = len(slack_api.calls_to("chat.update"))
    async with http.post(
        f"{base_url(server)}/slack/events", data=submission, headers=signer.headers_for(submission)
    ) as r:
        assert r.status == 200
    update = (await slack_api.wait_for("chat.update", updates + 1))[-1].args
    assert f"Rejected by <@U2>: {reason}" in text_of(update)
    assert not posts_with_key(slack_api, "qa:q:")

    # Only Ana's own receipt can tell her why; nothing was sent to her by anyone.
    shown = await press(
        http, server, signer, slack_api, "ask.show", token, user_id="U1", channel_id="C0GENERAL"
    )
    assert f"was not published: {reason}" in text_of(shown)
    assert not [c for c in slack_api.calls_to("chat.postMessage") if c.args["channel"] in ("U1", "D0U1")]
    assert not slack_api.messages_in(slack_api.dm_channel_id("U1"))
