"""Asking anonymously: `ask`, the private receipt, follow-ups through it, and the +1 button.

Nothing here stores or logs who asked. The receipt is the reply to the asker's own request
(ephemeral in Slack, a direct message in Teams), never an outbox row, because an outbox row
addressed to the asker with the question in it would link them. A follow-up proves it comes from
the asker with the random token the receipt carries; the database holds only the token's hash.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

from bot.actions import ActionContext
from bot.clock import Clock
from bot.context import CommandContext
from bot.domain import ChannelPurpose
from bot.errors import InputError
from bot.events import ButtonPress, FormSubmission, Origin
from bot.identity import Identity
from bot.messages import Form, Input, Message, Reply, Section
from bot.ports import Messengers
from bot.questions import render
from bot.questions.anonymity import Anonymity, new_token, token_hash, visible_time
from bot.questions.answering import AnswerDesk
from bot.questions.board import QuestionBoard
from bot.questions.sanitize import MAX_LENGTH, clean_question
from bot.text import ChannelLink, Text
from storage import questions
from storage.engine import Database
from storage.models import Question

if TYPE_CHECKING:
    from bot.questions.gate import QuestionGate

log = logging.getLogger(__name__)

ASK_FORM = "ask.new"
FOLLOWUP_FORM = "ask.followup"


class QuestionService:
    """The asker's side of anonymous questions, for every platform."""

    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        messengers: Messengers,
        board: QuestionBoard,
        answers: AnswerDesk,
        anonymity: Anonymity,
        max_delay_seconds: float,
        daily_limit: int,
    ) -> None:
        self._db = database
        self._clock = clock
        self._messengers = messengers
        self.board = board
        self._answers = answers
        self._anonymity = anonymity
        self._max_delay = max_delay_seconds
        self._daily_limit = daily_limit
        self.gate: QuestionGate | None = None  # sessions, moderation, "same as"; set by the core

    # --- asking ------------------------------------------------------------------------------

    async def ask(self, ctx: CommandContext) -> Reply:
        """`ask <text>`; with no text, the "Ask anonymously" form opens where the platform has one."""
        raw = ctx.command.rest
        if not raw.strip():
            opened = await self._open_ask_form(ctx.identity, ctx.origin)
            if opened:
                return ctx.reply(ctx.t("ask.form.opened"))
        return await self.submit(ctx.identity, ctx.origin, raw)

    async def submit(self, identity: Identity, origin: Origin, raw: str) -> Reply:
        """Clean, count against today's limit, store, and queue the post; answer with the receipt."""
        locale = identity.locale
        catalog = self.board.catalog
        platform = identity.platform

        def say(key: str, **params: object) -> Reply:
            return Reply(Message.of(catalog.text(locale, key, **params)), private=True, direct=True)

        binding = await self.board.binding(platform, ChannelPurpose.QUESTIONS)
        if binding is None:
            return say("ask.no_channel")
        try:
            cleaned = clean_question(raw, max_length=MAX_LENGTH)
        except InputError as rejected:
            return say(rejected.key)
        day, digest = await self._anonymity.digest("ask", platform.value, identity.user_id)
        now = self._clock.now()
        token = new_token()
        async with self._db.session() as session:
            if not await questions.take_quota(session, day=day, digest=digest, limit=self._daily_limit):
                return say("ask.limit", limit=self._daily_limit)
            number = await questions.next_number(session, platform=platform.value)
            question = await questions.create_question(
                session,
                platform=platform.value,
                number=number,
                text=cleaned.text,
                locale=self.board.locale,
                visible_at=visible_time(now, self._max_delay),
            )
            assert question.id is not None
            await questions.add_token(session, token_hash=token_hash(token), question_id=question.id)
        if self.gate is None:
            await self.board.publish(question, binding.channel_id)
            route = "published"
        else:
            route = await self.gate.admit(question, binding.channel_id)
        log.info("question queued", extra={"question_number": number, "platform": platform.value})
        channel = Text.of(ChannelLink(binding.channel_id, binding.channel_name))
        receipt = render.receipt(
            catalog,
            locale,
            number=number,
            channel=channel,
            delay_minutes=math.ceil(self._max_delay / 60) if self._max_delay > 0 else 0,
            masked=cleaned.masked,
            token=token,
        )
        note = self.gate.receipt_note(catalog, locale, route, number) if self.gate else None
        if note is not None:  # held or queued: say so instead of "it will appear shortly"
            receipt = Message((Section(note), *receipt.blocks[1:]))
        return Reply(receipt, private=True, direct=True)

    async def _open_ask_form(self, identity: Identity, origin: Origin) -> bool:
        catalog, locale = self.board.catalog, identity.locale
        form = Form(
            ASK_FORM,
            catalog.string(locale, "ask.form.title"),
            (
                Input(
                    "question", catalog.string(locale, "ask.form.label"), "multiline", max_length=MAX_LENGTH
                ),
            ),
            catalog.string(locale, "ask.form.submit"),
        )
        return await self.board.open_form(identity, origin, form)

    # --- buttons and forms of the `ask` feature (the receipt) ------------------------------

    async def ask_button(self, ctx: ActionContext, press: ButtonPress) -> Reply | None:
        if press.action_id == "ask.shortcut":
            if await self._open_ask_form(ctx.identity, press.origin):
                return None
            return ctx.reply(ctx.t("ask.empty"))
        question = await self._by_token(press.value)
        if question is None:
            return ctx.reply(ctx.t("ask.token_unknown"))
        if press.action_id == "ask.show":
            return await self._show(ctx, question)
        if press.action_id == "ask.followup":
            form = Form(
                FOLLOWUP_FORM,
                ctx.s("ask.followup.title"),
                (
                    Input(
                        "followup",
                        ctx.s("ask.followup.label", number=question.number),
                        "multiline",
                        max_length=MAX_LENGTH,
                    ),
                ),
                ctx.s("ask.followup.submit"),
                metadata=press.value,
            )
            if await self.board.open_form(ctx.identity, press.origin, form):
                return None
            return ctx.reply(ctx.t("button.expired"))
        return ctx.reply(ctx.t("button.expired"))

    async def ask_form(self, ctx: ActionContext, submission: FormSubmission) -> Reply | None:
        if submission.form_id == ASK_FORM:
            return await self.submit(ctx.identity, submission.origin, submission.values.get("question", ""))
        if submission.form_id == FOLLOWUP_FORM:
            return await self._followup(ctx, submission.metadata, submission.values.get("followup", ""))
        return ctx.reply(ctx.t("button.expired"))

    async def _by_token(self, token: str) -> Question | None:
        if not token or len(token) > 100:
            return None
        async with self._db.session() as session:
            return await questions.question_for_token(session, token_hash=token_hash(token))

    async def _show(self, ctx: ActionContext, question: Question) -> Reply:
        shown = await self.gate.receipt_status(ctx, question) if self.gate else None
        if shown is not None:
            return shown
        placed = await self.board.place(question)
        channel = await self.board.channel_text(ctx.identity.platform)
        if placed.ref is None:
            return ctx.reply(ctx.t("ask.not_posted_yet", number=question.number, channel=channel))
        url = await self.board.permalink(placed)
        if url is None:
            return ctx.reply(ctx.t("ask.posted_in", number=question.number, channel=channel))
        return ctx.reply(render.question_link(ctx.catalog, ctx.locale, number=question.number, url=url))

    async def _followup(self, ctx: ActionContext, token: str, raw: str) -> Reply:
        question = await self._by_token(token)
        if question is None or question.id is None:
            return ctx.reply(ctx.t("ask.token_unknown"))
        try:
            cleaned = clean_question(raw, max_length=MAX_LENGTH)
        except InputError as rejected:
            return ctx.reply(ctx.t(rejected.key))
        placed = await self.board.place(question)
        if placed.ref is None:
            channel = await self.board.channel_text(ctx.identity.platform)
            return ctx.reply(ctx.t("ask.not_posted_yet", number=question.number, channel=channel))
        now = self._clock.now()
        visible_at = visible_time(now, self._max_delay)
        async with self._db.session() as session:
            followup = await questions.add_followup(
                session, question_id=question.id, text=cleaned.text, visible_at=visible_at
            )
        message = render.followup_message(
            self.board.catalog, self.board.locale, number=question.number, text=cleaned.text
        )
        await self.board.in_thread(placed, f"qa:f:{followup.id}", message, anonymous_at=visible_at)
        lines = [ctx.t("ask.followup.done", number=question.number)]
        if cleaned.masked:
            kinds = Text.join([ctx.t(f"ask.kind.{kind}") for kind in cleaned.masked], ", ")
            lines.append(ctx.t("ask.masked", kinds=kinds))
        return ctx.reply(*lines)

    # --- voting ------------------------------------------------------------------------------

    async def vote(self, ctx: ActionContext, press: ButtonPress) -> Reply:
        """+1 once per person per question: a keyed hash under today's secret, never the person's id."""
        question_id = int(press.value) if press.value.isdigit() else None
        question = await self.board.get(question_id) if question_id is not None else None
        if question is None or question.id is None:
            return ctx.reply(ctx.t("question.missing"))
        scope = f"question:{question.id}"
        day, digest = await self._anonymity.digest(scope, ctx.identity.platform.value, ctx.identity.user_id)
        async with self._db.session() as session:
            added = await questions.add_vote(session, scope=scope, digest=digest, day=day)
            count = await questions.bump_votes(session, question_id=question.id) if added else question.votes
        if not added:
            return ctx.reply(ctx.t("question.already", number=question.number))
        await self.board.refresh(question.id)
        return ctx.reply(ctx.t("question.counted", number=question.number, count=count))
