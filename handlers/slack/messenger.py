"""The Slack Messenger: the core's post/DM/update/form calls as Slack Web API calls."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Platform
from bot.messages import Form, Message, MessageRef
from bot.ports import DeliveryError, FormTrigger
from handlers.slack import render

METADATA_EVENT = "champbot_outbox"

# Errors that will not go away by trying again (Slack's documented error codes).
PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "user_not_found",
    "user_disabled",
    "account_inactive",
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "missing_scope",
    "cannot_dm_bot",
    "msg_too_long",
    "invalid_blocks",
    "message_not_found",
    "cant_update_message",
    "restricted_action",
    "no_permission",
    "expired_trigger_id",
    "invalid_trigger_id",
}


def delivery_error(error: SlackApiError) -> DeliveryError:
    response = error.response
    code = str(response.get("error", "unknown_error")) if response is not None else "unknown_error"
    status = getattr(response, "status_code", 200)
    retry_after = None
    if status == 429:
        headers = getattr(response, "headers", {}) or {}
        value = headers.get("Retry-After") or headers.get("retry-after")
        retry_after = float(value) if value else 1.0
        code = "ratelimited"
    return DeliveryError(code, permanent=code in PERMANENT, retry_after=retry_after)


class SlackMessenger:
    platform = Platform.SLACK

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def post(
        self, channel_id: str, message: Message, *, thread_id: str | None = None, key: str | None = None
    ) -> MessageRef:
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": key}} if key else None
        try:
            response = await self._client.chat_postMessage(
                channel=channel_id,
                text=render.fallback(message),
                blocks=render.blocks(message),
                thread_ts=thread_id,
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata,
            )
        except SlackApiError as error:
            raise delivery_error(error) from None
        return MessageRef(Platform.SLACK, str(response["channel"]), str(response["ts"]))

    async def dm(self, user_id: str, message: Message, *, key: str | None = None) -> MessageRef:
        """A user id as the channel posts to the bot's DM with them: one call, no conversations.open
        (a Tier 3 method that would cap a 10,000-person campaign at about 50 a minute)."""
        return await self.post(user_id, message, key=key)

    async def find_sent(
        self, kind: str, target: str, key: str, *, thread_id: str | None = None
    ) -> MessageRef | None:
        """Look for our metadata key among the bot's recent messages in that conversation."""
        try:
            channel = target
            if kind == "dm":
                opened = await self._client.conversations_open(users=target)
                channel = str(opened["channel"]["id"])
            if thread_id:
                history = await self._client.conversations_replies(
                    channel=channel, ts=thread_id, limit=100, include_all_metadata=True
                )
            else:
                history = await self._client.conversations_history(
                    channel=channel, limit=100, include_all_metadata=True
                )
        except SlackApiError as error:
            raise delivery_error(error) from None
        messages: list[dict[str, Any]] = history.get("messages") or []
        for item in messages:
            payload = (item.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == key:
                return MessageRef(Platform.SLACK, channel, str(item["ts"]))
        return None

    async def update(self, ref: MessageRef, message: Message) -> None:
        try:
            await self._client.chat_update(
                channel=ref.channel_id,
                ts=ref.message_id,
                text=render.fallback(message),
                blocks=render.blocks(message),
            )
        except SlackApiError as error:
            raise delivery_error(error) from None

    async def open_form(self, trigger: FormTrigger, form: Form) -> None:
        if not trigger.trigger_id:
            raise DeliveryError("no_trigger_id", permanent=True)
        try:
            await self._client.views_open(trigger_id=trigger.trigger_id, view=render.modal(form))
        except SlackApiError as error:
            raise delivery_error(error) from None

    async def permalink(self, ref: MessageRef) -> str | None:
        try:
            response = await self._client.chat_getPermalink(channel=ref.channel_id, message_ts=ref.message_id)
        except SlackApiError as error:
            raise delivery_error(error) from None
        link = response.get("permalink")
        return str(link) if link else None
