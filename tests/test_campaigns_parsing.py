"""Campaign words, parsed without I/O: audiences, times (now, once, weekly, local) and contents."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.campaigns import audience, what, when
from bot.campaigns.request import parse_schedule
from bot.campaigns.what import FreeText, LessonContent, TrackContent
from bot.errors import InputError

CPH = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # Tuesday 10:30 in Copenhagen


def wall(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A naive wall-clock time, as campaigns store them (the zone comes with each person)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC).replace(tzinfo=None)


def schedule(text: str) -> object:
    return parse_schedule(text, now=NOW, tz=CPH)


def error_of(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_schedule(text, now=NOW, tz=CPH)
    return caught.value


def test_a_channel_now_and_free_text_keep_the_text_exactly_as_typed() -> None:
    request = parse_schedule("<#C0STAFF|all-staff> now  Hi <!channel>, try *this*  ", now=NOW, tz=CPH)
    assert request.audience == audience.Channel("C0STAFF", "all-staff")
    assert request.when == when.Now()
    assert request.content == FreeText("Hi <!channel>, try *this*")


def test_people_a_function_a_track_and_everyone_are_audiences() -> None:
    people = parse_schedule("<@U1|ana> <@U2> <@U1> now lesson:f01", now=NOW, tz=CPH)
    assert people.audience == audience.People(("U1", "U2"))
    assert people.content == LessonContent("f01")
    assert parse_schedule("function:sales now x", now=NOW, tz=CPH).audience == audience.Function("sales")
    assert parse_schedule("track:foundations now track:foundations", now=NOW, tz=CPH) == parse_schedule(
        "TRACK:Foundations now track:FOUNDATIONS", now=NOW, tz=CPH
    )
    tracked = parse_schedule("track:foundations now track:foundations", now=NOW, tz=CPH)
    assert tracked.audience == audience.Track("foundations")
    assert tracked.content == TrackContent("foundations")
    assert parse_schedule("alle nu hej", now=NOW, tz=CPH).audience == audience.Everyone()


def test_dates_and_weekly_recurrences_in_english_and_danish() -> None:
    once = parse_schedule("everyone 2026-12-01 09:00 hello", now=NOW, tz=CPH).when
    assert once == when.Once(wall(2026, 12, 1, 9, 0))
    local = parse_schedule("everyone 2026-12-01 09:00 local hello", now=NOW, tz=CPH).when
    assert local == when.Once(wall(2026, 12, 1, 9, 0), local=True)
    weekly = parse_schedule("everyone every tuesday 10:00 hello", now=NOW, tz=CPH).when
    assert weekly == when.Weekly(1, time(10, 0))
    danish = parse_schedule("alle hver tirsdag 10.00 lokal hej", now=NOW, tz=CPH).when
    assert danish == when.Weekly(1, time(10, 0), local=True)
    assert parse_schedule("alle hver søndag 8:05 hej", now=NOW, tz=CPH).when == when.Weekly(6, time(8, 5))


def test_a_lesson_word_followed_by_more_words_is_free_text() -> None:
    assert schedule("everyone now lesson:f01 is great").content == FreeText("lesson:f01 is great")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text, key",
    [
        ("", "nudge.error.audience_missing"),
        ("somebody now hi", "nudge.error.audience"),
        ("function: now hi", "nudge.error.function_name"),
        ("track:Ø! now hi", "nudge.error.track_name"),
        ("everyone", "nudge.error.when_missing"),
        ("everyone tomorrow hi", "nudge.error.when"),
        ("everyone every someday 10:00 hi", "nudge.error.weekday"),
        ("everyone every tuesday", "nudge.error.every_missing"),
        ("everyone every tuesday 25:00 hi", "nudge.error.time"),
        ("everyone 2026-02-30 09:00 hi", "nudge.error.date"),
        ("everyone 2026-12-01 hi", "nudge.error.time"),
        ("everyone 2026-12-01", "nudge.error.time_missing"),
        ("everyone 2026-11-24 10:00 hi", "nudge.error.past"),  # 10:00 Copenhagen was 30 minutes ago
        ("everyone 2020-01-01 10:00 local hi", "nudge.error.past"),
        ("everyone now", "nudge.error.empty_text"),
        ("everyone every monday 09:00 local", "nudge.error.empty_text"),
        ("everyone now lesson:", "nudge.error.lesson_id"),
        ("everyone now track:???", "nudge.error.track_name"),
        ("everyone now " + "x" * 3001, "nudge.error.too_long"),
    ],
)
def test_each_kind_of_bad_input_has_its_own_reason(text: str, key: str) -> None:
    assert error_of(text).key == key


def test_the_first_weekly_occurrence_is_the_next_one_still_ahead() -> None:
    weekly = when.Weekly(1, time(10, 0))  # Tuesdays 10:00; it is Tuesday 10:30
    first = when.first_occurrence(weekly, now=NOW, tz=CPH)
    assert first.key == "2026-12-01" and first.due == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    later = when.first_occurrence(when.Weekly(1, time(11, 0)), now=NOW, tz=CPH)
    assert later.key == "2026-11-24"
    following = when.next_occurrence(weekly, first, tz=CPH)
    assert following is not None and following.key == "2026-12-08"
    assert when.next_occurrence(when.Once(wall(2026, 12, 1, 9)), first, tz=CPH) is None


def test_a_local_occurrence_is_fanned_out_when_the_first_place_on_earth_reaches_it() -> None:
    local = when.Once(wall(2026, 11, 25, 9, 0), local=True)
    occurrence = when.first_occurrence(local, now=NOW, tz=CPH)
    assert occurrence.due == datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # 09:00 at UTC+14
    at = {
        zone: when.send_at(occurrence, local, ZoneInfo(zone))
        for zone in ("Europe/Copenhagen", "America/New_York", "Asia/Singapore")
    }
    assert at == {
        "Europe/Copenhagen": datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
        "America/New_York": datetime(2026, 11, 25, 14, 0, tzinfo=UTC),
        "Asia/Singapore": datetime(2026, 11, 25, 1, 0, tzinfo=UTC),
    }
    assert when.send_at(occurrence, when.Once(wall(2026, 11, 25, 9, 0)), CPH) is None


@given(
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    local=st.booleans(),
    offset=st.integers(0, 60 * 24 * 400),
)
def test_weekly_occurrences_are_ahead_land_on_their_weekday_and_come_every_seven_days(
    weekday: int, hour: int, minute: int, local: bool, offset: int
) -> None:
    now = NOW + timedelta(minutes=offset)
    weekly = when.Weekly(weekday, time(hour, minute), local)
    first = when.first_occurrence(weekly, now=now, tz=CPH)
    assert first.wall is not None and first.wall.weekday() == weekday
    assert when.instant(first.wall, CPH) > now
    assert when.instant(first.wall, CPH) - now <= timedelta(days=7, hours=1)
    second = when.next_occurrence(weekly, first, tz=CPH)
    assert second is not None and second.wall is not None
    assert second.wall - first.wall == timedelta(days=7) and second.key > first.key
    assert when.occurrence_from(second.key, weekly, tz=CPH, now=now) == second


schedules = st.one_of(
    st.just(when.Now()),
    st.builds(
        when.Once,
        st.datetimes(min_value=wall(2000, 1, 1), max_value=wall(2100, 1, 1)).map(
            lambda d: d.replace(second=0, microsecond=0)
        ),
        st.booleans(),
    ),
    st.builds(
        when.Weekly,
        st.integers(0, 6),
        st.times().map(lambda t: t.replace(second=0, microsecond=0)),
        st.booleans(),
    ),
)
names = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)
audiences = st.one_of(
    st.just(audience.Everyone()),
    st.builds(audience.Channel, st.text(min_size=1), st.text()),
    st.builds(audience.People, st.lists(st.text(min_size=1), min_size=1, max_size=5).map(tuple)),
    st.builds(audience.Function, names),
    st.builds(audience.Track, names),
)


@given(schedules)
def test_a_stored_schedule_reads_back_the_same(schedule_: when.When) -> None:
    assert when.decode(when.encode(schedule_)) == schedule_


@given(audiences)
def test_a_stored_audience_reads_back_the_same(audience_: audience.Audience) -> None:
    assert audience.decode(audience.encode(audience_)) == audience_


@given(st.text(min_size=1, max_size=200).filter(lambda t: t.strip() and len(t.strip().split()) > 1))
def test_free_text_of_several_words_is_kept_verbatim(text: str) -> None:
    content = what.parse_what(text)
    assert content == FreeText(text.strip())
    assert what.decode(*what.encode(content)) == content
