"""Queries about people and the roles granted to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Person, RoleGrant
from storage.upsert import insert_if_absent, upsert


async def remember_person(
    session: AsyncSession,
    *,
    platform: str,
    user_id: str,
    display_name: str,
    locale: str | None,
    timezone: str | None,
    now: datetime,
) -> None:
    """Record first contact or refresh what the platform told us; unknown values never erase known ones."""
    values = {
        "platform": platform,
        "user_id": user_id,
        "display_name": display_name,
        "locale": locale,
        "timezone": timezone,
        "first_seen_at": now,
        "last_seen_at": now,
    }
    update = ["last_seen_at"] + [name for name in ("display_name", "locale", "timezone") if values[name]]
    await upsert(session, Person, values, key=("platform", "user_id"), update=update)


async def get_person(session: AsyncSession, *, platform: str, user_id: str) -> Person | None:
    result = await session.exec(select(Person).where(Person.platform == platform, Person.user_id == user_id))
    return result.first()


@dataclass(frozen=True)
class StoredPerson:
    locale: str | None
    timezone: str | None


# Built once: this runs for every message anyone sends, and building a statement costs more
# Python time than running it.
_PERSON_AND_ROLES = (
    select(Person.locale, Person.timezone, RoleGrant.role)
    .outerjoin(
        RoleGrant,
        and_(col(RoleGrant.platform) == col(Person.platform), col(RoleGrant.user_id) == col(Person.user_id)),
    )
    .where(col(Person.platform) == bindparam("platform"), col(Person.user_id) == bindparam("user_id"))
)


async def person_and_roles(
    session: AsyncSession, *, platform: str, user_id: str
) -> tuple[StoredPerson | None, set[str]]:
    """What we know of a person and their granted roles, in one round trip. Run on the session's
    connection: these are plain columns, and the ORM's layer costs more than the query here."""
    connection = await session.connection()
    rows = (await connection.execute(_PERSON_AND_ROLES, {"platform": platform, "user_id": user_id})).all()
    if not rows:
        return None, set()
    locale, timezone, _ = rows[0]
    return StoredPerson(locale, timezone), {role for _, _, role in rows if role is not None}


async def granted_roles(session: AsyncSession, *, platform: str, user_id: str) -> set[str]:
    result = await session.exec(
        select(RoleGrant.role).where(RoleGrant.platform == platform, RoleGrant.user_id == user_id)
    )
    return set(result.all())


async def grant_role(
    session: AsyncSession, *, platform: str, user_id: str, role: str, granted_by: str, now: datetime
) -> bool:
    """Give a role; False when the person already had it."""
    values = {
        "platform": platform,
        "user_id": user_id,
        "role": role,
        "granted_by": granted_by,
        "granted_at": now,
    }
    return await insert_if_absent(
        session,
        RoleGrant,
        values,
        key=("platform", "user_id", "role"),
    )


async def role_granted_at(
    session: AsyncSession, *, platform: str, user_id: str, role: str
) -> datetime | None:
    result = await session.exec(
        select(RoleGrant.granted_at).where(
            RoleGrant.platform == platform, RoleGrant.user_id == user_id, RoleGrant.role == role
        )
    )
    return result.first()


async def revoke_role(session: AsyncSession, *, platform: str, user_id: str, role: str) -> bool:
    """Take a role away; False when the person did not have it."""
    result = await (await session.connection()).execute(
        delete(RoleGrant).where(
            RoleGrant.platform == platform,  # type: ignore[arg-type]
            RoleGrant.user_id == user_id,  # type: ignore[arg-type]
            RoleGrant.role == role,  # type: ignore[arg-type]
        )
    )
    return bool(result.rowcount)
