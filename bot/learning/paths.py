"""Pure rules about a person's way through the curriculum: the next lesson, streaks, report groups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.learning.content import Curriculum, Lesson

MIN_GROUP = 5  # aggregates over fewer people stay hidden
OTHER = "other"
MAX_SHIFT = 2


def lesson_path(curriculum: Curriculum, *, track: str, function: str, locale: str) -> list[Lesson]:
    """The lessons a person walks through: foundations lead into their function's practitioner
    lessons; the practitioner and champion tracks stand alone."""
    practitioner = [lesson for lesson in curriculum.track("practitioner", locale) if lesson.fits(function)]
    if track == "foundations":
        return curriculum.track("foundations", locale) + practitioner
    if track == "practitioner":
        return practitioner
    return curriculum.track(track, locale)


def next_lesson(path: Sequence[Lesson], seen: Iterable[str], level_shift: int) -> Lesson | None:
    """The first lesson not sent yet, preferring the person's level after "too easy" / "too hard".

    A positive shift passes over lessons below level 1 + shift, a negative one over lessons above
    level 3 + shift; the passed-over ones still come, after the rest, so a track can always finish.
    """
    sent = set(seen)
    fresh = [lesson for lesson in path if lesson.id not in sent]
    preferred = [
        lesson for lesson in fresh if 1 + max(level_shift, 0) <= lesson.level <= 3 + min(level_shift, 0)
    ]
    chosen = preferred or fresh
    return chosen[0] if chosen else None


def shifted(level_shift: int, step: int) -> int:
    return max(-MAX_SHIFT, min(MAX_SHIFT, level_shift + step))


def streak(done: Iterable[datetime], today: date) -> int:
    """Weeks in a row with a lesson done, up to this week (or last week, if this week's is still ahead)."""
    weeks = {_week(moment.date()) for moment in done}
    current = _week(today)
    if current not in weeks:
        current = _week(today - timedelta(days=7))
    count = 0
    while current in weeks:
        count += 1
        current = _week(_monday(current) - timedelta(days=7))
    return count


def _week(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


def _monday(week: tuple[int, int]) -> date:
    return date.fromisocalendar(week[0], week[1], 1)


@dataclass(frozen=True)
class Group:
    """Totals of one group in the admin report."""

    track: str
    function: str
    people: int
    delivered: int
    opened: int
    done: int
    rating_sum: int
    rating_count: int

    @property
    def rating(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None

    def merged(self, other: Group) -> Group:
        return replace(
            self,
            people=self.people + other.people,
            delivered=self.delivered + other.delivered,
            opened=self.opened + other.opened,
            done=self.done + other.done,
            rating_sum=self.rating_sum + other.rating_sum,
            rating_count=self.rating_count + other.rating_count,
        )


def merge_small(groups: Sequence[Group]) -> tuple[list[Group], int]:
    """Groups under five people join one "other" group; if even that stays under five it is hidden.
    Returns the groups to show and how many people were left out."""
    shown = [group for group in groups if group.people >= MIN_GROUP]
    other: Group | None = None
    for group in groups:
        if group.people < MIN_GROUP:
            other = group if other is None else other.merged(group)
    if other is None:
        return shown, 0
    other = replace(other, track=OTHER, function=OTHER)
    if other.people >= MIN_GROUP:
        return [*shown, other], 0
    return shown, other.people


def median_days(pairs: Iterable[tuple[datetime, datetime]]) -> float | None:
    """Median days from enrolment to first reported AI use (the "time to productive use" KPI)."""
    days = sorted((used - enrolled).total_seconds() / 86400 for enrolled, used in pairs)
    if not days:
        return None
    middle = len(days) // 2
    return days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
