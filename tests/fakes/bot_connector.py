"""Loopback fake of the Bot Framework Connector REST API (the Teams ``serviceUrl``) for tests."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

_ACTIVITY_SENDING = frozenset({"send", "reply", "update"})

_Answer = Callable[[web.Request, dict[str, Any], str], tuple[int, Any, str]]
"""Route logic: ``(request, json_body, conversation_id) -> (status, payload, conversation_id)``."""


@dataclass(frozen=True)
class ConnectorCall:
    """One request received by the fake connector.

    ``method`` is the HTTP verb, ``operation`` the Connector operation it maps to
    (create_conversation, send, reply, update, delete, members, member, paged_members).
    ``conversation_id``/``activity_id`` are URL-decoded; ``path`` is the raw request path.
    """

    method: str
    path: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    headers: dict[str, str]
    operation: str = ""
    query: dict[str, str] = field(default_factory=dict)
    status: int = 200


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    code: str
    message: str


class FakeBotConnector:
    """An aiohttp server on 127.0.0.1 that answers like a Bot Framework channel's serviceUrl."""

    def __init__(self) -> None:
        self.calls: list[ConnectorCall] = []
        self.activities: list[dict[str, Any]] = []
        self._members: dict[str, list[dict[str, Any]]] = {}
        self._faults: deque[_Fault] = deque()
        self._activity_counter = 0
        self._conversation_counter = 0
        self._condition = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port and start serving."""
        if self._runner is not None:
            raise RuntimeError("FakeBotConnector is already running")
        self._condition = asyncio.Condition()
        app = web.Application()
        base = "/v3/conversations"
        router = app.router
        router.add_post(base, self._create_conversation)
        router.add_post(base + "/{conversation_id}/activities", self._send)
        router.add_post(base + "/{conversation_id}/activities/{activity_id}", self._reply)
        router.add_put(base + "/{conversation_id}/activities/{activity_id}", self._update)
        router.add_delete(base + "/{conversation_id}/activities/{activity_id}", self._delete)
        router.add_get(base + "/{conversation_id}/members", self._get_members)
        router.add_get(base + "/{conversation_id}/members/{member_id}", self._get_member)
        router.add_get(base + "/{conversation_id}/pagedmembers", self._get_paged_members)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def service_url(self) -> str:
        """``http://127.0.0.1:PORT/`` — use as the activity's serviceUrl / ConnectorClient base_url."""
        if self._port is None:
            raise RuntimeError("FakeBotConnector is not started")
        return f"http://127.0.0.1:{self._port}/"

    # ------------------------------------------------------------------ state

    def add_members(self, conversation_id: str, members: list[dict[str, Any]]) -> None:
        """Add Teams channel accounts (id, name, aadObjectId, userPrincipalName, tenantId...)."""
        self._members.setdefault(conversation_id, []).extend(dict(m) for m in members)

    # ------------------------------------------------------------------ recording

    def clear(self) -> None:
        """Forget recorded calls and activities (members are kept)."""
        self.calls.clear()
        self.activities.clear()

    def activities_in(self, conversation_id: str) -> list[dict[str, Any]]:
        """Bodies of activities sent/replied/updated in ``conversation_id``, in order."""
        return [
            c.body
            for c in self.calls
            if c.operation in _ACTIVITY_SENDING and c.status < 300 and c.conversation_id == conversation_id
        ]

    async def wait_for_activities(
        self,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[dict[str, Any]]:
        """Wait until at least ``count`` activities were accepted; return them all."""

        def enough() -> bool:
            return len(self.activities) >= count

        try:
            async with self._condition:
                await asyncio.wait_for(self._condition.wait_for(enough), timeout)
        except TimeoutError:
            seen = [f"{c.method} {c.path} -> {c.status}" for c in self.calls]
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} activit(y/ies); "
                f"got {len(self.activities)}. Requests seen so far: {seen or 'none'}"
            ) from None
        return list(self.activities)

    async def wait_for_calls(
        self,
        operation: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[ConnectorCall]:
        """Wait until at least ``count`` calls of ``operation`` (e.g. "delete") were recorded."""

        def matching() -> list[ConnectorCall]:
            return [c for c in self.calls if c.operation == operation]

        try:
            async with self._condition:
                await asyncio.wait_for(self._condition.wait_for(lambda: len(matching()) >= count), timeout)
        except TimeoutError:
            seen = [c.operation for c in self.calls]
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} {operation!r} call(s); "
                f"operations seen so far: {seen or 'none'}"
            ) from None
        return matching()

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        status: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        *,
        code: str = "TooManyRequests",
        message: str = "Too many requests",
    ) -> None:
        """Make the next ``times`` requests (any route) fail with ``status`` and an ErrorResponse."""
        for _ in range(times):
            self._faults.append(_Fault(status=status, retry_after=retry_after, code=code, message=message))

    # ------------------------------------------------------------------ plumbing

    async def _record(self, call: ConnectorCall, activity: dict[str, Any] | None) -> None:
        async with self._condition:
            self.calls.append(call)
            if activity is not None:
                self.activities.append(activity)
            self._condition.notify_all()

    @staticmethod
    async def _json_body(request: web.Request) -> dict[str, Any]:
        if not request.body_exists:
            return {}
        text = await request.text()
        if not text:
            return {}
        body = json.loads(text)
        return body if isinstance(body, dict) else {"_body": body}

    async def _handle(
        self,
        request: web.Request,
        operation: str,
        answer: _Answer,
    ) -> web.Response:
        """Record the request, apply faults, and answer ``answer(body, conversation_id)``."""
        conversation_id = request.match_info.get("conversation_id", "")
        activity_id = request.match_info.get("activity_id")
        body = await self._json_body(request)
        status, headers, payload = 200, {}, None
        if self._faults:
            fault = self._faults.popleft()
            status = fault.status
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            payload = {"error": {"code": fault.code, "message": fault.message}}
        else:
            status, payload, conversation_id = answer(request, body, conversation_id)
        activity: dict[str, Any] | None = None
        if status < 300:
            if operation in _ACTIVITY_SENDING:
                activity = body
            elif operation == "create_conversation" and isinstance(body.get("activity"), dict):
                activity = body["activity"]
        await self._record(
            ConnectorCall(
                method=request.method,
                path=request.rel_url.raw_path,
                conversation_id=conversation_id,
                activity_id=activity_id,
                body=body,
                headers=dict(request.headers),
                operation=operation,
                query=dict(request.query),
                status=status,
            ),
            activity,
        )
        if payload is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(payload, status=status, headers=headers)

    def _next_activity_id(self) -> str:
        self._activity_counter += 1
        return f"activity-{self._activity_counter}"

    def _resource(
        self, request: web.Request, body: dict[str, Any], conversation_id: str
    ) -> tuple[int, Any, str]:
        return 200, {"id": self._next_activity_id()}, conversation_id

    def _not_found(self, conversation_id: str) -> tuple[int, Any, str]:
        error = {"code": "ConversationNotFound", "message": "Conversation not found."}
        return 404, {"error": error}, conversation_id

    # ------------------------------------------------------------------ routes

    async def _create_conversation(self, request: web.Request) -> web.Response:
        def answer(req: web.Request, body: dict[str, Any], _: str) -> tuple[int, Any, str]:
            self._conversation_counter += 1
            new_id = f"a:new-{self._conversation_counter}"
            members = [m for m in body.get("members") or [] if isinstance(m, dict)]
            if members:
                self.add_members(new_id, members)
            payload = {
                "id": new_id,
                "activityId": self._next_activity_id(),
                "serviceUrl": self.service_url,
            }
            return 201, payload, new_id

        return await self._handle(request, "create_conversation", answer)

    async def _send(self, request: web.Request) -> web.Response:
        return await self._handle(request, "send", self._resource)

    async def _reply(self, request: web.Request) -> web.Response:
        return await self._handle(request, "reply", self._resource)

    async def _update(self, request: web.Request) -> web.Response:
        def answer(req: web.Request, body: dict[str, Any], conversation_id: str) -> tuple[int, Any, str]:
            return 200, {"id": req.match_info["activity_id"]}, conversation_id

        return await self._handle(request, "update", answer)

    async def _delete(self, request: web.Request) -> web.Response:
        def answer(req: web.Request, body: dict[str, Any], conversation_id: str) -> tuple[int, Any, str]:
            return 200, None, conversation_id

        return await self._handle(request, "delete", answer)

    async def _get_members(self, request: web.Request) -> web.Response:
        def answer(req: web.Request, body: dict[str, Any], conversation_id: str) -> tuple[int, Any, str]:
            if conversation_id not in self._members:
                return self._not_found(conversation_id)
            return 200, list(self._members[conversation_id]), conversation_id

        return await self._handle(request, "members", answer)

    async def _get_member(self, request: web.Request) -> web.Response:
        def answer(req: web.Request, body: dict[str, Any], conversation_id: str) -> tuple[int, Any, str]:
            member_id = req.match_info["member_id"]
            for member in self._members.get(conversation_id, []):
                if member.get("id") == member_id or member.get("aadObjectId") == member_id:
                    return 200, member, conversation_id
            error = {"code": "MemberNotFoundInConversation", "message": "Member not found."}
            return 404, {"error": error}, conversation_id

        return await self._handle(request, "member", answer)

    async def _get_paged_members(self, request: web.Request) -> web.Response:
        def answer(req: web.Request, body: dict[str, Any], conversation_id: str) -> tuple[int, Any, str]:
            if conversation_id not in self._members:
                return self._not_found(conversation_id)
            members = self._members[conversation_id]
            try:
                page_size = int(req.query.get("pageSize") or 0) or 50
                token = req.query.get("continuationToken") or ""
                start = int(token.removeprefix("page-")) if token else 0
            except ValueError:
                error = {"code": "BadArgument", "message": "Invalid pageSize/continuationToken."}
                return 400, {"error": error}, conversation_id
            page = members[start : start + page_size]
            payload: dict[str, Any] = {"members": page}
            if start + page_size < len(members):
                payload["continuationToken"] = f"page-{start + page_size}"
            return 200, payload, conversation_id

        return await self._handle(request, "paged_members", answer)
