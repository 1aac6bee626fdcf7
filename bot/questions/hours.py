"""Question-hours schedules and the on-call rotation as pure functions of time and a time zone.

No I/O and no clock: callers pass the instant. Weekly slots are wall-clock times in the
organisation's zone, so "Thursday 14:00" stays 14:00 across daylight-saving changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.errors import InputError

MIN_DURATION = timedelta(minutes=10)
MAX_DURATION = timedelta(hours=24)

T = TypeVar("T")


_WEEKDAYS: dict[str, int] = {}
for _index, _names in enumerate(
    [
        ("monday", "mon", "mandag", "man"),
        ("tuesday", "tue", "tues", "tirsdag", "tir"),
        ("wednesday", "wed", "onsdag", "ons"),
        ("thursday", "thu", "thur", "thurs", "torsdag", "tor", "tors"),
        ("friday", "fri", "fredag", "fre"),
        ("saturday", "sat", "lørdag", "lør", "lordag"),
        ("sunday", "sun", "søndag", "søn", "sondag"),
    ]
):
    for _name in _names:
        _WEEKDAYS[_name] = _index

_DURATION = re.compile(
    r"^(?:(?P<h>\d{1,2})\s*(?:h|t|timer?|hours?))?\s*(?:(?P<m>\d{1,4})\s*(?:m|min|minutes?|minutter))?$"
)
_TIME = re.compile(r"^(?P<h>\d{1,2})[:.](?P<m>\d{2})$")


def parse_weekday(word: str) -> int:
    """`thursday`, `thu`, `torsdag` → 3 (Monday is 0, as in `date.weekday()`)."""
    day = _WEEKDAYS.get(word.strip().lower().rstrip("."))
    if day is None:
        raise InputError("qahours.bad_weekday")
    return day


def parse_time(word: str) -> time:
    """`14:00`, `9:30` or the Danish `14.00` → a wall-clock time."""
    match = _TIME.match(word.strip())
    if not match or int(match["h"]) > 23 or int(match["m"]) > 59:
        raise InputError("qahours.bad_time")
    return time(int(match["h"]), int(match["m"]))


def parse_duration(word: str) -> timedelta:
    """`1h`, `90m`, `1h30m` (Danish `1t`) → a duration between 10 minutes and 24 hours."""
    match = _DURATION.match(word.strip().lower())
    if not match or not (match["h"] or match["m"]):
        raise InputError("qahours.bad_duration")
    duration = timedelta(hours=int(match["h"] or 0), minutes=int(match["m"] or 0))
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise InputError("qahours.bad_duration")
    return duration


def format_duration(duration: timedelta) -> str:
    """The short form people type: 90 minutes → `1h30m`, 60 minutes → `1h`."""
    minutes = int(duration.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest or not hours else "")


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

    def next_opening(self, instant: datetime, tz: ZoneInfo) -> datetime:
        """The first opening strictly after `instant`."""
        sitting = self.current_or_next(instant, tz)
        if sitting.opens_at > instant:
            return sitting.opens_at
        return self.current_or_next(sitting.closes_at, tz).opens_at


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """`day` at `wall` in `tz`, as UTC. A time skipped by a spring-forward change lands as far
    after the change as it would have been (02:30 → 03:30); a repeated autumn time means the
    first of the two. Both are what `fold=0` means (PEP 495)."""
    return datetime.combine(day, wall).replace(tzinfo=tz, fold=0).astimezone(UTC)


def next_of(slots: Sequence[WeeklySlot], instant: datetime, tz: ZoneInfo) -> Occurrence | None:
    """The earliest sitting of any slot that is open at or opens after `instant`."""
    sittings = [slot.current_or_next(instant, tz) for slot in slots]
    return min(sittings, key=lambda s: (s.opens_at, s.closes_at), default=None)


def iso_week(instant: datetime, tz: ZoneInfo) -> str:
    """`2026-W48`: the organisation's ISO week of an instant, a stable key for weekly work."""
    year, week, _ = instant.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def on_duty(rotation: Sequence[T], *, since: date, on: date) -> T | None:
    """Who is on duty in the ISO week of `on`, for a weekly rotation that began in the week of
    `since` with its first person; None for an empty rotation."""
    if not rotation:
        return None
    weeks = (_monday(on) - _monday(since)).days // 7
    return rotation[weeks % len(rotation)]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
