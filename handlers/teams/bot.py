"""The Teams ActivityHandler: activities in, neutral events to the core, Adaptive Cards back out."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity, ChannelAccount

from bot.core import Core
from bot.domain import Actor, Conversation, Platform
from bot.events import ButtonPress, CommandEvent, FormSubmission, MemberJoined, Origin, ThreadReply
from bot.messages import Message, Reply
from bot.ports import DeliveryError
from handlers.teams import render

log = logging.getLogger(__name__)


def message_activity(message: Message) -> Activity:
    activity = MessageFactory.attachment(CardFactory.adaptive_card(render.card(message)))
    activity.summary = message.fallback()[:200]
    return activity


def tenant_of(activity: Activity) -> str | None:
    channel_data = activity.channel_data or {}
    tenant = channel_data.get("tenant") if isinstance(channel_data, dict) else None
    if isinstance(tenant, dict) and tenant.get("id"):
        return str(tenant["id"])
    return getattr(activity.conversation, "tenant_id", None)


def timezone_of(activity: Activity) -> str | None:
    if activity.local_timezone:
        return str(activity.local_timezone)
    for entity in activity.entities or []:
        props = entity.additional_properties or {}
        if getattr(entity, "type", None) == "clientInfo" and props.get("timezone"):
            return str(props["timezone"])
    return None


def neutral_text(activity: Activity) -> str:
    """Teams mentions (`<at>Bo</at>` plus an entity) become the neutral `<@id|Bo>`; the bot's own goes."""
    text = activity.text or ""
    recipient_id = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        if getattr(entity, "type", None) != "mention":
            continue
        props = entity.additional_properties or {}
        tag = props.get("text") or ""
        mentioned = props.get("mentioned") or {}
        if not tag:
            continue
        if mentioned.get("id") == recipient_id:
            text = text.replace(tag, " ", 1)
        else:
            text = text.replace(tag, f"<@{mentioned.get('id', '')}|{mentioned.get('name', '')}>", 1)
    return re.sub(r"\s+", " ", text.replace("&nbsp;", " ")).strip()


class TeamsBot(ActivityHandler):
    def __init__(self, core: Core, allowed_tenants: list[str]) -> None:
        self._core = core
        self._tenants = set(allowed_tenants)

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if self._tenants and tenant_of(activity) not in self._tenants:
            log.warning("activity from a tenant outside CHAMPBOT_TEAMS_TENANTS ignored")
            return
        dedupe_key = f"{activity.conversation.id}|{activity.id}" if activity.id else None
        is_retryable = activity.type in {"message", "conversationUpdate"}
        if dedupe_key and is_retryable and not await self._core.first_delivery(Platform.TEAMS, dedupe_key):
            self._core.metrics.inbound.labels("teams", "duplicate").inc()
            return
        await super().on_turn(turn_context)

    def _origin(self, turn_context: TurnContext) -> Origin:
        """A team channel is known by its channel id; the `;messageid=` part of Teams' id is the thread."""
        activity = turn_context.activity
        user = activity.from_property or ChannelAccount(id="", name="")
        actor = Actor(Platform.TEAMS, user.id or "", user.name or "", activity.locale, timezone_of(activity))
        conversation_type = getattr(activity.conversation, "conversation_type", None) or "personal"
        conversation_id, _, thread = (activity.conversation.id or "").partition(";messageid=")
        channel = (
            (activity.channel_data or {}).get("channel") if isinstance(activity.channel_data, dict) else None
        )
        name = (channel or {}).get("name") or getattr(activity.conversation, "name", None) or ""
        conversation = Conversation(
            Platform.TEAMS,
            conversation_id,
            is_direct=conversation_type == "personal",
            name=name,
            thread_id=thread or None,
        )
        reference = TurnContext.get_conversation_reference(activity)
        if reference.conversation is not None:
            reference.conversation.id = conversation_id
        reference.activity_id = None  # proactive messages later start a new message, not a reply
        return Origin(actor, conversation, reference=json.dumps(reference.serialize()))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        origin = self._origin(turn_context)
        value: Any = activity.value
        if isinstance(value, dict) and value.get("action_id"):
            press = ButtonPress(
                origin, str(value["action_id"]), str(value.get("value", "")), activity.reply_to_id
            )
            await self._send(
                turn_context,
                await self._core.handle_button(press),
                update=activity.reply_to_id,
                origin=origin,
                pressed=True,
            )
        elif isinstance(value, dict) and value.get("form_id"):
            values = {k: str(v) for k, v in value.items() if k not in {"form_id", "metadata"}}
            submission = FormSubmission(origin, str(value["form_id"]), values, str(value.get("metadata", "")))
            await self._send(
                turn_context, await self._core.handle_form(submission), origin=origin, pressed=True
            )
        else:
            text = neutral_text(activity)
            in_thread = origin.conversation.thread_id is not None and not origin.conversation.is_direct
            if in_thread and await self._core.handle_thread_reply(ThreadReply(origin, text, activity.id)):
                return
            reply = await self._core.handle_command(CommandEvent(origin, text))
            await self._send(turn_context, reply, origin=origin)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        origin = self._origin(turn_context)
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        for member in members_added:
            is_bot = member.id == bot_id
            if not is_bot and not origin.conversation.is_direct:
                continue
            joined = Origin(origin.actor, origin.conversation, origin.reference)
            await self._send(
                turn_context, await self._core.handle_member_joined(MemberJoined(joined, is_bot=is_bot))
            )

    async def _send(
        self,
        turn_context: TurnContext,
        reply: Reply | None,
        *,
        update: str | None = None,
        origin: Origin | None = None,
        pressed: bool = False,
    ) -> None:
        """Send the reply; a button's `replace` reply updates the card the button was on instead, and
        a `direct` one (an anonymous question's receipt) goes to the person's chat, never the channel."""
        if reply is None:
            return
        # Teams has no ephemeral messages: a private answer to a button on a channel card (a +1,
        # "only champions can do that") goes to the presser's own chat instead of the channel.
        to_person = reply.direct or (pressed and reply.private and not reply.replace)
        if to_person and origin is not None and not origin.conversation.is_direct:
            try:
                await self._core.messengers.get(Platform.TEAMS).dm(origin.actor.user_id, reply.message)
            except DeliveryError as error:
                log.warning("a private reply could not be sent as a direct message: %s", error.reason)
            return
        activity = message_activity(reply.message)
        if reply.replace and update:
            activity.id = update
            await turn_context.update_activity(activity)
        else:
            await turn_context.send_activity(activity)
