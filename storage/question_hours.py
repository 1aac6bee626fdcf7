"""Queries for question hours, pre-moderation, "Helpful?" feedback and merges.

Compare-and-set updates everywhere a second replica or a second tick could race, so a session
opens, closes and is summarised exactly once and a moderation decision is taken once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    QaFeedback,
    QaHoursSettings,
    QaMerge,
    QaModeration,
    QaSession,
    QaSlot,
    Question,
)
from storage.upsert import insert_if_absent, upsert

ANSWERED = ("answered", "accepted")


# --- settings ---------------------------------------------------------------------------------


async def settings_for(session: AsyncSession, *, platform: str) -> QaHoursSettings:
    """The platform's settings, or the defaults (always open, no moderation, nobody on call)."""
    found = await session.get(QaHoursSettings, platform)
    return (
        found
        if found is not None
        else QaHoursSettings(platform=platform, updated_at=datetime.min.replace(tzinfo=UTC))
    )


async def change_settings(
    session: AsyncSession, *, platform: str, by: str, now: datetime, **changes: Any
) -> None:
    current = await settings_for(session, platform=platform)
    values = {
        "platform": platform,
        "always_open": current.always_open,
        "moderation": current.moderation,
        "oncall": current.oncall,
        "oncall_since": current.oncall_since,
        **changes,
        "updated_by": by,
        "updated_at": now,
    }
    await upsert(
        session, QaHoursSettings, values, key=("platform",), update=[k for k in values if k != "platform"]
    )


# --- the weekly schedule ----------------------------------------------------------------------


async def add_slot(
    session: AsyncSession,
    *,
    platform: str,
    weekday: int,
    start_minute: int,
    duration_minutes: int,
    by: str,
    now: datetime,
) -> None:
    """Add a weekly slot; the same weekday and time again just changes its length."""
    values = {
        "platform": platform,
        "weekday": weekday,
        "start_minute": start_minute,
        "duration_minutes": duration_minutes,
        "created_by": by,
        "created_at": now,
    }
    await upsert(
        session,
        QaSlot,
        values,
        key=("platform", "weekday", "start_minute"),
        update=("duration_minutes", "created_by", "created_at"),
    )


async def remove_slot(session: AsyncSession, *, platform: str, weekday: int, start_minute: int) -> bool:
    found = (
        await session.exec(
            select(QaSlot).where(
                QaSlot.platform == platform, QaSlot.weekday == weekday, QaSlot.start_minute == start_minute
            )
        )
    ).first()
    if found is None:
        return False
    await session.delete(found)
    return True


async def slots(session: AsyncSession, *, platform: str | None = None) -> list[QaSlot]:
    query = select(QaSlot).order_by(col(QaSlot.platform), col(QaSlot.weekday), col(QaSlot.start_minute))
    if platform is not None:
        query = query.where(QaSlot.platform == platform)
    return list((await session.exec(query)).all())


# --- sessions ---------------------------------------------------------------------------------


async def open_session(
    session: AsyncSession,
    *,
    platform: str,
    key: str,
    opened_at: datetime,
    closes_at: datetime,
    opened_by: str,
) -> QaSession | None:
    """Open a session under a unique key; None when that key was opened before (by anyone)."""
    values = {
        "platform": platform,
        "key": key,
        "opened_at": opened_at,
        "closes_at": closes_at,
        "closed_at": None,
        "opened_by": opened_by,
    }
    if not await insert_if_absent(session, QaSession, values, key=("key",)):
        return None
    return (await session.exec(select(QaSession).where(QaSession.key == key))).one()


async def current_session(session: AsyncSession, *, platform: str, now: datetime) -> QaSession | None:
    """The session open right now: opened, not closed, and not past its closing time."""
    query = select(QaSession).where(
        QaSession.platform == platform,
        col(QaSession.closed_at).is_(None),
        col(QaSession.opened_at) <= now,
        col(QaSession.closes_at) > now,
    )
    return (await session.exec(query.order_by(col(QaSession.opened_at).desc()))).first()


async def sessions_due_to_close(session: AsyncSession, *, now: datetime) -> list[QaSession]:
    query = select(QaSession).where(col(QaSession.closed_at).is_(None), col(QaSession.closes_at) <= now)
    return list((await session.exec(query.order_by(col(QaSession.id)))).all())


async def close_session(session: AsyncSession, *, session_id: int, now: datetime) -> bool:
    """Close once: True only for the caller that flipped `closed_at`."""
    result = await (await session.connection()).execute(
        update(QaSession)
        .where(col(QaSession.id) == session_id, col(QaSession.closed_at).is_(None))
        .values(closed_at=now)
        .returning(col(QaSession.id))
    )
    return result.first() is not None


@dataclass(frozen=True)
class SessionCounts:
    asked: int
    answered: int
    open: int
    top: list[tuple[int, int]]  # (Q-number, votes), most votes first


async def session_counts(
    session: AsyncSession, *, platform: str, start: datetime, end: datetime, top: int = 3
) -> SessionCounts:
    """Questions that became public while the session ran, by outcome, and the most voted ones."""
    within = and_(
        col(Question.platform) == platform,
        col(Question.visible_at) >= start,
        col(Question.visible_at) <= end,
    )
    rows = (
        await session.exec(select(Question.status, func.count()).where(within).group_by(col(Question.status)))
    ).all()
    by_status = {status: int(count) for status, count in rows}
    answered = sum(by_status.get(status, 0) for status in ANSWERED)
    asked = sum(count for status, count in by_status.items() if status != "merged")
    best = (
        await session.exec(
            select(Question.number, Question.votes)
            .where(within, col(Question.votes) > 0, col(Question.status) != "merged")
            .order_by(col(Question.votes).desc(), col(Question.number))
            .limit(top)
        )
    ).all()
    return SessionCounts(asked, answered, by_status.get("open", 0), [(n, v) for n, v in best])


async def unanswered(
    session: AsyncSession, *, platform: str, visible_before: datetime, visible_after: datetime | None = None
) -> list[Question]:
    """Public questions still waiting for an answer, oldest first (held and queued ones are not "open")."""
    query = select(Question).where(
        Question.platform == platform,
        Question.status == "open",
        col(Question.visible_at) <= visible_before,
    )
    if visible_after is not None:
        query = query.where(col(Question.visible_at) > visible_after)
    return list((await session.exec(query.order_by(col(Question.number)))).all())


# --- moderation -------------------------------------------------------------------------------


async def hold_for_moderation(session: AsyncSession, *, question_id: int) -> None:
    await insert_if_absent(
        session, QaModeration, {"question_id": question_id, "state": "pending"}, key=("question_id",)
    )


async def decide(
    session: AsyncSession, *, question_id: int, state: str, reason: str | None, by: str, now: datetime
) -> bool:
    """Approve or reject once: True only for the champion whose decision counted."""
    result = await (await session.connection()).execute(
        update(QaModeration)
        .where(col(QaModeration.question_id) == question_id, col(QaModeration.state) == "pending")
        .values(state=state, reason=reason, decided_by=by, decided_at=now)
        .returning(col(QaModeration.question_id))
    )
    return result.first() is not None


async def moderation_of(session: AsyncSession, *, question_id: int) -> QaModeration | None:
    return await session.get(QaModeration, question_id)


# --- "Helpful?" -------------------------------------------------------------------------------


async def count_feedback(session: AsyncSession, *, question_id: int, helpful: bool) -> None:
    await insert_if_absent(
        session,
        QaFeedback,
        {"question_id": question_id, "helpful": 0, "not_helpful": 0},
        key=("question_id",),
    )
    column = col(QaFeedback.helpful) if helpful else col(QaFeedback.not_helpful)
    await (await session.connection()).execute(
        update(QaFeedback).where(col(QaFeedback.question_id) == question_id).values({column: column + 1})
    )


async def feedback_of(session: AsyncSession, *, question_id: int) -> tuple[int, int]:
    found = await session.get(QaFeedback, question_id)
    return (found.helpful, found.not_helpful) if found else (0, 0)


async def feedback_totals(session: AsyncSession, *, platform: str) -> tuple[int, int]:
    """All "Helpful?" taps on a platform: (yes, no), for the KPIs."""
    row = (
        await session.exec(
            select(
                func.coalesce(func.sum(QaFeedback.helpful), 0),
                func.coalesce(func.sum(QaFeedback.not_helpful), 0),
            )
            .join(Question, col(Question.id) == col(QaFeedback.question_id))
            .where(Question.platform == platform)
        )
    ).one()
    return int(row[0]), int(row[1])


# --- merges -----------------------------------------------------------------------------------


async def record_merge(
    session: AsyncSession, *, question_id: int, into_id: int, by: str, now: datetime
) -> bool:
    return await insert_if_absent(
        session,
        QaMerge,
        {"question_id": question_id, "into_id": into_id, "merged_by": by, "merged_at": now},
        key=("question_id",),
    )


async def merged_into(session: AsyncSession, *, question_id: int) -> int | None:
    found = await session.get(QaMerge, question_id)
    return found.into_id if found else None


# --- question states this feature adds (queued, pending, rejected, merged) --------------------


async def move(
    session: AsyncSession,
    *,
    question_id: int,
    to: str,
    only_from: tuple[str, ...],
    visible_at: datetime | None = None,
    text: str | None = None,
) -> bool:
    """Compare-and-set a question's status (and, when it goes public, its visible time or text)."""
    values: dict[str, Any] = {"status": to}
    if visible_at is not None:
        values["visible_at"] = visible_at
    if text is not None:
        values["text"] = text
    result = await (await session.connection()).execute(
        update(Question)
        .where(col(Question.id) == question_id, col(Question.status).in_(only_from))
        .values(values)
        .returning(col(Question.id))
    )
    return result.first() is not None


async def with_status(session: AsyncSession, *, platform: str, status: str) -> list[Question]:
    query = select(Question).where(Question.platform == platform, Question.status == status)
    return list((await session.exec(query.order_by(col(Question.number)))).all())


async def recent_open(
    session: AsyncSession, *, platform: str, except_id: int, limit: int = 300
) -> list[Question]:
    """Open and answered questions to compare a new one with, newest first."""
    query = (
        select(Question)
        .where(
            Question.platform == platform,
            col(Question.status).in_(("open", "answered", "accepted")),
            col(Question.id) != except_id,
        )
        .order_by(col(Question.number).desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def add_votes(session: AsyncSession, *, question_id: int, votes: int) -> None:
    await (await session.connection()).execute(
        update(Question).where(col(Question.id) == question_id).values(votes=col(Question.votes) + votes)
    )
