"""Outbox queries: enqueue once per key, claim safely across replicas, record each outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OutboxMessage

PENDING, SENDING, SENT, FAILED, DEAD = "pending", "sending", "sent", "failed", "dead"
STATES = (PENDING, SENDING, SENT, FAILED, DEAD)


@dataclass(frozen=True)
class Claimed:
    message: OutboxMessage
    was_stale: bool  # a worker vanished in the middle of sending it: check before sending again


async def enqueue(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert outbox rows; a key that exists already (sent or not) is skipped. Returns how many were new."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OutboxMessage)
    statement = insert.values(list(rows)).on_conflict_do_nothing(index_elements=["idempotency_key"])
    result = await (await session.connection()).execute(statement.returning(col(OutboxMessage.id)))
    return len(result.all())


async def claim(
    session: AsyncSession, *, worker: str, now: datetime, stale_before: datetime, limit: int
) -> list[Claimed]:
    """Take up to `limit` due rows for this worker. On PostgreSQL, FOR UPDATE SKIP LOCKED lets
    replicas claim side by side without ever taking the same row."""
    due = or_(
        (col(OutboxMessage.state).in_((PENDING, FAILED))) & (col(OutboxMessage.next_attempt_at) <= now),
        (col(OutboxMessage.state) == SENDING) & (col(OutboxMessage.claimed_at) < stale_before),
    )
    candidates = (
        select(OutboxMessage.id, OutboxMessage.state, OutboxMessage.send_started_at)
        .where(due)
        .order_by(col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    found = (await session.exec(candidates)).all()
    if not found:
        return []
    # Only a row whose send had begun can have reached the platform; one that was merely
    # claimed (waiting in a batch) when its worker died is sent without asking.
    stale = {row_id for row_id, state, started in found if state == SENDING and started is not None}
    # The UPDATE repeats the due condition: a compare-and-set, so even two workers sharing one
    # SQLite file (no SKIP LOCKED there) can never both claim a row.
    updated = await (await session.connection()).execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_([row_id for row_id, _, _ in found]), due)
        .values(
            state=SENDING,
            claimed_at=now,
            claimed_by=worker,
            send_started_at=None,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(col(OutboxMessage.id))
    )
    ids = [row_id for (row_id,) in updated.all()]
    if not ids:
        return []
    rows = (await session.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(ids)))).all()
    return [Claimed(row, row.id in stale) for row in sorted(rows, key=lambda r: r.id or 0)]


async def take_turn(session: AsyncSession, *, row_id: int, worker: str, now: datetime) -> bool:
    """Re-stamp a claimed row just before sending it; False when another worker has taken it over.

    The lease then measures the send itself, not the time a row waited in its batch for the rate limit."""
    result = await (await session.connection()).execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.claimed_by) == worker,
            col(OutboxMessage.state) == SENDING,
        )
        .values(claimed_at=now, send_started_at=now)
        .returning(col(OutboxMessage.id))
    )
    return result.first() is not None


async def mark_sent(
    session: AsyncSession, *, row_id: int, channel_id: str, message_id: str, now: datetime
) -> None:
    await _set(
        session,
        row_id,
        state=SENT,
        sent_at=now,
        channel_id=channel_id,
        message_id=message_id,
        last_error=None,
    )


async def mark_retry(
    session: AsyncSession, *, row_id: int, state: str, at: datetime, error: str, refund_attempt: bool = False
) -> None:
    """Back to the queue: `failed` after an error, `pending` when the platform only said "slow down"."""
    values: dict[str, Any] = {"state": state, "next_attempt_at": at, "last_error": error[:200]}
    if refund_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    await _set(session, row_id, **values)


async def mark_dead(session: AsyncSession, *, row_id: int, error: str) -> None:
    await _set(session, row_id, state=DEAD, last_error=error[:200])


async def _set(session: AsyncSession, row_id: int, **values: Any) -> None:
    await (await session.connection()).execute(
        update(OutboxMessage).where(col(OutboxMessage.id) == row_id).values(**values)
    )


async def counts(session: AsyncSession, *, campaign: str | None = None) -> dict[tuple[str, str], int]:
    """Rows by (platform, state), optionally for one campaign."""
    query = select(OutboxMessage.platform, OutboxMessage.state, func.count()).group_by(
        col(OutboxMessage.platform), col(OutboxMessage.state)
    )
    if campaign is not None:
        query = query.where(OutboxMessage.campaign == campaign)
    return {(platform, state): int(n) for platform, state, n in (await session.exec(query)).all()}


async def failure_reasons(
    session: AsyncSession, *, campaign: str | None = None, limit: int = 10
) -> list[tuple[str, int]]:
    query = (
        select(OutboxMessage.last_error, func.count())
        .where(col(OutboxMessage.state).in_((FAILED, DEAD)), col(OutboxMessage.last_error).is_not(None))
        .group_by(col(OutboxMessage.last_error))
        .order_by(func.count().desc())
        .limit(limit)
    )
    if campaign is not None:
        query = query.where(OutboxMessage.campaign == campaign)
    return [(str(reason), int(n)) for reason, n in (await session.exec(query)).all()]


async def delete_sent_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await (await session.connection()).execute(
        delete(OutboxMessage).where(col(OutboxMessage.state) == SENT, col(OutboxMessage.sent_at) < cutoff)
    )
    return int(result.rowcount or 0)


async def sent_location(session: AsyncSession, *, key: str) -> tuple[str, str, str] | None:
    """(platform, channel id, message id) of the sent message with this key; None until it is sent."""
    result = await session.exec(
        select(OutboxMessage.platform, OutboxMessage.channel_id, OutboxMessage.message_id).where(
            OutboxMessage.idempotency_key == key, OutboxMessage.state == SENT
        )
    )
    row = result.first()
    if row is None:
        return None
    platform, channel_id, message_id = row
    if channel_id is None or message_id is None:
        return None
    return platform, channel_id, message_id
