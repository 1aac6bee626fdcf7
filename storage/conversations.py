"""Queries about where the bot can speak later (proactive messages from jobs)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ConversationRecord
from storage.upsert import upsert


async def remember_conversation(
    session: AsyncSession,
    *,
    platform: str,
    conversation_id: str,
    kind: str,
    user_id: str | None,
    name: str,
    reference: str | None,
    now: datetime,
) -> None:
    values = {
        "platform": platform,
        "conversation_id": conversation_id,
        "kind": kind,
        "user_id": user_id,
        "name": name,
        "reference": reference,
        "updated_at": now,
    }
    update = ["updated_at"] + [name for name in ("user_id", "name", "reference") if values[name]]
    await upsert(
        session,
        ConversationRecord,
        values,
        key=("platform", "conversation_id"),
        update=update,
    )


async def conversation(
    session: AsyncSession, *, platform: str, conversation_id: str
) -> ConversationRecord | None:
    result = await session.exec(
        select(ConversationRecord).where(
            ConversationRecord.platform == platform, ConversationRecord.conversation_id == conversation_id
        )
    )
    return result.first()


async def direct_conversation(
    session: AsyncSession, *, platform: str, user_id: str
) -> ConversationRecord | None:
    result = await session.exec(
        select(ConversationRecord)
        .where(
            ConversationRecord.platform == platform,
            ConversationRecord.user_id == user_id,
            ConversationRecord.kind == "direct",
        )
        .order_by(ConversationRecord.updated_at.desc())  # type: ignore[attr-defined]
    )
    return result.first()
