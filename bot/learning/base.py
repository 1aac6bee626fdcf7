"""What every part of the learn feature shares: its dependencies, a person's enrolment and zone."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import Clock
from bot.delivery.outbox import OutboxService
from bot.domain import Platform
from bot.errors import InputError
from bot.i18n import Catalog, resolve_locale
from bot.learning import paths, render
from bot.learning.content import Curriculum, Lesson
from bot.learning.inputs import Choices
from bot.learning.schedule import Away, QuietRules, allowed, next_allowed, next_slot
from bot.messages import Message
from bot.ports import Messengers
from bot.services.people import PeopleService
from bot.text import Markup, Text
from bot.timewords import weekday_name
from storage import learning as store
from storage import people as people_store
from storage.engine import Database
from storage.models import LearningEnrolment

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


class LearningBase:
    """The dependencies and small look-ups the enrolment, lesson, progress and nudge parts share."""

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
        return self._lesson_dm(await self._enrolment(platform, user_id), lesson_id, locale)

    def _lesson_dm(self, enrolment: LearningEnrolment | None, lesson_id: str, locale: str) -> Message:
        lesson = self.curriculum.lesson(lesson_id, locale)
        if lesson is None:
            raise KeyError(f"no lesson {lesson_id!r}")
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
        tz = zone_of(person.timezone if person else None, self._default_tz)
        return Recipient(enrolment, tz, locale_of(person.locale if person else None, self._default_locale))

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
            weekday=Markup(weekday_name(local.weekday(), locale)),
            date=Markup(f"{local:%Y-%m-%d}"),
            at=Markup(f"{local:%H:%M}"),
        )


def choices_of(enrolment: LearningEnrolment) -> Choices:
    hours, minutes = enrolment.local_time.split(":")
    return Choices(
        enrolment.track,
        enrolment.function,
        enrolment.pace_weeks,
        enrolment.weekday,
        time(int(hours), int(minutes)),
    )


def zone_of(name: str | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def locale_of(value: str | None, default: str) -> str:
    return resolve_locale(value, default)


def button_index(value: str, size: int) -> int:
    _, _, number = value.partition("|")
    if not number.isdigit() or not 0 <= int(number) < size:
        raise InputError("button.expired")
    return int(number)


def as_markup(params: dict[str, object]) -> dict[str, object]:
    return {name: Markup(str(value)) for name, value in params.items()}
