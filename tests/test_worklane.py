"""The work lane: work after an acknowledgement runs a few pieces at a time, and every piece ends."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
import slack_sdk.signature

from bot.app import serve
from bot.metrics import Metrics
from bot.worklane import WorkLane
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, base_url, make_settings, slack_settings
from tests.fakes import FakeSlackApi, SlackRequestFactory, sign, slash_command_body


async def test_no_more_than_width_pieces_run_at_once_and_the_rest_wait_their_turn() -> None:
    gauge = Metrics().work_held
    lane = WorkLane(2, gauge)
    release = asyncio.Event()
    running: list[int] = []
    peak = 0
    finished: list[int] = []

    async def piece(n: int) -> None:
        nonlocal peak
        running.append(n)
        peak = max(peak, len(running))
        await release.wait()
        running.remove(n)
        finished.append(n)

    for n in range(5):
        lane.submit(piece(n))
    assert lane.held == 5 and gauge._value.get() == 5  # counted from the moment it is handed over
    for _ in range(10):  # let every task reach the semaphore or the gate
        await asyncio.sleep(0)
    assert sorted(running) == [0, 1] and peak == 2
    release.set()
    await asyncio.wait_for(lane.idle(), 5)
    assert sorted(finished) == [0, 1, 2, 3, 4] and peak == 2
    assert lane.held == 0 and gauge._value.get() == 0


async def test_a_failing_piece_is_logged_and_frees_its_slot(caplog: pytest.LogCaptureFixture) -> None:
    lane = WorkLane(1)
    done = asyncio.Event()

    async def broken() -> None:
        raise RuntimeError("the database went away")

    async def after() -> None:
        done.set()

    lane.submit(broken())
    lane.submit(after())
    await asyncio.wait_for(done.wait(), 5)
    await asyncio.wait_for(lane.idle(), 5)
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failures] == ["work after an acknowledgement failed"]


async def test_turn_counts_inline_work_and_idle_waits_for_it() -> None:
    lane = WorkLane(1)
    inside = asyncio.Event()
    leave = asyncio.Event()

    async def inline() -> None:
        async with lane.turn():
            inside.set()
            await leave.wait()

    task = asyncio.ensure_future(inline())
    await asyncio.wait_for(inside.wait(), 5)
    idle = asyncio.ensure_future(lane.idle())
    await asyncio.sleep(0)
    assert lane.held == 1 and not idle.done()
    leave.set()
    await asyncio.wait_for(idle, 5)
    await task


def test_a_lane_needs_room_for_one_piece() -> None:
    with pytest.raises(ValueError):
        WorkLane(0)


async def test_slash_commands_are_acknowledged_while_their_work_waits_in_the_lane(
    database_url: str, slack_api: FakeSlackApi, signer: SlackRequestFactory
) -> None:
    """Five people type a command while Slack's users.info hangs: all five get their 200 at once,
    two pieces of work are in flight (CHAMPBOT_WORK_CONCURRENCY=2) and three wait their turn;
    when Slack answers, all five get their reply."""
    settings = make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.base_url,
        work_concurrency=2,
    )
    users = [f"UL{n}" for n in range(5)]
    for user in users:
        slack_api.add_user(user, user.lower())
    gate = slack_api.hold("users.info")
    async with serve(settings) as server, aiohttp.ClientSession() as http:
        for n, user in enumerate(users):
            body = slash_command_body("whoami", response_url=slack_api.response_url(str(n)), user_id=user)
            async with http.post(
                f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
            ) as response:
                assert response.status == 200 and await response.text() == ""
        await slack_api.wait_for_arrivals("users.info", 2)
        assert slack_api.arrived["users.info"] == 2 and server.core.lane.held == 5
        async with http.get(f"{base_url(server)}/metrics") as response:
            assert "champbot_work_after_ack 5.0" in await response.text()
        async with http.get(f"{base_url(server)}/healthz") as response:
            assert (await response.json())["work_lane"] == {"held": 5, "width": 2}
        assert slack_api.calls_to("response_url") == []
        gate.set()
        await slack_api.wait_for("response_url", 5)
        await asyncio.wait_for(server.core.lane.idle(), 10)
    assert slack_api.arrived["users.info"] == 5


async def test_on_shutdown_acknowledged_work_finishes_before_the_database_closes(
    database_url: str, slack_api: FakeSlackApi, signer: SlackRequestFactory
) -> None:
    settings = slack_settings(database_url, slack_api)
    slack_api.add_user("UQ1", "quinn")
    gate = slack_api.hold("users.info")
    running = serve(settings)
    server = await running.__aenter__()
    lane = server.core.lane
    draining = asyncio.Event()
    wait_until_idle = lane.idle

    async def idle() -> None:
        draining.set()
        await wait_until_idle()

    lane.idle = idle  # type: ignore[method-assign]
    try:
        body = slash_command_body("whoami", response_url=slack_api.response_url(), user_id="UQ1")
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
            ) as response,
        ):
            assert response.status == 200
        await slack_api.wait_for_arrivals("users.info", 1)
    finally:
        stopping = asyncio.ensure_future(running.__aexit__(None, None, None))
    await asyncio.wait_for(draining.wait(), 10)  # shutdown waits for the lane …
    assert not stopping.done()
    gate.set()  # … and the work, let go now, still has its database and its HTTP session
    await asyncio.wait_for(stopping, 30)
    assert "quinn" in str((await slack_api.wait_for("response_url", 1))[0].args)


async def test_a_request_that_waited_six_minutes_in_the_lane_is_still_worked_on(
    database_url: str, slack_api: FakeSlackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack's signature is good for 5 minutes. A command verified at arrival, then held in the
    lane for six (one slot, taken by a command whose users.info hangs), is still answered: nothing
    verifies it a second time."""
    slack_time = [1_790_000_000.0]  # what Slack's signature check takes for "now"
    monkeypatch.setattr(slack_sdk.signature.Clock, "now", lambda _self: slack_time[0])
    signer = SlackRequestFactory(SIGNING_SECRET, clock=lambda: int(slack_time[0]))
    settings = slack_settings(database_url, slack_api, work_concurrency=1)
    slack_api.add_user("UL0", "first")
    slack_api.add_user("UL1", "waiting")
    gate = slack_api.hold("users.info")
    async with serve(settings) as server, aiohttp.ClientSession() as http:
        url = f"{base_url(server)}/slack/events"
        for n, user in enumerate(("UL0", "UL1")):
            body = slash_command_body("whoami", response_url=slack_api.response_url(str(n)), user_id=user)
            async with http.post(url, data=body, headers=signer.headers_for(body)) as response:
                assert response.status == 200
        await slack_api.wait_for_arrivals("users.info", 1)
        assert server.core.lane.held == 2
        arrived = int(slack_time[0])
        slack_time[0] += 6 * 60
        late = slash_command_body("whoami", response_url=slack_api.response_url("late"), user_id="UL1")
        signed_then = {"Content-Type": "application/x-www-form-urlencoded"} | sign(
            late, secret=SIGNING_SECRET, timestamp=arrived
        )
        async with http.post(url, data=late, headers=signed_then) as response:
            assert response.status == 401  # a signature of that moment, checked now, is refused
        gate.set()
        replies = await slack_api.wait_for("response_url", 2)
        await asyncio.wait_for(server.core.lane.idle(), 10)
    assert len(slack_api.calls_to("response_url")) == 2
    shown = " ".join(str(call.args) for call in replies)
    assert "first" in shown.lower() and "waiting" in shown.lower()
    counted = server.core.metrics.exposition().decode()
    assert 'outcome="failed"' not in counted
