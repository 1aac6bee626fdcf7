"""The lesson tick: weekly lessons at each person's local time, snoozes, one reminder, follow-ups."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.delivery.outbox import Outgoing
from bot.domain import Platform
from bot.learning import paths
from bot.learning.base import (
    DIRECTORY_EVERY,
    FOLLOWUP_EVERY,
    FOLLOWUPS,
    REMINDER_AFTER,
    LearningBase,
    Recipient,
    locale_of,
    zone_of,
)
from bot.learning.schedule import next_allowed
from bot.messages import Actions, Button, Message, Section
from bot.text import Markup
from storage import learning as store
from storage.models import LessonProgress

log = logging.getLogger(__name__)


class Nudges(LearningBase):
    async def tick(self, now: datetime) -> str:
        """Enqueue every lesson, reminder, snoozed lesson and follow-up that is due now.

        One read for all of it: the tick runs every few minutes and usually finds nothing due."""
        async with self._db.session() as session:
            people = await store.active_with_people(session, now=now)
            snoozed = await store.snoozed_due(session, now=now)
            unfinished = await store.reminders_due(session, delivered_before=now - REMINDER_AFTER, now=now)
            finished = await store.followups_due(session, completed_before=now - FOLLOWUP_EVERY)
        directory = await self._directory_zones({row.platform for row, tz, _ in people if tz is None}, now)
        recipients = {
            (row.platform, row.user_id): Recipient(
                row,
                zone_of(tz or directory.get((row.platform, row.user_id)), self._default_tz),
                locale_of(locale, self._default_locale),
            )
            for row, tz, locale in people
        }
        lessons = await self._weekly(recipients, now)
        back = await self._snoozed(recipients, snoozed)
        reminders = await self._reminders(recipients, unfinished, now)
        followups = await self._followups(recipients, finished, now)
        return f"{lessons} lessons, {back} snoozed, {reminders} reminders, {followups} follow-ups"

    async def _directory_zones(self, platforms: set[str], now: datetime) -> dict[tuple[str, str], str]:
        """Time zones of people who never spoke to the bot (HR enrolled them), from one bulk read of the
        platform's directory (Slack users.list), at most once an hour, and stored for next time."""
        for platform in sorted(platforms):
            last = self._directory_read.get(platform)
            if last is not None and now - last < DIRECTORY_EVERY:
                continue
            self._directory_read[platform] = now
            try:
                members = await self._messengers.get(Platform(platform)).directory()
            except Exception as error:  # a directory is a nicety: the organisation's zone still works
                log.info("directory not read", extra={"platform": platform, "reason": type(error).__name__})
                continue
            found = {member.user_id: member.timezone for member in members if member.timezone}
            async with self._db.session() as session:
                await store.fill_timezones(session, platform=platform, zones=found)
            self._zones.update({(platform, user_id): zone for user_id, zone in found.items()})
        return self._zones

    async def _weekly(self, recipients: dict[tuple[str, str], Recipient], now: datetime) -> int:
        """Everyone whose slot has come: one read of what they have had, one enqueue, one write."""
        due = {
            key: slot
            for key, recipient in recipients.items()
            if (slot := self._weekly_slot(recipient, now)) <= now
        }
        if not due:
            return 0
        async with self._db.session() as session:
            seen = await store.seen_lessons(session, people=list(due))
        items: list[Outgoing] = []
        chosen: list[tuple[str, str, str, str, datetime]] = []
        for (platform_name, user_id), slot in due.items():
            recipient = recipients[(platform_name, user_id)]
            enrolment = recipient.enrolment
            path = self._path(enrolment, "en")
            lesson = paths.next_lesson(path, seen.get((platform_name, user_id), set()), enrolment.level_shift)
            if lesson is None:
                continue  # the track is done; follow-ups take over
            message = self._lesson_dm(enrolment, lesson.id, recipient.locale)
            key = f"learn:{platform_name}:{user_id}:{lesson.id}"
            items.append(Outgoing(key, Platform(platform_name), "dm", user_id, message, not_before=slot))
            chosen.append((platform_name, user_id, lesson.id, lesson.track, slot))
        # enqueue first: a crash before the record below repeats the same choice, and the key dedupes it
        await self._outbox.enqueue(items)
        async with self._db.session() as session:
            await store.record_nudges(session, rows=chosen)
        return len(chosen)

    async def _snoozed(
        self, recipients: dict[tuple[str, str], Recipient], rows: Sequence[LessonProgress]
    ) -> int:
        count = 0
        for row in rows:
            recipient = recipients.get((row.platform, row.user_id))
            if recipient is None or row.snoozed_until is None:
                continue
            platform = Platform(row.platform)
            message = await self.lesson_message(
                platform=platform, user_id=row.user_id, lesson_id=row.lesson_id, locale=recipient.locale
            )
            key = f"learn:{row.platform}:{row.user_id}:{row.lesson_id}:snooze:{row.snoozed_until:%Y%m%dT%H%M}"
            await self._outbox.enqueue(
                [Outgoing(key, platform, "dm", row.user_id, message, not_before=row.snoozed_until)]
            )
            async with self._db.session() as session:
                await store.mark(
                    session,
                    platform=row.platform,
                    user_id=row.user_id,
                    lesson_id=row.lesson_id,
                    snoozed_until=None,
                )
            count += 1
        return count

    async def _reminders(
        self, recipients: dict[tuple[str, str], Recipient], rows: Sequence[Any], now: datetime
    ) -> int:
        count = 0
        for progress, _enrolment in rows:
            recipient = recipients.get((progress.platform, progress.user_id))
            if recipient is None:
                continue
            when = next_allowed(
                progress.delivered_at + REMINDER_AFTER,
                tz=recipient.tz,
                at=recipient.at,
                rules=self._rules,
                away=recipient.away,
            )
            if when > now:
                continue
            lesson = self.curriculum.lesson(progress.lesson_id, recipient.locale)
            if lesson is None:
                continue
            t, s = self._translators(recipient.locale)
            message = Message(
                (
                    Section(t("learn.reminder", title=Markup(lesson.title))),
                    Actions(
                        (
                            Button(s("learn.button.start"), "learn.start", lesson.id, "primary"),
                            Button(s("learn.button.done"), "learn.done", lesson.id),
                        )
                    ),
                )
            )
            key = f"learn-reminder:{progress.platform}:{progress.user_id}:{lesson.id}"
            await self._outbox.enqueue(
                [Outgoing(key, Platform(progress.platform), "dm", progress.user_id, message)]
            )
            async with self._db.session() as session:
                await store.mark_once(
                    session,
                    platform=progress.platform,
                    user_id=progress.user_id,
                    lesson_id=lesson.id,
                    column="reminder_sent_at",
                    value=now,
                )
            count += 1
        return count

    async def _followups(
        self, recipients: dict[tuple[str, str], Recipient], rows: Sequence[Any], now: datetime
    ) -> int:
        count = 0
        for enrolment, sent in rows:
            recipient = recipients.get((enrolment.platform, enrolment.user_id))
            completed = enrolment.foundations_completed_at
            if recipient is None or completed is None or sent >= FOLLOWUPS:
                continue
            number = sent + 1
            when = next_allowed(
                completed + FOLLOWUP_EVERY * number,
                tz=recipient.tz,
                at=recipient.at,
                rules=self._rules,
                away=recipient.away,
            )
            if when > now:
                continue
            key = f"learn-followup:{enrolment.platform}:{enrolment.user_id}:{number}"
            message = self._followup_message(recipient.locale, number)
            await self._outbox.enqueue(
                [Outgoing(key, Platform(enrolment.platform), "dm", enrolment.user_id, message)]
            )
            async with self._db.session() as session:
                await store.add_checkin(
                    session,
                    platform=enrolment.platform,
                    user_id=enrolment.user_id,
                    kind="followup",
                    number=number,
                    now=now,
                )
            count += 1
        return count

    def _followup_message(self, locale: str, number: int) -> Message:
        t, s = self._translators(locale)
        answers = tuple(
            Button(s(f"learn.button.{answer}"), "learn.followup", f"{number}|{answer}")
            for answer in ("tried", "stuck", "not_yet")
        )
        help_buttons = tuple(
            Button(s(f"learn.button.{answer}"), "learn.followup", f"{number}|{answer}")
            for answer in ("hour", "champion", "ask")
        )
        return Message(
            (
                Section(t("learn.followup.question", number=number, total=FOLLOWUPS)),
                Actions(answers),
                Section(t("learn.followup.help")),
                Actions(help_buttons),
            )
        )
