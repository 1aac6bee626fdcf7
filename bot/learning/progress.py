"""learn progress for a person, learn report for HR: the records behind the training KPIs."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.context import CommandContext
from bot.learning import paths
from bot.learning.base import (
    LearningBase,
    Recipient,
    zone_of,
)
from bot.messages import Block, Message, Note, Reply, Section
from bot.text import Markup, Text
from storage import learning as store
from storage.models import LearningEnrolment

log = logging.getLogger(__name__)


class ProgressCommands(LearningBase):
    async def learn_progress(self, ctx: CommandContext) -> Reply:
        platform, user_id = ctx.identity.platform, ctx.identity.user_id
        enrolment = await self._enrolment(platform, user_id)
        if enrolment is None:
            return ctx.reply(ctx.t("learn.not_enrolled", prefix=Markup(ctx.prefix)))
        async with self._db.session() as session:
            rows = await store.person_progress(session, platform=platform, user_id=user_id)
        path = self._path(enrolment, ctx.locale)
        path_ids = {lesson.id for lesson in path}
        done = [row for row in rows if row.done_at is not None and row.lesson_id in path_ids]
        ratings = [row.rating for row in rows if row.rating is not None]
        now = self._clock.now()
        tz = zone_of(ctx.identity.timezone, self._default_tz)
        fields: list[tuple[str, Text]] = [
            (ctx.s("learn.progress.track"), ctx.t(f"learn.track.{enrolment.track}")),
            (ctx.s("learn.progress.function"), ctx.t(f"learn.function.{enrolment.function}")),
            (ctx.s("learn.progress.done"), ctx.t("learn.progress.done_of", done=len(done), total=len(path))),
            (
                ctx.s("learn.progress.streak"),
                ctx.t(
                    "learn.progress.weeks",
                    weeks=paths.streak(
                        [row.done_at for row in done if row.done_at], now.astimezone(tz).date()
                    ),
                ),
            ),
        ]
        if ratings:
            average = sum(ratings) / len(ratings)
            fields.append((ctx.s("learn.progress.rating"), Text.of(Markup(f"{average:.1f} / 5"))))
        fields.append((ctx.s("learn.progress.status"), self._status(ctx, enrolment, now, tz)))
        blocks: list[Block] = [Section(ctx.t("learn.progress.title"), fields=tuple(fields))]
        recent = [self.curriculum.lesson(row.lesson_id, ctx.locale) for row in done[-3:]]
        titles = [Text.of(Markup("• "), Markup(lesson.title)) for lesson in recent if lesson]
        if titles:
            blocks.append(Note(Text.join([ctx.t("learn.progress.recent"), *titles])))
        return Reply(Message(tuple(blocks)))

    def _status(self, ctx: CommandContext, enrolment: LearningEnrolment, now: datetime, tz: ZoneInfo) -> Text:
        if enrolment.stopped_at is not None:
            return ctx.t("learn.status.stopped", prefix=Markup(ctx.prefix))
        if enrolment.paused_until and enrolment.paused_until > now:
            return ctx.t(
                "learn.status.paused", until=Markup(f"{enrolment.paused_until.astimezone(tz):%Y-%m-%d}")
            )
        recipient = Recipient(enrolment, tz, ctx.locale)
        slot = self._weekly_slot(recipient, now)
        return ctx.t("learn.status.next", when=self._when(ctx.locale, max(slot, now), tz))

    async def learn_report(self, ctx: CommandContext) -> Reply:
        platform = ctx.identity.platform
        async with self._db.session() as session:
            rows = await store.report_groups(session, platform=platform)
            pairs = await store.productive_use(session, platform=platform)
            total, completed = await store.count_enrolled(session, platform=platform)
            followups = await store.followup_answers(session, platform=platform)
        groups, hidden = paths.merge_small([paths.Group(**vars(row)) for row in rows])
        lines: list[Text] = [ctx.t("learn.report.title")]
        if total < paths.MIN_GROUP:
            lines.append(ctx.t("learn.report.too_few", minimum=paths.MIN_GROUP))
            return Reply(Message.of(Text.join(lines)))
        for group in groups:
            lines.append(
                ctx.t(
                    "learn.report.line",
                    group=ctx.t("learn.report.other")
                    if group.track == paths.OTHER
                    else ctx.t(f"learn.track.{group.track}")
                    + Text.of(Markup(" / "))
                    + ctx.t(f"learn.function.{group.function}"),
                    people=group.people,
                    delivered=group.delivered,
                    opened=group.opened,
                    done=group.done,
                    rating=Markup(f"{group.rating:.1f}" if group.rating is not None else "–"),
                )
            )
        if hidden:
            lines.append(ctx.t("learn.report.hidden", people=hidden, minimum=paths.MIN_GROUP))
        ratings = (
            sum(row.rating_sum for row in rows),
            sum(row.rating_count for row in rows),
        )  # everyone counts
        kpis = [ctx.t("learn.report.completed", completed=completed, total=total)]
        if ratings[1]:
            kpis.append(ctx.t("learn.report.satisfaction", rating=Markup(f"{ratings[0] / ratings[1]:.1f}")))
        median = paths.median_days(pairs) if len(pairs) >= paths.MIN_GROUP else None
        kpis.append(
            ctx.t("learn.report.productive", days=round(median), people=len(pairs))
            if median is not None
            else ctx.t("learn.report.productive_hidden", minimum=paths.MIN_GROUP)
        )
        answered = sum(followups.values())
        if answered >= paths.MIN_GROUP:
            kpis.append(ctx.t("learn.report.followup", tried=followups.get("tried", 0), answered=answered))
        return Reply(Message((Section(Text.join(lines)), Section(Text.join(kpis)))))
