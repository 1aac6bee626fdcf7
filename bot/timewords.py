"""Weekdays, clock times, dates and durations as people type them in English and Danish, and
weekday names in the reader's language.

Pure: no I/O and no clock. Every command that takes a time (`qa schedule`, `nudge schedule`,
`learn away`, the enrolment form, and the features to come) reads it here, so "tirsdag 9.30"
means the same everywhere. A feature turns a `TimeWordError` into its own catalog message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date, time, timedelta
from functools import cache
from typing import Literal

from babel.dates import get_day_names

WordKind = Literal["weekday", "time", "date", "duration", "weeks"]

# The languages whose weekday names are understood, whatever the reader's own language is:
# people mix them ("qa schedule torsdag 14:00" in an English workspace is common in Denmark).
WEEKDAY_LANGUAGES = ("en", "da")
MIN_WEEKDAY_PREFIX = 3  # "tue", "tir", "man": shorter ones ("to", "ma") read as ordinary words

_TIME = re.compile(r"^(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<half>am|pm)?$")
_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
_DURATION_PART = re.compile(r"(?P<n>\d{1,4})\s*(?P<unit>[^\W\d_]+)\s*")

# Units in the order they must appear ("1h30m", never "30m1h"), with every spelling we accept.
_UNITS: dict[str, tuple[str, ...]] = {
    "weeks": ("w", "wk", "week", "weeks", "u", "uge", "uger"),
    "days": ("d", "day", "days", "dag", "dage", "døgn"),
    "hours": ("h", "hr", "hour", "hours", "t", "time", "timer"),
    "minutes": ("m", "min", "mins", "minute", "minutes", "minut", "minutter"),
}
_UNIT_OF = {spelling: unit for unit, spellings in _UNITS.items() for spelling in spellings}
_UNIT_ORDER = tuple(_UNITS)
_FORMAT_IN_HOURS_BELOW = timedelta(days=2)
MAX_WEEK_INTERVAL = 52  # "24h", "36h": how people say it below two days


class TimeWordError(ValueError):
    """A word that is not the weekday, time, date, duration or week interval it should be."""

    def __init__(self, kind: WordKind, word: str) -> None:
        super().__init__(f"not a {kind}: {word!r}")
        self.kind = kind
        self.word = word


def fold(word: str) -> str:
    """Case, accents and a trailing dot do not matter: `Lør.` → `lør`, `Sóndag` → `sondag`."""
    folded = unicodedata.normalize("NFKD", word.strip().casefold().rstrip("."))
    return unicodedata.normalize("NFC", "".join(c for c in folded if not unicodedata.combining(c)))


def _spellings(name: str) -> set[str]:
    """A Danish name as typed on any keyboard: `lørdag`, `lordag`, `loerdag`."""
    variants = {fold(name)}
    for letter, replacements in (("ø", ("o", "oe")), ("æ", ("a", "ae")), ("å", ("a", "aa"))):
        variants |= {v.replace(letter, r) for v in variants for r in replacements}
    return variants


@cache
def _weekday_names() -> tuple[tuple[str, int], ...]:
    names = {
        spelling: day
        for language in WEEKDAY_LANGUAGES
        for day, name in get_day_names("wide", locale=language).items()
        for spelling in _spellings(name)
    }
    return tuple(names.items())


def parse_weekday(word: str) -> int:
    """A weekday in English or Danish, whole or cut after three letters or more:
    `thursday`, `Thu`, `thurs`, `torsdag`, `tors.` → 3 (Monday is 0, as in `date.weekday()`)."""
    typed = fold(word)
    if len(typed) >= MIN_WEEKDAY_PREFIX:
        days = {day for name, day in _weekday_names() if name.startswith(typed)}
        if len(days) == 1:
            return days.pop()
    raise TimeWordError("weekday", word)


def weekday_name(day: int, locale: str) -> str:
    """The weekday's name in the reader's language, as it stands inside a sentence:
    `Tuesday` in English, `tirsdag` in Danish (Danish writes weekdays in lower case)."""
    return get_day_names("wide", locale=locale)[day]


def parse_time(word: str) -> time:
    """A wall-clock time: `9`, `9am`, `9pm`, `09:00`, `9.00` (Danish), `21:30`, `9:30pm`.
    Without am/pm the clock has 24 hours; `12am` is midnight and `12pm` noon."""
    match = _TIME.match(word.strip().casefold())
    if match is None:
        raise TimeWordError("time", word)
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if match["half"]:
        if not 1 <= hour <= 12:
            raise TimeWordError("time", word)
        hour = hour % 12 + (12 if match["half"] == "pm" else 0)
    if hour > 23 or minute > 59:
        raise TimeWordError("time", word)
    return time(hour, minute)


def format_time(moment: time) -> str:
    """`09:00`: the 24-hour form every catalog uses, which `parse_time` reads back."""
    return f"{moment:%H:%M}"


def looks_like_date(word: str) -> bool:
    """True for anything shaped like `YYYY-MM-DD`, valid or not: it was meant as a date."""
    return _DATE.match(word.strip()) is not None


def parse_date(word: str) -> date:
    """`2026-12-01` (or `2026-12-1`) → a calendar date; `2026-02-30` is refused."""
    match = _DATE.match(word.strip())
    if match is None:
        raise TimeWordError("date", word)
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise TimeWordError("date", word) from None


def parse_duration(word: str) -> timedelta:
    """A positive duration: `30m`, `1h`, `1h30m`, `3d`, `2w`, `2 weeks`, Danish `1t`, `2 uger`.
    Each unit at most once, largest first; a bare number (`90`) or a fraction (`1.5h`) is refused,
    since nobody can tell which unit was meant."""
    typed = word.strip().casefold()
    total = timedelta()
    position, last_unit = 0, -1
    for match in _DURATION_PART.finditer(typed):
        unit = _UNIT_OF.get(match["unit"])
        if match.start() != position or unit is None or _UNIT_ORDER.index(unit) <= last_unit:
            raise TimeWordError("duration", word)
        last_unit = _UNIT_ORDER.index(unit)
        total += timedelta(**{unit: int(match["n"])})
        position = match.end()
    if position != len(typed) or total <= timedelta():
        raise TimeWordError("duration", word)
    return total


_WEEK_WORDS = ("week", "weeks", "wk", "w", "uge", "uger", "u")
_OTHER_WORDS = ("other", "anden")  # "every other week", "hver anden uge"


def parse_week_interval(words: Sequence[str]) -> tuple[int, int]:
    """How many weeks apart, from the words after "every"/"hver", and how many words that took:
    `week` → 1, `2 weeks` → 2, `other week` → 2, Danish `uge`, `2 uger`, `2. uge`, `anden uge`.
    For cadences such as `showtell schedule thu 14:00 every 2 weeks`."""
    typed = [word.strip().casefold() for word in words[:2]]
    if typed and typed[0] in _WEEK_WORDS:
        return 1, 1
    if len(typed) == 2 and typed[1] in _WEEK_WORDS:
        if typed[0] in _OTHER_WORDS:
            return 2, 2
        number = typed[0].removesuffix(".")
        if number.isdigit() and 1 <= int(number) <= MAX_WEEK_INTERVAL:
            return int(number), 2
    raise TimeWordError("weeks", " ".join(words[:2]))


def format_duration(duration: timedelta) -> str:
    """The short form people type, which `parse_duration` reads back: `45m`, `1h30m`, `24h`,
    `3d`, `2w`, `1w2d`. Below two days in hours and minutes, as people say them."""
    minutes = int(duration.total_seconds() // 60)
    amounts: list[tuple[int, str]] = []
    if duration >= _FORMAT_IN_HOURS_BELOW:
        days, minutes = divmod(minutes, 24 * 60)
        weeks, days = divmod(days, 7)
        amounts += [(weeks, "w"), (days, "d")]
    hours, minutes = divmod(minutes, 60)
    amounts += [(hours, "h"), (minutes, "m")]
    shown = "".join(f"{amount}{unit}" for amount, unit in amounts if amount)
    return shown or "0m"
