"""Question-hours schedules and the on-call rotation as pure functions of time and a time zone.

No I/O and no clock: callers pass the instant. Weekly slots are wall-clock times in the
organisation's zone, so "Thursday 14:00" stays 14:00 across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot import timewords
from bot.errors import InputError

MIN_DURATION = timedelta(minutes=10)
MAX_DURATION = timedelta(hours=24)

T = TypeVar("T")


def parse_weekday(word: str) -> int:
    """`thursday`, `thu`, `torsdag` → 3 (Monday is 0), as every command reads weekdays."""
    try:
        return timewords.parse_weekday(word)
    except timewords.TimeWordError:
        raise InputError("qahours.bad_weekday") from None


def parse_time(word: str) -> time:
    """`14:00`, `9:30`, `2pm` or the Danish `14.00` → a wall-clock time."""
    try:
        return timewords.parse_time(word)
    except timewords.TimeWordError:
        raise InputError("qahours.bad_time") from None


def parse_duration(word: str) -> timedelta:
    """`1h`, `90m`, `1h30m` (Danish `1t`) → a sitting's length, between 10 minutes and 24 hours."""
    try:
        duration = timewords.parse_duration(word)
    except timewords.TimeWordError:
        raise InputError("qahours.bad_duration") from None
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise InputError("qahours.bad_duration")
    return duration


@dataclass(frozen=True)
class Occurrence:
    """One sitting of a weekly slot, as UTC instants."""

    opens_at: datetime
    closes_at: datetime

    def contains(self, instant: datetime) -> bool:
        return self.opens_at <= instant < self.closes_at


@dataclass(frozen=True)
class WeeklySlot:
    """Every `weekday` at `start` local time, for `duration`."""

    weekday: int
    start: time
    duration: timedelta

    def occurrence_on(self, day: date, tz: ZoneInfo) -> Occurrence:
        opens = local_instant(day, self.start, tz)
        return Occurrence(opens, opens + self.duration)

    def current_or_next(self, instant: datetime, tz: ZoneInfo) -> Occurrence:
        """The sitting that is open at `instant`, or else the next one to open."""
        instant = instant.astimezone(UTC)
        local_day = instant.astimezone(tz).date()
        # A sitting that opened up to a day (its maximum length) ago may still be open.
        day = local_day - timedelta(days=1 + (local_day.weekday() - self.weekday - 1) % 7)
        while True:
            sitting = self.occurrence_on(day, tz)
            if sitting.closes_at > instant:
                return sitting
            day += timedelta(days=7)


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """`day` at `wall` in `tz`, as UTC. A time skipped by a spring-forward change lands as far
    after the change as it would have been (02:30 → 03:30); a repeated autumn time means the
    first of the two. Both are what `fold=0` means (PEP 495)."""
    return datetime.combine(day, wall).replace(tzinfo=tz, fold=0).astimezone(UTC)


def next_of(slots: Sequence[WeeklySlot], instant: datetime, tz: ZoneInfo) -> Occurrence | None:
    """The earliest sitting of any slot that is open at or opens after `instant`."""
    sittings = [slot.current_or_next(instant, tz) for slot in slots]
    return min(sittings, key=lambda s: (s.opens_at, s.closes_at), default=None)


def on_duty(rotation: Sequence[T], *, since: date, on: date) -> T | None:
    """Who is on duty in the ISO week of `on`, for a weekly rotation that began in the week of
    `since` with its first person; None for an empty rotation."""
    if not rotation:
        return None
    weeks = (_monday(on) - _monday(since)).days // 7
    return rotation[weeks % len(rotation)]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
