"""Logs: JSON lines on request, and no message body in any line at INFO or above."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from bot.app import Server, serve
from bot.config import Settings
from bot.logs import JsonFormatter, configure
from tests.conftest import BOT_TOKEN, base_url
from tests.fakes import FakeSlackApi, SlackRequestFactory, event_body, message_im_event, slash_command_body

SECRET_WORDS = "my manager Lars is struggling with the reorganisation"


def test_json_lines_carry_the_message_and_its_extra_fields() -> None:
    record = logging.LogRecord("bot.core", logging.INFO, __file__, 1, "command refused", (), None)
    record.command = "setup"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "command refused" and entry["command"] == "setup"
    assert entry["level"] == "INFO" and entry["logger"] == "bot.core" and entry["time"].endswith("+00:00")


async def test_what_people_type_never_reaches_the_logs(
    server: Server,
    http: aiohttp.ClientSession,
    signer: SlackRequestFactory,
    slack_api: FakeSlackApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    body = slash_command_body(f"zebra {SECRET_WORDS}", response_url=slack_api.response_url(), user_id="U1")
    async with http.post(
        f"{base_url(server)}/slack/events", data=body, headers=signer.headers_for(body)
    ) as r:
        assert r.status == 200
    dm = event_body(message_im_event(SECRET_WORDS, user="U1", channel="D0ANA"))
    async with http.post(
        f"{base_url(server)}/slack/events", data=dm, headers=signer.headers_for(dm, "json")
    ) as r:
        assert r.status == 200
    await slack_api.wait_for("response_url")
    await slack_api.wait_for("chat.postMessage")
    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert "Lars" not in logged and "reorganisation" not in logged


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
def test_libraries_that_log_sql_parameters_or_http_bodies_stay_quiet_at_every_level(level: str) -> None:
    """sqlalchemy.engine echoes each statement with its parameters at INFO, httpx each URL."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure("json", level)
        assert root.isEnabledFor(logging.getLevelName(level))
        for name in ("aiosqlite", "sqlalchemy.engine.Engine", "httpx", "httpcore", "msrest", "psycopg"):
            assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
            assert logging.getLogger(name).isEnabledFor(logging.WARNING), name
    finally:
        root.handlers[:], level_before = saved
        root.setLevel(level_before)


async def test_starting_with_a_slack_token_in_the_environment_logs_no_warning(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt reads SLACK_BOT_TOKEN itself and used to warn on every start that our client wins."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    caplog.set_level(logging.INFO)
    async with serve(settings):
        pass
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
