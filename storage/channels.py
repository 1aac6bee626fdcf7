"""Queries about channel bindings: which channel serves which purpose."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChannelBinding
from storage.upsert import upsert


async def bind_channel(
    session: AsyncSession,
    *,
    platform: str,
    purpose: str,
    channel_id: str,
    channel_name: str,
    bound_by: str,
    now: datetime,
) -> None:
    values = {
        "platform": platform,
        "purpose": purpose,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "bound_by": bound_by,
        "bound_at": now,
    }
    await upsert(
        session,
        ChannelBinding,
        values,
        key=("platform", "purpose"),
        update=("channel_id", "channel_name", "bound_by", "bound_at"),
    )


async def binding_for(session: AsyncSession, *, platform: str, purpose: str) -> ChannelBinding | None:
    result = await session.exec(
        select(ChannelBinding).where(ChannelBinding.platform == platform, ChannelBinding.purpose == purpose)
    )
    return result.first()


async def bindings(session: AsyncSession, *, platform: str) -> list[ChannelBinding]:
    result = await session.exec(
        select(ChannelBinding).where(ChannelBinding.platform == platform).order_by(ChannelBinding.purpose)
    )
    return list(result.all())
