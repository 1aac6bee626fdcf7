"""The Teams Messenger: proactive posts, DMs and updates on stored conversation references."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.core.bot_adapter import BotAdapter
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ConversationReference
from botframework.connector.models import ErrorResponseException

from bot.domain import Platform
from bot.messages import Form, Message, MessageRef
from bot.ports import DeliveryError, FormTrigger, Member
from handlers.teams import render
from handlers.teams.bot import message_activity

ReferenceLookup = Callable[[str], Awaitable[str | None]]


class TeamsMessenger:
    platform = Platform.TEAMS

    def __init__(
        self,
        adapter: BotAdapter,
        app_id: str,
        *,
        conversation_reference: ReferenceLookup,
        direct_reference: ReferenceLookup,
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._conversation_reference = conversation_reference
        self._direct_reference = direct_reference

    async def _reference(self, lookup: ReferenceLookup, key: str) -> ConversationReference:
        stored = await lookup(key)
        if stored is None:
            raise DeliveryError("no_conversation_reference", permanent=True)
        return ConversationReference().deserialize(json.loads(stored))

    async def _continue(
        self, reference: ConversationReference, work: Callable[[TurnContext], Awaitable[None]]
    ) -> None:
        """Run `work` in the conversation. The adapter's turn-error handler would swallow a Connector
        error raised inside the turn, so it is caught there and raised again out here."""
        failures: list[ErrorResponseException] = []

        async def callback(turn_context: TurnContext) -> None:
            try:
                await work(turn_context)
            except ErrorResponseException as error:
                failures.append(error)

        try:
            await self._adapter.continue_conversation(reference, callback, self._app_id)
        except ErrorResponseException as error:
            failures.append(error)
        if failures:
            raise _delivery_error(failures[0]) from None

    async def _send(self, reference: ConversationReference, activity: Activity) -> str:
        sent: list[str] = []

        async def send(turn_context: TurnContext) -> None:
            response = await turn_context.send_activity(activity)
            sent.append(response.id if response and response.id else "")

        await self._continue(reference, send)
        return sent[0] if sent else ""

    async def post(
        self, channel_id: str, message: Message, *, thread_id: str | None = None, key: str | None = None
    ) -> MessageRef:
        reference = await self._reference(self._conversation_reference, channel_id)
        if thread_id and reference.conversation is not None:
            reference.conversation.id = f"{channel_id};messageid={thread_id}"
        message_id = await self._send(reference, message_activity(message))
        return MessageRef(Platform.TEAMS, reference.conversation.id, message_id)

    async def dm(self, user_id: str, message: Message, *, key: str | None = None) -> MessageRef:
        reference = await self._reference(self._direct_reference, user_id)
        message_id = await self._send(reference, message_activity(message))
        return MessageRef(Platform.TEAMS, reference.conversation.id, message_id)

    async def find_sent(
        self, kind: str, target: str, key: str, *, thread_id: str | None = None
    ) -> MessageRef | None:
        """The Bot Connector cannot list a conversation's messages, so a send interrupted by a crash
        cannot be confirmed here; the outbox then re-sends (at least once for that rare window)."""
        return None

    async def update(self, ref: MessageRef, message: Message) -> None:
        reference = await self._reference(self._conversation_reference, ref.channel_id)
        activity = message_activity(message)
        activity.id = ref.message_id

        async def replace(turn_context: TurnContext) -> None:
            await turn_context.update_activity(activity)

        await self._continue(reference, replace)

    async def open_form(self, trigger: FormTrigger, form: Form) -> None:
        reference = await self._reference(self._conversation_reference, trigger.conversation_id)
        await self._send(
            reference, MessageFactory.attachment(CardFactory.adaptive_card(render.form_card(form)))
        )

    async def members(self, channel_id: str) -> list[str]:
        """The members of the team a channel belongs to (or of a group chat), every page, read with
        TeamsInfo inside a proactive turn on the channel's stored conversation reference."""
        reference = await self._reference(self._conversation_reference, channel_id)
        found: list[str] = []

        async def read(turn_context: TurnContext) -> None:
            # A proactive turn carries no channelData, which TeamsInfo reads for the team id;
            # without one it asks for the conversation's own members, which for a channel is its team.
            if turn_context.activity.channel_data is None:
                turn_context.activity.channel_data = {}
            token: str | None = None
            while True:
                page = await TeamsInfo.get_paged_members(turn_context, token, 500)
                found.extend(member.id for member in page.members or [] if member.id)
                token = page.continuation_token
                if not token:
                    return

        await self._continue(reference, read)
        return found

    async def directory(self) -> list[Member]:
        """The Bot Connector has no workspace-wide list; each person's time zone comes from the
        localTimezone of their own messages, which PeopleService stores."""
        return []

    async def permalink(self, ref: MessageRef) -> str | None:
        """Teams' deep link to a channel message: /l/message/<conversation>/<message id>."""
        channel = ref.channel_id.partition(";messageid=")[0]
        message_id = quote(ref.message_id, safe="")
        return f"https://teams.microsoft.com/l/message/{quote(channel, safe='')}/{message_id}"


def _delivery_error(error: ErrorResponseException) -> DeliveryError:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", 0) or 0
    retry_after = None
    if status == 429:
        value = (getattr(response, "headers", None) or {}).get("Retry-After")
        retry_after = float(value) if value else 1.0
    reason = f"http_{status}" if status else "connector_error"
    return DeliveryError(reason, permanent=status in {400, 401, 403, 404}, retry_after=retry_after)
