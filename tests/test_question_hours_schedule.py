"""Question hours recur at the same local time across daylight saving; the rotation turns weekly."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InputError
from bot.questions.hours import (
    Occurrence,
    WeeklySlot,
    local_instant,
    next_of,
    on_duty,
    parse_duration,
    parse_time,
    parse_weekday,
)
from bot.timewords import format_duration

CPH = ZoneInfo("Europe/Copenhagen")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("word", "minutes"),
    [("1h", 60), ("90m", 90), ("1h30m", 90), ("2t", 120), ("45min", 45), ("24h", 1440), ("10m", 10)],
)
def test_durations_people_type(word: str, minutes: int) -> None:
    assert parse_duration(word) == timedelta(minutes=minutes)


@pytest.mark.parametrize("word", ["", "h", "0m", "5m", "25h", "1.5h", "ninety", "-1h", "1h30", "90 m x"])
def test_bad_durations_are_refused(word: str) -> None:
    with pytest.raises(InputError) as error:
        parse_duration(word)
    assert error.value.key == "qahours.bad_duration"


def test_durations_print_as_typed() -> None:
    assert [format_duration(timedelta(minutes=m)) for m in (60, 90, 45, 1440)] == [
        "1h",
        "1h30m",
        "45m",
        "24h",
    ]


@pytest.mark.parametrize(
    ("word", "day"), [("Thursday", 3), ("thu", 3), ("torsdag", 3), ("Man", 0), ("søndag", 6), ("lør.", 5)]
)
def test_weekdays_in_english_and_danish(word: str, day: int) -> None:
    assert parse_weekday(word) == day


def test_bad_weekday_and_time() -> None:
    with pytest.raises(InputError, match="qahours.bad_weekday"):
        parse_weekday("someday")
    for word in ("25:00", "14:60", "1400", "noon", "14:0"):
        with pytest.raises(InputError, match="qahours.bad_time"):
            parse_time(word)
    assert parse_time("9:05") == time(9, 5)
    assert parse_time("14.30") == time(14, 30)


THURSDAY_2PM = WeeklySlot(weekday=3, start=time(14, 0), duration=timedelta(hours=1))


def test_next_opening_from_a_given_instant() -> None:
    # Monday 23 November 2026, 10:00 UTC (CET, UTC+1): next Thursday 14:00 local is 13:00 UTC.
    sitting = THURSDAY_2PM.current_or_next(utc(2026, 11, 23, 10), CPH)
    assert sitting == Occurrence(utc(2026, 11, 26, 13), utc(2026, 11, 26, 14))


def test_a_sitting_in_progress_is_the_current_one() -> None:
    during = utc(2026, 11, 26, 13, 30)
    assert THURSDAY_2PM.current_or_next(during, CPH).opens_at == utc(2026, 11, 26, 13)
    # At the closing instant the sitting is over: the next is a week later.
    assert THURSDAY_2PM.current_or_next(utc(2026, 11, 26, 14), CPH).opens_at == utc(2026, 12, 3, 13)


def test_the_wall_clock_time_holds_across_daylight_saving() -> None:
    # Summer time (UTC+2) ends on Sunday 25 October 2026.
    before = THURSDAY_2PM.current_or_next(utc(2026, 10, 19), CPH)
    after = THURSDAY_2PM.current_or_next(before.closes_at, CPH)
    assert before.opens_at == utc(2026, 10, 22, 12)
    assert after.opens_at == utc(2026, 10, 29, 13)
    assert after.opens_at - before.opens_at == timedelta(days=7, hours=1)
    assert after.opens_at.astimezone(CPH).time() == time(14, 0)


def test_a_skipped_or_repeated_local_time() -> None:
    # 29 March 2026: 02:00 → 03:00 in Copenhagen. 02:30 does not exist; it lands at 03:30 local.
    assert local_instant(date(2026, 3, 29), time(2, 30), CPH) == utc(2026, 3, 29, 1, 30)
    # 25 October 2026: 02:30 happens twice; the first (summer time) counts.
    assert local_instant(date(2026, 10, 25), time(2, 30), CPH) == utc(2026, 10, 25, 0, 30)


def test_a_long_sitting_over_midnight_is_still_current_the_next_day() -> None:
    late = WeeklySlot(weekday=4, start=time(22, 0), duration=timedelta(hours=4))
    saturday_1am_local = utc(2026, 11, 28, 0)
    assert late.current_or_next(saturday_1am_local, CPH).contains(saturday_1am_local)


@settings(max_examples=300, deadline=None)
@given(
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    minutes=st.integers(10, 1440),
    instant=st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
        max_value=datetime(2035, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    zone=st.sampled_from(
        ["Europe/Copenhagen", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"]
    ),
)
def test_current_or_next_properties(
    weekday: int, hour: int, minute: int, minutes: int, instant: datetime, zone: str
) -> None:
    tz = ZoneInfo(zone)
    slot = WeeklySlot(weekday, time(hour, minute), timedelta(minutes=minutes))
    sitting = slot.current_or_next(instant, tz)
    assert sitting.closes_at > instant
    assert sitting.closes_at - sitting.opens_at == slot.duration
    local_day = instant.astimezone(tz).date()
    candidates = [local_day + timedelta(days=n) for n in range(-2, 9)]
    assert sitting in [slot.occurrence_on(d, tz) for d in candidates if d.weekday() == weekday]
    assert sitting.opens_at - instant <= timedelta(days=7, hours=2)
    # Nothing earlier qualifies: the previous week's sitting has closed by `instant`.
    earlier = slot.current_or_next(sitting.opens_at - timedelta(days=6, hours=23), tz)
    assert earlier.opens_at <= sitting.opens_at


def test_next_of_several_slots() -> None:
    tuesday = WeeklySlot(1, time(9, 0), timedelta(minutes=30))
    assert next_of([THURSDAY_2PM, tuesday], utc(2026, 11, 23, 10), CPH) == Occurrence(
        utc(2026, 11, 24, 8), utc(2026, 11, 24, 8, 30)
    )
    assert next_of([], utc(2026, 11, 23), CPH) is None


def test_the_rotation_turns_every_iso_week() -> None:
    people = ["anna", "bo", "carl"]
    started = date(2026, 11, 25)  # a Wednesday in week 48
    assert on_duty(people, since=started, on=date(2026, 11, 23)) == "anna"  # Monday of week 48
    assert on_duty(people, since=started, on=date(2026, 11, 29)) == "anna"  # Sunday of week 48
    assert on_duty(people, since=started, on=date(2026, 11, 30)) == "bo"
    assert on_duty(people, since=started, on=date(2026, 12, 7)) == "carl"
    assert on_duty(people, since=started, on=date(2026, 12, 14)) == "anna"
    assert on_duty(people, since=started, on=date(2027, 1, 4)) == "anna"  # across the year end
    assert on_duty([], since=started, on=started) is None
