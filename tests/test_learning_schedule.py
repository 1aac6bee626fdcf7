"""The weekly slot as pure functions: each person's weekday and local time, never in quiet hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.learning.paths import Group, median_days, merge_small, streak
from bot.learning.schedule import (
    DAY_END,
    DAY_START,
    Away,
    QuietRules,
    allowed,
    next_allowed,
    next_slot,
    parse_clock,
)

DK = QuietRules.for_country("DK")
ZONES = ["Europe/Copenhagen", "America/New_York", "Asia/Singapore", "Pacific/Auckland", "America/Los_Angeles"]

moments = st.datetimes(  # hypothesis takes naive bounds and adds the zone itself
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001
    max_value=datetime(2030, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
zones = st.sampled_from(ZONES).map(ZoneInfo)
clock_times = st.times(min_value=time(0, 0), max_value=time(23, 59)).map(
    lambda t: t.replace(second=0, microsecond=0)
)
aways = st.one_of(
    st.none(),
    st.tuples(st.dates(date(2025, 1, 1), date(2030, 12, 31)), st.integers(0, 40)).map(
        lambda pair: Away(pair[0], pair[0] + timedelta(days=pair[1]))
    ),
)


@settings(max_examples=300, deadline=None)
@given(after=moments, tz=zones, weekday=st.integers(0, 6), at=clock_times, away=aways)
def test_a_slot_is_never_before_the_asked_time_and_never_in_quiet_hours(
    after: datetime, tz: ZoneInfo, weekday: int, at: time, away: Away | None
) -> None:
    slot = next_slot(after, tz=tz, weekday=weekday, at=at, rules=DK, away=away)
    local = slot.astimezone(tz)
    assert slot >= after
    assert DAY_START <= local.time() < DAY_END
    assert local.weekday() < 5
    assert local.date() not in DK.holidays
    assert away is None or local.date() not in away
    assert allowed(slot, tz, DK, away)


@settings(max_examples=300, deadline=None)
@given(after=moments, tz=zones, weekday=st.integers(0, 4), hour=st.integers(8, 17), minute=st.integers(0, 59))
def test_an_allowed_slot_is_exactly_the_chosen_weekday_and_time_within_a_week(
    after: datetime, tz: ZoneInfo, weekday: int, hour: int, minute: int
) -> None:
    at = time(hour, minute)
    slot = next_slot(after, tz=tz, weekday=weekday, at=at, rules=QuietRules(), away=None)
    local = slot.astimezone(tz)
    assert (local.weekday(), local.time()) == (weekday, at)
    assert slot - after < timedelta(days=7, hours=2)  # two hours of slack for a DST change


@settings(max_examples=200, deadline=None)
@given(after=moments, tz=zones, at=clock_times, away=aways)
def test_next_allowed_is_the_first_allowed_moment_at_the_chosen_time(
    after: datetime, tz: ZoneInfo, at: time, away: Away | None
) -> None:
    moment = next_allowed(after, tz=tz, at=at, rules=DK, away=away)
    assert moment >= after
    assert allowed(moment, tz, DK, away)


COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def local(year: int, month: int, day: int, hour: int, minute: int = 0, tz: ZoneInfo = COPENHAGEN) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz).astimezone(UTC)


def test_easter_moves_a_thursday_lesson_past_four_danish_holidays_and_a_weekend() -> None:
    # Maundy Thursday, Good Friday, the weekend and Easter Monday 2027: the lesson comes on Tuesday
    slot = next_slot(local(2027, 3, 24, 12), tz=COPENHAGEN, weekday=3, at=time(10), rules=DK)
    assert slot == local(2027, 3, 30, 10)


def test_quiet_hours_move_an_early_or_late_choice_into_the_working_day() -> None:
    early = next_slot(local(2026, 11, 23, 9), tz=COPENHAGEN, weekday=1, at=time(6, 30), rules=DK)
    assert early == local(2026, 11, 24, 8)
    late = next_slot(local(2026, 11, 23, 9), tz=COPENHAGEN, weekday=1, at=time(19, 0), rules=DK)
    assert late == local(2026, 11, 25, 8)
    friday_late = next_slot(local(2026, 11, 23, 9), tz=COPENHAGEN, weekday=4, at=time(18, 0), rules=DK)
    assert friday_late == local(2026, 11, 30, 8)


def test_away_dates_move_the_lesson_to_the_first_working_day_after() -> None:
    away = Away(date(2026, 12, 21), date(2027, 1, 3))
    slot = next_slot(local(2026, 12, 20, 12), tz=COPENHAGEN, weekday=1, at=time(10), rules=DK, away=away)
    assert slot == local(2027, 1, 4, 10)


def test_the_same_utc_moment_is_a_different_local_slot_in_each_zone() -> None:
    after = datetime(2026, 11, 23, 12, tzinfo=UTC)
    for zone, expected in [
        ("Europe/Copenhagen", datetime(2026, 11, 24, 9, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 11, 24, 15, tzinfo=UTC)),
        ("Asia/Singapore", datetime(2026, 11, 24, 2, tzinfo=UTC)),
    ]:
        assert next_slot(after, tz=ZoneInfo(zone), weekday=1, at=time(10), rules=DK) == expected


def test_clock_times_outside_the_working_day_are_refused() -> None:
    assert parse_clock("10:00") == time(10)
    assert parse_clock("9.30") == time(9, 30)
    assert parse_clock("8") == time(8)
    for bad in ("7:59", "18:00", "25:00", "10:7", "ten", "", "10:60", "-1"):
        assert parse_clock(bad) is None, bad


def test_a_streak_counts_weeks_in_a_row_up_to_this_or_last_week() -> None:
    done = [datetime(2026, 11, d, 10, tzinfo=UTC) for d in (3, 10, 17)]
    assert streak(done, date(2026, 11, 23)) == 3  # this week's lesson is still ahead
    assert streak([*done, datetime(2026, 11, 24, tzinfo=UTC)], date(2026, 11, 24)) == 4
    assert streak(done, date(2026, 12, 7)) == 0
    assert streak([], date(2026, 12, 7)) == 0


def test_small_groups_merge_into_other_and_stay_hidden_below_five() -> None:
    def group(function: str, people: int) -> Group:
        return Group("foundations", function, people, people * 2, people, people, people * 4, people)

    shown, hidden = merge_small([group("sales", 7), group("hr", 2), group("finance", 3)])
    assert [(g.function, g.people) for g in shown] == [("sales", 7), ("other", 5)]
    assert hidden == 0 and shown[1].rating == 4.0
    shown, hidden = merge_small([group("sales", 7), group("hr", 2)])
    assert [(g.function, g.people) for g in shown] == [("sales", 7)] and hidden == 2


def test_the_median_time_to_productive_use() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    pairs = [(start, start + timedelta(days=d)) for d in (3, 10, 30, 12)]
    assert median_days(pairs) == 11
    assert median_days(pairs[:3]) == 10
    assert median_days([]) is None
