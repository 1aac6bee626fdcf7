"""Loopback fake of the Slack Web API (and of slash-command response_urls) for tests."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import math
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo

from aiohttp import web

FaultSchedule = Callable[[int], "tuple[int, int | None, str] | None"]
SlackHandler = Callable[[dict[str, Any]], tuple[int, dict[str, str], dict[str, Any]]]
"""Override for one API method: ``fn(args) -> (status, headers, body)``."""

# Form/query fields that slack_sdk (or any client) may send as JSON-encoded strings.
_JSON_FIELDS = frozenset({"blocks", "attachments", "view", "metadata", "unfurls"})
_TRUE_STRINGS = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True)
class SlackCall:
    """One request received by the fake: API method name, merged arguments and headers."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    http_method: str = "POST"


@dataclass
class _User:
    id: str
    name: str
    real_name: str
    tz: str
    locale: str
    is_bot: bool
    deleted: bool


@dataclass
class _Channel:
    id: str
    name: str
    members: list[str]
    bot_is_member: bool
    is_im: bool = False
    user: str | None = None


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    error: str


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    return str(value).strip().lower() in _TRUE_STRINGS


def _error(code: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": code, **extra}


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str) -> int | None:
    """Return the offset encoded in ``cursor`` (0 for no cursor) or None if it is invalid."""
    if not cursor:
        return 0
    try:
        kind, _, number = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
        offset = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return offset if kind == "offset" and offset >= 0 else None


def _page(
    items: list[Any], args: dict[str, Any], default_limit: int
) -> tuple[list[Any], dict[str, str]] | str:
    """Slice ``items`` per Slack cursor pagination; return (page, response_metadata) or an error."""
    offset = _decode_cursor(str(args.get("cursor") or ""))
    if offset is None:
        return "invalid_cursor"
    try:
        limit = int(args.get("limit") or 0) or default_limit
    except (TypeError, ValueError):
        return "invalid_limit"
    if limit < 0:
        return "invalid_limit"
    page = items[offset : offset + limit]
    end = offset + len(page)
    next_cursor = _encode_cursor(end) if end < len(items) else ""
    return page, {"next_cursor": next_cursor}


class FakeSlackApi:
    """An aiohttp server on 127.0.0.1 that answers like https://slack.com/api/ does.

    Point ``AsyncWebClient(base_url=fake.base_url)`` (or SLACK_API_URL) at it.
    """

    def __init__(self, token: str = "xoxb-test", bot_user_id: str = "UBOT", team_id: str = "T0001") -> None:
        self.token = token
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.bot_id = "B0001"
        self.app_id = "A0001"
        self.team_name = "Fake Workspace"
        self.team_domain = "fake"
        self.calls: list[SlackCall] = []
        self._users: dict[str, _User] = {}
        self._channels: dict[str, _Channel] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._reactions: set[tuple[str, str, str]] = set()
        self._views: dict[str, dict[str, Any]] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._handlers: dict[str, SlackHandler] = {}
        self._schedules: dict[str, FaultSchedule] = {}
        self._rates: dict[str, list[float]] = {}
        self._call_numbers: dict[str, int] = {}
        self._gates: dict[str, asyncio.Event] = {}
        self.arrived: Counter[str] = Counter()  # calls received, answered or still held
        self._ts_counter = 0
        self._view_counter = 0
        self._condition = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._builtin: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "reactions.add": self._reactions_add,
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port and start serving."""
        if self._runner is not None:
            raise RuntimeError("FakeSlackApi is already running")
        self._condition = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{key}", self._handle_response_url)
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
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._port is None:
            raise RuntimeError("FakeSlackApi is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """Web API base URL with the trailing slash slack_sdk needs (it urljoins the method)."""
        return f"{self.origin}/api/"

    def response_url(self, key: str = "default") -> str:
        """A slash-command/interactivity ``response_url`` served by this fake."""
        return f"{self.origin}/response/{key}"

    # ------------------------------------------------------------------ state

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        tz: str = "Europe/Copenhagen",
        locale: str = "en-US",
        is_bot: bool = False,
        deleted: bool = False,
    ) -> None:
        """Register (or replace) a workspace member."""
        ZoneInfo(tz)  # fail fast on a bad zone name
        self._users[user_id] = _User(
            id=user_id,
            name=name,
            real_name=real_name if real_name is not None else name.title(),
            tz=tz,
            locale=locale,
            is_bot=is_bot,
            deleted=deleted,
        )

    def add_channel(
        self,
        channel_id: str,
        name: str,
        members: Iterable[str] = (),
        *,
        bot_is_member: bool = True,
    ) -> None:
        """Register (or replace) a public channel; the bot is added to ``members`` if a member."""
        member_list = list(members)
        if bot_is_member and self.bot_user_id not in member_list:
            member_list.append(self.bot_user_id)
        if not bot_is_member and self.bot_user_id in member_list:
            member_list.remove(self.bot_user_id)
        self._channels[channel_id] = _Channel(
            id=channel_id, name=name, members=member_list, bot_is_member=bot_is_member
        )

    @staticmethod
    def dm_channel_id(user_id: str) -> str:
        """The IM channel id ``conversations.open`` answers for ``user_id``."""
        return f"D{user_id}"

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        """Messages the bot posted (and possibly updated) in ``channel``, oldest first."""
        return [dict(m) for (ch, _), m in self._messages.items() if ch == channel]

    # ------------------------------------------------------------------ recording

    def calls_to(self, method: str) -> list[SlackCall]:
        """All recorded calls of ``method`` (including failed ones), oldest first."""
        return [c for c in self.calls if c.method == method]

    def clear(self) -> None:
        """Forget recorded calls (state such as users, channels and messages is kept)."""
        self.calls.clear()

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[SlackCall]:
        """Wait until at least ``count`` calls of ``method`` were recorded; return them all."""

        def enough() -> bool:
            return len(self.calls_to(method)) >= count

        try:
            async with self._condition:
                await asyncio.wait_for(self._condition.wait_for(enough), timeout)
        except TimeoutError:
            seen: dict[str, int] = {}
            for call in self.calls:
                seen[call.method] = seen.get(call.method, 0) + 1
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} call(s) to {method!r}; "
                f"got {len(self.calls_to(method))}. Calls seen so far: {seen or 'none'}"
            ) from None
        return self.calls_to(method)

    async def _record(self, call: SlackCall) -> None:
        async with self._condition:
            self.calls.append(call)
            self._condition.notify_all()

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        error: str = "ratelimited",
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` answer ``status`` + {"ok": false, ...}."""
        queue = self._faults.setdefault(method, deque())
        for _ in range(times):
            queue.append(_Fault(status=status, retry_after=retry_after, error=error))

    def hold(self, method: str) -> asyncio.Event:
        """Calls of ``method`` wait, unanswered, until the returned event is set."""
        gate = self._gates[method] = asyncio.Event()
        return gate

    async def wait_for_arrivals(self, method: str, count: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until ``count`` calls of ``method`` have arrived, whether answered or held."""
        async with self._condition:
            await asyncio.wait_for(self._condition.wait_for(lambda: self.arrived[method] >= count), timeout)

    async def _pass_gate(self, method: str) -> None:
        async with self._condition:
            self.arrived[method] += 1
            self._condition.notify_all()
        gate = self._gates.get(method)
        if gate is not None:
            await gate.wait()

    def set_handler(self, method: str, fn: SlackHandler | None) -> None:
        """Replace ``method`` entirely by ``fn(args) -> (status, headers, body)``; None resets."""
        if fn is None:
            self._handlers.pop(method, None)
        else:
            self._handlers[method] = fn

    # ------------------------------------------------------------------ HTTP plumbing

    @staticmethod
    async def _parse_args(request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    args.update(body)
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        args[key] = value.file.read()
                    elif isinstance(value, bytes | bytearray):
                        args[key] = bytes(value)
                    else:
                        args[key] = value
            else:
                text = await request.text()
                if text:
                    args["_raw_body"] = text
        for key in _JSON_FIELDS & args.keys():
            value = args[key]
            if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
                with contextlib.suppress(json.JSONDecodeError):
                    args[key] = json.loads(value)
        return args

    def _check_auth(self, request: web.Request, args: dict[str, Any]) -> str | None:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer":
                return "invalid_auth"
        else:
            token = str(args.get("token") or "")
        if not token:
            return "not_authed"
        return None if token == self.token else "invalid_auth"

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._parse_args(request)
        await self._pass_gate(method)
        status, headers, body = self._dispatch(request, method, args)
        await self._record(
            SlackCall(
                method=method,
                args=args,
                headers=dict(request.headers),
                status=status,
                response=body,
                http_method=request.method,
            )
        )
        return web.json_response(body, status=status, headers=headers)

    def _dispatch(
        self, request: web.Request, method: str, args: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        fault = self._take_fault(method)
        if fault is not None:
            return fault
        handler = self._handlers.get(method)
        if handler is not None:
            return handler(dict(args))
        auth_error = self._check_auth(request, args)
        if auth_error is not None:
            return 200, {}, _error(auth_error)
        builtin = self._builtin.get(method)
        if builtin is None:
            return 200, {}, _error("unknown_method", req_method=method)
        return 200, {}, builtin(args)

    def schedule_faults(self, method: str, decide: FaultSchedule) -> None:
        """`decide(n)` sees the n-th call (1-based) of `method` and returns (status, retry_after, error)
        to fail it, or None to answer normally: e.g. a 429 every 150th call and a 500 on call 300."""
        self._schedules[method] = decide

    def enforce_rate(self, method: str, per_second: float, burst: int = 1) -> None:
        """Answer 429 with Retry-After, as Slack does, whenever `method` is called faster than allowed."""
        self._rates[method] = [per_second, float(burst), float(burst), time.monotonic()]

    def _rate_fault(self, method: str) -> tuple[int, dict[str, str], dict[str, Any]] | None:
        bucket = self._rates.get(method)
        if bucket is None:
            return None
        rate, burst, tokens, updated = bucket
        now = time.monotonic()
        tokens = min(burst, tokens + (now - updated) * rate)
        if tokens >= 1:
            bucket[2:] = [tokens - 1, now]
            return None
        bucket[2:] = [tokens, now]
        return 429, {"Retry-After": str(max(1, math.ceil((1 - tokens) / rate)))}, _error("ratelimited")

    def _take_fault(self, method: str) -> tuple[int, dict[str, str], dict[str, Any]] | None:
        self._call_numbers[method] = number = self._call_numbers.get(method, 0) + 1
        decide = self._schedules.get(method)
        planned = decide(number) if decide is not None else None
        if planned is not None:
            status, retry_after, error = planned
            return status, ({} if retry_after is None else {"Retry-After": str(retry_after)}), _error(error)
        limited = self._rate_fault(method)
        if limited is not None:
            return limited
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue.popleft()
        headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        return fault.status, headers, _error(fault.error)

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        args = await self._parse_args(request)
        args["key"] = key
        fault = self._take_fault("response_url")
        handler = self._handlers.get("response_url")
        if fault is not None:
            status, headers, body = fault
            text = body["error"]
        elif handler is not None:
            status, headers, body = handler(dict(args))
            text = json.dumps(body)
        else:
            status, headers, body, text = 200, {}, {"ok": True}, "ok"
        await self._record(
            SlackCall(
                method="response_url",
                args=args,
                headers=dict(request.headers),
                status=status,
                response=body,
            )
        )
        return web.Response(text=text, status=status, headers=headers, content_type="text/html")

    # ------------------------------------------------------------------ helpers

    def _next_ts(self) -> str:
        self._ts_counter += 1
        micros = self._ts_counter * 100
        return f"{1_700_000_000 + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _open_dm(self, user_id: str) -> str:
        channel_id = self.dm_channel_id(user_id)
        if channel_id not in self._channels:
            self._channels[channel_id] = _Channel(
                id=channel_id,
                name=user_id,
                members=[user_id, self.bot_user_id],
                bot_is_member=True,
                is_im=True,
                user=user_id,
            )
        return channel_id

    def _resolve_post_target(self, channel: str) -> tuple[str, str | None]:
        """Map a chat.* ``channel`` argument to ``(channel_id, None)`` or ``("", error_code)``."""
        if not channel:
            return "", "channel_not_found"
        if channel.startswith("#"):
            by_name = [c for c in self._channels.values() if c.name == channel[1:]]
            if not by_name:
                return "", "channel_not_found"
            channel = by_name[0].id
        known = self._channels.get(channel)
        if known is not None:
            if not known.is_im and not known.bot_is_member:
                return "", "not_in_channel"
            return channel, None
        user = self._users.get(channel)
        if user is not None:
            if user.deleted:
                return "", "user_disabled"
            return self._open_dm(channel), None
        if channel.startswith("D"):
            return channel, None
        return "", "channel_not_found"

    def _user_json(self, user: _User, *, include_locale: bool) -> dict[str, Any]:
        now = datetime.now(UTC).astimezone(ZoneInfo(user.tz))
        offset = now.utcoffset()
        data: dict[str, Any] = {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": now.tzname() or user.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "profile": {
                "display_name": user.name,
                "real_name": user.real_name,
                "team": self.team_id,
            },
        }
        if include_locale:
            data["locale"] = user.locale
        return data

    # ------------------------------------------------------------------ API methods

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "champbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, err = self._resolve_post_target(str(args.get("channel") or ""))
        if err is not None:
            return _error(err)
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return _error("no_text")
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": args.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata"):
            if key in args:
                message[key] = args[key]
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        self._messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": dict(message)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, err = self._resolve_post_target(str(args.get("channel") or ""))
        if err is not None:
            return _error(err)
        ts = str(args.get("ts") or "")
        message = self._messages.get((channel, ts))
        if message is None:
            return _error("message_not_found")
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                message[key] = args[key]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": dict(message),
        }

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, err = self._resolve_post_target(str(args.get("channel") or ""))
        if err is not None:
            return _error(err)
        user = str(args.get("user") or "")
        if user not in self._users:
            return _error("user_not_found")
        known = self._channels.get(channel)
        if known is not None and not known.is_im and user not in known.members:
            return _error("user_not_in_channel")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return _error("no_text")
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        message_ts = str(args.get("message_ts") or "")
        if not channel:
            return _error("channel_not_found")
        if not message_ts:
            return _error("message_not_found")
        return {
            "ok": True,
            "channel": channel,
            "permalink": (f"https://fake.slack.test/archives/{channel}/p{message_ts.replace('.', '')}"),
        }

    def _history(
        self, channel: str, args: dict[str, Any], keep: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        """Newest first, as Slack answers; metadata only with include_all_metadata."""
        if channel not in self._channels and not channel.startswith("D"):
            return _error("channel_not_found")
        include_metadata = str(args.get("include_all_metadata", "")).lower() in {"1", "true"}
        found = sorted(
            (m for (ch, _), m in self._messages.items() if ch == channel and keep(m)),
            key=lambda m: float(m["ts"]),
            reverse=True,
        )[: int(args.get("limit") or 100)]
        messages = [{k: v for k, v in m.items() if include_metadata or k != "metadata"} for m in found]
        return {"ok": True, "messages": messages, "has_more": False}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._history(
            str(args.get("channel") or ""), args, lambda m: "thread_ts" not in m or m["thread_ts"] == m["ts"]
        )

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        root = str(args.get("ts") or "")
        return self._history(
            str(args.get("channel") or ""), args, lambda m: m["ts"] == root or m.get("thread_ts") == root
        )

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        users_arg = args.get("users") or ""
        user_ids = (
            [u.strip() for u in users_arg.split(",") if u.strip()]
            if isinstance(users_arg, str)
            else [str(u) for u in users_arg]
        )
        if channel and not user_ids:
            known = self._channels.get(channel)
            if known is None or not known.is_im:
                return _error("channel_not_found")
            return {"ok": True, "channel": {"id": channel}}
        if not user_ids:
            return _error("users_list_not_supplied")
        if len(user_ids) > 8:
            return _error("too_many_users")
        for user_id in user_ids:
            user = self._users.get(user_id)
            if user is None:
                return _error("user_not_found")
            if user.deleted:
                return _error("user_disabled")
        if len(user_ids) == 1:
            channel_id = self._open_dm(user_ids[0])
        else:
            channel_id = "G" + "".join(sorted(user_ids))
            if channel_id not in self._channels:
                self._channels[channel_id] = _Channel(
                    id=channel_id,
                    name="mpdm-" + "--".join(sorted(user_ids)) + "-1",
                    members=[*sorted(user_ids), self.bot_user_id],
                    bot_is_member=True,
                )
        result: dict[str, Any] = {"ok": True, "channel": {"id": channel_id}}
        if _truthy(args.get("return_im", False)):
            result["channel"].update(self._channel_json(self._channels[channel_id]))
        return result

    def _channel_json(self, channel: _Channel) -> dict[str, Any]:
        if channel.is_im:
            return {
                "id": channel.id,
                "created": 1_700_000_000,
                "is_im": True,
                "is_channel": False,
                "is_group": False,
                "is_mpim": False,
                "is_member": True,
                "is_org_shared": False,
                "user": channel.user,
            }
        is_mpim = channel.id.startswith("G") and channel.name.startswith("mpdm-")
        return {
            "id": channel.id,
            "name": channel.name,
            "created": 1_700_000_000,
            "is_channel": not is_mpim,
            "is_group": False,
            "is_im": False,
            "is_mpim": is_mpim,
            "is_private": is_mpim,
            "is_archived": False,
            "is_general": channel.name == "general",
            "is_member": channel.bot_is_member,
            "name_normalized": channel.name,
        }

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channels.get(str(args.get("channel") or ""))
        if channel is None:
            return _error("channel_not_found")
        data = self._channel_json(channel)
        if _truthy(args.get("include_num_members", False)) and not channel.is_im:
            data["num_members"] = len(channel.members)
        return {"ok": True, "channel": data}

    def _conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channels.get(str(args.get("channel") or ""))
        if channel is None:
            return _error("channel_not_found")
        paged = _page(channel.members, args, default_limit=100)
        if isinstance(paged, str):
            return _error(paged)
        members, metadata = paged
        return {"ok": True, "members": members, "response_metadata": metadata}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(args.get("user") or ""))
        if user is None:
            return _error("user_not_found")
        include_locale = _truthy(args.get("include_locale", False))
        return {"ok": True, "user": self._user_json(user, include_locale=include_locale)}

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        paged = _page(list(self._users.values()), args, default_limit=200)
        if isinstance(paged, str):
            return _error(paged)
        users, metadata = paged
        include_locale = _truthy(args.get("include_locale", False))
        return {
            "ok": True,
            "members": [self._user_json(u, include_locale=include_locale) for u in users],
            "cache_ts": 1_700_000_000,
            "response_metadata": metadata,
        }

    def _store_view(self, view: Any, *, view_id: str | None = None) -> dict[str, Any] | None:
        if not isinstance(view, dict):
            return None
        if view_id is None:
            self._view_counter += 1
            view_id = f"V{self._view_counter:08d}"
        stored: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "callback_id": "",
            "private_metadata": "",
            "external_id": "",
            "state": {"values": {}},
            "hash": f"{1_700_000_000 + self._view_counter}.fakehash",
            "root_view_id": view_id,
            "previous_view_id": None,
            "clear_on_close": False,
            "notify_on_close": False,
            **view,
        }
        stored["id"] = view_id
        self._views[view_id] = stored
        return stored

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            return _error("invalid_arguments")
        stored = self._store_view(args.get("view"))
        if stored is None:
            return _error("invalid_arguments")
        return {"ok": True, "view": stored}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = str(args.get("view_id") or "")
        external_id = str(args.get("external_id") or "")
        if not view_id and external_id:
            view_id = next(
                (v["id"] for v in self._views.values() if v.get("external_id") == external_id),
                "",
            )
        if view_id not in self._views:
            return _error("not_found")
        stored = self._store_view(args.get("view"), view_id=view_id)
        if stored is None:
            return _error("invalid_arguments")
        return {"ok": True, "view": stored}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user_id") or "")
        if not user_id:
            return _error("invalid_arguments")
        view = args.get("view")
        if not isinstance(view, dict):
            return _error("invalid_arguments")
        stored = self._store_view({**view, "type": view.get("type", "home")})
        assert stored is not None
        return {"ok": True, "view": stored}

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        timestamp = str(args.get("timestamp") or "")
        name = str(args.get("name") or "")
        if not channel or not timestamp:
            return _error("no_item_specified")
        if not name:
            return _error("invalid_name")
        key = (channel, timestamp, name)
        if key in self._reactions:
            return _error("already_reacted")
        self._reactions.add(key)
        return {"ok": True}
