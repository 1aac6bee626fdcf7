"""Turning a campaign occurrence into outbox rows: resolve the audience, skip bots and people who
stopped learning, find each person's time zone and language, and enqueue one message each."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.campaigns import audience as aud
from bot.campaigns import when as sched
from bot.campaigns.lessons import Lessons
from bot.campaigns.what import Content, FreeText, LessonContent, TrackContent
from bot.delivery.outbox import OutboxService, Outgoing
from bot.domain import Platform
from bot.i18n import resolve_locale
from bot.messages import Message
from bot.ports import Messengers
from bot.text import Text, UserText
from storage import campaigns as store
from storage.engine import Database

log = logging.getLogger(__name__)

CHUNK = 500


class AudienceUnavailable(Exception):
    """The audience cannot be read (learning is off, or the platform refused); `reason` says why."""

    def __init__(self, reason: str, *, permanent: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class Recipient:
    user_id: str
    zone: ZoneInfo
    locale: str


@dataclass(frozen=True)
class FanOut:
    recipients: int  # messages written to the outbox now (or earlier, for a repeated fan-out)
    skipped: int  # bots, deactivated accounts, people who stopped learning, finished tracks


def campaign_key(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


def message_key(campaign_id: int, user_id: str, occurrence: str) -> str:
    return f"campaign:{campaign_id}:{user_id}:{occurrence}"


class FanOutService:
    def __init__(
        self,
        *,
        database: Database,
        messengers: Messengers,
        outbox: OutboxService,
        lessons: Callable[[], Lessons | None],
        default_zone: str,
        default_locale: str,
    ) -> None:
        self._db = database
        self._messengers = messengers
        self._outbox = outbox
        self._lessons = lessons
        self._default_zone = default_zone
        self._default_locale = default_locale

    async def people(self, platform: Platform, audience: aud.Audience) -> list[str]:
        """The user ids an audience names, before anyone is skipped."""
        match audience:
            case aud.Everyone():
                async with self._db.session() as session:
                    return await store.known_people(session, platform=platform.value)
            case aud.Here():
                raise AudienceUnavailable("no_channel")
            case aud.Channel(channel_id, _):
                return await self._messengers.get(platform).members(channel_id)
            case aud.People(user_ids):
                return list(user_ids)
            case aud.Function(name):
                return await self._learning().enrolled(platform=platform, function=name)
            case aud.Track(name):
                return await self._learning().enrolled(platform=platform, track=name)
        raise TypeError(audience)

    def _learning(self) -> Lessons:
        lessons = self._lessons()
        if lessons is None:
            raise AudienceUnavailable("learning_off")
        return lessons

    async def recipients(
        self, platform: Platform, audience: aud.Audience, content: Content, *, now: datetime
    ) -> tuple[list[Recipient], int]:
        """Everyone who should get a message, with their zone and language; and how many were skipped."""
        ids = list(dict.fromkeys(await self.people(platform, audience)))
        # One bulk read (cached by the messenger) tells bots, deactivated accounts, zones and languages.
        directory = {m.user_id: m for m in await self._messengers.get(platform).directory()}
        humans = [
            uid
            for uid in ids
            if not (uid in directory and (directory[uid].is_bot or not directory[uid].active))
        ]
        skipped = len(ids) - len(humans)
        async with self._db.session() as session:
            if not isinstance(content, FreeText):
                away = await store.not_learning(session, platform=platform.value, user_ids=humans, now=now)
                skipped += len([uid for uid in humans if uid in away])
                humans = [uid for uid in humans if uid not in away]
            zones = await store.stored_zones(session, platform=platform.value, user_ids=humans)
            locales = await store.stored_locales(session, platform=platform.value, user_ids=humans)
        people = []
        for uid in humans:
            member = directory.get(uid)
            zone = (member.timezone if member else None) or zones.get(uid) or self._default_zone
            locale = locales.get(uid) or (member.locale if member else None)
            people.append(
                Recipient(uid, _zone(zone, self._default_zone), resolve_locale(locale, self._default_locale))
            )
        return people, skipped

    async def enqueue(
        self,
        *,
        campaign_id: int,
        platform: Platform,
        recipients: list[Recipient],
        content: Content,
        when: sched.When,
        occurrence: sched.Occurrence,
        still_on: Callable[[], Awaitable[bool]],
    ) -> FanOut:
        """One outbox row per person, keyed by (campaign, person, occurrence): a second fan-out
        of the same occurrence adds nothing. `still_on` is asked between chunks so a campaign
        cancelled mid-way stops growing."""
        shared = Message.of(Text.of(UserText(content.text))) if isinstance(content, FreeText) else None
        written = 0
        skipped = 0
        for start in range(0, len(recipients), CHUNK):
            if not await still_on():
                break
            items = []
            for person in recipients[start : start + CHUNK]:
                message = shared or await self._lesson(platform, person, content)
                if message is None:
                    skipped += 1
                    continue
                items.append(
                    Outgoing(
                        key=message_key(campaign_id, person.user_id, occurrence.key),
                        platform=platform,
                        kind="dm",
                        target=person.user_id,
                        message=message,
                        campaign=campaign_key(campaign_id),
                        not_before=sched.send_at(occurrence, when, person.zone),
                    )
                )
            await self._outbox.enqueue(items)
            written += len(items)
        return FanOut(written, skipped)

    async def _lesson(self, platform: Platform, person: Recipient, content: Content) -> Message | None:
        learning = self._learning()
        if isinstance(content, LessonContent):
            lesson_id: str | None = content.lesson_id
        elif isinstance(content, TrackContent):
            lesson_id = await learning.next_lesson_id(
                platform=platform, user_id=person.user_id, track=content.track
            )
        else:
            return None
        if lesson_id is None:
            return None  # this person has finished the track
        return await learning.lesson_message(
            platform=platform, user_id=person.user_id, lesson_id=lesson_id, locale=person.locale
        )


def _zone(name: str, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)
