"""Pre-moderation (Approve / Edit / Reject), "Report", and merging a repeated question.

Anonymity is structural here too: a held question is an ordinary question row in state
``pending``; nothing records who asked. A rejection reason is stored with the question and
reaches the asker only when they press "Show my question" on their own private receipt, the
capability they alone hold. No reply path to the asker is kept, in memory or anywhere else.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

from bot.actions import ActionContext
from bot.clock import Clock
from bot.delivery.outbox import OutboxService, Outgoing
from bot.domain import ChannelPurpose, Platform
from bot.errors import InputError
from bot.events import ButtonPress, FormSubmission
from bot.i18n import Catalog
from bot.messages import Actions, Button, Form, Input, Message, Note, Reply, Section
from bot.ports import DeliveryError, FormTrigger, Messengers
from bot.questions.anonymity import Anonymity, visible_time
from bot.questions.board import QuestionBoard
from bot.questions.sanitize import MAX_LENGTH, clean_question
from bot.questions.sessions import QuestionHours
from bot.text import MentionUser, Text, UserText, shorten
from storage import question_hours as store
from storage import questions
from storage.engine import Database
from storage.models import Question

log = logging.getLogger(__name__)

PENDING, QUEUED, REJECTED, MERGED = "pending", "queued", "rejected", "merged"
REASON_LIMIT = 500


def hold_key(question_id: int) -> str:
    return f"qamod:hold:{question_id}"


class Moderation:
    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        outbox: OutboxService,
        messengers: Messengers,
        board: QuestionBoard,
        hours: QuestionHours,
        catalog: Catalog,
        locale: str,
        max_delay_seconds: float,
        anonymity: Anonymity,
    ) -> None:
        self._db = database
        self._clock = clock
        self._outbox = outbox
        self._messengers = messengers
        self._board = board
        self._hours = hours
        self._catalog = catalog
        self._locale = locale
        self._max_delay = max_delay_seconds
        self._anonymity = anonymity
        self._after_publish: list[Callable[[Question], Awaitable[object]]] = []

    def after_publish(self, hook: Callable[[Question], Awaitable[object]]) -> None:
        """Run `hook` for every question this module publishes (the loop's "same as Q-n?" check)."""
        self._after_publish.append(hook)

    # --- holding and releasing ------------------------------------------------------------------

    async def hold(self, question: Question, champions_channel: str) -> None:
        """Put a new question before the champions instead of the channel."""
        assert question.id is not None
        async with self._db.session() as session:
            await store.hold_for_moderation(session, question_id=question.id)
            await store.move(session, question_id=question.id, to=PENDING, only_from=("open",))
        question.status = PENDING
        await self._outbox.enqueue(
            [
                Outgoing(
                    hold_key(question.id),
                    Platform(question.platform),
                    "post",
                    champions_channel,
                    self._card(question),
                    not_before=question.visible_at,  # like the question itself: says nothing of when
                )
            ]
        )
        log.info("question held for moderation", extra={"question_id": question.id})

    async def release(
        self, question: Question, *, from_statuses: tuple[str, ...], text: str | None = None
    ) -> str:
        """Publish a held or queued question now, or queue it when question hours are closed.
        Returns the new status ("open" or "queued"), or "" when someone else moved it first."""
        assert question.id is not None
        platform = Platform(question.platform)
        binding = await self._board.binding(platform, ChannelPurpose.QUESTIONS)
        accepting = await self._hours.accepting(platform)
        target = "open" if accepting and binding is not None else QUEUED
        visible_at = visible_time(self._clock.now(), self._max_delay) if target == "open" else None
        async with self._db.session() as session:
            moved = await store.move(
                session,
                question_id=question.id,
                to=target,
                only_from=from_statuses,
                visible_at=visible_at,
                text=text,
            )
            fresh = await questions.get_question(session, question.id) if moved else None
        if fresh is None:
            return ""
        if target == "open" and binding is not None:
            await self._board.publish(fresh, binding.channel_id)
            for hook in self._after_publish:
                await hook(fresh)
        return target

    async def release_queued(self, platform: Platform) -> int:
        """A session opened: everything queued for it goes out (each with its own random delay)."""
        async with self._db.session() as session:
            waiting = await store.with_status(session, platform=platform.value, status=QUEUED)
        released = 0
        for question in waiting:
            released += await self.release(question, from_statuses=(QUEUED,)) == "open"
        return released

    # --- what the asker's receipt shows ---------------------------------------------------------

    async def receipt_status(self, ctx: ActionContext, question: Question) -> Reply | None:
        """For "Show my question": the states this feature adds; None for the ordinary ones."""
        assert question.id is not None
        if question.status == PENDING:
            return ctx.reply(ctx.t("qamod.receipt_pending", number=question.number))
        if question.status == QUEUED:
            return ctx.reply(ctx.t("qamod.receipt_queued", number=question.number))
        if question.status == REJECTED:
            async with self._db.session() as session:
                decision = await store.moderation_of(session, question_id=question.id)
            reason = UserText(decision.reason or "") if decision else UserText("")
            return ctx.reply(ctx.t("qamod.receipt_rejected", number=question.number, reason=reason))
        if question.status == MERGED:
            async with self._db.session() as session:
                into = await store.merged_into(session, question_id=question.id)
                target = await questions.get_question(session, into) if into else None
            if target is not None:
                return ctx.reply(ctx.t("qamod.receipt_merged", number=question.number, into=target.number))
        return None

    # --- buttons and forms of the `qamod` feature -----------------------------------------------

    async def button(self, ctx: ActionContext, press: ButtonPress) -> Reply | None:
        action = press.action_id.partition(".")[2]
        if action == "report":
            return await self._ask_reason(
                ctx, press, "qamod.report_form", "qamod.report_title", "qamod.report_label"
            )
        if action == "approve":
            return await self._approve(ctx, press)
        if action == "reject":
            return await self._ask_reason(
                ctx, press, "qamod.reject_form", "qamod.reject_title", "qamod.reject_label"
            )
        if action == "edit":
            return await self._open_edit(ctx, press)
        if action == "merge":
            return await self._merge(ctx, press)
        return ctx.reply(ctx.t("button.expired"))

    async def form(self, ctx: ActionContext, submission: FormSubmission) -> Reply | None:
        question = await self._question(submission.metadata, ctx)
        if question is None:
            return ctx.reply(ctx.t("button.expired"))
        if submission.form_id == "qamod.report_form":
            return await self._report(ctx, question, submission.values.get("reason", ""))
        if submission.form_id == "qamod.reject_form":
            return await self._reject(ctx, question, submission.values.get("reason", ""))
        if submission.form_id == "qamod.edit_form":
            return await self._edit(ctx, question, submission.values.get("text", ""))
        return ctx.reply(ctx.t("button.expired"))

    async def _approve(self, ctx: ActionContext, press: ButtonPress) -> Reply:
        question = await self._question(press.value, ctx)
        if question is None or question.id is None:
            return ctx.reply(ctx.t("button.expired"))
        if not await self._decide(question.id, "approved", None, ctx):
            return ctx.reply(ctx.t("qamod.already_decided", number=question.number))
        status = await self.release(question, from_statuses=(PENDING,))
        done = self._t("qamod.approved_by", number=question.number, champion=self._who(ctx))
        await self._update_card(question, done)
        key = "qamod.approved_queued" if status == QUEUED else "qamod.approved"
        return ctx.reply(ctx.t(key, number=question.number))

    async def _reject(self, ctx: ActionContext, question: Question, raw: str) -> Reply:
        assert question.id is not None
        reason = " ".join(raw.split())
        if not reason:
            return ctx.reply(ctx.t("qamod.reason_empty"))
        if len(reason) > REASON_LIMIT:
            return ctx.reply(ctx.t("qamod.reason_too_long", limit=REASON_LIMIT))
        if not await self._decide(question.id, REJECTED, reason, ctx):
            return ctx.reply(ctx.t("qamod.already_decided", number=question.number))
        async with self._db.session() as session:
            await store.move(session, question_id=question.id, to=REJECTED, only_from=(PENDING,))
        done = self._t(
            "qamod.rejected_by", number=question.number, champion=self._who(ctx), reason=UserText(reason)
        )
        await self._update_card(question, done)
        return ctx.reply(ctx.t("qamod.rejected", number=question.number))

    async def _open_edit(self, ctx: ActionContext, press: ButtonPress) -> Reply | None:
        question = await self._question(press.value, ctx)
        if question is None or question.status != PENDING:
            return ctx.reply(ctx.t("qamod.already_decided", number=question.number if question else 0))
        form = Form(
            "qamod.edit_form",
            ctx.s("qamod.edit_title", number=question.number),
            (
                Input(
                    "text",
                    ctx.s("qamod.edit_label"),
                    "multiline",
                    initial=question.text,
                    max_length=MAX_LENGTH,
                ),
            ),
            ctx.s("qamod.edit_submit"),
            metadata=str(question.id),
        )
        return await self._open_form(ctx, press, form)

    async def _edit(self, ctx: ActionContext, question: Question, raw: str) -> Reply:
        assert question.id is not None
        try:
            cleaned = clean_question(raw, max_length=MAX_LENGTH)
        except InputError as rejected:
            return ctx.reply(ctx.t(rejected.key))
        async with self._db.session() as session:
            if (await store.moderation_of(session, question_id=question.id)) is None:
                return ctx.reply(ctx.t("button.expired"))
        if not await self._decide(question.id, "approved", None, ctx):
            return ctx.reply(ctx.t("qamod.already_decided", number=question.number))
        status = await self.release(question, from_statuses=(PENDING,), text=cleaned.text)
        await self._update_card(
            question, self._t("qamod.edited_by", number=question.number, champion=self._who(ctx))
        )
        key = "qamod.approved_queued" if status == QUEUED else "qamod.approved"
        return ctx.reply(ctx.t(key, number=question.number))

    async def _report(self, ctx: ActionContext, question: Question, raw: str) -> Reply:
        """Anyone may report a question; the champions get the question and the reason, never the reporter."""
        assert question.id is not None
        reason = " ".join(raw.split())
        if not reason:
            return ctx.reply(ctx.t("qamod.reason_empty"))
        if len(reason) > REASON_LIMIT:
            return ctx.reply(ctx.t("qamod.reason_too_long", limit=REASON_LIMIT))
        platform = Platform(question.platform)
        binding = await self._board.binding(platform, ChannelPurpose.CHAMPIONS)
        if binding is None:
            return ctx.reply(ctx.t("qamod.no_champions_channel"))
        # One report per person per question a day, counted like a +1: a keyed hash, no name.
        scope = f"report:{question.id}"
        day, digest = await self._anonymity.digest(scope, platform.value, ctx.identity.user_id)
        async with self._db.session() as session:
            if not await questions.add_vote(session, scope=scope, digest=digest, day=day):
                return ctx.reply(ctx.t("qamod.report_already", number=question.number))
        card = Message(
            (
                Section(self._t("qamod.reported", number=question.number, reason=UserText(reason))),
                Note(Text.of(UserText(shorten(question.text, 500)))),
            )
        )
        key = f"qamod:report:{question.id}:{secrets.token_hex(6)}"
        await self._outbox.enqueue([Outgoing(key, platform, "post", binding.channel_id, card)])
        log.info("question reported", extra={"question_id": question.id})
        return ctx.reply(ctx.t("qamod.report_sent", number=question.number))

    async def _merge(self, ctx: ActionContext, press: ButtonPress) -> Reply:
        """Merge a repeated question into the earlier one: its +1s move there, its thread points there,
        and its asker's receipt leads there."""
        new_id, _, old_id = press.value.partition(":")
        if not (new_id.isdigit() and old_id.isdigit()) or new_id == old_id:
            return ctx.reply(ctx.t("button.expired"))
        async with self._db.session() as session:
            new = await questions.get_question(session, int(new_id))
            old = await questions.get_question(session, int(old_id))
            if new is None or old is None or new.platform != old.platform or old.status == MERGED:
                return ctx.reply(ctx.t("button.expired"))
            if not await store.move(
                session, question_id=int(new_id), to=MERGED, only_from=("open", "answered", "accepted")
            ):
                return ctx.reply(ctx.t("qamod.already_merged", new=new.number))
            await store.record_merge(
                session,
                question_id=int(new_id),
                into_id=int(old_id),
                by=ctx.identity.user_id,
                now=self._clock.now(),
            )
            await store.add_votes(session, question_id=int(old_id), votes=new.votes)
        await self._board.refresh(int(old_id))
        await self._board.refresh(int(new_id))
        placed = await self._board.place(new)
        note = Message.of(self._t("qamod.merged_note", new=new.number, old=old.number))
        await self._board.in_thread(placed, f"qamod:merged:{new_id}", note)
        log.info("question merged", extra={"question_id": int(new_id), "into": int(old_id)})
        return Reply(  # replaces the shared "same as" card: in the channel's language
            Message.of(self._t("qamod.merged", new=new.number, old=old.number, champion=self._who(ctx))),
            private=False,
            replace=True,
        )

    # --- helpers ----------------------------------------------------------------------------

    def _card(self, question: Question) -> Message:
        value = str(question.id)
        t = self._catalog
        return Message(
            (
                Section(self._t("qamod.card_title", number=question.number)),
                Section(Text.of(UserText(question.text))),
                Actions(
                    (
                        Button(t.string(self._locale, "qamod.approve"), "qamod.approve", value, "primary"),
                        Button(t.string(self._locale, "qamod.edit"), "qamod.edit", value),
                        Button(t.string(self._locale, "qamod.reject"), "qamod.reject", value, "danger"),
                    )
                ),
            )
        )

    async def _update_card(self, question: Question, outcome: Text) -> None:
        """Replace the champions' card with the decision, so nobody acts on it twice."""
        assert question.id is not None
        ref = await self._outbox.sent_ref(hold_key(question.id))
        if ref is None:
            return
        message = Message((Section(self._t("qamod.card_title", number=question.number)), Note(outcome)))
        try:
            await self._messengers.get(ref.platform).update(ref, message)
        except DeliveryError as error:
            log.info("moderation card not updated: %s", error.reason)

    async def _decide(self, question_id: int, state: str, reason: str | None, ctx: ActionContext) -> bool:
        async with self._db.session() as session:
            return await store.decide(
                session,
                question_id=question_id,
                state=state,
                reason=reason,
                by=ctx.identity.user_id,
                now=self._clock.now(),
            )

    async def _question(self, value: str, ctx: ActionContext) -> Question | None:
        if not value.isdigit():
            return None
        async with self._db.session() as session:
            found = await questions.get_question(session, int(value))
        if found is None or found.platform != ctx.identity.platform.value:
            return None
        return found

    async def _ask_reason(
        self, ctx: ActionContext, press: ButtonPress, form_id: str, title: str, label: str
    ) -> Reply | None:
        question = await self._question(press.value, ctx)
        if question is None:
            return ctx.reply(ctx.t("button.expired"))
        form = Form(
            form_id,
            ctx.s(title, number=question.number),
            (Input("reason", ctx.s(label), "multiline", max_length=REASON_LIMIT),),
            ctx.s("qamod.send"),
            metadata=str(question.id),
        )
        return await self._open_form(ctx, press, form)

    async def _open_form(self, ctx: ActionContext, press: ButtonPress, form: Form) -> Reply | None:
        origin = press.origin
        if ctx.identity.platform is Platform.SLACK and not origin.trigger_id:
            return ctx.reply(ctx.t("button.expired"))
        trigger = FormTrigger(ctx.identity.user_id, origin.conversation.conversation_id, origin.trigger_id)
        try:
            await self._messengers.get(ctx.identity.platform).open_form(trigger, form)
        except DeliveryError as error:
            log.info("form not opened: %s", error.reason)
            return ctx.reply(ctx.t("button.expired"))
        return None

    def _who(self, ctx: ActionContext) -> MentionUser:
        return MentionUser(ctx.identity.user_id, ctx.identity.actor.display_name)

    def _t(self, key: str, **params: object) -> Text:
        return self._catalog.text(self._locale, key, **params)
