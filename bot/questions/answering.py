"""The champions' side: answers in the thread or by form, accept and re-open, "Asked before:", AI drafts.

Answers are public and carry the champion's name. When a question has been posted (the outbox
tells us through its on-sent hook), the knowledge base is searched and, with an LLM configured, a
draft goes to the champions channel only; an LLM failure leaves the question open with one warning.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot.actions import ActionContext
from bot.clock import Clock
from bot.delivery.outbox import Outgoing
from bot.domain import ChannelPurpose, Platform
from bot.events import ButtonPress, FormSubmission, ThreadReply
from bot.identity import Identity
from bot.messages import Form, Input, MessageRef, Reply
from bot.ports import Messengers
from bot.questions import render
from bot.questions.board import Placed, QuestionBoard, question_id_of
from bot.text import MentionUser
from storage import questions
from storage.engine import Database
from storage.models import Question

log = logging.getLogger(__name__)

ANSWER_FORM = "qa.answer"
EDIT_FORM = "qa.edit"
ANSWER_LIMIT = 3000


class Match(render.MatchLike, Protocol):
    score: float


class Knowledge(Protocol):
    """What the knowledge base offers questions (the knowledge base's KnowledgeService)."""

    async def search(
        self, words: str, *, limit: int = 3, min_score: float | None = None
    ) -> Sequence[Match]: ...

    async def remember_answer(
        self, *, question_id: int, question_number: int, question: str, answer: str, locale: str
    ) -> None: ...

    async def forget_question(self, question_id: int) -> None: ...


# (question, matches, locale) → a draft answer; raises on timeouts, HTTP errors and garbage.
Drafter = Callable[[str, Sequence[Match], str], Awaitable[str]]


class AnswerDesk:
    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        messengers: Messengers,
        board: QuestionBoard,
        knowledge: Knowledge | None = None,
        drafter: Drafter | None = None,
    ) -> None:
        self._db = database
        self._clock = clock
        self._messengers = messengers
        self.board = board
        self.knowledge = knowledge
        self.drafter = drafter

    # --- after the question is posted --------------------------------------------------------

    async def posted(self, key: str, ref: MessageRef) -> None:
        """The outbox posted a question: remember where, answer from the knowledge base, draft with AI."""
        question_id = question_id_of(key)
        if question_id is None:
            return
        await self.board.remember_location(question_id, ref)
        question = await self.board.get(question_id)
        if question is None:
            return
        placed = Placed(question, ref)
        matches: Sequence[Match] = []
        if self.knowledge is not None:
            found = await self.knowledge.search(question.text, limit=4)
            matches = [m for m in found if m.question_number != question.number][:3]
            if matches:
                message = render.asked_before(self.board.catalog, self.board.locale, matches)
                await self.board.in_thread(placed, f"qa:kb:{question_id}", message)
        if self.drafter is not None:
            await self._draft(question, matches)

    async def _draft(self, question: Question, matches: Sequence[Match]) -> None:
        assert question.id is not None
        binding = await self.board.binding(Platform(question.platform), ChannelPurpose.CHAMPIONS)
        if binding is None or self.drafter is None:
            log.info("no champions channel; AI draft skipped", extra={"question_id": question.id})
            return
        async with self._db.session() as session:
            if await questions.has_draft(session, question_id=question.id):
                return  # the post was confirmed twice (a replica's restart): one draft is enough
        try:
            text = (await self.drafter(question.text, matches, question.locale)).strip()
            if not text:
                raise ValueError("empty draft")
        except Exception as error:  # LLMError, or anything the client let through: never a crash
            log.warning(
                "AI draft failed; the question stays open for the champions",
                extra={"question_id": question.id, "reason": getattr(error, "reason", type(error).__name__)},
            )
            return
        async with self._db.session() as session:
            draft = await questions.add_draft(
                session, question_id=question.id, text=text, now=self._clock.now()
            )
        assert draft.id is not None
        card = render.draft_card(
            self.board.catalog,
            self.board.locale,
            draft_id=draft.id,
            number=question.number,
            question=question.text,
            draft=text,
        )
        await self.board.outbox.enqueue(
            [Outgoing(f"qa:d:{draft.id}", Platform(question.platform), "post", binding.channel_id, card)]
        )

    # --- answering ---------------------------------------------------------------------------

    async def is_question_thread(self, platform: Platform, channel_id: str, thread_id: str) -> bool:
        return await self._question_at(platform, channel_id, thread_id) is not None

    async def _question_at(self, platform: Platform, channel_id: str, message_id: str) -> Question | None:
        """The question posted as this message; repaired from the outbox if its location was never copied."""
        async with self._db.session() as session:
            found = await questions.by_message(
                session, platform=platform.value, channel_id=channel_id, message_id=message_id
            )
            if found is not None:
                return found
            question_id = await questions.posted_question_id(
                session, platform=platform.value, channel_id=channel_id, message_id=message_id
            )
            if question_id is None:
                return None
            await questions.set_location(
                session, question_id=question_id, channel_id=channel_id, message_id=message_id
            )
            return await questions.get_question(session, question_id)

    async def thread_reply(self, identity: Identity, event: ThreadReply) -> bool:
        """A champion's reply in a question's thread answers it (True); the core passes only champions'
        replies (the role the feature declares for its threads)."""
        conversation = event.origin.conversation
        if conversation.thread_id is None:
            return False
        question = await self._question_at(
            identity.platform, conversation.conversation_id, conversation.thread_id
        )
        if question is None or not event.text.strip():
            return False
        await self._record(
            question, identity, event.text.strip()[:ANSWER_LIMIT], "champion", event.message_id
        )
        return True

    async def _record(
        self, question: Question, identity: Identity, text: str, kind: str, message_id: str | None
    ) -> None:
        """Store the answer; the first one marks the question answered and teaches the knowledge base."""
        assert question.id is not None
        async with self._db.session() as session:
            await questions.add_answer(
                session,
                question_id=question.id,
                kind=kind,
                text=text,
                author_id=identity.user_id,
                author_name=identity.actor.display_name,
                now=self._clock.now(),
                message_id=message_id,
            )
            first = await questions.set_status(
                session, question_id=question.id, status=questions.ANSWERED, only_from=(questions.OPEN,)
            )
        log.info("question answered", extra={"question_id": question.id, "kind": kind, "first": first})
        if first:
            await self.board.refresh(question.id)
            await self._remember(question, text)

    async def _remember(self, question: Question, answer: str) -> None:
        if self.knowledge is None or question.id is None:
            return
        try:
            await self.knowledge.remember_answer(
                question_id=question.id,
                question_number=question.number,
                question=question.text,
                answer=answer,
                locale=question.locale,
            )
        except Exception:
            log.exception("knowledge base not updated", extra={"question_id": question.id})

    async def button(self, ctx: ActionContext, press: ButtonPress) -> Reply | None:
        if press.action_id in {"qa.publish", "qa.edit", "qa.discard"}:
            return await self._draft_button(ctx, press)
        question_id = int(press.value) if press.value.isdigit() else None
        question = await self.board.get(question_id) if question_id is not None else None
        if question is None or question.id is None:
            return ctx.reply(ctx.t("question.missing"))
        if press.action_id == "qa.answer":
            form = Form(
                ANSWER_FORM,
                ctx.s("question.answer.title", number=question.number),
                (Input("answer", ctx.s("question.answer.label"), "multiline", max_length=ANSWER_LIMIT),),
                ctx.s("question.answer.submit"),
                metadata=str(question.id),
            )
            if await self.board.open_form(ctx.identity, press.origin, form):
                return None
            return ctx.reply(ctx.t("button.expired"))
        if press.action_id == "qa.accept":
            return await self._accept(ctx, question)
        if press.action_id == "qa.reopen":
            return await self._reopen(ctx, question)
        return ctx.reply(ctx.t("button.expired"))

    async def form(self, ctx: ActionContext, submission: FormSubmission) -> Reply | None:
        if submission.form_id == EDIT_FORM:
            return await self._publish(
                ctx, submission.metadata, submission.values.get("answer"), replace=False
            )
        if submission.form_id != ANSWER_FORM:
            return ctx.reply(ctx.t("button.expired"))
        question = await self.board.get(int(submission.metadata)) if submission.metadata.isdigit() else None
        if question is None or question.id is None:
            return ctx.reply(ctx.t("question.missing"))
        text = submission.values.get("answer", "").strip()[:ANSWER_LIMIT]
        if not text:
            return ctx.reply(ctx.t("question.answer.empty"))
        placed = await self.board.place(question)
        if placed.ref is None:
            return ctx.reply(ctx.t("question.missing"))
        async with self._db.session() as session:
            count = len(await questions.answers_for(session, question_id=question.id))
        champion = MentionUser(ctx.identity.user_id, ctx.identity.actor.display_name)
        message = render.champion_answer(
            self.board.catalog, self.board.locale, champion=champion, text=text, question_id=question.id
        )
        await self.board.in_thread(placed, f"qa:a:{question.id}:{count + 1}", message)
        await self._record(question, ctx.identity, text, "champion", None)
        return ctx.reply(ctx.t("question.answer.done", number=question.number))

    async def _accept(self, ctx: ActionContext, question: Question) -> Reply:
        assert question.id is not None
        async with self._db.session() as session:
            answers = await questions.answers_for(session, question_id=question.id)
            if not answers:
                return ctx.reply(ctx.t("question.accept_none", number=question.number))
            latest = answers[-1]
            await questions.set_accepted(session, question_id=question.id, answer_id=latest.id)
            await questions.set_status(session, question_id=question.id, status=questions.ACCEPTED)
        await self.board.refresh(question.id)
        await self._remember(question, latest.text)
        return ctx.reply(ctx.t("question.accepted", number=question.number))

    async def _reopen(self, ctx: ActionContext, question: Question) -> Reply:
        assert question.id is not None
        async with self._db.session() as session:
            await questions.set_accepted(session, question_id=question.id, answer_id=None)
            await questions.set_status(session, question_id=question.id, status=questions.OPEN)
        await self.board.refresh(question.id)
        if self.knowledge is not None:
            try:
                await self.knowledge.forget_question(question.id)
            except Exception:
                log.exception("knowledge base not updated", extra={"question_id": question.id})
        return ctx.reply(ctx.t("question.reopened", number=question.number))

    # --- AI drafts ---------------------------------------------------------------------------

    async def _draft_button(self, ctx: ActionContext, press: ButtonPress) -> Reply | None:
        draft_id = int(press.value) if press.value.isdigit() else None
        async with self._db.session() as session:
            draft = await questions.get_draft(session, draft_id) if draft_id is not None else None
        if draft is None or draft.state != "pending":
            return ctx.reply(ctx.t("draft.settled"))
        if press.action_id == "qa.publish":
            return await self._publish(ctx, press.value, draft.text, replace=True)
        if press.action_id == "qa.edit":
            form = Form(
                EDIT_FORM,
                ctx.s("draft.form.title"),
                (
                    Input(
                        "answer",
                        ctx.s("draft.form.label"),
                        "multiline",
                        initial=draft.text,
                        max_length=ANSWER_LIMIT,
                    ),
                ),
                ctx.s("draft.form.submit"),
                metadata=press.value,
            )
            if await self.board.open_form(ctx.identity, press.origin, form):
                return None
            return ctx.reply(ctx.t("button.expired"))
        question = await self.board.get(draft.question_id)
        if not await self._settle(draft.id or 0, "discarded") or question is None:
            return ctx.reply(ctx.t("draft.settled"))
        champion = MentionUser(ctx.identity.user_id, ctx.identity.actor.display_name)
        return ctx.reply(ctx.t("draft.discarded", number=question.number, champion=champion), replace=True)

    async def _settle(self, draft_id: int, state: str) -> bool:
        async with self._db.session() as session:
            return await questions.settle_draft(session, draft_id=draft_id, state=state)

    async def _publish(self, ctx: ActionContext, value: str, text: str | None, *, replace: bool) -> Reply:
        """Post the (possibly edited) draft in the question's thread, labelled AI-generated and naming
        the champion who approved it; a draft is published once, whoever presses first."""
        async with self._db.session() as session:
            draft = await questions.get_draft(session, int(value)) if value.isdigit() else None
        question = await self.board.get(draft.question_id) if draft else None
        answer = (text or "").strip()[:ANSWER_LIMIT]
        if draft is None or draft.id is None or question is None:
            return ctx.reply(ctx.t("draft.settled"))
        if not answer:
            return ctx.reply(ctx.t("question.answer.empty"))
        placed = await self.board.place(question)
        if placed.ref is None or not await self._settle(draft.id, "published"):
            return ctx.reply(ctx.t("draft.settled"))
        champion = MentionUser(ctx.identity.user_id, ctx.identity.actor.display_name)
        message = render.published_draft(
            self.board.catalog, self.board.locale, champion=champion, text=answer, question_id=question.id
        )
        await self.board.in_thread(placed, f"qa:ai:{draft.id}", message)
        await self._record(question, ctx.identity, answer, "ai", None)
        return ctx.reply(ctx.t("draft.published", number=question.number, champion=champion), replace=replace)
