"""Question hours: the `qa` command, opening and closing sessions, and the tick that runs the schedule.

Chat and the tick call the same methods. Every channel post goes through the outbox under a key
that names the session or sitting, so nothing is posted twice however often the tick runs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.context import CommandContext
from bot.delivery.outbox import OutboxService, Outgoing
from bot.domain import ChannelPurpose, Platform, Role
from bot.errors import InputError
from bot.i18n import Catalog, command_word
from bot.messages import Message, Reply
from bot.parsing import UserArg
from bot.questions import hours
from bot.questions.hours import WeeklySlot
from bot.questions.loop import MIN_PEOPLE, HelpfulShare
from bot.text import Markup, MentionUser, Text, UserText, shorten
from bot.timewords import format_duration, format_time, weekday_name
from storage import channels
from storage import question_hours as store
from storage.engine import Database
from storage.models import QaSession, QaSlot

log = logging.getLogger(__name__)

DEFAULT_DURATION = timedelta(hours=1)
REMIND_BEFORE = timedelta(hours=24)
ESCALATION_WINDOW = timedelta(days=7)
MAX_LISTED = 15

# Called when a session opens, to post the questions that waited for it (the question service).
ReleaseQueued = Callable[[Platform], Awaitable[int]]


def prefix_for(platform: Platform) -> str:
    return "/champ " if platform is Platform.SLACK else ""


def slot_of(row: QaSlot) -> WeeklySlot:
    return WeeklySlot(
        row.weekday,
        time(row.start_minute // 60, row.start_minute % 60),
        timedelta(minutes=row.duration_minutes),
    )


@dataclass(frozen=True)
class TickReport:
    opened: int = 0
    closed: int = 0
    reminders: int = 0
    escalated: int = 0

    def __str__(self) -> str:
        return (
            f"opened {self.opened} sessions, closed {self.closed}, "
            f"sent {self.reminders} reminders, escalated {self.escalated} questions"
        )


class QuestionHours:
    """Sessions and the schedule; the ask flow asks `accepting()` and registers `release_queued`."""

    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        outbox: OutboxService,
        catalog: Catalog,
        timezone: str,
        locale: str,
        response_time: timedelta,
    ) -> None:
        self._db = database
        self._clock = clock
        self._outbox = outbox
        self._catalog = catalog
        self._tz = ZoneInfo(timezone)
        self._locale = locale  # channels are shared: they read the organisation's language
        self._response_time = response_time
        self._release_queued: ReleaseQueued | None = None

    def on_open(self, release_queued: ReleaseQueued) -> None:
        """The question service registers how to post the questions that were queued for the next session."""
        self._release_queued = release_queued

    # --- what the ask flow needs --------------------------------------------------------------

    async def accepting(self, platform: Platform) -> bool:
        """True when a question may be posted now: always-open mode, or a session is open."""
        async with self._db.session() as session:
            settings = await store.settings_for(session, platform=platform.value)
            if settings.always_open:
                return True
            return (
                await store.current_session(session, platform=platform.value, now=self._clock.now())
                is not None
            )

    async def moderated(self, platform: Platform) -> bool:
        async with self._db.session() as session:
            return (await store.settings_for(session, platform=platform.value)).moderation

    # --- the qa subcommands (declared in bot/questions/feature.py) ----------------------------

    async def show_status(self, ctx: CommandContext, args: list[str]) -> Reply:
        platform = ctx.identity.platform
        now = self._clock.now()
        async with self._db.session() as session:
            settings = await store.settings_for(session, platform=platform.value)
            current = await store.current_session(session, platform=platform.value, now=now)
            rows = await store.slots(session, platform=platform.value)
        lines = []
        if current is not None:
            lines.append(ctx.t("qahours.status.open", until=self._when(ctx.locale, current.closes_at)))
        else:
            lines.append(ctx.t("qahours.status.closed"))
        sitting = hours.next_of([slot_of(row) for row in rows], now, self._tz)
        if sitting is not None and not sitting.contains(now):
            lines.append(
                ctx.t("qahours.status.next", when=self._when(ctx.locale, sitting.opens_at, weekday=True))
            )
        for row in rows:
            lines.append(ctx.t("qahours.status.slot", slot=self._slot_words(ctx.locale, row)))
        lines.append(
            ctx.t("qahours.status.mode_always" if settings.always_open else "qahours.status.mode_sessions")
        )
        lines.append(
            ctx.t("qahours.status.moderation_on" if settings.moderation else "qahours.status.moderation_off")
        )
        duty = self._on_duty(settings.oncall, settings.oncall_since, now)
        if duty:
            lines.append(ctx.t("qahours.status.oncall", person=MentionUser(duty)))
        if ctx.identity.may(Role.CHAMPION):
            async with self._db.session() as session:
                share = HelpfulShare(*await store.feedback_totals(session, platform=platform.value))
            if share.share is None:
                lines.append(ctx.t("qahours.status.helpful_hidden", minimum=MIN_PEOPLE))
            else:
                percent = round(100 * share.share)
                lines.append(ctx.t("qahours.status.helpful", percent=percent, taps=share.yes + share.no))
        return ctx.reply(Text.join(lines))

    async def open_now(self, ctx: CommandContext, args: list[str]) -> Reply:
        if len(args) > 1:
            raise InputError("cmd.qa.usage")
        duration = hours.parse_duration(args[0]) if args else DEFAULT_DURATION
        platform = ctx.identity.platform
        now = self._clock.now()
        if await self._channel(platform, ChannelPurpose.QUESTIONS) is None:
            return ctx.reply(ctx.t("qahours.no_channel", prefix=Markup(ctx.prefix)))
        async with self._db.session() as session:
            current = await store.current_session(session, platform=platform.value, now=now)
            if current is not None:
                return ctx.reply(
                    ctx.t("qahours.already_open", until=self._when(ctx.locale, current.closes_at))
                )
            opened = await store.open_session(
                session,
                platform=platform.value,
                key=f"manual:{platform.value}:{now:%Y%m%dT%H%M%S.%f}",
                opened_at=now,
                closes_at=now + duration,
                opened_by=ctx.identity.user_id,
            )
        assert opened is not None
        await self._announce_open(opened)
        log.info("question hour opened", extra={"platform": platform.value, "session": opened.id})
        return ctx.reply(ctx.t("qahours.opened", until=self._when(ctx.locale, opened.closes_at)))

    async def close_now(self, ctx: CommandContext, args: list[str]) -> Reply:
        if args:
            raise InputError("cmd.qa.usage")
        platform = ctx.identity.platform
        now = self._clock.now()
        async with self._db.session() as session:
            current = await store.current_session(session, platform=platform.value, now=now)
        if current is None:
            return ctx.reply(ctx.t("qahours.not_open"))
        await self.close(current, now)
        return ctx.reply(ctx.t("qahours.closed"))

    async def schedule(self, ctx: CommandContext, args: list[str]) -> Reply:
        platform = ctx.identity.platform
        if not args:
            return await self.show_status(ctx, [])
        if len(args) != 3:
            raise InputError("cmd.qa.usage")
        weekday = hours.parse_weekday(args[0])
        start = hours.parse_time(args[1])
        duration = hours.parse_duration(args[2])
        async with self._db.session() as session:
            await store.add_slot(
                session,
                platform=platform.value,
                weekday=weekday,
                start_minute=start.hour * 60 + start.minute,
                duration_minutes=int(duration.total_seconds() // 60),
                by=ctx.identity.user_id,
                now=self._clock.now(),
            )
        slot = WeeklySlot(weekday, start, duration)
        first = slot.current_or_next(self._clock.now(), self._tz)
        reply = [
            ctx.t(
                "qahours.scheduled",
                slot=self._slot_text(ctx.locale, slot),
                first=self._when(ctx.locale, first.opens_at, weekday=True),
            )
        ]
        if await self._channel(platform, ChannelPurpose.QUESTIONS) is None:
            reply.append(ctx.t("qahours.no_channel", prefix=Markup(ctx.prefix)))
        return ctx.reply(*reply)

    async def unschedule(self, ctx: CommandContext, args: list[str]) -> Reply:
        if len(args) != 2:
            raise InputError("cmd.qa.usage")
        weekday = hours.parse_weekday(args[0])
        start = hours.parse_time(args[1])
        async with self._db.session() as session:
            removed = await store.remove_slot(
                session,
                platform=ctx.identity.platform.value,
                weekday=weekday,
                start_minute=start.hour * 60 + start.minute,
            )
        return ctx.reply(ctx.t("qahours.unscheduled" if removed else "qahours.no_such_slot"))

    async def set_moderation(self, ctx: CommandContext, args: list[str]) -> Reply:
        choice = _on_off(args)
        if choice and await self._channel(ctx.identity.platform, ChannelPurpose.CHAMPIONS) is None:
            # Nobody could review the held questions: refuse rather than let them wait unseen.
            return ctx.reply(ctx.t("qahours.moderation_needs_champions", prefix=Markup(ctx.prefix)))
        async with self._db.session() as session:
            await store.change_settings(
                session,
                platform=ctx.identity.platform.value,
                by=ctx.identity.user_id,
                now=self._clock.now(),
                moderation=choice,
            )
        return ctx.reply(ctx.t("qahours.moderation_now_on" if choice else "qahours.moderation_now_off"))

    async def set_mode(self, ctx: CommandContext, args: list[str]) -> Reply:
        modes = {"always": True, "altid": True, "sessions": False, "sessioner": False}
        if len(args) != 1 or args[0].lower() not in modes:
            raise InputError("cmd.qa.usage")
        always = modes[args[0].lower()]
        async with self._db.session() as session:
            await store.change_settings(
                session,
                platform=ctx.identity.platform.value,
                by=ctx.identity.user_id,
                now=self._clock.now(),
                always_open=always,
            )
        return ctx.reply(ctx.t("qahours.mode_now_always" if always else "qahours.mode_now_sessions"))

    async def set_oncall(self, ctx: CommandContext, args: list[str]) -> Reply:
        people = [arg for arg in ctx.command.args[1:] if isinstance(arg, UserArg)]
        if len(people) != len(ctx.command.args) - 1:
            raise InputError("qahours.oncall_people")
        platform = ctx.identity.platform
        now = self._clock.now()
        if not people:
            async with self._db.session() as session:
                settings = await store.settings_for(session, platform=platform.value)
            if not settings.oncall:
                return ctx.reply(ctx.t("qahours.oncall_none", prefix=Markup(ctx.prefix)))
            duty = self._on_duty(settings.oncall, settings.oncall_since, now)
            rotation = Text.join([Text.of(MentionUser(uid)) for uid in settings.oncall.split()], ", ")
            return ctx.reply(
                ctx.t("qahours.oncall_rotation", people=rotation, person=MentionUser(duty or ""))
            )
        ids = list(dict.fromkeys(person.user_id for person in people))
        today = now.astimezone(self._tz).date()
        async with self._db.session() as session:
            await store.change_settings(
                session,
                platform=platform.value,
                by=ctx.identity.user_id,
                now=now,
                oncall=" ".join(ids),
                oncall_since=today.isoformat(),
            )
        rotation = Text.join([Text.of(MentionUser(uid)) for uid in ids], ", ")
        return ctx.reply(ctx.t("qahours.oncall_set", people=rotation, person=MentionUser(ids[0])))

    # --- opening and closing, shared by chat and the tick ---------------------------------------

    async def _announce_open(self, opened: QaSession) -> None:
        platform = Platform(opened.platform)
        channel = await self._channel(platform, ChannelPurpose.QUESTIONS)
        if channel is not None:
            text = self._t(
                "qahours.invitation",
                until=self._when(self._locale, opened.closes_at),
                prefix=Markup(prefix_for(platform)),
            )
            await self._outbox.enqueue(
                [Outgoing(f"qahours:open:{opened.id}", platform, "post", channel, Message.of(text))]
            )
        if self._release_queued is not None:
            await self._release_queued(platform)

    async def close(self, closing: QaSession, now: datetime) -> bool:
        """Close a session once and post its summary; False when someone else closed it first."""
        async with self._db.session() as session:
            if not await store.close_session(session, session_id=closing.id or 0, now=now):
                return False
            counts = await store.session_counts(
                session, platform=closing.platform, start=closing.opened_at, end=now
            )
        platform = Platform(closing.platform)
        channel = await self._channel(platform, ChannelPurpose.QUESTIONS)
        log.info("question hour closed", extra={"platform": platform.value, "session": closing.id})
        if channel is None:
            return True
        lines = [
            self._t("qahours.summary_counts", asked=counts.asked, answered=counts.answered, open=counts.open)
        ]
        if counts.top:
            top = Text.join(
                [
                    self._t("qahours.summary_top_item", number=number, votes=votes)
                    for number, votes in counts.top
                ],
                ", ",
            )
            lines.append(self._t("qahours.summary_top", items=top))
        if counts.open:
            lines.append(self._t("qahours.summary_still_open"))
        await self._outbox.enqueue(
            [
                Outgoing(
                    f"qahours:summary:{closing.id}", platform, "post", channel, Message.of(Text.join(lines))
                )
            ]
        )
        return True

    # --- the tick ------------------------------------------------------------------------------

    async def tick(self) -> TickReport:
        """Open due scheduled sittings, close finished sessions, remind, escalate. Safe to repeat."""
        now = self._clock.now()
        opened = closed = reminders = escalated = 0
        async with self._db.session() as session:
            all_slots = await store.slots(session)
            due = await store.sessions_due_to_close(session, now=now)
        for row in due:
            closed += await self.close(row, row.closes_at)
        platforms = sorted({row.platform for row in all_slots})
        for name in platforms:
            platform = Platform(name)
            slots = [row for row in all_slots if row.platform == name]
            opened += await self._open_scheduled(platform, slots, now)
            reminders += await self._remind(platform, slots, now)
        for platform in Platform:
            escalated += await self._escalate(platform, now)
        return TickReport(opened, closed, reminders, escalated)

    async def _open_scheduled(self, platform: Platform, slots: list[QaSlot], now: datetime) -> int:
        count = 0
        for row in slots:
            sitting = slot_of(row).current_or_next(now, self._tz)
            if not sitting.contains(now):
                continue
            async with self._db.session() as session:
                if await store.current_session(session, platform=platform.value, now=now) is not None:
                    continue  # a champion opened one by hand; it covers this sitting
                opened = await store.open_session(
                    session,
                    platform=platform.value,
                    key=f"slot:{row.id}:{sitting.opens_at:%Y%m%dT%H%M}",
                    opened_at=sitting.opens_at,
                    closes_at=sitting.closes_at,
                    opened_by="schedule",
                )
            if opened is not None:
                await self._announce_open(opened)
                log.info(
                    "question hour opened by the schedule",
                    extra={"platform": platform.value, "session": opened.id},
                )
                count += 1
        return count

    async def _remind(self, platform: Platform, slots: list[QaSlot], now: datetime) -> int:
        """A day before the next sitting, list the unanswered questions to the champions."""
        sitting = hours.next_of([slot_of(row) for row in slots], now, self._tz)
        if sitting is None or sitting.contains(now) or sitting.opens_at - now > REMIND_BEFORE:
            return 0
        channel = await self._channel(platform, ChannelPurpose.CHAMPIONS)
        if channel is None:
            return 0
        async with self._db.session() as session:
            waiting = await store.unanswered(session, platform=platform.value, visible_before=now)
        if not waiting:
            return 0
        lines = [
            self._t(
                "qahours.reminder",
                count=len(waiting),
                when=self._when(self._locale, sitting.opens_at, weekday=True),
            )
        ]
        lines += [self._question_line(q.number, q.text) for q in waiting[:MAX_LISTED]]
        if len(waiting) > MAX_LISTED:
            lines.append(self._t("qahours.and_more", count=len(waiting) - MAX_LISTED))
        key = f"qahours:remind:{platform.value}:{sitting.opens_at:%Y%m%dT%H%M}"
        return await self._outbox.enqueue(
            [Outgoing(key, platform, "post", channel, Message.of(Text.join(lines)))]
        )

    async def _escalate(self, platform: Platform, now: datetime) -> int:
        """Questions waiting longer than the response-time target go to the champions, once each,
        naming the champion on duty this week."""
        async with self._db.session() as session:
            late = await store.unanswered(
                session,
                platform=platform.value,
                visible_before=now - self._response_time,
                # Only questions that became late this past week: bounds each minute's work (the
                # outbox key already makes each escalation happen once).
                visible_after=now - self._response_time - ESCALATION_WINDOW,
            )
            settings = await store.settings_for(session, platform=platform.value)
        if not late:
            return 0
        channel = await self._channel(platform, ChannelPurpose.CHAMPIONS)
        if channel is None:
            return 0
        duty = self._on_duty(settings.oncall, settings.oncall_since, now)
        hours_waited = int(self._response_time.total_seconds() // 3600)
        items = []
        for question in late:
            if duty:
                who = self._t("qahours.escalation_duty", person=MentionUser(duty))
            else:
                who = self._t("qahours.escalation_nobody", prefix=Markup(prefix_for(platform)))
            text = Text.join(
                [
                    self._t("qahours.escalation_text", number=question.number, hours=hours_waited),
                    self._quote(question.text),
                    who,
                ]
            )
            items.append(
                Outgoing(f"qahours:escalate:{question.id}", platform, "post", channel, Message.of(text))
            )
        return await self._outbox.enqueue(items)

    # --- helpers -------------------------------------------------------------------------------

    def _t(self, key: str, **params: object) -> Text:
        return self._catalog.text(self._locale, key, **params)

    async def _channel(self, platform: Platform, purpose: ChannelPurpose) -> str | None:
        async with self._db.session() as session:
            binding = await channels.binding_for(session, platform=platform.value, purpose=purpose.value)
        return binding.channel_id if binding else None

    def _on_duty(self, oncall: str, since: str, now: datetime) -> str | None:
        if not oncall or not since:
            return None
        return hours.on_duty(
            oncall.split(), since=date.fromisoformat(since), on=now.astimezone(self._tz).date()
        )

    def _when(self, locale: str, instant: datetime, *, weekday: bool = False) -> Text:
        local = instant.astimezone(self._tz)
        clock = Markup(f"{local:%H:%M}")
        if not weekday:
            return self._catalog.text(locale, "qahours.at_time", time=clock, zone=Markup(self._tz.key))
        day = Markup(weekday_name(local.weekday(), locale))
        return self._catalog.text(
            locale,
            "qahours.at_day",
            weekday=day,
            date=Markup(f"{local.day}/{local.month}"),
            time=clock,
            zone=Markup(self._tz.key),
        )

    def _slot_text(self, locale: str, slot: WeeklySlot) -> Text:
        return self._catalog.text(
            locale,
            "qahours.slot",
            weekday=Markup(weekday_name(slot.weekday, locale)),
            time=Markup(format_time(slot.start)),
            duration=Markup(format_duration(slot.duration)),
        )

    def _slot_words(self, locale: str, row: QaSlot) -> Text:
        return self._slot_text(locale, slot_of(row))

    def _question_line(self, number: int, text: str) -> Text:
        return self._t("qahours.question_line", number=number, text=UserText(shorten(text, 200)))

    def _quote(self, text: str) -> Text:
        return Text.of(Markup("> "), UserText(shorten(text, 200)))


def _on_off(args: list[str]) -> bool:
    choice = command_word(args[0], "on", "off") if len(args) == 1 else None
    if choice is None:
        raise InputError("cmd.qa.usage")
    return choice == "on"
