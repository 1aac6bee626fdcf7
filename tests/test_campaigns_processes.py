"""A campaign across real `champbot run` processes: kill -9 half-way (perhaps mid fan-out), start
another, and every member of the channel still gets exactly one DM, with the final counts shown."""

from __future__ import annotations

import asyncio
import signal

import aiohttp
import pytest

from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.fakes import FakeSlackApi, SlackRequestFactory, slash_command_body
from tests.test_campaigns_slack import STAFF, add_staff, campaign_dms, counts_in, progress_updates
from tests.test_server import Process


def run_process(database_url: str, slack: FakeSlackApi, rate: int) -> Process:
    return Process(
        CHAMPBOT_DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.base_url,
        CHAMPBOT_ADMINS="slack:UADMIN",
        CHAMPBOT_SLACK_RATE=str(rate),
        CHAMPBOT_OUTBOX_LEASE_SECONDS="20",  # longer than any send on a busy machine: a row is only
        # taken over once its worker is surely gone
    )


async def until_done(slack: FakeSlackApi) -> list[str]:
    """Wait, edit by edit, until the admin's progress message says the campaign is done."""
    while True:
        shown = progress_updates(slack)
        if shown and "is done" in shown[-1]:
            return shown
        await slack.wait_for("chat.update", len(slack.calls_to("chat.update")) + 1, timeout=120)


@pytest.mark.timeout(900)
async def test_a_kill_9_half_way_through_a_campaign_loses_and_duplicates_nothing(
    database_url: str, slack_api: FakeSlackApi, signer: SlackRequestFactory
) -> None:
    add_staff(slack_api, STAFF)
    first = run_process(database_url, slack_api, rate=200)
    second = None
    shown: list[str] = []
    try:
        port = (await asyncio.to_thread(first.wait_for, "champbot listening"))["port"]
        body = slash_command_body(
            "nudge schedule <#C0STAFF|all-staff> now Town hall on AI at 14:00",
            response_url=slack_api.response_url(),
            user_id="UADMIN",
        )
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{port}/slack/events", data=body, headers=signer.headers_for(body)
            ) as r,
        ):
            assert r.status == 200
        await slack_api.wait_for("response_url", 1, timeout=60)
        await slack_api.wait_for("chat.postMessage", 1 + 500, timeout=120)  # the progress DM, then 500
        first.stop(signal.SIGKILL)
        halfway = sum(campaign_dms(slack_api).values())
        assert 500 <= halfway < STAFF

        second = run_process(database_url, slack_api, rate=1000)
        await slack_api.wait_for("chat.postMessage", 1 + STAFF, timeout=600)
        shown = await until_done(slack_api)
    finally:
        first.stop(signal.SIGKILL)
        if second is not None:
            assert second.stop() == 0
    received = campaign_dms(slack_api)
    assert len(received) == STAFF and set(received.values()) == {1}
    assert counts_in(shown[-1]) == {"sent": STAFF, "failed": 0, "pending": 0, "total": STAFF}
    assert len(slack_api.calls_to("chat.postMessage")) == 1 + STAFF  # nothing re-sent after the kill
