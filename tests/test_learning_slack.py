"""Enrolling and taking a lesson over signed Slack HTTP: the modal, its submission, the lesson's buttons."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.app import Server
from storage import learning as store
from tests.conftest import base_url
from tests.fakes import FakeSlackApi, SlackRequestFactory
from tests.fakes.slack_requests import block_actions_body, plain_text_value, view_submission_body
from tests.test_slack_http import slash


def text_of(payload: dict[str, Any]) -> str:
    """What a person reads: section texts and fields, context lines; buttons are not text."""
    parts = []
    for block in payload.get("blocks", []):
        parts.append(block.get("text", {}).get("text", ""))
        parts.extend(item.get("text", "") for item in block.get("fields", []))
        if block["type"] == "context":
            parts.extend(item.get("text", "") for item in block.get("elements", []))
    return "\n".join(parts)


def selected(value: str) -> dict[str, Any]:
    return {
        "type": "static_select",
        "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}},
    }


async def post_form(
    http: aiohttp.ClientSession, server: Server, signer: SlackRequestFactory, body: str
) -> int:
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
    ) as resp:
        return resp.status


async def test_learn_start_opens_a_modal_and_submitting_it_enrols_bo_in_danish(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    answer = await slash(http, server, signer, slack_api, "learn start", user_id="U2", user_name="bo")
    assert "Vælg spor, jobfunktion og tempo" in text_of(answer)  # bo's Slack locale is da-DK
    view = (await slack_api.wait_for("views.open", 1))[0].args["view"]
    assert view["callback_id"] == "learn.enrol"
    assert [block["block_id"] for block in view["blocks"]] == ["track", "function", "pace", "weekday", "time"]
    functions = [option["value"] for option in view["blocks"][1]["element"]["options"]]
    assert functions == ["sales", "finance", "hr", "customer-service", "operations", "managers", "other"]

    values = {
        "track": {"track": selected("foundations")},
        "function": {"function": selected("managers")},
        "pace": {"pace": selected("2")},
        "weekday": {"weekday": selected("thu")},
        "time": {"time": plain_text_value("14:30")},
    }
    body = view_submission_body("learn.enrol", values, user_id="U2", user_name="bo")
    assert await post_form(http, server, signer, body) == 200
    dms = await slack_api.wait_for("chat.postMessage", 1)
    confirmation = text_of(dms[-1].args)
    assert "Du er tilmeldt: *Grundforløb* for *Ledere og teamledere*, hver anden uge" in confirmation
    assert "America/New_York" in confirmation
    async with server.core.database.session() as session:
        bo = await store.enrolment(session, platform="slack", user_id="U2")
    assert bo is not None
    assert (bo.function, bo.pace_weeks, bo.weekday, bo.local_time) == ("managers", 2, 3, "14:30")


async def test_a_lesson_button_pressed_in_slack_opens_the_lesson_and_records_it(
    server: Server, http: aiohttp.ClientSession, signer: SlackRequestFactory, slack_api: FakeSlackApi
) -> None:
    lesson = await slash(http, server, signer, slack_api, "learn next")
    assert "not taking the weekly lessons yet" in text_of(lesson)
    values = {"function": {"function": selected("sales")}}
    assert await post_form(http, server, signer, view_submission_body("learn.enrol", values)) == 200
    await slack_api.wait_for("chat.postMessage", 1)  # the submission is handled after the ack
    lesson = await slash(http, server, signer, slack_api, "learn next")
    buttons = [e for block in lesson["blocks"] if block["type"] == "actions" for e in block["elements"]]
    assert [b["action_id"] for b in buttons] == [
        "learn.start",
        "learn.done",
        "learn.snooze",
        "learn.easy",
        "learn.hard",
    ]
    before = len(slack_api.calls_to("response_url"))
    body = block_actions_body(
        "learn.start", "foundations-01", response_url=slack_api.response_url(), channel_id="DU1"
    )
    assert await post_form(http, server, signer, body) == 200
    opened = (await slack_api.wait_for("response_url", before + 1))[before].args
    assert all(len(block.get("text", {}).get("text", "")) <= 3000 for block in opened["blocks"])
    assert "The case" in text_of(opened)
    async with server.core.database.session() as session:
        row = await store.progress(session, platform="slack", user_id="U1", lesson_id="foundations-01")
    assert row is not None and row.opened_at is not None
