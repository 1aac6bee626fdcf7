"""The Slack Messenger: the core's post/DM/update/form calls as Slack Web API calls."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Platform
from bot.messages import Form, Message, MessageRef
from bot.ports import DeliveryError, FormTrigger, Member
from handlers.slack import render

METADATA_EVENT = "champbot_outbox"
PAGE_SIZE = 500  # per conversations.members / users.list page: 2,000 people in four calls
DIRECTORY_TTL_SECONDS = 600.0  # a campaign's audience and its time zones come from one bulk read
RATE_LIMIT_RETRIES = 5

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
        self._directory: tuple[float, list[Member]] | None = None
        self._bot_user_id: str | None = None

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

    async def members(self, channel_id: str) -> list[str]:
        """conversations.members, page by page (the client keeps to its Tier 4 pace)."""
        pages = await self._pages(
            lambda cursor: self._client.conversations_members(
                channel=channel_id, limit=PAGE_SIZE, cursor=cursor
            )
        )
        me = await self._me()
        return [str(member) for page in pages for member in page.get("members") or [] if member != me]

    async def _me(self) -> str:
        """The bot's own user id (auth.test, once): it is a member of every channel it reads."""
        if self._bot_user_id is None:
            try:
                response = await self._client.auth_test()
            except SlackApiError as error:
                raise delivery_error(error) from None
            self._bot_user_id = str(response.get("user_id") or "")
        return self._bot_user_id

    async def directory(self) -> list[Member]:
        """users.list in bulk (Tier 2), kept for a few minutes: one read serves a whole campaign,
        never one users.info per person."""
        if self._directory and time.monotonic() - self._directory[0] < DIRECTORY_TTL_SECONDS:
            return self._directory[1]
        pages = await self._pages(
            lambda cursor: self._client.users_list(limit=PAGE_SIZE, cursor=cursor, include_locale=True)
        )
        people = [
            Member(
                user_id=str(user["id"]),
                is_bot=bool(user.get("is_bot")) or str(user["id"]) == "USLACKBOT",
                active=not user.get("deleted"),
                timezone=user.get("tz") or None,
                locale=user.get("locale") or None,
            )
            for page in pages
            for user in page.get("members") or []
        ]
        self._directory = (time.monotonic(), people)
        return people

    async def _pages(self, call: Callable[[str | None], Awaitable[Any]]) -> list[dict[str, Any]]:
        """Follow Slack's cursors to the end; a 429 is waited out (Retry-After) and asked again."""
        pages: list[dict[str, Any]] = []
        cursor: str | None = None
        retries = 0
        while True:
            try:
                response = await call(cursor)
            except SlackApiError as error:
                failure = delivery_error(error)
                if failure.retry_after is None or retries >= RATE_LIMIT_RETRIES:
                    raise failure from None
                retries += 1
                await asyncio.sleep(failure.retry_after)
                continue
            pages.append(response.data if hasattr(response, "data") else dict(response))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return pages

    async def permalink(self, ref: MessageRef) -> str | None:
        try:
            response = await self._client.chat_getPermalink(channel=ref.channel_id, message_ts=ref.message_id)
        except SlackApiError as error:
            raise delivery_error(error) from None
        link = response.get("permalink")
        return str(link) if link else None
