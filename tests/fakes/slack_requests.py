"""Builders for signed Slack requests (slash commands, events, interactivity) as Slack sends them."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

VERIFICATION_TOKEN = "fake-verification-token"
"""The deprecated ``token`` field Slack still includes in payloads."""

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_ts_counter = itertools.count(1)
_event_counter = itertools.count(1)


def _next_ts() -> str:
    micros = next(_ts_counter) * 100
    return f"{1_710_000_000 + micros // 1_000_000}.{micros % 1_000_000:06d}"


def _now() -> int:
    return int(time.time())


def retry_headers(attempt: int) -> dict[str, str]:
    """What Slack adds when it sends an event again (attempt 0 is the first delivery)."""
    return {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"} if attempt else {}


def sign(body: str, *, secret: str, timestamp: int) -> dict[str, str]:
    """Slack v0 request-signing headers for ``body`` sent at ``timestamp``."""
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def _rich_text_blocks(text: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "rich_text",
            "block_id": uuid.uuid5(uuid.NAMESPACE_OID, text).hex[:5],
            "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
        }
    ]


# ---------------------------------------------------------------------- slash commands


def slash_command_body(
    text: str,
    *,
    response_url: str,
    user_id: str = "U1",
    user_name: str = "ana",
    channel_id: str = "C0GENERAL",
    channel_name: str = "general",
    team_id: str = "T0001",
    team_domain: str = "fake",
    command: str = "/champ",
    trigger_id: str = "1337.42.abcd",
    api_app_id: str = "A0001",
) -> str:
    """Form-encoded slash-command body with exactly the fields Slack sends."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return urlencode(fields)


# ---------------------------------------------------------------------- Events API


def event_body(
    event: dict[str, Any],
    *,
    team_id: str = "T0001",
    api_app_id: str = "A0001",
    event_id: str | None = None,
    event_time: int | None = None,
    bot_user_id: str = "UBOT",
) -> str:
    """JSON ``event_callback`` envelope around ``event`` (an inner event dict)."""
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_counter):08d}",
        "event_time": event_time if event_time is not None else _now(),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-fake-{team_id}",
    }
    return json.dumps(envelope)


def url_verification_body(challenge: str = "fake-challenge") -> str:
    """The JSON body Slack posts when the Events request URL is configured."""
    return json.dumps({"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"})


def message_im_event(
    text: str,
    *,
    user: str = "U1",
    channel: str = "D0001",
    ts: str | None = None,
    team: str = "T0001",
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """A ``message`` event in a DM with the bot (subscribed as ``message.im``)."""
    ts = ts or _next_ts()
    event: dict[str, Any] = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "blocks": _rich_text_blocks(text),
        "team": team,
        "channel": channel,
        "event_ts": ts,
        "channel_type": "im",
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def app_mention_event(
    text: str,
    *,
    user: str = "U1",
    channel: str = "C0GENERAL",
    ts: str | None = None,
    team: str = "T0001",
    bot_user_id: str = "UBOT",
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """An ``app_mention`` event; ``<@UBOT> `` is prefixed unless ``text`` already mentions the bot."""
    ts = ts or _next_ts()
    mention = f"<@{bot_user_id}>"
    full_text = text if mention in text else f"{mention} {text}"
    event: dict[str, Any] = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "app_mention",
        "text": full_text,
        "user": user,
        "ts": ts,
        "blocks": _rich_text_blocks(full_text),
        "team": team,
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def member_joined_channel_event(
    user: str,
    channel: str,
    *,
    channel_type: str = "C",
    team: str = "T0001",
    inviter: str | None = None,
) -> dict[str, Any]:
    """A ``member_joined_channel`` event."""
    event: dict[str, Any] = {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel,
        "channel_type": channel_type,
        "team": team,
        "event_ts": _next_ts(),
    }
    if inviter is not None:
        event["inviter"] = inviter
    return event


def app_home_opened_event(
    user: str,
    *,
    channel: str = "D0001",
    tab: str = "home",
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An ``app_home_opened`` event (``view`` is only present once a Home view was published)."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": tab,
        "event_ts": _next_ts(),
    }
    if view is not None:
        event["view"] = view
    return event


# ---------------------------------------------------------------------- interactivity


def _payload_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def _user(user_id: str, user_name: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def block_actions_body(
    action_id: str,
    value: str,
    *,
    response_url: str,
    user_id: str = "U1",
    user_name: str = "ana",
    channel_id: str = "C0GENERAL",
    channel_name: str | None = None,
    message_ts: str | None = None,
    trigger_id: str = "1337.42.abcd",
    block_id: str = "actions",
    team_id: str = "T0001",
    api_app_id: str = "A0001",
    bot_user_id: str = "UBOT",
    message: dict[str, Any] | None = None,
    state_values: dict[str, Any] | None = None,
) -> str:
    """Form body ``payload=<json>`` for a button click on a message the bot posted."""
    message_ts = message_ts or _next_ts()
    if channel_name is None:
        channel_name = "directmessage" if channel_id.startswith("D") else "general"
    action_ts = _next_ts()
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": "fake"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "message": message
        or {
            "type": "message",
            "user": bot_user_id,
            "ts": message_ts,
            "bot_id": "B0001",
            "app_id": api_app_id,
            "text": "",
            "team": team_id,
            "blocks": [],
        },
        "state": {"values": state_values or {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": value, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": action_ts,
            }
        ],
    }
    return _payload_body(payload)


def view_submission_body(
    callback_id: str,
    values: dict[str, Any],
    *,
    user_id: str = "U1",
    user_name: str = "ana",
    private_metadata: str = "",
    view_id: str = "V00000001",
    team_id: str = "T0001",
    api_app_id: str = "A0001",
    trigger_id: str = "1337.42.abcd",
) -> str:
    """Form body ``payload=<json>`` for a modal submission.

    ``values`` is ``view.state.values``: ``{block_id: {action_id: {"type": ..., "value": ...}}}``.
    """
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "fake"},
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": values},
            "hash": "1700000000.fakehash",
            "title": {"type": "plain_text", "text": "champbot", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": api_app_id,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": "B0001",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _payload_body(payload)


def plain_text_value(value: str) -> dict[str, str]:
    """One ``view.state.values[block][action]`` entry for a plain_text_input."""
    return {"type": "plain_text_input", "value": value}


# ---------------------------------------------------------------------- factory


class SlackRequestFactory:
    """Signs bodies with one signing secret and a (replaceable) clock."""

    def __init__(self, secret: str, clock: Callable[[], int] = _now) -> None:
        self.secret = secret
        self.clock = clock

    def headers_for(self, body: str, content_type: str = "form") -> dict[str, str]:
        """Content-Type + signature headers; ``content_type`` is "form", "json" or a MIME type."""
        mime = {"form": FORM, "json": JSON}.get(content_type, content_type)
        return {"Content-Type": mime, **sign(body, secret=self.secret, timestamp=self.clock())}
