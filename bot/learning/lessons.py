"""One lesson from the person's side: learn next, Start, Done, the quiz, rating, comment and check-ins."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.actions import ActionContext
from bot.context import CommandContext
from bot.errors import InputError
from bot.events import ButtonPress, FormSubmission
from bot.learning import paths, render
from bot.learning.base import (
    AI_USE_EVERY,
    COMMENT_LIMIT,
    LearningBase,
    button_index,
)
from bot.learning.content import Lesson
from bot.learning.schedule import next_allowed
from bot.messages import Actions, Block, Button, Form, Input, Message, Note, Reply, Section
from bot.ports import DeliveryError, FormTrigger
from bot.text import Markup, MentionUser, Text, UserText
from storage import learning as store

log = logging.getLogger(__name__)


class LessonActions(LearningBase):
    async def learn_next(self, ctx: CommandContext) -> Reply:
        platform, user_id = ctx.identity.platform, ctx.identity.user_id
        enrolment = await self._enrolment(platform, user_id)
        if enrolment is None or enrolment.stopped_at is not None:
            return ctx.reply(ctx.t("learn.not_enrolled", prefix=Markup(ctx.prefix)))
        lesson_id = await self.next_lesson_id(platform=platform, user_id=user_id)
        if lesson_id is None:
            return ctx.reply(ctx.t("learn.next.finished", prefix=Markup(ctx.prefix)))
        lesson = self._lesson(lesson_id, ctx.locale)
        async with self._db.session() as session:
            await store.delivered(
                session,
                platform=platform,
                user_id=user_id,
                lesson_id=lesson_id,
                track=lesson.track,
                at=self._clock.now(),
            )
        message = await self.lesson_message(
            platform=platform, user_id=user_id, lesson_id=lesson_id, locale=ctx.locale
        )
        return Reply(message)

    # ---- buttons and forms ---------------------------------------------------------------

    def _pressed_lesson(self, ctx: ActionContext, value: str) -> Lesson:
        lesson = self.curriculum.lesson(value.split("|", 1)[0], ctx.locale)
        if lesson is None:
            raise InputError("learn.lesson.gone")
        return lesson

    async def _ensure_row(self, ctx: ActionContext, lesson: Lesson) -> None:
        """A lesson may arrive from a campaign or an older message: its progress row starts at the press."""
        async with self._db.session() as session:
            await store.delivered(
                session,
                platform=ctx.identity.platform,
                user_id=ctx.identity.user_id,
                lesson_id=lesson.id,
                track=lesson.track,
                at=self._clock.now(),
            )

    async def _open(self, ctx: ActionContext, event: ButtonPress) -> Reply:
        lesson = self._pressed_lesson(ctx, event.value)
        await self._ensure_row(ctx, lesson)
        async with self._db.session() as session:
            await store.mark_once(
                session,
                platform=ctx.identity.platform,
                user_id=ctx.identity.user_id,
                lesson_id=lesson.id,
                column="opened_at",
                value=self._clock.now(),
            )
        return Reply(render.lesson_body(lesson, ctx.s))

    async def _done(self, ctx: ActionContext, event: ButtonPress) -> Reply:
        lesson = self._pressed_lesson(ctx, event.value)
        await self._ensure_row(ctx, lesson)
        platform, user_id = ctx.identity.platform, ctx.identity.user_id
        now = self._clock.now()
        async with self._db.session() as session:
            await store.mark_once(
                session,
                platform=platform,
                user_id=user_id,
                lesson_id=lesson.id,
                column="opened_at",
                value=now,
            )
            await store.mark_once(
                session, platform=platform, user_id=user_id, lesson_id=lesson.id, column="done_at", value=now
            )
            rows = await store.person_progress(session, platform=platform, user_id=user_id)
            foundations = {item.id for item in self.curriculum.track("foundations", "en")}
            finished = {row.lesson_id for row in rows if row.done_at is not None}
            if foundations and foundations <= finished:
                await store.set_once(
                    session, platform=platform, user_id=user_id, column="foundations_completed_at", now=now
                )
        return Reply(render.quiz(lesson, ctx.t))

    async def _answer(self, ctx: ActionContext, event: ButtonPress) -> Reply:
        lesson = self._pressed_lesson(ctx, event.value)
        index = button_index(event.value, len(lesson.quiz.choices))
        async with self._db.session() as session:
            await store.mark(
                session,
                platform=ctx.identity.platform,
                user_id=ctx.identity.user_id,
                lesson_id=lesson.id,
                quiz_answer=index,
                quiz_correct=lesson.quiz.choices[index].correct,
            )
        return Reply(render.feedback(lesson, index, ctx.t))

    async def _rate(self, ctx: ActionContext, event: ButtonPress) -> Reply:
        lesson = self._pressed_lesson(ctx, event.value)
        stars = button_index(event.value, 6)
        if stars < 1:
            raise InputError("button.expired")
        platform, user_id = ctx.identity.platform, ctx.identity.user_id
        async with self._db.session() as session:
            await store.mark(session, platform=platform, user_id=user_id, lesson_id=lesson.id, rating=stars)
            rows = await store.person_progress(session, platform=platform, user_id=user_id)
        done = sum(1 for row in rows if row.done_at is not None)
        blocks: list[Block] = [
            Section(ctx.t("learn.rate.thanks", stars=stars)),
            Actions((Button(ctx.s("learn.button.comment"), "learn.comment", lesson.id),)),
        ]
        if done and done % AI_USE_EVERY == 0:
            async with self._db.session() as session:
                await store.add_checkin(
                    session,
                    platform=platform,
                    user_id=user_id,
                    kind="ai_use",
                    number=done,
                    now=self._clock.now(),
                )
            blocks.append(Section(ctx.t("learn.aiuse.ask")))
            blocks.append(
                Actions(
                    (
                        Button(ctx.s("learn.button.yes"), "learn.aiuse", f"{done}|yes", "primary"),
                        Button(ctx.s("learn.button.not_yet"), "learn.aiuse", f"{done}|no"),
                    )
                )
            )
        blocks.append(Note(ctx.t("learn.rate.next", prefix=Markup(ctx.prefix))))
        return Reply(Message(tuple(blocks)))

    async def _comment_form(self, ctx: ActionContext, event: ButtonPress) -> Reply | None:
        lesson = self._pressed_lesson(ctx, event.value)
        form = Form(
            form_id="learn.comment",
            title=ctx.s("learn.comment.title"),
            inputs=(
                Input(
                    "comment",
                    ctx.s("learn.comment.label"),
                    "multiline",
                    required=False,
                    max_length=COMMENT_LIMIT,
                ),
            ),
            submit_label=ctx.s("learn.comment.submit"),
            metadata=lesson.id,
        )
        origin = event.origin
        trigger = FormTrigger(ctx.identity.user_id, origin.conversation.conversation_id, origin.trigger_id)
        try:
            await self._messengers.get(ctx.identity.platform).open_form(trigger, form)
        except DeliveryError:
            return ctx.reply(ctx.t("learn.start.no_form"))
        return None

    async def _comment(self, ctx: ActionContext, event: FormSubmission) -> Reply:
        lesson = self._pressed_lesson(ctx, event.metadata)
        comment = event.values.get("comment", "").strip()
        if not comment:
            return ctx.reply(ctx.t("learn.comment.empty"))
        if len(comment) > COMMENT_LIMIT:
            return ctx.reply(ctx.t("learn.comment.long", limit=COMMENT_LIMIT))
        async with self._db.session() as session:
            await store.mark(
                session,
                platform=ctx.identity.platform,
                user_id=ctx.identity.user_id,
                lesson_id=lesson.id,
                comment=comment,
            )
        return ctx.reply(ctx.t("learn.comment.saved", comment=UserText(comment)))

    async def _ai_use(self, ctx: ActionContext, event: ButtonPress) -> Reply:
        number, answer = _checkin_answer(event, {"yes", "no"})
        platform, user_id = ctx.identity.platform, ctx.identity.user_id
        now = self._clock.now()
        async with self._db.session() as session:
            await store.answer_checkin(
                session,
                platform=platform,
                user_id=user_id,
                kind="ai_use",
                number=number,
                answer=answer,
                now=now,
            )
            if answer == "yes":
                await store.set_once(
                    session, platform=platform, user_id=user_id, column="first_ai_use_at", now=now
                )
        return ctx.reply(ctx.t(f"learn.aiuse.{answer}"))

    async def _snooze(self, ctx: ActionContext, event: ButtonPress) -> Reply:
        lesson = self._pressed_lesson(ctx, event.value)
        await self._ensure_row(ctx, lesson)
        recipient = await self._recipient_for(ctx.identity.platform, ctx.identity.user_id)
        now = self._clock.now()
        until = next_allowed(
            now + timedelta(days=1), tz=recipient.tz, at=recipient.at, rules=self._rules, away=recipient.away
        )
        async with self._db.session() as session:
            await store.mark(
                session,
                platform=ctx.identity.platform,
                user_id=ctx.identity.user_id,
                lesson_id=lesson.id,
                snoozed_until=until,
            )
        return ctx.reply(
            ctx.t("learn.snooze.done", when=self._when(ctx.locale, until, recipient.tz)), replace=True
        )

    async def _easy(self, ctx: ActionContext, event: ButtonPress) -> Reply:
        return await self._difficulty(ctx, event, "easy", +1)

    async def _hard(self, ctx: ActionContext, event: ButtonPress) -> Reply:
        return await self._difficulty(ctx, event, "hard", -1)

    async def _difficulty(self, ctx: ActionContext, event: ButtonPress, word: str, step: int) -> Reply:
        lesson = self._pressed_lesson(ctx, event.value)
        await self._ensure_row(ctx, lesson)
        platform, user_id = ctx.identity.platform, ctx.identity.user_id
        enrolment = await self._enrolment(platform, user_id)
        if enrolment is None:
            return ctx.reply(ctx.t("learn.not_enrolled", prefix=Markup(ctx.prefix)))
        async with self._db.session() as session:
            await store.mark(
                session, platform=platform, user_id=user_id, lesson_id=lesson.id, difficulty=word
            )
            await store.change(
                session,
                platform=platform,
                user_id=user_id,
                level_shift=paths.shifted(enrolment.level_shift, step),
            )
        return ctx.reply(ctx.t(f"learn.level.{word}", prefix=Markup(ctx.prefix)))

    async def _followup(self, ctx: ActionContext, event: ButtonPress) -> Reply:
        number, answer = _checkin_answer(event, {*FOLLOWUP_RECORDED, "hour", "champion", "ask"})
        if answer == "champion":
            return await self._champion_of(ctx)
        if answer in FOLLOWUP_RECORDED:
            async with self._db.session() as session:
                await store.answer_checkin(
                    session,
                    platform=ctx.identity.platform,
                    user_id=ctx.identity.user_id,
                    kind="followup",
                    number=number,
                    answer=answer,
                    now=self._clock.now(),
                )
        return ctx.reply(ctx.t(f"learn.followup.{answer}", prefix=Markup(ctx.prefix)))

    async def _champion_of(self, ctx: ActionContext) -> Reply:
        platform, user_id = ctx.identity.platform, ctx.identity.user_id
        enrolment = await self._enrolment(platform, user_id)
        function = enrolment.function if enrolment else "other"
        async with self._db.session() as session:
            champions = await store.champions(session, platform=platform, function=function)
        others = [champion for champion in champions if champion != user_id]
        if not others:
            return ctx.reply(ctx.t("learn.followup.no_champion", prefix=Markup(ctx.prefix)))
        names = Text.join([Text.of(MentionUser(champion)) for champion in others[:3]], ", ")
        return ctx.reply(ctx.t("learn.followup.champions", champions=names))


FOLLOWUP_RECORDED = {"tried", "stuck", "not_yet"}  # the follow-up answers kept for the report


def _checkin_answer(event: ButtonPress, allowed: set[str]) -> tuple[int, str]:
    """A check-in button's value is ``<number>|<answer>``; anything else is an old or forged button."""
    number_text, _, answer = event.value.partition("|")
    if not number_text.isdigit() or answer not in allowed:
        raise InputError("button.expired")
    return int(number_text), answer
