"""learn: enrolment, the weekly lesson and its buttons, quiz and rating, progress and the HR report."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.actions import ActionContext
from bot.clock import Clock
from bot.context import CommandContext, UsageError
from bot.delivery.outbox import OutboxService, Outgoing
from bot.domain import Platform, Role
from bot.events import ButtonPress, FormSubmission
from bot.i18n import Catalog, resolve_locale
from bot.learning import inputs, paths, render
from bot.learning.content import Curriculum, Lesson
from bot.learning.inputs import Choices, InputProblem
from bot.learning.schedule import Away, QuietRules, allowed, next_allowed, next_slot
from bot.messages import Actions, Block, Button, Form, Input, Message, Note, Reply, Section
from bot.parsing import UserArg, Word
from bot.ports import DeliveryError, FormTrigger, Messengers
from bot.services.people import PeopleService
from bot.text import Markup, MentionUser, Text, UserText
from storage import learning as store
from storage import people as people_store
from storage.engine import Database
from storage.models import LearningEnrolment, LessonProgress

log = logging.getLogger(__name__)

REMINDER_AFTER = timedelta(days=2)
FOLLOWUP_EVERY = timedelta(days=30)
FOLLOWUPS = 3
AI_USE_EVERY = 3  # the "did you use an AI tool this week?" check comes with every third lesson done
COMMENT_LIMIT = 1000
DIRECTORY_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Recipient:
    """An enrolled person as the scheduler sees them: choices, zone and language."""

    enrolment: LearningEnrolment
    tz: ZoneInfo
    locale: str

    @property
    def at(self) -> time:
        hours, minutes = self.enrolment.local_time.split(":")
        return time(int(hours), int(minutes))

    @property
    def away(self) -> Away | None:
        dates = store.away_dates(self.enrolment)
        return Away(*dates) if dates else None


class LearningService:
    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        catalog: Catalog,
        curriculum: Curriculum,
        outbox: OutboxService,
        people: PeopleService,
        messengers: Messengers,
        rules: QuietRules,
        default_timezone: str,
        default_locale: str,
    ) -> None:
        self._db = database
        self._clock = clock
        self._catalog = catalog
        self.curriculum = curriculum
        self._outbox = outbox
        self._people = people
        self._messengers = messengers
        self._rules = rules
        self._default_tz = default_timezone
        self._default_locale = default_locale
        self._directory_read: dict[str, datetime] = {}
        self._zones: dict[tuple[str, str], str] = {}  # from the last directory reads, for people not met yet

    # ---- the contract other features use -------------------------------------------------

    async def lesson_message(
        self, *, platform: Platform, user_id: str, lesson_id: str, locale: str
    ) -> Message:
        """The lesson DM with its buttons; the position is counted along the person's own path."""
        lesson = self.curriculum.lesson(lesson_id, locale)
        if lesson is None:
            raise KeyError(f"no lesson {lesson_id!r}")
        enrolment = await self._enrolment(platform, user_id)
        path = self._path(enrolment, locale) if enrolment else self.curriculum.track(lesson.track, locale)
        ids = [item.id for item in path]
        position = ids.index(lesson_id) + 1 if lesson_id in ids else 1
        total = len(ids) if lesson_id in ids else 1
        t, s = self._translators(locale)
        return render.lesson_dm(lesson, t, s, position=position, total=total)

    async def next_lesson_id(
        self, *, platform: Platform, user_id: str, track: str | None = None
    ) -> str | None:
        enrolment = await self._enrolment(platform, user_id)
        function = enrolment.function if enrolment else "other"
        chosen_track = track or (enrolment.track if enrolment else "foundations")
        shift = enrolment.level_shift if enrolment else 0
        path = paths.lesson_path(self.curriculum, track=chosen_track, function=function, locale="en")
        async with self._db.session() as session:
            seen = [
                row.lesson_id
                for row in await store.person_progress(session, platform=platform, user_id=user_id)
            ]
        lesson = paths.next_lesson(path, seen, shift)
        return lesson.id if lesson else None

    async def enrolled(
        self, *, platform: Platform, track: str | None = None, function: str | None = None
    ) -> list[str]:
        async with self._db.session() as session:
            rows = await store.active(
                session, platform=platform, now=self._clock.now(), track=track, function=function
            )
        return [row.user_id for row in rows]

    async def is_active(self, *, platform: Platform, user_id: str) -> bool:
        enrolment = await self._enrolment(platform, user_id)
        return enrolment is not None and self._is_active(enrolment, self._clock.now())

    # ---- commands ------------------------------------------------------------------------

    async def learn(self, ctx: CommandContext) -> Reply:
        words = ctx.command.words()
        sub = words[0].lower() if words else ""
        handlers = {
            "start": self._start,
            "stop": self._stop,
            "pause": self._pause,
            "away": self._away,
            "next": self._next,
            "progress": self._progress,
            "report": self._report,
            "enrol": self._enrol,
            "enroll": self._enrol,
        }
        handler = handlers.get(sub)
        if handler is None:
            raise UsageError("cmd.learn.usage")
        if sub in {"report", "enrol", "enroll"} and not ctx.identity.may(Role.ADMIN):
            return ctx.reply(ctx.t("refused", command=Markup(f"learn {sub}"), role=ctx.t("role.admin")))
        try:
            return await handler(ctx)
        except InputProblem as problem:
            raise UsageError(problem.key, **problem.params) from None

    async def _start(self, ctx: CommandContext) -> Reply:
        enrolment = await self._enrolment(ctx.identity.platform, ctx.identity.user_id)
        defaults = _choices_of(enrolment) if enrolment else inputs.DEFAULT_CHOICES
        form = self._start_form(ctx.locale, defaults)
        origin = ctx.origin
        trigger = FormTrigger(ctx.identity.user_id, origin.conversation.conversation_id, origin.trigger_id)
        try:
            await self._messengers.get(ctx.identity.platform).open_form(trigger, form)
        except DeliveryError as error:
            log.info("enrolment form not opened", extra={"reason": error.reason})
            return ctx.reply(ctx.t("learn.start.no_form"))
        return ctx.reply(ctx.t("learn.start.opened"))

    def _start_form(self, locale: str, defaults: Choices) -> Form:
        s = lambda key, **params: self._catalog.string(locale, key, **params)  # noqa: E731
        return Form(
            form_id="learn.enrol",
            title=s("learn.form.title"),
            submit_label=s("learn.form.submit"),
            inputs=(
                Input(
                    "track",
                    s("learn.form.track"),
                    "select",
                    tuple(
                        (name, s(f"learn.track.{name}"))
                        for name in ("foundations", "practitioner", "champion")
                    ),
                    initial=defaults.track,
                ),
                Input(
                    "function",
                    s("learn.form.function"),
                    "select",
                    tuple((name, s(f"learn.function.{name}")) for name in inputs.CHOOSABLE_FUNCTIONS),
                    initial=defaults.function,
                ),
                Input(
                    "pace",
                    s("learn.form.pace"),
                    "select",
                    (("1", s("learn.pace.1")), ("2", s("learn.pace.2"))),
                    initial=str(defaults.pace_weeks),
                ),
                Input(
                    "weekday",
                    s("learn.form.weekday"),
                    "select",
                    tuple((day, s(f"learn.weekday.{day}")) for day in inputs.WEEKDAYS),
                    initial=inputs.WEEKDAYS[defaults.weekday],
                ),
                Input("time", s("learn.form.time"), "text", initial=f"{defaults.at:%H:%M}", max_length=5),
            ),
        )

    async def enrol_form(self, ctx: ActionContext, event: FormSubmission) -> Reply:
        platform, user_id = ctx.identity.platform, ctx.identity.user_id
        enrolment = await self._enrolment(platform, user_id)
        defaults = _choices_of(enrolment) if enrolment else inputs.DEFAULT_CHOICES
        try:
            choices = inputs.form_choices(event.values, defaults)
        except InputProblem as problem:
            return ctx.reply(ctx.t(problem.key, **_markup(problem.params)), ctx.t("learn.start.again"))
        now = self._clock.now()
        async with self._db.session() as session:
            await store.enrol(
                session,
                platform=platform,
                user_id=user_id,
                track=choices.track,
                function=choices.function,
                pace_weeks=choices.pace_weeks,
                weekday=choices.weekday,
                local_time=f"{choices.at:%H:%M}",
                enrolled_by=None,
                now=now,
            )
        log.info("enrolled", extra={"track": choices.track, "function": choices.function})
        recipient = await self._recipient_for(platform, user_id)
        slot = next_slot(now, tz=recipient.tz, weekday=choices.weekday, at=choices.at, rules=self._rules)
        return ctx.reply(
            ctx.t(
                "learn.start.done",
                track=ctx.t(f"learn.track.{choices.track}"),
                function=ctx.t(f"learn.function.{choices.function}"),
                pace=ctx.t(f"learn.pace.{choices.pace_weeks}"),
                weekday=ctx.t(f"learn.weekdays.{choices.weekday}"),
                at=Markup(f"{choices.at:%H:%M}"),
                first=self._when(ctx.locale, slot, recipient.tz),
                timezone=Markup(recipient.tz.key),
                prefix=Markup(ctx.prefix),
            )
        )

    async def _stop(self, ctx: CommandContext) -> Reply:
        async with self._db.session() as session:
            changed = await store.change(
                session,
                platform=ctx.identity.platform,
                user_id=ctx.identity.user_id,
                stopped_at=self._clock.now(),
            )
        if not changed:
            return ctx.reply(ctx.t("learn.not_enrolled", prefix=Markup(ctx.prefix)))
        return ctx.reply(ctx.t("learn.stop.done", prefix=Markup(ctx.prefix)))

    async def _pause(self, ctx: CommandContext) -> Reply:
        weeks = inputs.pause_weeks(ctx.command.words()[1:])
        until = self._clock.now() + timedelta(weeks=weeks)
        async with self._db.session() as session:
            changed = await store.change(
                session, platform=ctx.identity.platform, user_id=ctx.identity.user_id, paused_until=until
            )
        if not changed:
            return ctx.reply(ctx.t("learn.not_enrolled", prefix=Markup(ctx.prefix)))
        tz = _zone(ctx.identity.timezone, self._default_tz)
        return ctx.reply(
            ctx.t("learn.pause.done", weeks=weeks, until=Markup(f"{until.astimezone(tz):%Y-%m-%d}"))
        )

    async def _away(self, ctx: CommandContext) -> Reply:
        tz = _zone(ctx.identity.timezone, self._default_tz)
        start, end = inputs.away_dates(ctx.command.words()[1:], self._clock.now().astimezone(tz).date())
        async with self._db.session() as session:
            changed = await store.change(
                session,
                platform=ctx.identity.platform,
                user_id=ctx.identity.user_id,
                away_from=start,
                away_until=end,
            )
        if not changed:
            return ctx.reply(ctx.t("learn.not_enrolled", prefix=Markup(ctx.prefix)))
        return ctx.reply(
            ctx.t("learn.away.done", start=Markup(start.isoformat()), end=Markup(end.isoformat()))
        )

    async def _next(self, ctx: CommandContext) -> Reply:
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

    async def _progress(self, ctx: CommandContext) -> Reply:
        platform, user_id = ctx.identity.platform, ctx.identity.user_id
        enrolment = await self._enrolment(platform, user_id)
        if enrolment is None:
            return ctx.reply(ctx.t("learn.not_enrolled", prefix=Markup(ctx.prefix)))
        async with self._db.session() as session:
            rows = await store.person_progress(session, platform=platform, user_id=user_id)
        path = self._path(enrolment, ctx.locale)
        path_ids = {lesson.id for lesson in path}
        done = [row for row in rows if row.done_at is not None and row.lesson_id in path_ids]
        ratings = [row.rating for row in rows if row.rating is not None]
        now = self._clock.now()
        tz = _zone(ctx.identity.timezone, self._default_tz)
        fields: list[tuple[str, Text]] = [
            (ctx.s("learn.progress.track"), ctx.t(f"learn.track.{enrolment.track}")),
            (ctx.s("learn.progress.function"), ctx.t(f"learn.function.{enrolment.function}")),
            (ctx.s("learn.progress.done"), ctx.t("learn.progress.done_of", done=len(done), total=len(path))),
            (
                ctx.s("learn.progress.streak"),
                ctx.t(
                    "learn.progress.weeks",
                    weeks=paths.streak(
                        [row.done_at for row in done if row.done_at], now.astimezone(tz).date()
                    ),
                ),
            ),
        ]
        if ratings:
            average = sum(ratings) / len(ratings)
            fields.append((ctx.s("learn.progress.rating"), Text.of(Markup(f"{average:.1f} / 5"))))
        fields.append((ctx.s("learn.progress.status"), self._status(ctx, enrolment, now, tz)))
        blocks: list[Block] = [Section(ctx.t("learn.progress.title"), fields=tuple(fields))]
        recent = [self.curriculum.lesson(row.lesson_id, ctx.locale) for row in done[-3:]]
        titles = [Text.of(Markup("• "), Markup(lesson.title)) for lesson in recent if lesson]
        if titles:
            blocks.append(Note(Text.join([ctx.t("learn.progress.recent"), *titles])))
        return Reply(Message(tuple(blocks)))

    def _status(self, ctx: CommandContext, enrolment: LearningEnrolment, now: datetime, tz: ZoneInfo) -> Text:
        if enrolment.stopped_at is not None:
            return ctx.t("learn.status.stopped", prefix=Markup(ctx.prefix))
        if enrolment.paused_until and enrolment.paused_until > now:
            return ctx.t(
                "learn.status.paused", until=Markup(f"{enrolment.paused_until.astimezone(tz):%Y-%m-%d}")
            )
        recipient = Recipient(enrolment, tz, ctx.locale)
        slot = self._weekly_slot(recipient, now)
        return ctx.t("learn.status.next", when=self._when(ctx.locale, max(slot, now), tz))

    async def _report(self, ctx: CommandContext) -> Reply:
        platform = ctx.identity.platform
        async with self._db.session() as session:
            rows = await store.report_groups(session, platform=platform)
            pairs = await store.productive_use(session, platform=platform)
            total, completed = await store.count_enrolled(session, platform=platform)
            followups = await store.followup_answers(session, platform=platform)
        groups, hidden = paths.merge_small([paths.Group(**vars(row)) for row in rows])
        lines: list[Text] = [ctx.t("learn.report.title")]
        if total < paths.MIN_GROUP:
            lines.append(ctx.t("learn.report.too_few", minimum=paths.MIN_GROUP))
            return Reply(Message.of(Text.join(lines)))
        for group in groups:
            lines.append(
                ctx.t(
                    "learn.report.line",
                    track=ctx.t(f"learn.track.{group.track}")
                    if group.track != paths.OTHER
                    else ctx.t("learn.report.other"),
                    function=ctx.t(f"learn.function.{group.function}"),
                    people=group.people,
                    delivered=group.delivered,
                    opened=group.opened,
                    done=group.done,
                    rating=Markup(f"{group.rating:.1f}" if group.rating is not None else "–"),
                )
            )
        if hidden:
            lines.append(ctx.t("learn.report.hidden", people=hidden, minimum=paths.MIN_GROUP))
        ratings = sum(group.rating_sum for group in groups), sum(group.rating_count for group in groups)
        kpis = [ctx.t("learn.report.completed", completed=completed, total=total)]
        if ratings[1]:
            kpis.append(ctx.t("learn.report.satisfaction", rating=Markup(f"{ratings[0] / ratings[1]:.1f}")))
        median = paths.median_days(pairs) if len(pairs) >= paths.MIN_GROUP else None
        kpis.append(
            ctx.t("learn.report.productive", days=Markup(f"{median:.0f}"), people=len(pairs))
            if median is not None
            else ctx.t("learn.report.productive_hidden", minimum=paths.MIN_GROUP)
        )
        answered = sum(followups.values())
        if answered >= paths.MIN_GROUP:
            kpis.append(ctx.t("learn.report.followup", tried=followups.get("tried", 0), answered=answered))
        return Reply(Message((Section(Text.join(lines)), Section(Text.join(kpis)))))

    async def _enrol(self, ctx: CommandContext) -> Reply:
        """HR enrols people (mentions) or a function's already-known people into a track."""
        args = ctx.command.args[1:]
        track = "foundations"
        targets: list[str] = []
        functions: list[str] = []
        for arg in args:
            if isinstance(arg, UserArg):
                targets.append(arg.user_id)
            elif isinstance(arg, Word) and arg.text.lower().startswith("function:"):
                name = arg.text.split(":", 1)[1].lower()
                if name not in inputs.CHOOSABLE_FUNCTIONS:
                    raise InputProblem(
                        "learn.enrol.bad_function", allowed=", ".join(inputs.CHOOSABLE_FUNCTIONS)
                    )
                functions.append(name)
            elif (
                isinstance(arg, Word)
                and arg.text.lower() in ("foundations", "practitioner", "champion")
                and arg is args[-1]
            ):
                track = arg.text.lower()
            else:
                raise UsageError("learn.enrol.bad")
        platform = ctx.identity.platform
        for name in functions:
            targets.extend(await self._known_with_function(platform, name))
        if not targets:
            raise UsageError("learn.enrol.bad")
        now = self._clock.now()
        added = 0
        for user_id in dict.fromkeys(targets):
            existing = await self._enrolment(platform, user_id)
            defaults = _choices_of(existing) if existing else inputs.DEFAULT_CHOICES
            async with self._db.session() as session:
                await store.enrol(
                    session,
                    platform=platform,
                    user_id=user_id,
                    track=track,
                    function=defaults.function,
                    pace_weeks=defaults.pace_weeks,
                    weekday=defaults.weekday,
                    local_time=f"{defaults.at:%H:%M}",
                    enrolled_by=ctx.identity.user_id,
                    now=now,
                )
            added += 1
            locale = await self._people.locale_of(platform, user_id)
            text = self._catalog.text(
                locale,
                "learn.enrol.notice",
                by=MentionUser(ctx.identity.user_id, ctx.identity.actor.display_name),
                track=self._catalog.text(locale, f"learn.track.{track}"),
                prefix=Markup(ctx.prefix),
            )
            key = f"learn-enrolled:{platform.value}:{user_id}:{track}:{now:%Y%m%dT%H%M%S}"
            await self._outbox.enqueue([Outgoing(key, platform, "dm", user_id, Message.of(text))])
        return ctx.reply(ctx.t("learn.enrol.done", count=added, track=ctx.t(f"learn.track.{track}")))

    async def _known_with_function(self, platform: Platform, function: str) -> list[str]:
        async with self._db.session() as session:
            rows = await store.with_function(session, platform=platform, function=function)
        return list(rows)

    # ---- buttons and forms ---------------------------------------------------------------

    async def button(self, ctx: ActionContext, event: ButtonPress) -> Reply | None:
        action = event.action_id.split(".", 1)[1] if "." in event.action_id else ""
        handler = {
            "start": self._open,
            "done": self._done,
            "snooze": self._snooze,
            "easy": self._easy,
            "hard": self._hard,
            "answer": self._answer,
            "rate": self._rate,
            "comment": self._comment_form,
            "aiuse": self._ai_use,
            "followup": self._followup,
        }.get(action)
        if handler is None:
            return ctx.reply(ctx.t("button.expired"))
        return await handler(ctx, event)

    async def form(self, ctx: ActionContext, event: FormSubmission) -> Reply | None:
        if event.form_id == "learn.enrol":
            return await self.enrol_form(ctx, event)
        if event.form_id == "learn.comment":
            return await self._comment(ctx, event)
        return ctx.reply(ctx.t("button.expired"))

    def _pressed_lesson(self, ctx: ActionContext, value: str) -> Lesson:
        lesson = self.curriculum.lesson(value.split("|", 1)[0], ctx.locale)
        if lesson is None:
            raise UsageError("learn.lesson.gone")
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
        index = _index(event.value, len(lesson.quiz.choices))
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
        stars = _index(event.value, 6)
        if stars < 1:
            raise UsageError("button.expired")
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
        number_text, _, answer = event.value.partition("|")
        if not number_text.isdigit() or answer not in {"yes", "no"}:
            raise UsageError("button.expired")
        platform, user_id = ctx.identity.platform, ctx.identity.user_id
        now = self._clock.now()
        async with self._db.session() as session:
            await store.answer_checkin(
                session,
                platform=platform,
                user_id=user_id,
                kind="ai_use",
                number=int(number_text),
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
        number_text, _, answer = event.value.partition("|")
        if not number_text.isdigit() or answer not in {
            "tried",
            "stuck",
            "not_yet",
            "hour",
            "champion",
            "ask",
        }:
            raise UsageError("button.expired")
        platform, user_id = ctx.identity.platform, ctx.identity.user_id
        if answer in {"tried", "stuck", "not_yet"}:
            async with self._db.session() as session:
                await store.answer_checkin(
                    session,
                    platform=platform,
                    user_id=user_id,
                    kind="followup",
                    number=int(number_text),
                    answer=answer,
                    now=self._clock.now(),
                )
            return ctx.reply(ctx.t(f"learn.followup.{answer}", prefix=Markup(ctx.prefix)))
        if answer == "champion":
            return await self._champion_of(ctx)
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

    # ---- the weekly tick -----------------------------------------------------------------

    async def tick(self, now: datetime) -> str:
        """Enqueue every lesson, reminder, snoozed lesson and follow-up that is due now.

        One read for all of it: the tick runs every few minutes and usually finds nothing due."""
        async with self._db.session() as session:
            people = await store.active_with_people(session, now=now)
            snoozed = await store.snoozed_due(session, now=now)
            unfinished = await store.reminders_due(session, delivered_before=now - REMINDER_AFTER, now=now)
            finished = await store.followups_due(session, completed_before=now - FOLLOWUP_EVERY)
        directory = await self._directory_zones({row.platform for row, tz, _ in people if tz is None}, now)
        recipients = {
            (row.platform, row.user_id): Recipient(
                row,
                _zone(tz or directory.get((row.platform, row.user_id)), self._default_tz),
                _locale(locale, self._default_locale),
            )
            for row, tz, locale in people
        }
        lessons = await self._weekly(recipients, now)
        back = await self._snoozed(recipients, snoozed)
        reminders = await self._reminders(recipients, unfinished, now)
        followups = await self._followups(recipients, finished, now)
        return f"{lessons} lessons, {back} snoozed, {reminders} reminders, {followups} follow-ups"

    async def _directory_zones(self, platforms: set[str], now: datetime) -> dict[tuple[str, str], str]:
        """Time zones of people who never spoke to the bot (HR enrolled them), from one bulk read of the
        platform's directory (Slack users.list), at most once an hour, and stored for next time."""
        for platform in sorted(platforms):
            last = self._directory_read.get(platform)
            if last is not None and now - last < DIRECTORY_EVERY:
                continue
            self._directory_read[platform] = now
            try:
                members = await self._messengers.get(Platform(platform)).directory()
            except Exception as error:  # a directory is a nicety: the organisation's zone still works
                log.info("directory not read", extra={"platform": platform, "reason": type(error).__name__})
                continue
            found = {member.user_id: member.timezone for member in members if member.timezone}
            async with self._db.session() as session:
                await store.fill_timezones(session, platform=platform, zones=found)
            self._zones.update({(platform, user_id): zone for user_id, zone in found.items()})
        return self._zones

    def _weekly_slot(self, recipient: Recipient, now: datetime) -> datetime:
        enrolment = recipient.enrolment
        if enrolment.last_nudge_at is None:
            anchor = enrolment.enrolled_at
        else:
            anchor = enrolment.last_nudge_at + timedelta(weeks=enrolment.pace_weeks) - timedelta(days=1)
        if enrolment.paused_until and enrolment.paused_until > anchor:
            anchor = enrolment.paused_until
        slot = next_slot(
            anchor,
            tz=recipient.tz,
            weekday=enrolment.weekday,
            at=recipient.at,
            rules=self._rules,
            away=recipient.away,
        )
        if slot < now - timedelta(
            hours=1
        ):  # missed while the bot was down: now if allowed, else the next slot
            if allowed(now, recipient.tz, self._rules, recipient.away):
                return now
            slot = next_allowed(now, tz=recipient.tz, at=recipient.at, rules=self._rules, away=recipient.away)
        return slot

    async def _weekly(self, recipients: dict[tuple[str, str], Recipient], now: datetime) -> int:
        sent = 0
        for (platform_name, user_id), recipient in recipients.items():
            slot = self._weekly_slot(recipient, now)
            if slot > now:
                continue
            platform = Platform(platform_name)
            lesson_id = await self.next_lesson_id(platform=platform, user_id=user_id)
            if lesson_id is None:
                continue
            lesson = self._lesson(lesson_id, recipient.locale)
            message = await self.lesson_message(
                platform=platform, user_id=user_id, lesson_id=lesson_id, locale=recipient.locale
            )
            key = f"learn:{platform_name}:{user_id}:{lesson_id}"
            await self._outbox.enqueue([Outgoing(key, platform, "dm", user_id, message, not_before=slot)])
            async with self._db.session() as session:
                await store.delivered(
                    session,
                    platform=platform_name,
                    user_id=user_id,
                    lesson_id=lesson_id,
                    track=lesson.track,
                    at=slot,
                )
                await store.change(session, platform=platform_name, user_id=user_id, last_nudge_at=slot)
            sent += 1
        return sent

    async def _snoozed(
        self, recipients: dict[tuple[str, str], Recipient], rows: Sequence[LessonProgress]
    ) -> int:
        count = 0
        for row in rows:
            recipient = recipients.get((row.platform, row.user_id))
            if recipient is None or row.snoozed_until is None:
                continue
            platform = Platform(row.platform)
            message = await self.lesson_message(
                platform=platform, user_id=row.user_id, lesson_id=row.lesson_id, locale=recipient.locale
            )
            key = f"learn:{row.platform}:{row.user_id}:{row.lesson_id}:snooze:{row.snoozed_until:%Y%m%dT%H%M}"
            await self._outbox.enqueue(
                [Outgoing(key, platform, "dm", row.user_id, message, not_before=row.snoozed_until)]
            )
            async with self._db.session() as session:
                await store.mark(
                    session,
                    platform=row.platform,
                    user_id=row.user_id,
                    lesson_id=row.lesson_id,
                    snoozed_until=None,
                )
            count += 1
        return count

    async def _reminders(
        self, recipients: dict[tuple[str, str], Recipient], rows: Sequence[Any], now: datetime
    ) -> int:
        count = 0
        for progress, _enrolment in rows:
            recipient = recipients.get((progress.platform, progress.user_id))
            if recipient is None:
                continue
            when = next_allowed(
                progress.delivered_at + REMINDER_AFTER,
                tz=recipient.tz,
                at=recipient.at,
                rules=self._rules,
                away=recipient.away,
            )
            if when > now:
                continue
            lesson = self.curriculum.lesson(progress.lesson_id, recipient.locale)
            if lesson is None:
                continue
            t, s = self._translators(recipient.locale)
            message = Message(
                (
                    Section(t("learn.reminder", title=Markup(lesson.title))),
                    Actions(
                        (
                            Button(s("learn.button.start"), "learn.start", lesson.id, "primary"),
                            Button(s("learn.button.done"), "learn.done", lesson.id),
                        )
                    ),
                )
            )
            key = f"learn-reminder:{progress.platform}:{progress.user_id}:{lesson.id}"
            await self._outbox.enqueue(
                [Outgoing(key, Platform(progress.platform), "dm", progress.user_id, message)]
            )
            async with self._db.session() as session:
                await store.mark_once(
                    session,
                    platform=progress.platform,
                    user_id=progress.user_id,
                    lesson_id=lesson.id,
                    column="reminder_sent_at",
                    value=now,
                )
            count += 1
        return count

    async def _followups(
        self, recipients: dict[tuple[str, str], Recipient], rows: Sequence[Any], now: datetime
    ) -> int:
        count = 0
        for enrolment, sent in rows:
            recipient = recipients.get((enrolment.platform, enrolment.user_id))
            completed = enrolment.foundations_completed_at
            if recipient is None or completed is None or sent >= FOLLOWUPS:
                continue
            number = sent + 1
            when = next_allowed(
                completed + FOLLOWUP_EVERY * number,
                tz=recipient.tz,
                at=recipient.at,
                rules=self._rules,
                away=recipient.away,
            )
            if when > now:
                continue
            key = f"learn-followup:{enrolment.platform}:{enrolment.user_id}:{number}"
            message = self._followup_message(recipient.locale, number)
            await self._outbox.enqueue(
                [Outgoing(key, Platform(enrolment.platform), "dm", enrolment.user_id, message)]
            )
            async with self._db.session() as session:
                await store.add_checkin(
                    session,
                    platform=enrolment.platform,
                    user_id=enrolment.user_id,
                    kind="followup",
                    number=number,
                    now=now,
                )
            count += 1
        return count

    def _followup_message(self, locale: str, number: int) -> Message:
        t, s = self._translators(locale)
        answers = tuple(
            Button(s(f"learn.button.{answer}"), "learn.followup", f"{number}|{answer}")
            for answer in ("tried", "stuck", "not_yet")
        )
        help_buttons = tuple(
            Button(s(f"learn.button.{answer}"), "learn.followup", f"{number}|{answer}")
            for answer in ("hour", "champion", "ask")
        )
        return Message(
            (
                Section(t("learn.followup.question", number=number, total=FOLLOWUPS)),
                Actions(answers),
                Section(t("learn.followup.help")),
                Actions(help_buttons),
            )
        )

    # ---- helpers -------------------------------------------------------------------------

    async def _enrolment(self, platform: Platform, user_id: str) -> LearningEnrolment | None:
        async with self._db.session() as session:
            return await store.enrolment(session, platform=platform, user_id=user_id)

    async def _recipient_for(self, platform: Platform, user_id: str) -> Recipient:
        async with self._db.session() as session:
            enrolment = await store.enrolment(session, platform=platform, user_id=user_id)
            person = await people_store.get_person(session, platform=platform, user_id=user_id)
        if enrolment is None:
            enrolment = LearningEnrolment(
                platform=platform,
                user_id=user_id,
                track="foundations",
                function="other",
                enrolled_at=self._clock.now(),
            )
        tz = _zone(person.timezone if person else None, self._default_tz)
        return Recipient(enrolment, tz, _locale(person.locale if person else None, self._default_locale))

    def _path(self, enrolment: LearningEnrolment, locale: str) -> list[Lesson]:
        return paths.lesson_path(
            self.curriculum, track=enrolment.track, function=enrolment.function, locale=locale
        )

    def _lesson(self, lesson_id: str, locale: str) -> Lesson:
        lesson = self.curriculum.lesson(lesson_id, locale)
        if lesson is None:
            raise KeyError(lesson_id)
        return lesson

    def _is_active(self, enrolment: LearningEnrolment, now: datetime) -> bool:
        return enrolment.stopped_at is None and not (enrolment.paused_until and enrolment.paused_until > now)

    def _translators(self, locale: str) -> tuple[render.Translate, render.Label]:
        return (
            lambda key, **params: self._catalog.text(locale, key, **params),
            lambda key, **params: self._catalog.string(locale, key, **params),
        )

    def _when(self, locale: str, moment: datetime, tz: ZoneInfo) -> Text:
        local = moment.astimezone(tz)
        return self._catalog.text(
            locale,
            "learn.when",
            weekday=self._catalog.text(locale, f"learn.weekdays.{local.weekday()}"),
            date=Markup(f"{local:%Y-%m-%d}"),
            at=Markup(f"{local:%H:%M}"),
        )


def _choices_of(enrolment: LearningEnrolment) -> Choices:
    hours, minutes = enrolment.local_time.split(":")
    return Choices(
        enrolment.track,
        enrolment.function,
        enrolment.pace_weeks,
        enrolment.weekday,
        time(int(hours), int(minutes)),
    )


def _zone(name: str | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def _locale(value: str | None, default: str) -> str:
    return resolve_locale(value, default)


def _index(value: str, size: int) -> int:
    _, _, number = value.partition("|")
    if not number.isdigit() or not 0 <= int(number) < size:
        raise UsageError("button.expired")
    return int(number)


def _markup(params: dict[str, object]) -> dict[str, object]:
    return {name: Markup(str(value)) for name, value in params.items()}
