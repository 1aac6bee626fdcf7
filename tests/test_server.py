"""`champbot run` as an operator sees it: health, start-up line, routes, and leadership on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from typing import Any

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import Server
from tests.cli import command, environment
from tests.conftest import BOT_TOKEN, POSTGRES_URL, SIGNING_SECRET, base_url
from tests.fakes import FakeSlackApi, SlackRequestFactory, event_body, message_im_event, slash_command_body


async def test_healthz_is_ok_while_the_database_answers(server: Server, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{base_url(server)}/healthz") as response:
        assert response.status == 200
        body = await response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    expected = "leader" if server.core.database.is_sqlite else body["scheduler"]
    assert body["scheduler"] == expected


async def test_healthz_is_503_when_the_database_is_unreachable(
    server: Server, http: aiohttp.ClientSession
) -> None:
    real = server.core.database.engine
    server.core.database.engine = create_async_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        async with http.get(f"{base_url(server)}/healthz") as response:
            assert response.status == 503
            assert (await response.json())["status"] == "unavailable"
    finally:
        await server.core.database.engine.dispose()
        server.core.database.engine = real


async def test_routes_refuse_wrong_methods(server: Server, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{base_url(server)}/slack/events") as response:
        assert response.status == 405
    async with http.get(f"{base_url(server)}/api/messages") as response:
        assert response.status == 405


class Process:
    """A `champbot run` child whose JSON log lines are read on a thread, so waits have timeouts."""

    def __init__(self, **variables: str) -> None:
        self.popen = subprocess.Popen(
            [*command(), "run"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(
                PORT="0", CHAMPBOT_LOG_FORMAT="json", CHAMPBOT_LEADER_RETRY_SECONDS="1", **variables
            ),
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []  # every line, also those wait_for skipped
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                entry = {"message": line}
            self.seen.append(entry)
            self.lines.put(entry)

    def wait_for(self, text: str, timeout: float = 60) -> dict[str, Any]:
        while True:
            entry = self.lines.get(timeout=timeout)
            if text in entry.get("message", ""):
                return entry

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.popen.poll() is None:
            os.kill(self.popen.pid, sig)
        return self.popen.wait(timeout=30)


def test_run_with_no_credentials_says_which_platforms_are_live_and_stops_cleanly(tmp_path: Any) -> None:
    process = Process(CHAMPBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}")
    try:
        ready = process.wait_for("champbot listening")
        assert "slack: off" in ready["message"] and "teams: emulator mode" in ready["message"]
        assert ready["port"] > 0
    finally:
        assert process.stop() == 0
    # Start-up migrated and read the database; at INFO none of that SQL may reach the log.
    process.wait_for("champbot stopped", timeout=30)
    assert not [entry for entry in process.seen if str(entry.get("logger", "")).startswith("sqlalchemy")]


@pytest.mark.skipif(POSTGRES_URL is None, reason="leadership needs PostgreSQL (CHAMPBOT_TEST_POSTGRES_URL)")
def test_one_of_two_replicas_runs_the_scheduler_and_the_other_takes_over_when_it_dies() -> None:
    from tests.conftest import reset_postgres

    assert POSTGRES_URL is not None
    reset_postgres(POSTGRES_URL)
    first = Process(CHAMPBOT_DATABASE_URL=POSTGRES_URL)
    second = None
    try:
        first.wait_for("scheduler started")
        second = Process(CHAMPBOT_DATABASE_URL=POSTGRES_URL)
        port = second.wait_for("champbot listening")["port"]
        health = json.loads(
            subprocess.run(
                [
                    "python3",
                    "-c",
                    f"import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:{port}/healthz').read().decode())",
                ],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout
        )
        assert health["scheduler"] == "standby"
        first.stop(signal.SIGKILL)  # the holder dies without a goodbye; its connection, and the lock, go
        took_over = second.wait_for("scheduler started", timeout=60)
        assert took_over["level"] == "INFO"
    finally:
        first.stop(signal.SIGKILL)
        if second is not None:
            assert second.stop() == 0


async def test_run_answers_signed_slack_requests_on_its_production_event_loop(tmp_path: Any) -> None:
    """`champbot run` serves on uvloop (bot/eventloop.py), which no in-process test uses: a signed
    slash command and a DM event go through the real process and their answers come back."""
    async with FakeSlackApi(token=BOT_TOKEN) as slack:
        slack.add_user("U1", "ana")
        process = Process(
            CHAMPBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.base_url,
        )
        try:
            ready = await asyncio.to_thread(process.wait_for, "champbot listening")
            assert ready["event_loop"] == ("asyncio" if sys.platform == "win32" else "uvloop")
            url = f"http://127.0.0.1:{ready['port']}/slack/events"
            signer = SlackRequestFactory(SIGNING_SECRET)
            command = slash_command_body("whoami", response_url=slack.response_url())
            event = event_body(message_im_event("help"))
            async with aiohttp.ClientSession() as http:
                async with http.post(url, data=command, headers=signer.headers_for(command)) as response:
                    assert response.status == 200
                async with http.post(url, data=event, headers=signer.headers_for(event, "json")) as response:
                    assert response.status == 200
            (answer,) = await slack.wait_for("response_url", 1, timeout=30)
            (dm,) = await slack.wait_for("chat.postMessage", 1, timeout=30)
        finally:
            assert await asyncio.to_thread(process.stop) == 0
    assert "slack:U1" in json.dumps(answer.args)
    assert dm.args["channel"] == "D0001" and "whoami" in json.dumps(dm.args)
