"""The Slack work process: `champbot run` answers Slack's HTTP requests and a child does the work.

A real child (`champbot slack-work`) against the loopback fake Slack API and the test's
database, on the system clock (the child cannot share a frozen one).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.app import Server, serve
from bot.clock import SystemClock
from bot.metrics import Metrics
from handlers.slack import handoff
from handlers.slack.handoff import RawRequest, WorkProcess
from tests.cli import champbot
from tests.conftest import SIGNING_SECRET, base_url, slack_settings
from tests.fakes import (
    FakeSlackApi,
    SlackRequestFactory,
    event_body,
    message_im_event,
    retry_headers,
    slash_command_body,
)

READY_SECONDS = 60.0  # a cold start of a second interpreter on a loaded two-core machine


@pytest.fixture
async def worked_server(database_url: str, slack_api: FakeSlackApi) -> AsyncIterator[Server]:
    settings = slack_settings(database_url, slack_api, work_process=True)
    async with serve(settings, clock=SystemClock()) as running:
        await asyncio.wait_for(child(running).wait_ready(), READY_SECONDS)
        yield running


def child(server: Server) -> WorkProcess:
    assert server.work_process is not None
    return server.work_process


async def post(http: aiohttp.ClientSession, server: Server, body: str, headers: dict[str, str]) -> int:
    async with http.post(f"{base_url(server)}/slack/events", data=body, headers=headers) as response:
        assert await response.text() == ""  # nothing but the acknowledgement comes back here
        return response.status


def replies_in(slack: FakeSlackApi, channel: str) -> list[str]:
    posts = slack.calls_to("chat.postMessage")
    return [call.args.get("text", "") for call in posts if call.args["channel"] == channel]


async def test_an_event_is_answered_here_and_worked_on_in_the_work_process(
    worked_server: Server, slack_api: FakeSlackApi, http: aiohttp.ClientSession
) -> None:
    signer = SlackRequestFactory(SIGNING_SECRET)
    body = event_body(message_im_event("whoami", user="U1", channel="D0ANA"))
    assert await post(http, worked_server, body, signer.headers_for(body, "json")) == 200
    await slack_api.wait_for("chat.postMessage")
    assert len(replies_in(slack_api, "D0ANA")) == 1
    assert child(worked_server).handed_over == 1
    assert worked_server.core.lane.held == 0  # this process never worked on it


async def test_a_slash_command_is_acknowledged_empty_and_answered_by_the_work_process(
    worked_server: Server, slack_api: FakeSlackApi, http: aiohttp.ClientSession
) -> None:
    signer = SlackRequestFactory(SIGNING_SECRET)
    body = slash_command_body("whoami", response_url=slack_api.response_url(), user_id="U2", user_name="bo")
    assert await post(http, worked_server, body, signer.headers_for(body)) == 200
    answer = (await slack_api.wait_for("response_url"))[0].args
    assert answer["response_type"] == "ephemeral" and "America/New_York" in str(answer["blocks"])
    assert child(worked_server).handed_over == 1


async def test_a_retried_event_runs_once_and_the_parent_counts_the_duplicates(
    worked_server: Server, slack_api: FakeSlackApi, http: aiohttp.ClientSession
) -> None:
    signer = SlackRequestFactory(SIGNING_SECRET)
    body = event_body(message_im_event("whoami", user="U1", channel="D0ANA"), event_id="Ev0TWICE")
    for attempt in range(3):
        headers = signer.headers_for(body, "json") | retry_headers(attempt)
        assert await post(http, worked_server, body, headers) == 200
    await slack_api.wait_for("chat.postMessage")
    duplicates = 'champbot_inbound_requests_total{outcome="duplicate",platform="slack"} 2.0'
    await asyncio.wait_for(child(worked_server).wait_until(lambda work: not work.in_flight), 30)
    assert duplicates in worked_server.core.metrics.exposition().decode()
    assert len(replies_in(slack_api, "D0ANA")) == 1
    assert "champbot_work_after_ack 0.0" in worked_server.core.metrics.exposition().decode()


async def test_a_badly_signed_request_is_refused_and_never_handed_over(
    worked_server: Server, http: aiohttp.ClientSession
) -> None:
    body = event_body(message_im_event("whoami"))
    forged = SlackRequestFactory("not-the-secret").headers_for(body, "json")
    async with http.post(f"{base_url(worked_server)}/slack/events", data=body, headers=forged) as response:
        assert response.status == 401
    assert child(worked_server).handed_over == 0


async def test_when_the_work_process_dies_this_process_works_until_a_new_one_is_ready(
    worked_server: Server,
    slack_api: FakeSlackApi,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    signer = SlackRequestFactory(SIGNING_SECRET)
    work = child(worked_server)
    first = work.pid
    assert first is not None
    caplog.set_level(logging.WARNING)
    os.kill(first, signal.SIGKILL)
    await asyncio.wait_for(work.wait_until(lambda work: not work.ready), 30)
    body = event_body(message_im_event("whoami", user="U1", channel="D0ANA"))
    assert await post(http, worked_server, body, signer.headers_for(body, "json")) == 200
    await slack_api.wait_for("chat.postMessage")  # worked on here while no child was ready
    assert work.handed_over == 0
    assert "the Slack work process exited with code -9" in caplog.text

    await asyncio.wait_for(work.wait_ready(), READY_SECONDS)
    assert work.pid not in (None, first)
    body = event_body(message_im_event("whoami", user="U1", channel="D0BEA"))
    assert await post(http, worked_server, body, signer.headers_for(body, "json")) == 200
    await slack_api.wait_for("chat.postMessage", 2)
    assert work.handed_over == 1 and len(replies_in(slack_api, "D0BEA")) == 1


async def test_stopping_lets_the_work_process_finish_what_it_holds(
    database_url: str, slack_api: FakeSlackApi, http: aiohttp.ClientSession
) -> None:
    settings = slack_settings(database_url, slack_api, work_process=True)
    signer = SlackRequestFactory(SIGNING_SECRET)
    gate = slack_api.hold("chat.postMessage")
    async with serve(settings, clock=SystemClock()) as running:
        work = child(running)
        await asyncio.wait_for(work.wait_ready(), READY_SECONDS)
        body = event_body(message_im_event("whoami", user="U1", channel="D0ANA"))
        assert await post(http, running, body, signer.headers_for(body, "json")) == 200
        await slack_api.wait_for_arrivals("chat.postMessage", 1, timeout=30)
        pid = work.pid
        assert pid is not None
        asyncio.get_running_loop().call_later(0.2, gate.set)  # the reply is still held as the stop begins
    assert len(replies_in(slack_api, "D0ANA")) == 1
    assert work.in_flight == 0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone, and reaped


async def test_a_work_process_that_cannot_start_leaves_the_work_here_and_never_delays_the_stop(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(handoff, "RESTART_SECONDS", 30.0)  # the stop must cut the pause short
    caplog.set_level(logging.WARNING)
    work = WorkProcess(handoff.child_environment({"CHAMPBOT_LOCALE": "xx"}), Metrics())
    work.start()
    await asyncio.wait_for(work.wait_until(lambda work: work.exits >= 1), READY_SECONDS)
    assert not work.ready
    assert not work.send(RawRequest({}, "", "{}"))  # so the caller does the work itself
    assert "the Slack work process exited with code 2" in caplog.text
    await asyncio.wait_for(work.stop(), 10)
    assert work.exits == 1


def test_slack_work_started_by_hand_says_what_it_is_for_in_one_line(tmp_path: Path) -> None:
    result = champbot("slack-work", CHAMPBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}")
    assert result.returncode == 2
    assert "champbot: slack-work is started by `champbot run`" in result.stderr
    assert "Traceback" not in result.stderr
