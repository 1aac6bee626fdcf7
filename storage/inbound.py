"""The ledger of handled platform event ids: a retried delivery finds its id here and does nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import InboundEvent
from storage.upsert import insert_if_absent


async def first_time(session: AsyncSession, *, platform: str, event_id: str, now: datetime) -> bool:
    """True for exactly one caller per (platform, event id), across replicas."""
    return await insert_if_absent(
        session,
        InboundEvent,
        {"platform": platform, "event_id": event_id, "received_at": now},
        key=("platform", "event_id"),
    )


async def delete_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await (await session.connection()).execute(
        delete(InboundEvent).where(col(InboundEvent.received_at) < cutoff)
    )
    return int(result.rowcount or 0)
