"""When a lesson may reach a person: their weekday and local time, moved out of quiet hours.

Pure functions, no I/O and no clock: the tick job asks "when is this person's next slot after
the last one?", and the answer never falls before 08:00 or from 18:00 local, on a weekend, on a
public holiday of the organisation's country, or inside the person's own away dates.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from bot import timewords

DAY_START = time(8, 0)
DAY_END = time(18, 0)  # from this minute on it is quiet
DEFAULT_WEEKDAY = 1  # Tuesday
DEFAULT_TIME = time(10, 0)
_LIMIT = 400  # days searched before giving up: a year of holidays and away dates is far below this


@dataclass(frozen=True)
class Away:
    """A person's own days off, both ends included."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True)
class QuietRules:
    """The days nobody gets a lesson: weekends always, plus the organisation's public holidays."""

    holidays: Container[date] = field(default_factory=frozenset)

    @classmethod
    def for_country(cls, country: str) -> QuietRules:
        return cls(holidays.country_holidays(country))

    def working_day(self, day: date, away: Away | None = None) -> bool:
        return day.weekday() < 5 and day not in self.holidays and not (away and day in away)


def allowed(moment: datetime, tz: ZoneInfo, rules: QuietRules, away: Away | None = None) -> bool:
    """True when a message may arrive at this moment in this person's time zone."""
    local = moment.astimezone(tz)
    return DAY_START <= local.time() < DAY_END and rules.working_day(local.date(), away)


def _move_into_day(local: datetime, tz: ZoneInfo, rules: QuietRules, away: Away | None) -> datetime:
    """The first allowed local moment at or after `local`: early → 08:00, late → next day 08:00,
    and a day off moves to the next working day at the same time."""
    for _ in range(_LIMIT):
        if local.time() < DAY_START:
            local = _at(local.date(), DAY_START, tz)
        elif local.time() >= DAY_END:
            local = _at(local.date() + timedelta(days=1), DAY_START, tz)
        elif not rules.working_day(local.date(), away):
            local = _at(local.date() + timedelta(days=1), local.time(), tz)
        else:
            return local
    raise ValueError("no working day within a year; check the away dates")


def _at(day: date, clock_time: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock_time, tzinfo=tz)


def next_slot(
    after: datetime,
    *,
    tz: ZoneInfo,
    weekday: int = DEFAULT_WEEKDAY,
    at: time = DEFAULT_TIME,
    rules: QuietRules,
    away: Away | None = None,
) -> datetime:
    """The person's first weekly slot at or after `after` (UTC), moved out of quiet hours.

    The nominal slot is the chosen weekday (0 = Monday) at the chosen local time; if that falls
    in quiet hours, on a holiday or in an away period, the lesson arrives at the next allowed moment.
    """
    local_after = after.astimezone(tz)
    days_ahead = (weekday - local_after.weekday()) % 7
    nominal = _at(local_after.date() + timedelta(days=days_ahead), at, tz)
    if nominal < local_after:
        nominal = _at(nominal.date() + timedelta(days=7), at, tz)
    return _move_into_day(nominal, tz, rules, away).astimezone(UTC)


def next_allowed(
    after: datetime,
    *,
    tz: ZoneInfo,
    at: time = DEFAULT_TIME,
    rules: QuietRules,
    away: Away | None = None,
) -> datetime:
    """The first day at or after `after` with `at` still ahead and allowed: for reminders, snoozes
    and catching up a slot the bot missed while it was down."""
    local_after = after.astimezone(tz)
    candidate = _at(local_after.date(), at, tz)
    if candidate < local_after:
        candidate = _at(local_after.date() + timedelta(days=1), at, tz)
    return _move_into_day(candidate, tz, rules, away).astimezone(UTC)


def parse_clock(text: str) -> time | None:
    """'10:00', '9.30', '9' or '2pm' → a time within the working day; None when it is not one."""
    try:
        value = timewords.parse_time(text)
    except timewords.TimeWordError:
        return None
    return value if DAY_START <= value < DAY_END else None
