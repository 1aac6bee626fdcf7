"""A PostgreSQL session-level advisory lock: held by one connection, released when that connection dies."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

SCHEDULER_LOCK_KEY = 0x6368616D70  # "champ", a fixed key every replica agrees on


async def try_lock(connection: AsyncConnection, key: int = SCHEDULER_LOCK_KEY) -> bool:
    result = await connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
    return bool(result.scalar())


async def still_alive(connection: AsyncConnection) -> bool:
    await connection.execute(text("SELECT 1"))
    return True
