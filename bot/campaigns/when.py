"""When a campaign goes out: now, once at a date and time, or every week; optionally at each
person's own local wall-clock time.

Pure: parsing, storing as one line, and the arithmetic of occurrences. An occurrence is named by
its local date (`2026-12-01`), so the same week can never be fanned out twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import timewords
from bot.errors import InputError
from bot.i18n import command_word
from bot.parsing import Token

# The first place on earth to reach a wall-clock time (UTC+14): a `local` occurrence is fanned
# out then, each person's message held back until their own time.
EARLIEST_ZONE = ZoneInfo("Etc/GMT-14")


@dataclass(frozen=True)
class Now:
    """At once."""


@dataclass(frozen=True)
class Once:
    at: datetime  # naive wall-clock time: in the organisation's zone, or each person's when local
    local: bool = False


@dataclass(frozen=True)
class Weekly:
    weekday: int  # 0 Monday … 6 Sunday
    at: time
    local: bool = False


When = Now | Once | Weekly


@dataclass(frozen=True)
class Occurrence:
    key: str  # "now" or the wall-clock date, e.g. "2026-12-01"
    due: datetime  # aware UTC: when the tick fans it out
    wall: datetime | None  # naive wall-clock time of the messages; None for "now"


def parse_when(tokens: Sequence[Token], *, now: datetime, tz: ZoneInfo) -> tuple[When, int]:
    """The time words at the start of `tokens`, and how many tokens they used."""
    words = [token.word for token in tokens[:4]]
    if not words:
        raise InputError("nudge.error.when_missing")
    first = words[0]
    if command_word(first, "now"):
        return Now(), 1
    if command_word(first, "every"):
        if len(words) < 3:
            raise InputError("nudge.error.every_missing")
        try:
            weekday = timewords.parse_weekday(words[1])
        except timewords.TimeWordError:
            raise InputError("nudge.error.weekday", word=tokens[1].arg_text) from None
        at = _time(words[2], tokens[2].arg_text)
        local = len(words) > 3 and command_word(words[3], "local") is not None
        return Weekly(weekday, at, local), 4 if local else 3
    if timewords.looks_like_date(first):
        day = _date(first)
        if len(words) < 2:
            raise InputError("nudge.error.time_missing")
        wall = datetime.combine(day, _time(words[1], tokens[1].arg_text))
        local = len(words) > 2 and command_word(words[2], "local") is not None
        when = Once(wall, local)
        if instant(wall, tz) <= now:
            raise InputError("nudge.error.past", at=f"{wall:%Y-%m-%d %H:%M}")
        return when, 3 if local else 2
    raise InputError("nudge.error.when", word=tokens[0].arg_text)


def _date(word: str) -> date:
    try:
        return timewords.parse_date(word)
    except timewords.TimeWordError:
        raise InputError("nudge.error.date", word=word) from None


def _time(word: str, shown: str) -> time:
    try:
        return timewords.parse_time(word)
    except timewords.TimeWordError:
        raise InputError("nudge.error.time", word=shown) from None


def instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall-clock time in `zone` as aware UTC. A time skipped by a DST change counts as
    the hour after (zoneinfo's fold=0 does this), a repeated one as its first occurrence."""
    return wall.replace(tzinfo=zone).astimezone(UTC)


def first_occurrence(when: When, *, now: datetime, tz: ZoneInfo) -> Occurrence:
    if isinstance(when, Now):
        return Occurrence("now", now, None)
    if isinstance(when, Once):
        return _occurrence(when.at, when.local, tz)
    today = now.astimezone(tz).date()
    day = today + timedelta(days=(when.weekday - today.weekday()) % 7)
    wall = datetime.combine(day, when.at)
    if instant(wall, tz) <= now:
        wall += timedelta(days=7)
    return _occurrence(wall, when.local, tz)


def next_occurrence(when: When, after: Occurrence, *, tz: ZoneInfo) -> Occurrence | None:
    """The occurrence after `after`: one week later for a weekly campaign, none otherwise."""
    if not isinstance(when, Weekly) or after.wall is None:
        return None
    return _occurrence(after.wall + timedelta(days=7), when.local, tz)


def _occurrence(wall: datetime, local: bool, tz: ZoneInfo) -> Occurrence:
    due = instant(wall, EARLIEST_ZONE) if local else instant(wall, tz)
    return Occurrence(wall.date().isoformat(), due, wall)


def send_at(occurrence: Occurrence, when: When, zone: ZoneInfo) -> datetime | None:
    """When one person's message may go out: their own wall-clock time for a local campaign;
    None (at once) otherwise."""
    if occurrence.wall is None or not getattr(when, "local", False):
        return None
    return instant(occurrence.wall, zone)


def encode(when: When) -> str:
    """One line for the campaign row: `now`, `once 2026-12-01T09:00 [local]`, `weekly 1 10:00 [local]`."""
    match when:
        case Now():
            return "now"
        case Once(at, local):
            return f"once {at:%Y-%m-%dT%H:%M}" + (" local" if local else "")
        case Weekly(weekday, at, local):
            return f"weekly {weekday} {at:%H:%M}" + (" local" if local else "")
    raise TypeError(when)


def decode(stored: str) -> When:
    parts = stored.split()
    local = parts[-1] == "local"
    if parts[0] == "now":
        return Now()
    if parts[0] == "once":
        return Once(datetime.strptime(parts[1], "%Y-%m-%dT%H:%M"), local)  # noqa: DTZ007 (wall time)
    if parts[0] == "weekly":
        hour, minute = parts[2].split(":")
        return Weekly(int(parts[1]), time(int(hour), int(minute)), local)
    raise ValueError(f"not a stored schedule: {stored!r}")


def occurrence_from(key: str, when: When, *, tz: ZoneInfo, now: datetime) -> Occurrence:
    """Rebuild a stored occurrence from its key (the tick keeps only the key and the due time)."""
    if key == "now" or isinstance(when, Now):
        return Occurrence("now", now, None)
    clock = when.at.time() if isinstance(when, Once) else when.at
    return _occurrence(datetime.combine(date.fromisoformat(key), clock), when.local, tz)
