"""Bolt listeners: Slack payloads in, neutral events to the core, Block Kit back out.

Every listener acks first and works after: with `process_before_response=False` Bolt answers
Slack the moment `ack()` is called and lets the listener run on, so Slack's 3-second deadline never
depends on the database or the Web API. (Bolt's lazy listeners would do the same but deep-copy each
request first; in a long-running server that copy was a quarter of the CPU per request.)
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import ConfigError, Settings
from bot.core import Core
from bot.domain import Actor, Conversation, Platform
from bot.events import ButtonPress, CommandEvent, FormSubmission, MemberJoined, Origin, ThreadReply
from bot.messages import Message, Reply
from handlers.slack import render
from handlers.slack.profiles import ProfileCache
from handlers.slack.tiers import TieredWebClient

log = logging.getLogger(__name__)

ANY = re.compile(".*")
REPLY_SUBTYPES = {None, "thread_broadcast", "file_share"}  # a reply, also sent to the channel, or with a file
ASK_SHORTCUT = "ask.shortcut"  # the callback id of the "Ask anonymously" shortcut in the manifest


# The Slack SDKs log every request and response body at DEBUG. A receipt is a DM to the asker
# naming their question, so one such line would tie a person to an anonymous question: these
# loggers never go below INFO, whatever CHAMPBOT_LOG_LEVEL says.
PAYLOAD_LOGGERS = ("slack_sdk", "slack_bolt")


def keep_payloads_out_of_logs() -> None:
    for name in PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.INFO, logger.level))


def web_client(settings: Settings, *, retry_on_429: bool) -> AsyncWebClient:
    """The interactive client waits out a 429 (Retry-After) and tries again, so a burst of lookups
    never fails a person's command; the outbox's client does not, because its own limiter must
    see every 429 to slow the whole fan-out down."""
    keep_payloads_out_of_logs()
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = TieredWebClient(token=token, base_url=settings.slack_api_url)
    if retry_on_429:
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


class SlackEdge:
    """Owns the Bolt app; translates each Slack payload into one neutral event."""

    def __init__(self, settings: Settings, core: Core, client: AsyncWebClient) -> None:
        self._core = core
        self._client = client
        self._profiles = ProfileCache(client)
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
        self.app = AsyncApp(
            client=client,
            signing_secret=secret,
            # Socket Mode needs no signing secret; Bolt skips verification only when we say so.
            request_verification_enabled=secret is not None,
            process_before_response=False,
            logger=logging.getLogger("slack_bolt"),
        )
        self._register()

    def _register(self) -> None:
        app = self.app
        app.command("/champ")(self._on_command)
        app.event("message")(self._on_direct_message)
        app.event("app_mention")(self._on_mention)
        app.event("member_joined_channel")(self._on_member_joined)
        app.event("app_home_opened")(self._on_home_opened)
        app.event("team_join")(_ack)
        app.action(ANY)(self._on_action)
        app.view_submission(ANY)(self._on_view_submission)
        app.view_closed(ANY)(_ack)
        app.shortcut(ASK_SHORTCUT)(self._on_ask_shortcut)

    async def _first_time(self, body: dict[str, Any]) -> bool:
        """Slack retries an event it thinks we missed (X-Slack-Retry-Num). Events are acked before
        this check (Bolt acks them itself), so the retry gets its 200 at once and only the work is
        skipped; the database write never stands between Slack and its acknowledgement."""
        event_id = body.get("event_id")
        if event_id and not await self._core.first_delivery(Platform.SLACK, str(event_id)):
            self._core.metrics.inbound.labels("slack", "duplicate").inc()
            return False
        return True

    def socket_mode_handler(self, app_token: str) -> AsyncSocketModeHandler:
        return AsyncSocketModeHandler(self.app, app_token)

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp view for POST /slack/events: one converter in, one out."""
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, UnicodeDecodeError):  # Bolt parses before verifying; a broken body is a 400
            return web.json_response({"error": "body is not a Slack payload"}, status=400)
        bolt_response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def _origin(
        self,
        user_id: str,
        channel_id: str,
        *,
        fallback_name: str = "",
        channel_name: str = "",
        thread_id: str | None = None,
        trigger_id: str | None = None,
    ) -> Origin:
        profile = await self._profiles.get(user_id, fallback_name)
        actor = Actor(Platform.SLACK, user_id, profile.name, profile.locale, profile.timezone)
        is_direct = channel_id.startswith("D") or channel_name == "directmessage"
        conversation = Conversation(
            Platform.SLACK, channel_id, is_direct, "" if is_direct else channel_name, thread_id
        )
        return Origin(actor, conversation, trigger_id=trigger_id)

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        origin = await self._origin(
            body["user_id"],
            body["channel_id"],
            fallback_name=body.get("user_name", ""),
            channel_name=body.get("channel_name", ""),
            trigger_id=body.get("trigger_id"),
        )
        reply = await self._core.handle_command(CommandEvent(origin, body.get("text", "")))
        await _respond(respond, reply)

    async def _on_direct_message(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        if event.get("channel_type") in {"channel", "group"}:
            await self._on_thread_reply(body, event, context)
            return
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        if event.get("user") == context.bot_user_id or not await self._first_time(body):
            return
        origin = await self._origin(event["user"], event["channel"])
        text = _strip_bot_mention(event.get("text", ""), context.bot_user_id)
        reply = await self._core.handle_command(CommandEvent(origin, text))
        await self._say(reply, origin, thread_id=event.get("thread_ts"))

    async def _on_thread_reply(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """A person's reply in a channel thread (message.channels / message.groups): maybe an answer."""
        thread = event.get("thread_ts")
        if not thread or thread == event.get("ts") or event.get("bot_id"):
            return
        if event.get("subtype") not in REPLY_SUBTYPES:  # edits, deletions, joins …
            return
        if not event.get("user") or event.get("user") == context.bot_user_id:
            return
        if context.bot_user_id and f"<@{context.bot_user_id}" in event.get("text", ""):
            return  # a reply that mentions the bot arrives as app_mention too, and is handled there
        if not await self._first_time(body):
            return
        origin = await self._origin(event["user"], event["channel"], thread_id=str(thread))
        await self._core.handle_thread_reply(ThreadReply(origin, event.get("text", ""), event.get("ts")))

    async def _on_ask_shortcut(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        """The "Ask anonymously" shortcut opens the question form; the message it was used on is not read."""
        channel = (body.get("channel") or {}).get("id", "")
        origin = await self._origin(body["user"]["id"], channel, trigger_id=body.get("trigger_id"))
        reply = await self._core.handle_button(ButtonPress(origin, ASK_SHORTCUT))
        if reply is not None:
            await self._core.messengers.get(Platform.SLACK).dm(origin.actor.user_id, reply.message)

    async def _on_mention(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        if not await self._first_time(body):
            return
        thread = event.get("thread_ts") or event.get("ts")
        origin = await self._origin(event["user"], event["channel"], thread_id=thread)
        text = _strip_bot_mention(event.get("text", ""), context.bot_user_id)
        in_reply = event.get("thread_ts") not in (None, event.get("ts"))
        if in_reply and await self._core.handle_thread_reply(ThreadReply(origin, text, event.get("ts"))):
            return  # a champion's answer under a question that happened to mention the bot
        reply = await self._core.handle_command(CommandEvent(origin, text))
        await self._say(reply, origin, thread_id=thread)

    async def _on_member_joined(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        if not await self._first_time(body):
            return
        is_bot = event.get("user") == context.bot_user_id
        origin = await self._origin(event["user"], event["channel"])
        await self._core.handle_member_joined(MemberJoined(origin, is_bot=is_bot))

    async def _on_home_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home" or not await self._first_time(body):
            return
        origin = await self._origin(event["user"], event.get("channel", ""))
        home = await self._core.home(origin)
        try:
            await self._client.views_publish(
                user_id=event["user"], view={"type": "home", "blocks": render.blocks(home)}
            )
        except SlackApiError as error:
            log.warning("views.publish failed: %s", error.response.get("error"))

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        action = body["actions"][0]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
        origin = await self._origin(body["user"]["id"], channel, trigger_id=body.get("trigger_id"))
        message_id = (body.get("message") or {}).get("ts")
        press = ButtonPress(origin, action.get("action_id", ""), action.get("value", ""), message_id)
        reply = await self._core.handle_button(press)
        if reply is not None:
            await _respond(respond, reply, replace_original=reply.replace)

    async def _on_view_submission(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        view = body["view"]
        origin = await self._origin(body["user"]["id"], "", trigger_id=body.get("trigger_id"))
        submission = FormSubmission(
            origin,
            view.get("callback_id", ""),
            render.form_values(view.get("state", {})),
            view.get("private_metadata", ""),
        )
        reply = await self._core.handle_form(submission)
        if reply is not None:
            await self._core.messengers.get(Platform.SLACK).dm(origin.actor.user_id, reply.message)

    async def _say(self, reply: Reply, origin: Origin, *, thread_id: str | None) -> None:
        conversation = origin.conversation
        message = reply.message
        try:
            if reply.private and not conversation.is_direct:
                await self._client.chat_postEphemeral(
                    channel=conversation.conversation_id,
                    user=origin.actor.user_id,
                    text=render.fallback(message),
                    blocks=render.blocks(message),
                    thread_ts=thread_id,
                )
            else:
                await self._client.chat_postMessage(
                    channel=conversation.conversation_id,
                    text=render.fallback(message),
                    blocks=render.blocks(message),
                    thread_ts=thread_id if not conversation.is_direct else None,
                )
        except SlackApiError as error:
            log.warning("reply not delivered: %s", error.response.get("error"))


async def connect_socket_mode(handler: AsyncSocketModeHandler) -> None:
    """Dial out to Slack. The SDK retries a refused token forever, so ask once first and stop
    start-up with one clear line when Slack says no."""
    client = handler.client
    try:
        await client.web_client.apps_connections_open(app_token=client.app_token)
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else str(error)
        raise ConfigError(f"SLACK_APP_TOKEN: Slack refused the Socket Mode connection ({code})") from None
    await handler.connect_async()


async def _ack(ack: AsyncAck) -> None:
    await ack()


async def _respond(respond: AsyncRespond, reply: Reply, **extra: Any) -> None:
    message: Message = reply.message
    await respond(
        text=render.fallback(message),
        blocks=render.blocks(message),
        response_type="ephemeral" if reply.private else "in_channel",
        **extra,
    )


def _strip_bot_mention(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    return text.strip()
