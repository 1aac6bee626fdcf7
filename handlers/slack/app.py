"""Bolt listeners: Slack payloads in, neutral events to the core, Block Kit back out.

Each request is verified once and dispatched through Bolt once. Every listener acknowledges
(`await ack()`, or Bolt's own acknowledgement of an event) and hands its work to the core's
bounded work lane, then returns; with `process_before_response=True` Bolt answers Slack as soon
as the listener returns, so Slack's 3-second deadline never depends on the database or the Web
API, and a burst of requests waits on the lane's semaphore, not in front of the next
acknowledgement. The work runs on what was verified at arrival: however long it waits in the
lane, nothing checks Slack's 5-minute timestamp window again.

Why not Bolt's lazy listeners: they deep-copy every request (a quarter of a request's CPU in a
long-running server), and their work would not go through the bounded lane.

What becomes of the work is counted in `champbot_inbound_requests_total{platform="slack"}`:
a request nothing listens to is acknowledged 200 (so Slack does not retry it) and counted as
"unhandled"; work that raises is logged and counted as "failed"; an event Slack sent again is
"duplicate".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Coroutine, Sequence
from typing import Any, cast

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.config import ConfigError, Settings
from bot.core import Core
from bot.domain import Actor, Conversation, Platform
from bot.events import (
    AlreadyHandled,
    ButtonPress,
    CommandEvent,
    Delivery,
    FormSubmission,
    MemberJoined,
    Origin,
    ThreadReply,
)
from bot.messages import Message, Reply
from handlers.slack import render
from handlers.slack.profiles import ProfileCache
from handlers.slack.tiers import TieredWebClient
from handlers.web import OUTCOME

log = logging.getLogger(__name__)

ANY = re.compile(".*")
Work = Coroutine[Any, Any, object]
REPLY_SUBTYPES = {None, "thread_broadcast", "file_share"}  # a reply, also sent to the channel, or with a file
TIMESTAMP = "X-Slack-Request-Timestamp"
ASK_SHORTCUT = "ask.shortcut"  # the callback id of the "Ask anonymously" shortcut in the manifest
UNHANDLED = "unhandled"  # a verified request no listener takes
CONTEXT_OUTCOME = "champbot_outcome"  # where `_on_error` leaves that outcome for `handle`


# The Slack SDKs log every request and response body at DEBUG. A receipt is a DM to the asker
# naming their question, so one such line would tie a person to an anonymous question: these
# loggers never go below INFO, whatever CHAMPBOT_LOG_LEVEL says.
PAYLOAD_LOGGERS = ("slack_sdk", "slack_bolt")


def keep_payloads_out_of_logs() -> None:
    for name in PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.INFO, logger.level))


class _ClientWins(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns, on every start,
    that the client we pass wins over it; that is what we want, so the warning is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_CLIENT_WINS = _ClientWins()


def web_client(settings: Settings, session: aiohttp.ClientSession, *, retry_on_429: bool) -> AsyncWebClient:
    """The interactive client waits out a 429 (Retry-After) and tries again, so a burst of lookups
    never fails a person's command; the outbox's client does not, because its own limiter must
    see every 429 to slow the whole fan-out down. Both share one `session`: without it the SDK
    opens a new connection pool, and a new TCP connection, for every call."""
    keep_payloads_out_of_logs()
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = TieredWebClient(token=token, base_url=settings.slack_api_url, session=session)
    if retry_on_429:
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


class SlackEdge:
    """Owns the Bolt app; translates each Slack payload into one neutral event."""

    def __init__(self, settings: Settings, core: Core, client: AsyncWebClient) -> None:
        self._core = core
        self._lane = core.lane
        self._client = client
        self._profiles = ProfileCache(client)
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
        self._verifies = secret is not None
        bolt_logger = logging.getLogger("slack_bolt")
        bolt_logger.addFilter(_CLIENT_WINS)  # adding the same filter again is a no-op
        self.app = AsyncApp(
            client=client,
            signing_secret=secret,
            # Socket Mode needs no signing secret; Bolt skips verification only when we say so.
            request_verification_enabled=secret is not None,
            # Bolt answers Slack when the listener returns; ours return right after ack(), and the
            # work goes on in the lane. (With False, Bolt would poll for ack() every 10 ms.)
            process_before_response=True,
            # A request no listener takes reaches `_on_error`, which acknowledges it, instead of
            # Bolt's 404 (which makes Slack retry an event) and its warning that quotes the payload.
            raise_error_for_unhandled_request=True,
            logger=bolt_logger,
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
        app.error(self._on_error)

    def _count(self, outcome: str) -> None:
        self._core.metrics.inbound.labels("slack", outcome).inc()

    async def _on_error(
        self, error: Exception, body: dict[str, Any], request: AsyncBoltRequest
    ) -> BoltResponse | None:
        """A verified request nothing listens to is answered 200, logged by its type alone, and
        counted as unhandled; a listener that raised is logged and counted as failed (Bolt then
        answers 500). A signed body that is no Slack payload at all (no type, no command) is a 400."""
        if isinstance(error, BoltUnhandledRequestError):
            if not body.get("type") and not body.get("command"):
                return BoltResponse(status=400, body='{"error": "body is not a Slack payload"}')
            log.info("no listener for a Slack %s request", _kind(body))
            if request.mode == "socket_mode":
                self._count(UNHANDLED)
            else:  # over HTTP, `measured` counts each request once, by the outcome `handle` names
                request.context[CONTEXT_OUTCOME] = UNHANDLED
            return BoltResponse(status=200, body="")
        log.error("a Slack listener failed on a %s request", _kind(body), exc_info=error)
        self._count("failed")
        return None

    def _after_ack(self, work: Work) -> None:
        """The listener has acknowledged; the work waits for its turn in the lane."""
        self._lane.submit(self._once(work))

    async def _once(self, work: Work) -> None:
        """Work, counted by what became of it. An event Slack sent before (X-Slack-Retry-Num) stops
        at the look-up of the speaker, which claims the event id (see `Delivery`): the retry had
        its 200 already. Commands and buttons carry no event id and always go through."""
        try:
            await work
        except AlreadyHandled:
            self._count("duplicate")
        except Exception:
            log.exception("work on an acknowledged Slack request failed")
            self._count("failed")

    def socket_mode_handler(self, app_token: str) -> AsyncSocketModeHandler:
        return AsyncSocketModeHandler(self.app, app_token)

    async def handle(self, request: web.Request) -> web.Response:
        """The aiohttp view for POST /slack/events: Bolt verifies and dispatches the request once,
        and the listener's ack() makes the answer."""
        try:
            body = await request.text()
        except UnicodeDecodeError:
            return _not_slack()
        if self._verifies and not request.headers.get(TIMESTAMP, "0").isdecimal():
            # Bolt's own check would fail on it with a 500 and a traceback
            return web.json_response({"error": "invalid request timestamp"}, status=401)
        headers = cast(dict[str, str | Sequence[str]], dict(request.headers))
        try:  # Bolt parses the body before it verifies anything
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=headers)
        except ValueError:
            return _not_slack()
        response = await to_aiohttp_response(await self.app.async_dispatch(bolt_request))
        if CONTEXT_OUTCOME in bolt_request.context:
            response[OUTCOME] = bolt_request.context[CONTEXT_OUTCOME]
        return response

    async def _origin(
        self,
        user_id: str,
        channel_id: str,
        *,
        fallback_name: str = "",
        channel_name: str = "",
        thread_id: str | None = None,
        trigger_id: str | None = None,
        event_id: str | None = None,
    ) -> Origin:
        profile = await self._profiles.get(user_id, fallback_name)
        actor = Actor(Platform.SLACK, user_id, profile.name, profile.locale, profile.timezone)
        is_direct = channel_id.startswith("D") or channel_name == "directmessage"
        conversation = Conversation(
            Platform.SLACK, channel_id, is_direct, "" if is_direct else channel_name, thread_id
        )
        delivery = Delivery(event_id) if event_id else None
        return Origin(actor, conversation, trigger_id=trigger_id, delivery=delivery)

    # Listeners: each one only acks, filters what needs no I/O, and hands the rest to the work lane.

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        self._after_ack(self._command(body))

    async def _on_direct_message(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        if event.get("channel_type") in {"channel", "group"}:
            self._on_thread_reply(body, event, context)
            return
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        if event.get("user") != context.bot_user_id:
            self._after_ack(self._direct_message(body, event, context.bot_user_id))

    def _on_thread_reply(
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
        self._after_ack(self._thread_reply(body, event, str(thread)))

    async def _on_ask_shortcut(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        self._after_ack(self._ask_shortcut(body))

    async def _on_mention(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        self._after_ack(self._mention(body, event, context.bot_user_id))

    async def _on_member_joined(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        self._after_ack(self._member_joined(body, event, is_bot=event.get("user") == context.bot_user_id))

    async def _on_home_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            self._after_ack(self._home_opened(body, event))

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        self._after_ack(self._action(body))

    async def _on_view_submission(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        self._after_ack(self._view_submission(body))

    # The work after the ack, one method per kind of request.

    async def _command(self, body: dict[str, Any]) -> None:
        origin = await self._origin(
            body["user_id"],
            body["channel_id"],
            fallback_name=body.get("user_name", ""),
            channel_name=body.get("channel_name", ""),
            trigger_id=body.get("trigger_id"),
        )
        reply = await self._core.handle_command(CommandEvent(origin, body.get("text", "")))
        await self._respond(body, origin, reply)

    async def _direct_message(
        self, body: dict[str, Any], event: dict[str, Any], bot_user_id: str | None
    ) -> None:
        origin = await self._origin(event["user"], event["channel"], event_id=body.get("event_id"))
        text = _strip_bot_mention(event.get("text", ""), bot_user_id)
        reply = await self._core.handle_command(CommandEvent(origin, text))
        await self._say(reply, origin, thread_id=event.get("thread_ts"))

    async def _thread_reply(self, body: dict[str, Any], event: dict[str, Any], thread: str) -> None:
        origin = await self._origin(
            event["user"], event["channel"], thread_id=thread, event_id=body.get("event_id")
        )
        await self._core.handle_thread_reply(ThreadReply(origin, event.get("text", ""), event.get("ts")))

    async def _ask_shortcut(self, body: dict[str, Any]) -> None:
        """The "Ask anonymously" shortcut opens the question form; the message it was used on is not read."""
        channel = (body.get("channel") or {}).get("id", "")
        origin = await self._origin(body["user"]["id"], channel, trigger_id=body.get("trigger_id"))
        reply = await self._core.handle_button(ButtonPress(origin, ASK_SHORTCUT))
        if reply is not None:
            await self._dm(origin, reply)

    async def _mention(self, body: dict[str, Any], event: dict[str, Any], bot_user_id: str | None) -> None:
        thread = event.get("thread_ts") or event.get("ts")
        origin = await self._origin(
            event["user"], event["channel"], thread_id=thread, event_id=body.get("event_id")
        )
        text = _strip_bot_mention(event.get("text", ""), bot_user_id)
        in_reply = event.get("thread_ts") not in (None, event.get("ts"))
        if in_reply and await self._core.handle_thread_reply(ThreadReply(origin, text, event.get("ts"))):
            return  # a champion's answer under a question that happened to mention the bot
        reply = await self._core.handle_command(CommandEvent(origin, text))
        await self._say(reply, origin, thread_id=thread)

    async def _member_joined(self, body: dict[str, Any], event: dict[str, Any], *, is_bot: bool) -> None:
        origin = await self._origin(event["user"], event["channel"], event_id=body.get("event_id"))
        await self._core.handle_member_joined(MemberJoined(origin, is_bot=is_bot))

    async def _home_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        origin = await self._origin(event["user"], event.get("channel", ""), event_id=body.get("event_id"))
        home = await self._core.home(origin)
        try:
            await self._client.views_publish(
                user_id=event["user"], view={"type": "home", "blocks": render.blocks(home)}
            )
        except SlackApiError as error:
            log.warning("views.publish failed: %s", error.response.get("error"))

    async def _action(self, body: dict[str, Any]) -> None:
        action = body["actions"][0]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
        origin = await self._origin(body["user"]["id"], channel, trigger_id=body.get("trigger_id"))
        message_id = (body.get("message") or {}).get("ts")
        press = ButtonPress(origin, action.get("action_id", ""), action.get("value", ""), message_id)
        reply = await self._core.handle_button(press)
        if reply is not None:
            await self._respond(body, origin, reply, replace_original=reply.replace)

    async def _view_submission(self, body: dict[str, Any]) -> None:
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
            await self._dm(origin, reply)

    async def _dm(self, origin: Origin, reply: Reply) -> None:
        await self._core.messengers.get(Platform.SLACK).dm(origin.actor.user_id, reply.message)

    async def _respond(self, body: dict[str, Any], origin: Origin, reply: Reply, **extra: Any) -> None:
        """Answer through the request's response_url (ephemeral or in the channel, as Slack's own
        `respond` does, on the shared session); a payload without one (an App Home button) gets a DM."""
        response_url = body.get("response_url")
        if not response_url:
            await self._dm(origin, reply)
            return
        message: Message = reply.message
        webhook = AsyncWebhookClient(response_url, session=self._client.session)
        response = await webhook.send(
            text=render.fallback(message),
            blocks=render.blocks(message),
            response_type="ephemeral" if reply.private else "in_channel",
            **extra,
        )
        if response.status_code != 200:
            log.warning("reply via response_url not delivered: HTTP %s", response.status_code)

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


def _not_slack() -> web.Response:
    return web.json_response({"error": "body is not a Slack payload"}, status=400)


def _kind(body: dict[str, Any]) -> str:
    """What sort of request it was, without a word of what anyone wrote."""
    if "command" in body:
        return "slash command"
    kind = str(body.get("type", "unknown"))
    event = body.get("event")
    if isinstance(event, dict):
        kind = f"{kind} ({event.get('type', 'unknown')})"
    return kind


async def _ack(ack: AsyncAck) -> None:
    await ack()


def _strip_bot_mention(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    return text.strip()
