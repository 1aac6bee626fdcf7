"""Shared fixtures: each test gets a fresh database (SQLite always, PostgreSQL when configured),
settings that point at loopback fakes, and a running champbot server on a free port."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.app import Server, serve
from bot.clock import FrozenClock
from bot.config import Settings
from storage.engine import sync_url
from tests.fakes import FakeBotConnector, FakeSlackApi, SlackRequestFactory


def _database_of_this_worker(url: str | None) -> str | None:
    """Every test drops and recreates the public schema, so under pytest-xdist each worker gets a
    database of its own (`test_gw0`, `test_gw1`, … next to the configured one), created on first use."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url is None or not worker:
        return url
    configured = make_url(url)
    name = f"{configured.database}_{worker}"
    server = create_engine(
        sync_url(configured.set(database="postgres").render_as_string(hide_password=False)),
        isolation_level="AUTOCOMMIT",
    )
    with server.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
        if exists.first() is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return configured.set(database=name).render_as_string(hide_password=False)


POSTGRES_URL = _database_of_this_worker(os.environ.get("CHAMPBOT_TEST_POSTGRES_URL"))
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test"
ADMINS = "slack:UADMIN,teams:29:1admin,console:ana"
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # a Tuesday morning in Copenhagen

_OUR_VARIABLES = ("CHAMPBOT_", "SLACK_", "MICROSOFTAPP", "PORT")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own champbot settings must never leak into a test."""
    for name in list(os.environ):
        if name.upper().startswith(_OUR_VARIABLES) and name != "CHAMPBOT_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)


def reset_postgres(url: str) -> None:
    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'champbot.db'}"
    else:
        assert POSTGRES_URL is not None
        reset_postgres(POSTGRES_URL)
        yield POSTGRES_URL


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(token=BOT_TOKEN) as fake:
        fake.add_user("UADMIN", "hanne", real_name="Hanne HR", tz="Europe/Copenhagen", locale="en-US")
        fake.add_user("U1", "ana", real_name="Ana", tz="Europe/Copenhagen", locale="en-US")
        fake.add_user("U2", "bo", real_name="Bo", tz="America/New_York", locale="da-DK")
        fake.add_channel("C0GENERAL", "general", ["UADMIN", "U1", "U2"])
        fake.add_channel("CQUESTIONS", "ai-questions", ["UADMIN", "U1", "U2"])
        fake.add_channel("CNOBOT", "no-bot-here", ["UADMIN"], bot_is_member=False)
        yield fake


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with FakeBotConnector() as fake:
        yield fake


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "port": 0,
        "admins": ADMINS,
        "locale": "en",
        "timezone": "Europe/Copenhagen",
        "leader_retry_seconds": 1.0,
    }
    values.update(overrides)
    return Settings(**values)


def slack_settings(database_url: str, slack_api: FakeSlackApi, **overrides: Any) -> Settings:
    """Settings with Slack over HTTP against the fake Slack API."""
    return make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.base_url,
        **overrides,
    )


@pytest.fixture
def settings(database_url: str, slack_api: FakeSlackApi) -> Settings:
    return slack_settings(database_url, slack_api)


@pytest.fixture
async def server(settings: Settings, clock: FrozenClock) -> AsyncIterator[Server]:
    async with serve(settings, clock=clock) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def signer() -> SlackRequestFactory:
    return SlackRequestFactory(SIGNING_SECRET)


def base_url(server: Server) -> str:
    return f"http://127.0.0.1:{server.port}"
