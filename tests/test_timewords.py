"""Weekdays, times, dates and durations as people type them, in English and Danish; no I/O.

The three parsers this module replaced disagreed: `qa schedule` knew `thur` and `lordag`,
`nudge schedule` knew `loerdag` but not `thur`, the enrolment form knew `mon`…`fri` only; the
learning form took a bare `9` that the others refused, and `nudge` took `2026-12-1` that
`learn away` refused. The cases below pin the one answer for all of them.
"""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.timewords import (
    TimeWordError,
    format_duration,
    format_time,
    looks_like_date,
    parse_date,
    parse_duration,
    parse_time,
    parse_week_interval,
    parse_weekday,
    weekday_name,
)

# Every spelling the three old tables accepted, and the ones only some of them did.
OLD_TABLES = {
    0: ("monday", "mon", "mandag", "man"),
    1: ("tuesday", "tue", "tues", "tirsdag", "tir"),
    2: ("wednesday", "wed", "onsdag", "ons"),
    3: ("thursday", "thu", "thur", "thurs", "torsdag", "tor", "tors"),
    4: ("friday", "fri", "fredag", "fre"),
    5: ("saturday", "sat", "lørdag", "lør", "lordag", "loerdag"),
    6: ("sunday", "sun", "søndag", "søn", "sondag", "soendag"),
}


@pytest.mark.parametrize(
    ("day", "word"), [(day, word) for day, words in OLD_TABLES.items() for word in words]
)
def test_every_weekday_any_old_parser_knew_is_still_known(day: int, word: str) -> None:
    assert parse_weekday(word) == day


@pytest.mark.parametrize(
    ("word", "day"),
    [("Tue", 1), ("TIRSDAG", 1), ("tirs.", 1), ("Lør.", 5), ("SØNDAG", 6), ("Sóndag", 6), ("wednes", 2)],
)
def test_weekdays_ignore_case_accents_and_a_trailing_dot(word: str, day: int) -> None:
    assert parse_weekday(word) == day


@pytest.mark.parametrize("word", ["", "to", "ma", "someday", "tuesdays", "mo", "th", "1", "tirsdagx"])
def test_words_that_are_not_weekdays_are_refused(word: str) -> None:
    with pytest.raises(TimeWordError) as error:
        parse_weekday(word)
    assert error.value.kind == "weekday" and error.value.word == word


def test_weekday_names_are_rendered_in_the_readers_language() -> None:
    assert [weekday_name(day, "en") for day in (0, 1, 6)] == ["Monday", "Tuesday", "Sunday"]
    assert [weekday_name(day, "da") for day in (0, 1, 5)] == ["mandag", "tirsdag", "lørdag"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("9", time(9)),
        ("9am", time(9)),
        ("9pm", time(21)),
        ("9PM", time(21)),
        ("09:00", time(9)),
        ("9.00", time(9)),
        ("21:30", time(21, 30)),
        ("9:30pm", time(21, 30)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("0", time(0)),
        ("23:59", time(23, 59)),
    ],
)
def test_times_people_type(word: str, expected: time) -> None:
    assert parse_time(word) == expected


@pytest.mark.parametrize(
    "word", ["", "24", "25:00", "14:60", "1400", "14:0", "noon", "13pm", "0am", "9:5", "-1"]
)
def test_bad_times_are_refused(word: str) -> None:
    with pytest.raises(TimeWordError) as error:
        parse_time(word)
    assert error.value.kind == "time"


def test_dates_are_iso_days_of_the_calendar() -> None:
    assert parse_date("2026-12-01") == date(2026, 12, 1)
    assert parse_date("2026-12-1") == date(2026, 12, 1)
    for word in ("2026-02-30", "2026-13-01", "01-12-2026", "2026/12/01", "tomorrow", ""):
        with pytest.raises(TimeWordError):
            parse_date(word)
    assert looks_like_date("2026-02-30") and not looks_like_date("10:00")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(minutes=90)),
        ("3d", timedelta(days=3)),
        ("2w", timedelta(weeks=2)),
        ("2 weeks", timedelta(weeks=2)),
        ("1w2d", timedelta(days=9)),
        ("2t", timedelta(hours=2)),
        ("2 uger", timedelta(weeks=2)),
        ("3 dage", timedelta(days=3)),
        ("45min", timedelta(minutes=45)),
        ("1 minut", timedelta(minutes=1)),
    ],
)
def test_durations_in_english_and_danish(word: str, expected: timedelta) -> None:
    assert parse_duration(word) == expected


@pytest.mark.parametrize(
    "word", ["", "h", "0m", "90", "1h30", "1.5h", "-1h", "30m1h", "1h1h", "2 fortnights", "1h x"]
)
def test_durations_without_a_clear_unit_or_order_are_refused(word: str) -> None:
    with pytest.raises(TimeWordError) as error:
        parse_duration(word)
    assert error.value.kind == "duration"


def test_durations_print_the_way_people_say_them() -> None:
    minutes = (45, 60, 90, 1440, 36 * 60, 3 * 1440, 14 * 1440, 9 * 1440 + 30)
    shown = [format_duration(timedelta(minutes=m)) for m in minutes]
    assert shown == ["45m", "1h", "1h30m", "24h", "36h", "3d", "2w", "1w2d30m"]


@given(st.integers(min_value=1, max_value=60 * 24 * 7 * 52))
def test_a_printed_duration_reads_back_as_the_same_duration(minutes: int) -> None:
    duration = timedelta(minutes=minutes)
    assert parse_duration(format_duration(duration)) == duration


@given(st.times().map(lambda t: t.replace(second=0, microsecond=0)))
def test_a_printed_time_reads_back_as_the_same_time(moment: time) -> None:
    assert parse_time(format_time(moment)) == moment


@given(st.integers(0, 6), st.sampled_from(["en", "da"]), st.integers(3, 12), st.booleans())
def test_a_rendered_weekday_name_or_its_start_reads_back_as_the_same_day(
    day: int, locale: str, length: int, shout: bool
) -> None:
    name = weekday_name(day, locale)[:length]
    assert parse_weekday(name.upper() if shout else name) == day


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["week"], (1, 1)),
        (["2", "weeks", "thu"], (2, 2)),
        (["other", "week"], (2, 2)),
        (["uge"], (1, 1)),
        (["2", "uger"], (2, 2)),
        (["2.", "uge"], (2, 2)),
        (["anden", "uge"], (2, 2)),
        (["52", "Weeks"], (52, 2)),
    ],
)
def test_a_cadence_in_weeks_in_english_and_danish(words: list[str], expected: tuple[int, int]) -> None:
    assert parse_week_interval(words) == expected


BAD_CADENCES = [[], ["2"], ["0", "weeks"], ["53", "weeks"], ["two", "weeks"], ["2", "days"]]


@pytest.mark.parametrize("words", BAD_CADENCES)
def test_a_cadence_that_is_not_whole_weeks_is_refused(words: list[str]) -> None:
    with pytest.raises(TimeWordError) as error:
        parse_week_interval(words)
    assert error.value.kind == "weeks"
