"""Bot Framework Activity JSON dicts shaped exactly like the ones Microsoft Teams sends."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_TEAM_ID = "19:team0001@thread.tacv2"
DEFAULT_CHANNEL_ID = "19:general0001@thread.tacv2"

_id_counter = itertools.count(1)


def _next_activity_id() -> str:
    # Teams message ids are epoch milliseconds.
    return str(1_700_000_000_000 + next(_id_counter))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def default_aad_object_id(user_id: str) -> str:
    """A stable fake AAD object id (GUID) derived from a Teams user id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"aad:{user_id}"))


def mention_entity(user_id: str, name: str) -> dict[str, Any]:
    """The entity Teams adds for an ``<at>Name</at>`` mention in the text."""
    return {
        "type": "mention",
        "text": f"<at>{name}</at>",
        "mentioned": {"id": user_id, "name": name},
    }


def _client_info(locale: str, local_timezone: str) -> dict[str, Any]:
    return {
        "type": "clientInfo",
        "locale": locale,
        "country": locale.rpartition("-")[2] or "US",
        "platform": "Web",
        "timezone": local_timezone,
    }


def _base(
    activity_type: str,
    *,
    service_url: str,
    user_id: str,
    user_name: str,
    aad_object_id: str | None,
    conversation: dict[str, Any],
    tenant_id: str,
    bot_id: str,
    bot_name: str,
    locale: str,
    local_timezone: str,
    activity_id: str | None,
    timestamp: datetime | None,
) -> dict[str, Any]:
    now = timestamp or datetime.now(UTC)
    local = now.astimezone(ZoneInfo(local_timezone))
    return {
        "type": activity_type,
        "id": activity_id or _next_activity_id(),
        "timestamp": _iso(now.astimezone(UTC)).removesuffix("+00:00") + "Z",
        "localTimestamp": _iso(local),
        "localTimezone": local_timezone,
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {
            "id": user_id,
            "name": user_name,
            "aadObjectId": aad_object_id or default_aad_object_id(user_id),
        },
        "conversation": conversation,
        "recipient": {"id": bot_id, "name": bot_name},
        "entities": [_client_info(locale, local_timezone)],
        "channelData": {"tenant": {"id": tenant_id}},
        "locale": locale,
    }


def _personal_conversation(conversation_id: str, conversation_type: str, tenant_id: str) -> dict[str, Any]:
    conversation: dict[str, Any] = {
        "conversationType": conversation_type,
        "tenantId": tenant_id,
        "id": conversation_id,
    }
    if conversation_type != "personal":
        conversation["isGroup"] = True
    return conversation


def _with_text(
    activity: dict[str, Any],
    text: str,
    *,
    mentions_bot: bool,
    bot_id: str,
    bot_name: str,
    mentions: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    if mentions_bot:
        text = f"<at>{bot_name}</at> {text}"
    entities = [*([mention_entity(bot_id, bot_name)] if mentions_bot else []), *mentions]
    activity["entities"] = [*entities, *activity["entities"]]
    activity["text"] = text
    activity["textFormat"] = "plain"
    activity["attachments"] = [{"contentType": "text/html", "content": f"<p>{text}</p>"}]
    return activity


def message_activity(
    text: str,
    *,
    service_url: str,
    user_id: str = "29:1ana",
    user_name: str = "Ana",
    aad_object_id: str | None = None,
    conversation_id: str = "a:1personal",
    conversation_type: str = "personal",
    tenant_id: str = "tenant-1",
    locale: str = "en-US",
    local_timezone: str = "Europe/Copenhagen",
    activity_id: str | None = None,
    mentions_bot: bool = False,
    bot_id: str = "28:bot",
    bot_name: str = "champbot",
    value: dict[str, Any] | None = None,
    mentions: Sequence[dict[str, Any]] = (),
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """A ``message`` activity in a personal (1:1) or group chat with the bot."""
    activity = _base(
        "message",
        service_url=service_url,
        user_id=user_id,
        user_name=user_name,
        aad_object_id=aad_object_id,
        conversation=_personal_conversation(conversation_id, conversation_type, tenant_id),
        tenant_id=tenant_id,
        bot_id=bot_id,
        bot_name=bot_name,
        locale=locale,
        local_timezone=local_timezone,
        activity_id=activity_id,
        timestamp=timestamp,
    )
    _with_text(activity, text, mentions_bot=mentions_bot, bot_id=bot_id, bot_name=bot_name, mentions=mentions)
    if value is not None:
        activity["value"] = value
    return activity


def channel_message_activity(
    text: str,
    *,
    service_url: str,
    team_id: str = DEFAULT_TEAM_ID,
    team_name: str = "Champions",
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = "General",
    thread_id: str | None = None,
    user_id: str = "29:1ana",
    user_name: str = "Ana",
    aad_object_id: str | None = None,
    tenant_id: str = "tenant-1",
    locale: str = "en-US",
    local_timezone: str = "Europe/Copenhagen",
    activity_id: str | None = None,
    mentions_bot: bool = True,
    bot_id: str = "28:bot",
    bot_name: str = "champbot",
    mentions: Sequence[dict[str, Any]] = (),
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """A ``message`` in a team channel (Teams only delivers these when the bot is @mentioned).

    The conversation id is ``{channel_id};messageid={thread root id}``; a new post is its own root.
    """
    activity_id = activity_id or _next_activity_id()
    root = thread_id or activity_id
    conversation = {
        "isGroup": True,
        "conversationType": "channel",
        "tenantId": tenant_id,
        "id": f"{channel_id};messageid={root}",
    }
    activity = _base(
        "message",
        service_url=service_url,
        user_id=user_id,
        user_name=user_name,
        aad_object_id=aad_object_id,
        conversation=conversation,
        tenant_id=tenant_id,
        bot_id=bot_id,
        bot_name=bot_name,
        locale=locale,
        local_timezone=local_timezone,
        activity_id=activity_id,
        timestamp=timestamp,
    )
    _with_text(activity, text, mentions_bot=mentions_bot, bot_id=bot_id, bot_name=bot_name, mentions=mentions)
    if thread_id is not None:
        activity["replyToId"] = thread_id
    activity["channelData"] = {
        "teamsChannelId": channel_id,
        "teamsTeamId": team_id,
        "channel": {"id": channel_id, "name": channel_name},
        "team": {"id": team_id, "name": team_name, "aadGroupId": default_aad_object_id(team_id)},
        "tenant": {"id": tenant_id},
    }
    return activity


def conversation_update_activity(
    members_added: list[dict[str, Any]],
    *,
    service_url: str,
    members_removed: list[dict[str, Any]] | None = None,
    conversation_type: str = "personal",
    conversation_id: str | None = None,
    user_id: str = "29:1ana",
    user_name: str = "Ana",
    aad_object_id: str | None = None,
    tenant_id: str = "tenant-1",
    team_id: str = DEFAULT_TEAM_ID,
    team_name: str = "Champions",
    bot_id: str = "28:bot",
    bot_name: str = "champbot",
    locale: str = "en-US",
    local_timezone: str = "Europe/Copenhagen",
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """A ``conversationUpdate``; the bot was installed when ``members_added`` holds ``bot_id``.

    For ``conversation_type="channel"`` it is a team event (channelData.eventType teamMember*).
    """
    if conversation_id is None:
        conversation_id = team_id if conversation_type == "channel" else "a:1personal"
    activity = _base(
        "conversationUpdate",
        service_url=service_url,
        user_id=user_id,
        user_name=user_name,
        aad_object_id=aad_object_id,
        conversation=_personal_conversation(conversation_id, conversation_type, tenant_id),
        tenant_id=tenant_id,
        bot_id=bot_id,
        bot_name=bot_name,
        locale=locale,
        local_timezone=local_timezone,
        activity_id=f"f:{uuid.uuid4()}",
        timestamp=timestamp,
    )
    del activity["entities"], activity["localTimestamp"], activity["localTimezone"]
    del activity["locale"]
    del activity["from"]["name"]
    if members_added:
        activity["membersAdded"] = members_added
    if members_removed:
        activity["membersRemoved"] = members_removed
    if conversation_type == "channel":
        event_type = "teamMemberAdded" if members_added else "teamMemberRemoved"
        activity["channelData"] = {
            "team": {"id": team_id, "name": team_name, "aadGroupId": default_aad_object_id(team_id)},
            "eventType": event_type,
            "tenant": {"id": tenant_id},
        }
    return activity


def installation_update_activity(
    *,
    service_url: str,
    action: str = "add",
    conversation_id: str = "a:1personal",
    conversation_type: str = "personal",
    user_id: str = "29:1ana",
    user_name: str = "Ana",
    tenant_id: str = "tenant-1",
    bot_id: str = "28:bot",
    bot_name: str = "champbot",
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """The ``installationUpdate`` Teams sends alongside conversationUpdate (action add/remove)."""
    activity = _base(
        "installationUpdate",
        service_url=service_url,
        user_id=user_id,
        user_name=user_name,
        aad_object_id=None,
        conversation=_personal_conversation(conversation_id, conversation_type, tenant_id),
        tenant_id=tenant_id,
        bot_id=bot_id,
        bot_name=bot_name,
        locale="en-US",
        local_timezone="UTC",
        activity_id=f"f:{uuid.uuid4()}",
        timestamp=timestamp,
    )
    del activity["entities"], activity["localTimestamp"], activity["localTimezone"]
    activity["action"] = action
    if action == "add":
        activity["channelData"]["source"] = {"name": "message"}
    return activity


def card_action_activity(
    value: dict[str, Any],
    *,
    service_url: str,
    reply_to_id: str | None = None,
    user_id: str = "29:1ana",
    user_name: str = "Ana",
    aad_object_id: str | None = None,
    conversation_id: str = "a:1personal",
    conversation_type: str = "personal",
    tenant_id: str = "tenant-1",
    locale: str = "en-US",
    local_timezone: str = "Europe/Copenhagen",
    bot_id: str = "28:bot",
    bot_name: str = "champbot",
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """The ``message`` an Adaptive Card ``Action.Submit`` produces: ``value`` set, no text."""
    reply_to_id = reply_to_id or _next_activity_id()
    activity = _base(
        "message",
        service_url=service_url,
        user_id=user_id,
        user_name=user_name,
        aad_object_id=aad_object_id,
        conversation=_personal_conversation(conversation_id, conversation_type, tenant_id),
        tenant_id=tenant_id,
        bot_id=bot_id,
        bot_name=bot_name,
        locale=locale,
        local_timezone=local_timezone,
        activity_id=None,
        timestamp=timestamp,
    )
    activity["replyToId"] = reply_to_id
    activity["value"] = value
    activity["channelData"] = {
        "source": {"name": "message"},
        "legacy": {"replyToId": reply_to_id},
        "tenant": {"id": tenant_id},
    }
    return activity


def invoke_activity(
    name: str,
    value: Any,
    *,
    service_url: str,
    reply_to_id: str | None = None,
    user_id: str = "29:1ana",
    user_name: str = "Ana",
    aad_object_id: str | None = None,
    conversation_id: str = "a:1personal",
    conversation_type: str = "personal",
    tenant_id: str = "tenant-1",
    locale: str = "en-US",
    local_timezone: str = "Europe/Copenhagen",
    bot_id: str = "28:bot",
    bot_name: str = "champbot",
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """An ``invoke`` activity, e.g. name="adaptiveCard/action" (Action.Execute) or "task/fetch"."""
    activity = _base(
        "invoke",
        service_url=service_url,
        user_id=user_id,
        user_name=user_name,
        aad_object_id=aad_object_id,
        conversation=_personal_conversation(conversation_id, conversation_type, tenant_id),
        tenant_id=tenant_id,
        bot_id=bot_id,
        bot_name=bot_name,
        locale=locale,
        local_timezone=local_timezone,
        activity_id=f"f:{uuid.uuid4()}",
        timestamp=timestamp,
    )
    activity["name"] = name
    activity["value"] = value
    if reply_to_id is not None:
        activity["replyToId"] = reply_to_id
    activity["channelData"]["source"] = {"name": "message"}
    return activity


def adaptive_card_action_value(verb: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """``value`` of an ``adaptiveCard/action`` invoke for an ``Action.Execute`` with ``verb``."""
    return {
        "action": {"type": "Action.Execute", "verb": verb, "data": data or {}},
        "trigger": "manual",
    }
