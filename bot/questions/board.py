"""The questions channel as the core sees it: where each question landed, and keeping its message current.

Every public message about a question goes through the outbox with a key derived from the
question (never from a person), so a retry or a second replica never posts it twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.delivery.outbox import OutboxService, Outgoing
from bot.domain import ChannelPurpose, Platform
from bot.events import Origin
from bot.i18n import Catalog
from bot.identity import Identity
from bot.messages import Form, Message, MessageRef
from bot.ports import DeliveryError, FormTrigger, Messengers
from bot.questions import render
from bot.text import ChannelLink, Text
from storage import channels, questions
from storage.engine import Database
from storage.models import ChannelBinding, Question

log = logging.getLogger(__name__)

QUESTION_KEY = "qa:q:"


def question_key(question_id: int) -> str:
    return f"{QUESTION_KEY}{question_id}"


def question_id_of(key: str) -> int | None:
    """``qa:q:12`` → 12; None for any other key."""
    if not key.startswith(QUESTION_KEY):
        return None
    rest = key[len(QUESTION_KEY) :]
    return int(rest) if rest.isdigit() else None


@dataclass(frozen=True)
class Placed:
    """A question and where its message lives (None until the outbox has posted it)."""

    question: Question
    ref: MessageRef | None


class QuestionBoard:
    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        messengers: Messengers,
        outbox: OutboxService,
        catalog: Catalog,
        locale: str,
    ) -> None:
        self._db = database
        self._clock = clock
        self._messengers = messengers
        self.outbox = outbox
        self.catalog = catalog
        self.locale = locale  # the organisation's language: public posts never reveal the asker's

    async def binding(self, platform: Platform, purpose: ChannelPurpose) -> ChannelBinding | None:
        async with self._db.session() as session:
            return await channels.binding_for(session, platform=platform.value, purpose=purpose.value)

    def message_for(self, question: Question) -> Message:
        assert question.id is not None
        return render.question_message(
            self.catalog,
            self.locale,
            question_id=question.id,
            number=question.number,
            text=question.text,
            votes=question.votes,
            status=question.status,
        )

    async def get(self, question_id: int) -> Question | None:
        async with self._db.session() as session:
            return await questions.get_question(session, question_id)

    async def place(self, question: Question) -> Placed:
        """The question with its message ref; the ref is copied from the outbox the first time it is known."""
        assert question.id is not None
        platform = Platform(question.platform)
        if question.channel_id and question.message_id:
            return Placed(question, MessageRef(platform, question.channel_id, question.message_id))
        ref = await self.outbox.sent_ref(question_key(question.id))
        if ref is not None:
            await self.remember_location(question.id, ref)
        return Placed(question, ref)

    async def remember_location(self, question_id: int, ref: MessageRef) -> None:
        async with self._db.session() as session:
            await questions.set_location(
                session, question_id=question_id, channel_id=ref.channel_id, message_id=ref.message_id
            )

    async def publish(self, question: Question, channel_id: str) -> None:
        """Queue the public post, held back until the question's (random) visible time."""
        assert question.id is not None
        await self.outbox.enqueue(
            [
                Outgoing(
                    question_key(question.id),
                    Platform(question.platform),
                    "post",
                    channel_id,
                    self.message_for(question),
                    not_before=question.visible_at,
                    conceal_enqueue_time=True,
                )
            ]
        )

    async def refresh(self, question_id: int) -> None:
        """Re-render the posted question in place (votes, status); a failure is logged, never raised."""
        question = await self.get(question_id)
        if question is None:
            return
        placed = await self.place(question)
        if placed.ref is None:
            return
        try:
            await self._messengers.get(placed.ref.platform).update(placed.ref, self.message_for(question))
        except DeliveryError as error:
            log.info("question message not updated: %s", error.reason, extra={"question_id": question_id})

    async def in_thread(
        self, placed: Placed, key: str, message: Message, *, anonymous_at: datetime | None = None
    ) -> bool:
        """Post into the question's thread through the outbox; False while the question is not posted.

        `anonymous_at` holds an anonymous post (a follow-up) back until then, recording no ask time."""
        if placed.ref is None:
            return False
        item = Outgoing(
            key,
            placed.ref.platform,
            "post",
            _channel_of(placed.ref),
            message,
            thread_id=_thread_id(placed.ref),
            not_before=anonymous_at,
            conceal_enqueue_time=anonymous_at is not None,
        )
        await self.outbox.enqueue([item])
        return True

    async def channel_text(self, platform: Platform) -> Text:
        """The questions channel as a link, or nothing when it is not bound."""
        binding = await self.binding(platform, ChannelPurpose.QUESTIONS)
        return Text.of(ChannelLink(binding.channel_id, binding.channel_name)) if binding else Text()

    async def open_form(self, identity: Identity, origin: Origin, form: Form) -> bool:
        """Open a form for this person; False where the platform cannot (the caller then explains)."""
        if identity.platform is Platform.SLACK and not origin.trigger_id:
            return False
        trigger = FormTrigger(identity.user_id, origin.conversation.conversation_id, origin.trigger_id)
        try:
            await self._messengers.get(identity.platform).open_form(trigger, form)
        except DeliveryError as error:
            log.info("form not opened: %s", error.reason)
            return False
        return True

    async def permalink(self, placed: Placed) -> str | None:
        if placed.ref is None:
            return None
        try:
            return await self._messengers.get(placed.ref.platform).permalink(placed.ref)
        except DeliveryError as error:
            log.info("no permalink: %s", error.reason)
            return None


def _channel_of(ref: MessageRef) -> str:
    """Teams reports a posted message's conversation as ``19:…;messageid=…``; posts go to the channel."""
    return ref.channel_id.partition(";messageid=")[0]


def _thread_id(ref: MessageRef) -> str:
    return ref.message_id
