"""Slack over Socket Mode: with SLACK_APP_TOKEN set the bot dials out instead of serving /slack/events."""

from __future__ import annotations

import gc
import json
import warnings
from urllib.parse import parse_qsl

import pytest

from bot.app import serve
from bot.clock import FrozenClock
from bot.config import ConfigError
from tests.conftest import BOT_TOKEN, make_settings
from tests.fakes import FakeSlackApi, event_body, slash_command_body
from tests.fakes.socket_mode import FakeSocketMode


async def test_a_slash_command_arrives_over_the_socket_and_is_answered(
    database_url: str, clock: FrozenClock, slack_api: FakeSlackApi
) -> None:
    settings = make_settings(
        database_url, slack_bot_token=BOT_TOKEN, slack_app_token="xapp-test", slack_api_url=slack_api.base_url
    )
    async with FakeSocketMode(slack_api) as socket, serve(settings, clock=clock) as server:
        assert server.platforms["slack"] == "socket mode"
        opened = slack_api.calls_to("apps.connections.open")
        assert opened and opened[0].headers["Authorization"] == "Bearer xapp-test"
        payload = dict(
            parse_qsl(slash_command_body("whoami", response_url=slack_api.response_url(), user_id="U2"))
        )
        ack = await socket.send("slash_commands", payload)
        assert ack["envelope_id"].startswith("envelope-")
        answer = (await slack_api.wait_for("response_url"))[-1]
        assert "Sådan kender champbot dig" in answer.args["blocks"][0]["text"]["text"]


async def test_an_event_nothing_listens_to_is_acknowledged_over_the_socket_and_counted_as_unhandled(
    database_url: str, clock: FrozenClock, slack_api: FakeSlackApi
) -> None:
    settings = make_settings(
        database_url, slack_bot_token=BOT_TOKEN, slack_app_token="xapp-test", slack_api_url=slack_api.base_url
    )
    reaction = {"type": "reaction_added", "user": "U1", "reaction": "tada", "event_ts": "1700000000.000100"}
    async with FakeSocketMode(slack_api) as socket, serve(settings, clock=clock) as server:
        ack = await socket.send("events_api", json.loads(event_body(reaction)))
        assert ack["envelope_id"].startswith("envelope-")
        await server.core.lane.idle()
        counted = server.core.metrics.exposition().decode()
    assert 'champbot_inbound_requests_total{outcome="unhandled",platform="slack"} 1.0' in counted


async def test_a_refused_app_token_stops_start_up_with_one_clear_line(
    database_url: str, clock: FrozenClock, slack_api: FakeSlackApi
) -> None:
    slack_api.set_handler(
        "apps.connections.open", lambda _args: (200, {}, {"ok": False, "error": "invalid_auth"})
    )
    settings = make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_app_token="xapp-wrong",
        slack_api_url=slack_api.base_url,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(
            ConfigError, match=r"SLACK_APP_TOKEN: Slack refused the Socket Mode connection \(invalid_auth\)"
        ):
            async with serve(settings, clock=clock):
                pass
        gc.collect()
    # The Socket Mode client's own HTTP session is closed on the way out too.
    assert not [w for w in caught if "Unclosed client session" in str(w.message)]
