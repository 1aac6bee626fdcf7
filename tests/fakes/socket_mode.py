"""A loopback Slack Socket Mode server: hands out a WebSocket URL and exchanges envelopes with the bot."""

from __future__ import annotations

import asyncio
import itertools
import json
from types import TracebackType
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.slack_api import FakeSlackApi


class FakeSocketMode:
    """Answers `apps.connections.open` on the fake Web API with a ws:// URL of its own, says hello,
    and records the acknowledgements the bot sends back for each envelope."""

    def __init__(self, slack_api: FakeSlackApi) -> None:
        self._slack_api = slack_api
        self._runner: web.AppRunner | None = None
        self._socket: web.WebSocketResponse | None = None
        self._connected = asyncio.Event()
        self._ids = itertools.count(1)
        self.acks: dict[str, dict[str, Any]] = {}
        self._ack_arrived = asyncio.Condition()
        self.url = ""

    async def __aenter__(self) -> FakeSocketMode:
        app = web.Application()
        app.router.add_get("/link", self._link)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"ws://127.0.0.1:{port}/link"
        self._slack_api.set_handler(
            "apps.connections.open", lambda _args: (200, {}, {"ok": True, "url": self.url})
        )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"}}
        )
        self._connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                body = json.loads(message.data)
                async with self._ack_arrived:
                    self.acks[body.get("envelope_id", "")] = body
                    self._ack_arrived.notify_all()
        return socket

    async def send(self, kind: str, payload: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Deliver one envelope (e.g. `slash_commands`) and wait for the bot's acknowledgement."""
        await asyncio.wait_for(self._connected.wait(), timeout)
        assert self._socket is not None
        envelope_id = f"envelope-{next(self._ids)}"
        await self._socket.send_json(
            {"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": True}
        )
        async with self._ack_arrived:
            await asyncio.wait_for(self._ack_arrived.wait_for(lambda: envelope_id in self.acks), timeout)
        return self.acks[envelope_id]
