"""INSERT … ON CONFLICT for both SQLite and PostgreSQL, so concurrent first contacts never collide."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined]


def _dialect_insert(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def upsert(
    session: AsyncSession,
    model: type[SQLModel],
    values: Mapping[str, Any],
    *,
    key: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert a row, or when its key exists, overwrite the `update` columns with the new values."""
    dialect = session.get_bind().dialect.name
    statement = _upsert(dialect, _table(model), tuple(values), tuple(key), tuple(update))
    await (await session.connection()).execute(statement, dict(values))


async def insert_if_absent(
    session: AsyncSession, model: type[SQLModel], values: Mapping[str, Any], *, key: Sequence[str]
) -> bool:
    """Insert a row unless its key exists; True when this call inserted it."""
    statement = _insert_if_absent(session.get_bind().dialect.name, _table(model), tuple(values), tuple(key))
    result = await (await session.connection()).execute(statement, dict(values))
    # RETURNING, not rowcount: psycopg's async cursor reports -1 for a skipped row on some paths.
    return result.first() is not None


@cache
def _insert_if_absent(dialect: str, table: Table, columns: tuple[str, ...], key: tuple[str, ...]) -> Any:
    """Built once per table and column set, with bound parameters: inbound events and first
    contacts call this on every request, and a statement built anew pays for its cache key."""
    return (
        _bound_insert(dialect, table, columns)
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(*[table.c[name] for name in key])
    )


@cache
def _upsert(
    dialect: str, table: Table, columns: tuple[str, ...], key: tuple[str, ...], update: tuple[str, ...]
) -> Any:
    """Built once per table and column sets, like `_insert_if_absent`: first contacts and
    conversations are refreshed from every request's speaker."""
    statement = _bound_insert(dialect, table, columns)
    if not update:
        return statement.on_conflict_do_nothing(index_elements=list(key))
    return statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in update}
    )


def _bound_insert(dialect: str, table: Table, columns: tuple[str, ...]) -> Any:
    """INSERT of `columns` with a bound parameter each, so one built statement serves every row."""
    return _dialect_insert(dialect)(table).values(
        {name: bindparam(name, type_=table.c[name].type) for name in columns}
    )
