"""Queries for the weekly lessons: enrolment, lesson progress, check-ins, and the KPI aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, tuple_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import LearningCheckin, LearningEnrolment, LessonProgress, Person, RoleGrant
from storage.upsert import insert_if_absent, upsert


async def enrolment(session: AsyncSession, *, platform: str, user_id: str) -> LearningEnrolment | None:
    result = await session.exec(
        select(LearningEnrolment).where(
            LearningEnrolment.platform == platform, LearningEnrolment.user_id == user_id
        )
    )
    return result.first()


async def enrol(
    session: AsyncSession,
    *,
    platform: str,
    user_id: str,
    track: str,
    function: str,
    pace_weeks: int,
    weekday: int,
    local_time: str,
    enrolled_by: str | None,
    now: datetime,
) -> bool:
    """Enrol or re-enrol: the choices are replaced, a stop or pause is lifted, the first enrolment
    date is kept (it is where "time to productive use" is counted from). True for a first enrolment."""
    values: dict[str, Any] = {
        "platform": platform,
        "user_id": user_id,
        "track": track,
        "function": function,
        "pace_weeks": pace_weeks,
        "weekday": weekday,
        "local_time": local_time,
        "level_shift": 0,
        "enrolled_by": enrolled_by,
        "enrolled_at": now,
        "paused_until": None,
        "stopped_at": None,
    }
    first = await insert_if_absent(session, LearningEnrolment, values, key=("platform", "user_id"))
    if not first:
        changed = ("track", "function", "pace_weeks", "weekday", "local_time", "paused_until", "stopped_at")
        await upsert(session, LearningEnrolment, values, key=("platform", "user_id"), update=changed)
    return first


async def change(session: AsyncSession, *, platform: str, user_id: str, **values: Any) -> bool:
    """Set columns of one enrolment; False when the person is not enrolled."""
    result = await session.exec(
        update(LearningEnrolment)
        .where(col(LearningEnrolment.platform) == platform, col(LearningEnrolment.user_id) == user_id)
        .values(**values)
    )
    return bool(result.rowcount)


async def set_once(session: AsyncSession, *, platform: str, user_id: str, column: str, now: datetime) -> bool:
    """Record a first time (foundations completed, first AI use); later calls leave it alone."""
    target = getattr(LearningEnrolment, column)
    result = await session.exec(
        update(LearningEnrolment)
        .where(
            col(LearningEnrolment.platform) == platform,
            col(LearningEnrolment.user_id) == user_id,
            col(target).is_(None),
        )
        .values({column: now})
    )
    return bool(result.rowcount)


def _active(now: datetime) -> ColumnElement[bool]:
    return and_(
        col(LearningEnrolment.stopped_at).is_(None),
        or_(col(LearningEnrolment.paused_until).is_(None), col(LearningEnrolment.paused_until) <= now),
    )


async def active(
    session: AsyncSession,
    *,
    platform: str | None = None,
    now: datetime,
    track: str | None = None,
    function: str | None = None,
) -> Sequence[LearningEnrolment]:
    """Enrolments that may get lessons now: not stopped, not paused."""
    query = select(LearningEnrolment).where(_active(now))
    if platform is not None:
        query = query.where(LearningEnrolment.platform == platform)
    if track is not None:
        query = query.where(LearningEnrolment.track == track)
    if function is not None:
        query = query.where(LearningEnrolment.function == function)
    result = await session.exec(query.order_by(col(LearningEnrolment.id)))
    return result.all()


async def progress(
    session: AsyncSession, *, platform: str, user_id: str, lesson_id: str
) -> LessonProgress | None:
    result = await session.exec(
        select(LessonProgress).where(
            LessonProgress.platform == platform,
            LessonProgress.user_id == user_id,
            LessonProgress.lesson_id == lesson_id,
        )
    )
    return result.first()


async def person_progress(session: AsyncSession, *, platform: str, user_id: str) -> Sequence[LessonProgress]:
    result = await session.exec(
        select(LessonProgress)
        .where(LessonProgress.platform == platform, LessonProgress.user_id == user_id)
        .order_by(col(LessonProgress.delivered_at), col(LessonProgress.id))
    )
    return result.all()


async def delivered(
    session: AsyncSession, *, platform: str, user_id: str, lesson_id: str, track: str, at: datetime
) -> bool:
    """Record that a lesson went (or is about to go) to a person; False when it had already."""
    values = {
        "platform": platform,
        "user_id": user_id,
        "lesson_id": lesson_id,
        "track": track,
        "delivered_at": at,
    }
    return await insert_if_absent(session, LessonProgress, values, key=("platform", "user_id", "lesson_id"))


async def mark(session: AsyncSession, *, platform: str, user_id: str, lesson_id: str, **values: Any) -> bool:
    """Set columns of one progress row."""
    return await _update_progress(session, platform, user_id, lesson_id, values, once=())


async def mark_once(
    session: AsyncSession, *, platform: str, user_id: str, lesson_id: str, column: str, value: Any
) -> bool:
    return await _update_progress(session, platform, user_id, lesson_id, {column: value}, once=(column,))


async def _update_progress(
    session: AsyncSession,
    platform: str,
    user_id: str,
    lesson_id: str,
    values: dict[str, Any],
    *,
    once: tuple[str, ...],
) -> bool:
    query = update(LessonProgress).where(
        col(LessonProgress.platform) == platform,
        col(LessonProgress.user_id) == user_id,
        col(LessonProgress.lesson_id) == lesson_id,
    )
    for name in once:
        query = query.where(getattr(LessonProgress, name).is_(None))
    result = await session.exec(query.values(**values))
    return bool(result.rowcount)


async def reminders_due(session: AsyncSession, *, delivered_before: datetime, now: datetime) -> Sequence[Any]:
    """Unfinished lessons delivered before the cut-off, never reminded, whose person is still active
    and has not been sent a newer lesson since: (progress, enrolment) pairs."""
    result = await session.exec(
        select(LessonProgress, LearningEnrolment)
        .join(
            LearningEnrolment,
            and_(
                col(LearningEnrolment.platform) == col(LessonProgress.platform),
                col(LearningEnrolment.user_id) == col(LessonProgress.user_id),
            ),
        )
        .where(
            _active(now),
            col(LessonProgress.done_at).is_(None),
            col(LessonProgress.reminder_sent_at).is_(None),
            col(LessonProgress.difficulty).is_(None),
            col(LessonProgress.delivered_at) <= delivered_before,
            col(LessonProgress.delivered_at)
            >= func.coalesce(col(LearningEnrolment.last_nudge_at), delivered_before),
        )
    )
    return result.all()


async def add_checkin(
    session: AsyncSession, *, platform: str, user_id: str, kind: str, number: int, now: datetime
) -> bool:
    values = {"platform": platform, "user_id": user_id, "kind": kind, "number": number, "sent_at": now}
    return await insert_if_absent(
        session, LearningCheckin, values, key=("platform", "user_id", "kind", "number")
    )


async def answer_checkin(
    session: AsyncSession, *, platform: str, user_id: str, kind: str, number: int, answer: str, now: datetime
) -> bool:
    """Store the first answer to a check-in; False when it was unknown or already answered."""
    result = await session.exec(
        update(LearningCheckin)
        .where(
            col(LearningCheckin.platform) == platform,
            col(LearningCheckin.user_id) == user_id,
            col(LearningCheckin.kind) == kind,
            col(LearningCheckin.number) == number,
            col(LearningCheckin.answered_at).is_(None),
        )
        .values(answer=answer, answered_at=now)
    )
    return bool(result.rowcount)


async def followups_due(session: AsyncSession, *, completed_before: datetime) -> Sequence[Any]:
    """People who finished the foundations at least a month ago, with how many follow-ups they had:
    (enrolment, sent count), only those with fewer than three."""
    sent = (
        select(func.count())
        .select_from(LearningCheckin)
        .where(
            col(LearningCheckin.platform) == col(LearningEnrolment.platform),
            col(LearningCheckin.user_id) == col(LearningEnrolment.user_id),
            col(LearningCheckin.kind) == "followup",
        )
        .correlate(LearningEnrolment)
        .scalar_subquery()
    )
    result = await session.exec(
        select(LearningEnrolment, sent)
        .where(
            col(LearningEnrolment.stopped_at).is_(None),
            col(LearningEnrolment.foundations_completed_at).is_not(None),
            col(LearningEnrolment.foundations_completed_at) <= completed_before,
            sent < 3,
        )
        .order_by(col(LearningEnrolment.id))
    )
    return result.all()


@dataclass(frozen=True)
class GroupRow:
    """One (track, function) group's totals, as the database counted them."""

    track: str
    function: str
    people: int
    delivered: int
    opened: int
    done: int
    rating_sum: int
    rating_count: int


async def report_groups(session: AsyncSession, *, platform: str) -> list[GroupRow]:
    """Lessons delivered, opened and done and the ratings, summed per track and function in SQL."""
    per_person = (
        sa_select(
            col(LearningEnrolment.track).label("track"),
            col(LearningEnrolment.function).label("function"),
            col(LearningEnrolment.user_id).label("user_id"),
            func.count(col(LessonProgress.id)).label("delivered"),
            func.count(col(LessonProgress.opened_at)).label("opened"),
            func.count(col(LessonProgress.done_at)).label("done"),
            func.coalesce(func.sum(col(LessonProgress.rating)), 0).label("rating_sum"),
            func.count(col(LessonProgress.rating)).label("rating_count"),
        )
        .select_from(LearningEnrolment)
        .outerjoin(
            LessonProgress,
            and_(
                col(LessonProgress.platform) == col(LearningEnrolment.platform),
                col(LessonProgress.user_id) == col(LearningEnrolment.user_id),
            ),
        )
        .where(col(LearningEnrolment.platform) == platform)
        .group_by(
            col(LearningEnrolment.track), col(LearningEnrolment.function), col(LearningEnrolment.user_id)
        )
        .subquery()
    )
    query = (
        sa_select(
            per_person.c.track,
            per_person.c.function,
            func.count(per_person.c.user_id),
            func.sum(per_person.c.delivered),
            func.sum(per_person.c.opened),
            func.sum(per_person.c.done),
            func.sum(per_person.c.rating_sum),
            func.sum(per_person.c.rating_count),
        )
        .group_by(per_person.c.track, per_person.c.function)
        .order_by(per_person.c.track, per_person.c.function)
    )
    result = await (await session.connection()).execute(query)
    return [
        GroupRow(str(t), str(f), int(p), int(d or 0), int(o or 0), int(n or 0), int(rs or 0), int(rc or 0))
        for t, f, p, d, o, n, rs, rc in result.all()
    ]


async def productive_use(session: AsyncSession, *, platform: str) -> Sequence[tuple[datetime, datetime]]:
    """(enrolled, first reported AI use) for everyone who has reported one: the KPI's raw pairs."""
    result = await session.exec(
        select(LearningEnrolment.enrolled_at, LearningEnrolment.first_ai_use_at).where(
            LearningEnrolment.platform == platform, col(LearningEnrolment.first_ai_use_at).is_not(None)
        )
    )
    return [(enrolled, used) for enrolled, used in result.all() if used is not None]


async def count_enrolled(session: AsyncSession, *, platform: str) -> tuple[int, int]:
    """(everyone ever enrolled, those who finished the foundations)."""
    result = await session.exec(
        select(
            func.count(col(LearningEnrolment.id)),
            func.count(col(LearningEnrolment.foundations_completed_at)),
        ).where(LearningEnrolment.platform == platform)
    )
    total, completed = result.one()
    return int(total), int(completed)


def away_dates(enrolment: LearningEnrolment) -> tuple[date, date] | None:
    if enrolment.away_from and enrolment.away_until:
        return enrolment.away_from, enrolment.away_until
    return None


async def active_with_people(session: AsyncSession, *, now: datetime) -> Sequence[Any]:
    """Active enrolments with the person's stored time zone and language: (enrolment, tz, locale)."""
    result = await session.exec(
        select(LearningEnrolment, Person.timezone, Person.locale)
        .outerjoin(
            Person,
            and_(
                col(Person.platform) == col(LearningEnrolment.platform),
                col(Person.user_id) == col(LearningEnrolment.user_id),
            ),
        )
        .where(_active(now))
        .order_by(col(LearningEnrolment.id))
    )
    return result.all()


async def snoozed_due(session: AsyncSession, *, now: datetime) -> Sequence[LessonProgress]:
    result = await session.exec(
        select(LessonProgress).where(
            col(LessonProgress.snoozed_until).is_not(None),
            col(LessonProgress.snoozed_until) <= now,
            col(LessonProgress.done_at).is_(None),
        )
    )
    return result.all()


async def followup_answers(session: AsyncSession, *, platform: str) -> dict[str, int]:
    """How people answered the monthly follow-ups (tried / stuck / not yet), counted in SQL."""
    result = await session.exec(
        select(LearningCheckin.answer, func.count())
        .where(
            LearningCheckin.platform == platform,
            LearningCheckin.kind == "followup",
            col(LearningCheckin.answer).is_not(None),
        )
        .group_by(col(LearningCheckin.answer))
    )
    return {str(answer): int(count) for answer, count in result.all()}


async def with_function(session: AsyncSession, *, platform: str, function: str) -> Sequence[str]:
    """Everyone enrolled with this function, stopped or not (HR may enrol them again)."""
    result = await session.exec(
        select(LearningEnrolment.user_id)
        .where(LearningEnrolment.platform == platform, LearningEnrolment.function == function)
        .order_by(col(LearningEnrolment.id))
    )
    return result.all()


async def champions(session: AsyncSession, *, platform: str, function: str) -> Sequence[str]:
    """Champions whose own enrolment names this function: who to ask first."""
    result = await session.exec(
        select(RoleGrant.user_id)
        .join(
            LearningEnrolment,
            and_(
                col(LearningEnrolment.platform) == col(RoleGrant.platform),
                col(LearningEnrolment.user_id) == col(RoleGrant.user_id),
            ),
        )
        .where(
            RoleGrant.platform == platform,
            RoleGrant.role == "champion",
            LearningEnrolment.function == function,
        )
        .order_by(col(RoleGrant.granted_at))
    )
    return result.all()


async def fill_timezones(session: AsyncSession, *, platform: str, zones: dict[str, str]) -> int:
    """Store time zones read from the platform's directory for people whose zone we did not know."""
    changed = 0
    for user_id, zone in zones.items():
        result = await session.exec(
            update(Person)
            .where(
                col(Person.platform) == platform,
                col(Person.user_id) == user_id,
                col(Person.timezone).is_(None),
            )
            .values(timezone=zone)
        )
        changed += result.rowcount or 0
    return changed


async def seen_lessons(
    session: AsyncSession, *, people: Sequence[tuple[str, str]], chunk: int = 500
) -> dict[tuple[str, str], set[str]]:
    """Every lesson each of these people has had, in a few reads however many people are due."""
    seen: dict[tuple[str, str], set[str]] = {}
    for start in range(0, len(people), chunk):
        group = people[start : start + chunk]
        result = await session.exec(
            select(LessonProgress.platform, LessonProgress.user_id, LessonProgress.lesson_id).where(
                tuple_(col(LessonProgress.platform), col(LessonProgress.user_id)).in_(group)
            )
        )
        for platform, user_id, lesson_id in result.all():
            seen.setdefault((platform, user_id), set()).add(lesson_id)
    return seen


async def record_nudges(
    session: AsyncSession, *, rows: Sequence[tuple[str, str, str, str, datetime]]
) -> None:
    """(platform, user, lesson, track, slot) of lessons just handed to the outbox: one insert of the
    progress rows, one update of the last-nudge time per distinct slot (people in a zone share one)."""
    if not rows:
        return
    values = [
        {"platform": p, "user_id": u, "lesson_id": lesson, "track": track, "delivered_at": slot}
        for p, u, lesson, track, slot in rows
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = LessonProgress.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
    for start in range(0, len(values), 500):
        statement = insert(table).values(values[start : start + 500])
        await connection.execute(
            statement.on_conflict_do_nothing(index_elements=["platform", "user_id", "lesson_id"])
        )
    by_slot: dict[datetime, list[tuple[str, str]]] = {}
    for p, u, _lesson, _track, slot in rows:
        by_slot.setdefault(slot, []).append((p, u))
    for slot, people in by_slot.items():
        for start in range(0, len(people), 500):
            await session.exec(
                update(LearningEnrolment)
                .where(
                    tuple_(col(LearningEnrolment.platform), col(LearningEnrolment.user_id)).in_(
                        people[start : start + 500]
                    )
                )
                .values(last_nudge_at=slot)
            )
