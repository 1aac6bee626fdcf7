"""Enrolling in Teams: `learn start` sends an Adaptive Card form, submitting it enrols the person with
the time zone Teams reports, and lesson buttons come back as card actions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.app import Server, serve
from bot.clock import FrozenClock
from storage import learning as store
from tests.conftest import base_url, make_settings
from tests.fakes import FakeBotConnector, card_action_activity, message_activity


@pytest.fixture
async def teams_server(database_url: str, clock: FrozenClock) -> AsyncIterator[Server]:
    async with serve(make_settings(database_url), clock=clock) as running:
        yield running


async def send(http: aiohttp.ClientSession, server: Server, activity: dict[str, Any]) -> int:
    async with http.post(f"{base_url(server)}/api/messages", json=activity) as response:
        return response.status


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    return activity["attachments"][0]["content"]


async def test_learn_start_in_teams_sends_a_form_card_and_submitting_it_enrols_in_singapore_time(
    teams_server: Server, http: aiohttp.ClientSession, connector: FakeBotConnector
) -> None:
    start = message_activity(
        "learn start", service_url=connector.service_url, local_timezone="Asia/Singapore"
    )
    assert await send(http, teams_server, start) in (200, 201)
    sent = await connector.wait_for_activities(2)
    form = next(card_of(a) for a in sent if "Input.ChoiceSet" in str(card_of(a)))
    inputs = [element["id"] for element in form["body"] if element.get("type", "").startswith("Input.")]
    assert inputs == ["track", "function", "pace", "weekday", "time"]
    submit = form["actions"][0]["data"]
    assert submit["form_id"] == "learn.enrol"

    values = {
        **submit,
        "track": "foundations",
        "function": "customer-service",
        "pace": "1",
        "weekday": "wed",
        "time": "09:15",
    }
    submission = card_action_activity(
        values, service_url=connector.service_url, local_timezone="Asia/Singapore"
    )
    assert await send(http, teams_server, submission) in (200, 201)
    replies = await connector.wait_for_activities(3)
    confirmation = str(card_of(replies[-1]))
    assert "You're enrolled" in confirmation and "Asia/Singapore" in confirmation
    async with teams_server.core.database.session() as session:
        ana = await store.enrolment(session, platform="teams", user_id="29:1ana")
    assert ana is not None and (ana.function, ana.weekday, ana.local_time) == ("customer-service", 2, "09:15")

    next_lesson = message_activity("learn next", service_url=connector.service_url)
    assert await send(http, teams_server, next_lesson) in (200, 201)
    lesson = card_of((await connector.wait_for_activities(4))[-1])
    start_button = next(a for a in lesson["actions"] if a["data"].get("action_id") == "learn.start")
    press = card_action_activity(start_button["data"], service_url=connector.service_url)
    assert await send(http, teams_server, press) in (200, 201)
    body = str(card_of((await connector.wait_for_activities(5))[-1]))
    assert "The case" in body
