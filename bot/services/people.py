"""Knowing people: first contact, where to reach them later, their roles, language and time zone."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.domain import Platform, Role
from bot.events import AlreadyHandled, Origin
from bot.i18n import resolve_locale
from bot.identity import Identity
from bot.services.recent import RecentlyRemembered
from storage import conversations, inbound, people
from storage.engine import Database

log = logging.getLogger(__name__)


class PeopleService:
    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        configured_roles: dict[tuple[Platform, str], frozenset[Role]],
        default_locale: str,
        default_timezone: str,
    ) -> None:
        self._db = database
        self._clock = clock
        self._configured = configured_roles
        self._default_locale = default_locale
        self._default_timezone = default_timezone
        self._recent = RecentlyRemembered()

    def is_bootstrap_admin(self, platform: Platform, user_id: str) -> bool:
        return Role.ADMIN in self._configured.get((platform, user_id), frozenset())

    async def identify(self, origin: Origin) -> Identity:
        """Remember the speaker and the conversation, then say who they are to the core.

        Writing costs more than reading (SQLite has one writer), so what was written a moment ago
        with the same values is not written again; roles are always read, so a grant made on
        another replica counts at once. A retried delivery raises `AlreadyHandled` (see `Delivery`)."""
        actor = origin.actor
        now = self._clock.now()
        delivery = origin.delivery if origin.delivery and not origin.delivery.claimed else None
        async with self._db.session() as session:
            if delivery and not await inbound.first_time(
                session, platform=actor.platform, event_id=delivery.delivery_id, now=now
            ):
                raise AlreadyHandled(delivery.delivery_id)
            if self._recent.needs_write(origin, now):
                await people.remember_person(
                    session,
                    platform=actor.platform,
                    user_id=actor.user_id,
                    display_name=actor.display_name,
                    locale=actor.locale,
                    timezone=actor.timezone,
                    now=now,
                )
                await _remember_conversation(session, origin, now)
            stored, granted = await people.person_and_roles(
                session, platform=actor.platform, user_id=actor.user_id
            )
        if delivery:
            delivery.claimed = True
        self._recent.written(origin, now)
        bootstrap = self.is_bootstrap_admin(actor.platform, actor.user_id)
        roles = {Role(role) for role in granted if role in Role.__members__.values()}
        roles |= self._configured.get((actor.platform, actor.user_id), frozenset())
        stored_tz = stored.timezone if stored else None
        if actor.timezone:
            timezone, source = actor.timezone, "platform"
        elif stored_tz:
            timezone, source = stored_tz, "stored"
        else:
            timezone, source = self._default_timezone, "organisation"
        locale = resolve_locale(actor.locale or (stored.locale if stored else None), self._default_locale)
        return Identity(
            actor=actor,
            roles=frozenset(roles),
            bootstrap_admin=bootstrap,
            locale=locale,
            timezone=timezone,
            timezone_source=source,
        )

    async def remember_channel(self, origin: Origin) -> None:
        """The bot was added to a channel: keep where it is, so jobs can post there later."""
        async with self._db.session() as session:
            await _remember_conversation(session, origin, self._clock.now())

    async def grant(self, *, platform: Platform, user_id: str, role: Role, granted_by: str) -> bool:
        async with self._db.session() as session:
            return await people.grant_role(
                session,
                platform=platform,
                user_id=user_id,
                role=role,
                granted_by=granted_by,
                now=self._clock.now(),
            )

    async def granted_at(self, *, platform: Platform, user_id: str, role: Role) -> datetime:
        async with self._db.session() as session:
            when = await people.role_granted_at(session, platform=platform, user_id=user_id, role=role)
        return when or self._clock.now()

    async def revoke(self, *, platform: Platform, user_id: str, role: Role) -> bool:
        async with self._db.session() as session:
            return await people.revoke_role(session, platform=platform, user_id=user_id, role=role)

    async def locale_of(self, platform: Platform, user_id: str) -> str:
        """The language to write to someone in when they are not the one speaking."""
        async with self._db.session() as session:
            person = await people.get_person(session, platform=platform, user_id=user_id)
        return resolve_locale(person.locale if person else None, self._default_locale)

    async def conversation_reference(self, platform: Platform, conversation_id: str) -> str | None:
        """The stored platform reference of a conversation, for proactive messages."""
        async with self._db.session() as session:
            record = await conversations.conversation(
                session, platform=platform, conversation_id=conversation_id
            )
        return record.reference if record else None

    async def direct_reference(self, platform: Platform, user_id: str) -> str | None:
        """The stored reference of a person's direct chat with the bot, if they ever had one."""
        async with self._db.session() as session:
            record = await conversations.direct_conversation(session, platform=platform, user_id=user_id)
        return record.reference if record else None


async def _remember_conversation(session: AsyncSession, origin: Origin, now: datetime) -> None:
    conversation = origin.conversation
    await conversations.remember_conversation(
        session,
        platform=conversation.platform,
        conversation_id=conversation.conversation_id,
        kind="direct" if conversation.is_direct else "channel",
        user_id=origin.actor.user_id if conversation.is_direct else None,
        name=conversation.name,
        reference=origin.reference,
        now=now,
    )
