"""A loopback OpenAI-compatible chat-completions server for tests: answers, hangs, garbage or 500s.

    async with FakeOpenAI(answer="Yes, with the approved assistant.") as fake:
        client = ChatCompletions(http, base_url=fake.base_url, api_key=fake.api_key, model="m")
        fake.mode = "hang"  # the next requests never get an answer (until the fake closes)

Every request is recorded (headers, JSON body) in `requests`, whatever the mode.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

from aiohttp import web

Mode = Literal["answer", "hang", "garbage", "500", "empty", "no_choices", "wrong_key"]


@dataclass(frozen=True)
class ChatRequest:
    authorization: str
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, str]]:
        return list(self.body.get("messages", []))

    def text(self) -> str:
        """Every message's content, joined: what the model was shown."""
        return "\n".join(message.get("content", "") for message in self.messages)


class FakeOpenAI:
    def __init__(
        self, *, answer: str = "A drafted answer.", api_key: str = "sk-test", mode: Mode = "answer"
    ) -> None:
        self.answer = answer
        self.api_key = api_key
        self.mode: Mode = mode
        self.requests: list[ChatRequest] = []
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def base_url(self) -> str:
        """What CHAMPBOT_LLM_BASE_URL would be: the client appends /chat/completions."""
        if self._port is None:
            raise RuntimeError("FakeOpenAI is not running")
        return f"http://127.0.0.1:{self._port}/v1"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def close(self) -> None:
        self._release.set()  # hanging requests end, so the server can shut down
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(ChatRequest(request.headers.get("Authorization", ""), body))
        if request.headers.get("Authorization") != f"Bearer {self.api_key}" or self.mode == "wrong_key":
            return web.json_response(
                {"error": {"message": "Incorrect API key", "type": "invalid_request_error"}}, status=401
            )
        if self.mode == "hang":
            await self._release.wait()
            return web.json_response({"error": {"message": "shutting down"}}, status=503)
        if self.mode == "garbage":
            return web.Response(text="<html>upstream exploded{", content_type="application/json")
        if self.mode == "500":
            return web.json_response(
                {"error": {"message": "The server had an error", "type": "server_error"}}, status=500
            )
        if self.mode == "no_choices":
            return web.json_response({"id": "chatcmpl-1", "object": "chat.completion", "choices": []})
        content = "   " if self.mode == "empty" else self.answer
        return web.Response(text=json.dumps(self._completion(body, content)), content_type="application/json")

    @staticmethod
    def _completion(body: dict[str, Any], content: str) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1_764_000_000,
            "model": body.get("model", ""),
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
