"""Reading what people type for the learn commands and the enrolment form; no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from bot import timewords
from bot.errors import InputError
from bot.learning.content import FUNCTIONS, TRACKS
from bot.learning.schedule import DEFAULT_TIME, parse_clock

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
PACES = ("1", "2")
CHOOSABLE_FUNCTIONS = (*FUNCTIONS, "other")
MAX_PAUSE_WEEKS = 12
MAX_AWAY_DAYS = 366


@dataclass(frozen=True)
class Choices:
    track: str
    function: str
    pace_weeks: int
    weekday: int
    at: time


def _pick(value: str, allowed: tuple[str, ...], default: str, field: str) -> str:
    cleaned = value.strip().lower() or default
    if cleaned not in allowed:
        raise InputError("learn.start.invalid", field=field, allowed=", ".join(allowed))
    return cleaned


def form_choices(values: dict[str, str], defaults: Choices) -> Choices:
    """The enrolment form's answers; an empty answer keeps the default (the console's Enter)."""
    track = _pick(values.get("track", ""), TRACKS, defaults.track, "track")
    function = _pick(values.get("function", ""), CHOOSABLE_FUNCTIONS, defaults.function, "function")
    pace = _pick(values.get("pace", ""), PACES, str(defaults.pace_weeks), "pace")
    weekday = _weekday(values.get("weekday", ""), defaults.weekday)
    raw_time = values.get("time", "").strip()
    at = parse_clock(raw_time) if raw_time else defaults.at
    if at is None:
        raise InputError("learn.start.bad_time")
    return Choices(track, function, int(pace), weekday, at)


def _weekday(value: str, default: int) -> int:
    """The form's own values (`mon` … `fri`) or a weekday typed in the console (`tirsdag`):
    lessons come on working days only."""
    if not value.strip():
        return default
    try:
        day = timewords.parse_weekday(value)
    except timewords.TimeWordError:
        day = None
    if day is None or day >= len(WEEKDAYS):
        raise InputError("learn.start.invalid", field="weekday", allowed=", ".join(WEEKDAYS))
    return day


DEFAULT_CHOICES = Choices("foundations", "other", 1, 1, DEFAULT_TIME)


def pause_weeks(words: list[str]) -> int:
    if len(words) != 1 or not words[0].isdigit() or not 1 <= int(words[0]) <= MAX_PAUSE_WEEKS:
        raise InputError("learn.pause.bad", most=MAX_PAUSE_WEEKS)
    return int(words[0])


def away_dates(words: list[str], today: date) -> tuple[date, date]:
    """`2026-12-21 2027-01-03`: both days included; not in the past, at most a year long."""
    if len(words) != 2:
        raise InputError("learn.away.bad")
    try:
        start, end = timewords.parse_date(words[0]), timewords.parse_date(words[1])
    except timewords.TimeWordError:
        raise InputError("learn.away.bad") from None
    if end < start:
        raise InputError("learn.away.order")
    if end < today:
        raise InputError("learn.away.past")
    if (end - start).days > MAX_AWAY_DAYS:
        raise InputError("learn.away.long")
    return start, end
