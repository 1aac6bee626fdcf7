"""`nudge schedule | list | cancel | status`, the tick that fans campaigns out, and their live progress.

A campaign is a row; the command only writes it (and, for `now`, runs its first occurrence at
once), and the tick job runs every due occurrence. Both go through the same `run_due`, which is
safe to repeat: occurrences are unique rows and outbox keys are unique per person.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.campaigns import audience as aud
from bot.campaigns import what as content_of
from bot.campaigns import when as sched
from bot.campaigns.fanout import AudienceUnavailable, FanOutService, campaign_key
from bot.campaigns.lessons import Lessons
from bot.campaigns.progress import Counts, view
from bot.campaigns.request import ScheduleRequest, parse_schedule
from bot.campaigns.watch import ProgressWatchers
from bot.clock import Clock
from bot.context import CommandContext
from bot.delivery.outbox import OutboxService
from bot.domain import Platform
from bot.errors import InputError
from bot.i18n import Catalog
from bot.messages import Message, MessageRef, Reply, Section
from bot.parsing import Word, tokenize
from bot.ports import DeliveryError, Messengers
from bot.text import ChannelLink, Markup, Text, UserText, shorten
from bot.timewords import format_time, weekday_name
from storage import campaigns as store
from storage.engine import Database
from storage.models import Campaign

log = logging.getLogger(__name__)


class CampaignService:
    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        messengers: Messengers,
        outbox: OutboxService,
        catalog: Catalog,
        timezone: str,
        default_locale: str,
        lessons: Callable[[], Lessons | None] = lambda: None,
        progress_interval: timedelta = timedelta(seconds=3),
    ) -> None:
        self._db = database
        self._clock = clock
        self._messengers = messengers
        self._outbox = outbox
        self._catalog = catalog
        self._tz = ZoneInfo(timezone)
        self._lessons = lessons
        self._fanout = FanOutService(
            database=database,
            messengers=messengers,
            outbox=outbox,
            lessons=lessons,
            default_zone=timezone,
            default_locale=default_locale,
        )
        self.watchers = ProgressWatchers(clock=clock, report=self.report, interval=progress_interval)
        self._fanouts: set[asyncio.Task[None]] = set()
        self._running: set[int] = set()  # campaigns this process is fanning out right now
        self._shown: dict[int, Counts] = {}  # what each progress message shows now, to skip idle edits

    # ------------------------------------------------------------------ commands

    async def schedule(self, ctx: CommandContext) -> Reply:
        tokens = tokenize(ctx.command.rest)
        words = ctx.command.rest[tokens[0].end :] if tokens else ""
        now = self._clock.now()
        request = parse_schedule(words, now=now, tz=self._tz)
        self._check_learning(request)
        if isinstance(request.audience, aud.Here):
            conversation = ctx.origin.conversation
            if conversation.is_direct:
                raise InputError("nudge.error.here_direct")
            request = replace(request, audience=aud.Channel(conversation.conversation_id, conversation.name))
        platform = ctx.identity.platform
        kind, value = content_of.encode(request.content)
        first = sched.first_occurrence(request.when, now=now, tz=self._tz)
        async with self._db.session() as session:
            campaign = await store.create(
                session,
                platform=platform.value,
                created_by=ctx.identity.user_id,
                locale=ctx.locale,
                audience=aud.encode(request.audience),
                schedule=sched.encode(request.when),
                content_kind=kind,
                content=value,
                status=store.SCHEDULED,
                next_occurrence=first.key,
                next_due_at=first.due,
                created_at=now,
            )
        assert campaign.id is not None
        log.info("campaign scheduled", extra={"campaign": campaign.id, "schedule": campaign.schedule})
        where = await self._post_progress(ctx, campaign)
        if first.due <= now:
            self._start_now(campaign.id)
        lines = [ctx.t("nudge.scheduled", id=campaign.id, when=self._when_text(ctx, campaign))]
        lines.append(ctx.t(f"nudge.progress_where.{where}", id=campaign.id))
        return ctx.reply(*lines)

    def _start_now(self, campaign_id: int) -> None:
        """Fan a `now` campaign out right after the reply, so the admin hears back at once even for
        thousands of people; if this process dies first, the tick finds the campaign still due."""
        task = asyncio.create_task(self._run_guarded(campaign_id), name=f"campaign-fanout-{campaign_id}")
        self._fanouts.add(task)
        task.add_done_callback(self._fanouts.discard)

    async def _run_guarded(self, campaign_id: int) -> None:
        try:
            await self.run_due(campaign_id)
        except AudienceUnavailable as error:
            log.warning("campaign audience unavailable: %s", error.reason, extra={"campaign": campaign_id})
            if error.permanent:
                await self._give_up(campaign_id, error.reason)
        except Exception:
            log.exception("campaign fan-out failed; the tick will try again", extra={"campaign": campaign_id})

    def _check_learning(self, request: ScheduleRequest) -> None:
        """Lessons, tracks and learners exist only with the learning feature; check names now,
        not when the campaign runs."""
        needs = not isinstance(request.content, content_of.FreeText) or isinstance(
            request.audience, aud.Function | aud.Track
        )
        if not needs:
            return
        lessons = self._lessons()
        if lessons is None:
            raise InputError("nudge.error.learning_off")
        match request.content:
            case content_of.LessonContent(lesson_id) if not lessons.has_lesson(lesson_id):
                raise InputError("nudge.error.lesson_unknown", name=lesson_id)
            case content_of.TrackContent(track) if not lessons.has_track(track):
                raise InputError("nudge.error.track_unknown", name=track)
        if isinstance(request.audience, aud.Track) and not lessons.has_track(request.audience.name):
            raise InputError("nudge.error.track_unknown", name=request.audience.name)
        if isinstance(request.audience, aud.Function) and request.audience.name not in lessons.functions():
            raise InputError(
                "nudge.error.function_unknown",
                name=request.audience.name,
                allowed=Markup(", ".join(f"`{name}`" for name in lessons.functions())),
            )

    async def _post_progress(self, ctx: CommandContext, campaign: Campaign) -> str:
        """The command's own reply may be ephemeral (Slack) and cannot be edited, so the live view
        is a DM to the admin, or a post where they typed when a DM is impossible."""
        assert campaign.id is not None
        messenger = self._messengers.get(ctx.identity.platform)
        message = self._view(campaign, Counts(0, 0, 0, 0, ()))
        ref: MessageRef | None = None
        where = "dm"
        try:
            ref = await messenger.dm(ctx.identity.user_id, message)
        except DeliveryError as error:
            conversation = ctx.origin.conversation
            if not conversation.is_direct:
                where = "channel"
                try:
                    ref = await messenger.post(conversation.conversation_id, message)
                except DeliveryError:
                    log.warning("campaign progress message not posted: %s", error.reason)
        if ref is None:
            return "none"
        async with self._db.session() as session:
            await store.set_progress_ref(
                session, campaign_id=campaign.id, channel_id=ref.channel_id, message_id=ref.message_id
            )
        campaign.progress_channel, campaign.progress_message = ref.channel_id, ref.message_id
        return where

    async def list(self, ctx: CommandContext) -> Reply:
        async with self._db.session() as session:
            found = await store.recent(session, platform=ctx.identity.platform.value)
        if not found:
            return ctx.reply(ctx.t("nudge.list.empty", prefix=Markup(ctx.prefix)))
        lines = [ctx.t("nudge.list.heading")]
        for campaign in found:
            counts = await self._counts(campaign)
            lines.append(
                ctx.t(
                    "nudge.list.line",
                    id=campaign.id,
                    status=ctx.t(f"nudge.status.{campaign.status}"),
                    audience=self._audience_text(ctx, campaign),
                    when=self._when_text(ctx, campaign),
                    what=self._what_text(campaign),
                    sent=counts.sent,
                    total=counts.total,
                )
            )
        return ctx.reply(*lines)

    async def cancel(self, ctx: CommandContext) -> Reply:
        campaign = await self._campaign_arg(ctx)
        assert campaign.id is not None
        async with self._db.session() as session:
            stopped = await store.cancel(
                session, campaign_id=campaign.id, key=campaign_key(campaign.id), now=self._clock.now()
            )
        if stopped is None:
            return ctx.reply(
                ctx.t("nudge.cancel.ended", id=campaign.id, status=ctx.t(f"nudge.status.{campaign.status}"))
            )
        log.info("campaign cancelled", extra={"campaign": campaign.id, "stopped": stopped})
        await self.report(campaign.id)
        return ctx.reply(ctx.t("nudge.cancel.done", id=campaign.id, count=stopped))

    async def status(self, ctx: CommandContext) -> Reply:
        campaign = await self._campaign_arg(ctx)
        counts = await self._counts(campaign)
        return Reply(self._view(campaign, counts, locale=ctx.locale))

    async def _campaign_arg(self, ctx: CommandContext) -> Campaign:
        args = ctx.command.args
        raw = args[1].text.lstrip("#") if len(args) > 1 and isinstance(args[1], Word) else ""
        if not raw:
            raise InputError("cmd.nudge.usage")
        if not raw.isdigit() or len(raw) > 9:
            raise InputError("nudge.error.no_campaign", id=raw[:20])
        async with self._db.session() as session:
            campaign = await store.get(session, int(raw))
        if campaign is None or campaign.platform != ctx.identity.platform.value:
            raise InputError("nudge.error.no_campaign", id=raw)
        return campaign

    # ------------------------------------------------------------------ time

    async def tick(self, now: datetime) -> str:
        """Fan out every due occurrence, and watch every campaign still sending (after a restart
        its progress message picks up where it was)."""
        async with self._db.session() as session:
            withdrawn = await store.withdraw_stopped_learners(session, now=now)
            due = await store.due(session, now=now)
        ran = 0
        for campaign in due:
            assert campaign.id is not None
            if Platform(campaign.platform) not in self._messengers:
                continue  # e.g. `champbot jobs run` in a shell: leave it to a process that can send
            try:
                ran += await self.run_due(campaign.id)
            except AudienceUnavailable as error:
                log.warning(
                    "campaign audience unavailable: %s", error.reason, extra={"campaign": campaign.id}
                )
                if error.permanent:
                    await self._give_up(campaign.id, error.reason)
        async with self._db.session() as session:
            sending = await store.sending(session)
        for campaign in sending:
            assert campaign.id is not None
            if Platform(campaign.platform) in self._messengers:
                self.watchers.watch(campaign.id)
        return (
            f"fanned out {ran} campaign occurrence(s); {len(sending)} campaign(s) sending; "
            f"{withdrawn} lesson message(s) withdrawn from people who stopped learning"
        )

    async def run_due(self, campaign_id: int) -> int:
        """Fan out the campaign's next occurrence if it is due; 1 if one was fanned out.

        Safe to run twice (another replica, a tick racing the command): the occurrence row is
        unique and every outbox key is; within one process a second run simply steps aside."""
        if campaign_id in self._running:
            return 0
        self._running.add(campaign_id)
        try:
            return await self._run_due(campaign_id)
        finally:
            self._running.discard(campaign_id)

    async def _run_due(self, campaign_id: int) -> int:
        now = self._clock.now()
        async with self._db.session() as session:
            campaign = await store.get(session, campaign_id)
        if (
            campaign is None
            or campaign.status not in (store.SCHEDULED, store.SENDING)
            or campaign.next_occurrence is None
            or campaign.next_due_at is None
            or campaign.next_due_at > now
        ):
            return 0
        when = sched.decode(campaign.schedule)
        occurrence = sched.occurrence_from(campaign.next_occurrence, when, tz=self._tz, now=now)
        async with self._db.session() as session:
            await store.start_occurrence(session, campaign_id=campaign_id, occurrence=occurrence.key, now=now)
        platform = Platform(campaign.platform)
        content = content_of.decode(campaign.content_kind, campaign.content)
        try:
            recipients, skipped = await self._fanout.recipients(
                platform,
                aud.decode(campaign.audience),
                content,
                now=now,
            )
        except DeliveryError as error:
            raise AudienceUnavailable(error.reason, permanent=error.permanent) from None

        async def still_on() -> bool:
            async with self._db.session() as session:
                current = await store.get(session, campaign_id)
            return current is not None and current.status in (store.SCHEDULED, store.SENDING)

        result = await self._fanout.enqueue(
            campaign_id=campaign_id,
            platform=platform,
            recipients=recipients,
            content=content,
            when=when,
            occurrence=occurrence,
            still_on=still_on,
        )
        following = sched.next_occurrence(when, occurrence, tz=self._tz)
        async with self._db.session() as session:
            await store.finish_occurrence(
                session,
                campaign_id=campaign_id,
                occurrence=occurrence.key,
                recipients=result.recipients,
                skipped=skipped + result.skipped,
                now=self._clock.now(),
            )
            advanced = await store.advance(
                session,
                campaign_id=campaign_id,
                from_occurrence=occurrence.key,
                next_occurrence=following.key if following else None,
                next_due_at=following.due if following else None,
            )
        log.info(
            "campaign occurrence fanned out",
            extra={"campaign": campaign_id, "occurrence": occurrence.key, "recipients": result.recipients},
        )
        self.watchers.watch(campaign_id)
        return 1 if advanced else 0

    async def _give_up(self, campaign_id: int, reason: str) -> None:
        """An audience that cannot be read (no such channel, learning off) will not become readable
        by waiting: the campaign is cancelled instead of retried every minute, and the admin's
        progress message says why."""
        async with self._db.session() as session:
            await store.cancel(
                session, campaign_id=campaign_id, key=campaign_key(campaign_id), now=self._clock.now()
            )
            campaign = await store.get(session, campaign_id)
        if campaign is None:
            return
        message = self._view(campaign, await self._counts(campaign))
        why = self._catalog.text(
            campaign.locale, "nudge.error.audience_unavailable", id=campaign_id, reason=Markup(f"`{reason}`")
        )
        await self._show_message(campaign, Message((*message.blocks, Section(why))))

    # ------------------------------------------------------------------ progress

    async def report(self, campaign_id: int) -> bool:
        """Show the campaign's counts on the admin's message; True once there is nothing more to show."""
        async with self._db.session() as session:
            campaign = await store.get(session, campaign_id)
        if campaign is None:
            return True
        counts = await self._counts(campaign)
        finished = False
        if campaign.status == store.SENDING and counts.pending == 0:
            async with self._db.session() as session:
                await store.finish(session, campaign_id=campaign_id, now=self._clock.now())
                campaign = await store.get(session, campaign_id) or campaign
            finished = True
        elif campaign.status != store.SENDING:
            finished = True
        if finished or self._shown.get(campaign_id) != counts:
            await self._show(campaign, counts)
            self._shown[campaign_id] = counts
        return finished

    async def _counts(self, campaign: Campaign) -> Counts:
        assert campaign.id is not None
        status = await self._outbox.status(campaign=campaign_key(campaign.id))
        return Counts.of(status.by_state, status.failures)

    async def _show(self, campaign: Campaign, counts: Counts) -> None:
        await self._show_message(campaign, self._view(campaign, counts))

    async def _show_message(self, campaign: Campaign, message: Message) -> None:
        if not (campaign.progress_channel and campaign.progress_message):
            return
        ref = MessageRef(Platform(campaign.platform), campaign.progress_channel, campaign.progress_message)
        try:
            await self._messengers.get(ref.platform).update(ref, message)
        except DeliveryError as error:
            log.warning("campaign progress not updated: %s", error.reason, extra={"campaign": campaign.id})

    def _view(self, campaign: Campaign, counts: Counts, *, locale: str | None = None) -> Message:
        assert campaign.id is not None
        language = locale or campaign.locale

        def t(key: str, **params: object) -> Text:
            return self._catalog.text(language, key, **params)

        state = {store.SENDING: "sending", store.DONE: "done", store.CANCELLED: "cancelled"}.get(
            campaign.status, "scheduled"
        )
        return view(counts, t, campaign_id=campaign.id, title=self._what_text(campaign), state=state)

    # ------------------------------------------------------------------ words

    def _what_text(self, campaign: Campaign) -> Text:
        if campaign.content_kind == "text":
            return Text.of(Markup("“"), UserText(shorten(campaign.content, 60, one_line=False)), Markup("”"))
        return Text.of(Markup(f"`{campaign.content_kind}:"), UserText(campaign.content), Markup("`"))

    def _audience_text(self, ctx: CommandContext, campaign: Campaign) -> Text:
        match aud.decode(campaign.audience):
            case aud.Everyone():
                return ctx.t("nudge.audience.everyone")
            case aud.Channel(channel_id, name):
                return Text.of(ChannelLink(channel_id, name))
            case aud.Here():
                return ctx.t("nudge.audience.here")
            case aud.People(user_ids):
                return ctx.t("nudge.audience.people", count=len(user_ids))
            case aud.Function(name):
                return ctx.t("nudge.audience.function", name=name)
            case aud.Track(name):
                return ctx.t("nudge.audience.track", name=name)
        raise TypeError(campaign.audience)

    def _when_text(self, ctx: CommandContext, campaign: Campaign) -> Text:
        when = sched.decode(campaign.schedule)
        zone = (
            ctx.t("nudge.when.local")
            if getattr(when, "local", False)
            else ctx.t("nudge.when.zone", zone=Markup(self._tz.key))
        )
        match when:
            case sched.Now():
                return ctx.t("nudge.when.now")
            case sched.Once(at, _):
                return ctx.t("nudge.when.once", at=Markup(f"{at:%Y-%m-%d %H:%M}"), zone=zone)
            case sched.Weekly(weekday, at, _):
                return ctx.t(
                    "nudge.when.weekly",
                    day=Markup(weekday_name(weekday, ctx.locale)),
                    at=Markup(format_time(at)),
                    zone=zone,
                )
        raise TypeError(when)

    async def close(self, grace_seconds: float = 5.0) -> None:
        """Give fan-outs in hand a moment to finish (the tick would redo them anyway), then stop."""
        if self._fanouts:
            await asyncio.wait(list(self._fanouts), timeout=grace_seconds)
        for task in list(self._fanouts):
            task.cancel()
        for task in list(self._fanouts):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.watchers.close()
