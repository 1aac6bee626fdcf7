"""learn start / stop / pause / away, and HR's learn enrol: who takes the lessons, when."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.actions import ActionContext
from bot.context import CommandContext
from bot.delivery.outbox import Outgoing
from bot.domain import Platform
from bot.errors import InputError
from bot.events import FormSubmission
from bot.i18n import command_word
from bot.learning import inputs
from bot.learning.base import (
    LearningBase,
    as_markup,
    choices_of,
    zone_of,
)
from bot.learning.inputs import Choices
from bot.learning.schedule import next_slot
from bot.messages import Form, Input, Message, Reply
from bot.parsing import UserArg, Word
from bot.ports import DeliveryError, FormTrigger
from bot.text import Markup, MentionUser
from bot.timewords import format_time, weekday_name
from storage import learning as store

log = logging.getLogger(__name__)


class EnrolmentCommands(LearningBase):
    async def learn_start(self, ctx: CommandContext) -> Reply:
        enrolment = await self._enrolment(ctx.identity.platform, ctx.identity.user_id)
        defaults = choices_of(enrolment) if enrolment else inputs.DEFAULT_CHOICES
        form = self._start_form(ctx.locale, defaults)
        origin = ctx.origin
        trigger = FormTrigger(ctx.identity.user_id, origin.conversation.conversation_id, origin.trigger_id)
        try:
            await self._messengers.get(ctx.identity.platform).open_form(trigger, form)
        except DeliveryError as error:
            log.info("enrolment form not opened", extra={"reason": error.reason})
            return ctx.reply(ctx.t("learn.start.no_form"))
        return ctx.reply(ctx.t("learn.start.opened"))

    def _start_form(self, locale: str, defaults: Choices) -> Form:
        s = lambda key, **params: self._catalog.string(locale, key, **params)  # noqa: E731
        return Form(
            form_id="learn.enrol",
            title=s("learn.form.title"),
            submit_label=s("learn.form.submit"),
            inputs=(
                Input(
                    "track",
                    s("learn.form.track"),
                    "select",
                    tuple(
                        (name, s(f"learn.track.{name}"))
                        for name in ("foundations", "practitioner", "champion")
                    ),
                    initial=defaults.track,
                ),
                Input(
                    "function",
                    s("learn.form.function"),
                    "select",
                    tuple((name, s(f"learn.function.{name}")) for name in inputs.CHOOSABLE_FUNCTIONS),
                    initial=defaults.function,
                ),
                Input(
                    "pace",
                    s("learn.form.pace"),
                    "select",
                    (("1", s("learn.pace.1")), ("2", s("learn.pace.2"))),
                    initial=str(defaults.pace_weeks),
                ),
                Input(
                    "weekday",
                    s("learn.form.weekday"),
                    "select",
                    tuple(
                        (day, weekday_name(index, locale).capitalize())
                        for index, day in enumerate(inputs.WEEKDAYS)
                    ),
                    initial=inputs.WEEKDAYS[defaults.weekday],
                ),
                Input("time", s("learn.form.time"), "text", initial=f"{defaults.at:%H:%M}", max_length=5),
            ),
        )

    async def enrol_form(self, ctx: ActionContext, event: FormSubmission) -> Reply:
        platform, user_id = ctx.identity.platform, ctx.identity.user_id
        enrolment = await self._enrolment(platform, user_id)
        defaults = choices_of(enrolment) if enrolment else inputs.DEFAULT_CHOICES
        try:
            choices = inputs.form_choices(event.values, defaults)
        except InputError as problem:
            return ctx.reply(ctx.t(problem.key, **as_markup(problem.params)), ctx.t("learn.start.again"))
        now = self._clock.now()
        async with self._db.session() as session:
            await store.enrol(
                session,
                platform=platform,
                user_id=user_id,
                track=choices.track,
                function=choices.function,
                pace_weeks=choices.pace_weeks,
                weekday=choices.weekday,
                local_time=f"{choices.at:%H:%M}",
                enrolled_by=None,
                now=now,
            )
        log.info("enrolled", extra={"track": choices.track, "function": choices.function})
        recipient = await self._recipient_for(platform, user_id)
        slot = next_slot(now, tz=recipient.tz, weekday=choices.weekday, at=choices.at, rules=self._rules)
        return ctx.reply(
            ctx.t(
                "learn.start.done",
                track=ctx.t(f"learn.track.{choices.track}"),
                function=ctx.t(f"learn.function.{choices.function}"),
                pace=ctx.t(f"learn.pace.{choices.pace_weeks}"),
                weekday=Markup(weekday_name(choices.weekday, ctx.locale)),
                at=Markup(format_time(choices.at)),
                first=self._when(ctx.locale, slot, recipient.tz),
                timezone=Markup(recipient.tz.key),
                prefix=Markup(ctx.prefix),
            )
        )

    async def learn_stop(self, ctx: CommandContext) -> Reply:
        async with self._db.session() as session:
            changed = await store.change(
                session,
                platform=ctx.identity.platform,
                user_id=ctx.identity.user_id,
                stopped_at=self._clock.now(),
            )
        if not changed:
            return ctx.reply(ctx.t("learn.not_enrolled", prefix=Markup(ctx.prefix)))
        return ctx.reply(ctx.t("learn.stop.done", prefix=Markup(ctx.prefix)))

    async def learn_pause(self, ctx: CommandContext) -> Reply:
        weeks = inputs.pause_weeks(ctx.command.words()[1:])
        until = self._clock.now() + timedelta(weeks=weeks)
        async with self._db.session() as session:
            changed = await store.change(
                session, platform=ctx.identity.platform, user_id=ctx.identity.user_id, paused_until=until
            )
        if not changed:
            return ctx.reply(ctx.t("learn.not_enrolled", prefix=Markup(ctx.prefix)))
        tz = zone_of(ctx.identity.timezone, self._default_tz)
        return ctx.reply(
            ctx.t("learn.pause.done", weeks=weeks, until=Markup(f"{until.astimezone(tz):%Y-%m-%d}"))
        )

    async def learn_away(self, ctx: CommandContext) -> Reply:
        tz = zone_of(ctx.identity.timezone, self._default_tz)
        start, end = inputs.away_dates(ctx.command.words()[1:], self._clock.now().astimezone(tz).date())
        async with self._db.session() as session:
            changed = await store.change(
                session,
                platform=ctx.identity.platform,
                user_id=ctx.identity.user_id,
                away_from=start,
                away_until=end,
            )
        if not changed:
            return ctx.reply(ctx.t("learn.not_enrolled", prefix=Markup(ctx.prefix)))
        return ctx.reply(
            ctx.t("learn.away.done", start=Markup(start.isoformat()), end=Markup(end.isoformat()))
        )

    async def learn_enrol(self, ctx: CommandContext) -> Reply:
        """HR enrols people (mentions) or a function's already-known people into a track."""
        args = ctx.command.args[1:]
        track = "foundations"
        targets: list[str] = []
        functions: list[str] = []
        for arg in args:
            if isinstance(arg, UserArg):
                targets.append(arg.user_id)
            elif (
                isinstance(arg, Word) and ":" in arg.text and command_word(arg.text.split(":")[0], "function")
            ):
                name = arg.text.split(":", 1)[1].lower()
                if name not in inputs.CHOOSABLE_FUNCTIONS:
                    raise InputError(
                        "learn.enrol.bad_function", allowed=", ".join(inputs.CHOOSABLE_FUNCTIONS)
                    )
                functions.append(name)
            elif (
                isinstance(arg, Word)
                and arg.text.lower() in ("foundations", "practitioner", "champion")
                and arg is args[-1]
            ):
                track = arg.text.lower()
            else:
                raise InputError("learn.enrol.bad")
        platform = ctx.identity.platform
        for name in functions:
            targets.extend(await self._known_with_function(platform, name))
        if not targets:
            raise InputError("learn.enrol.bad")
        now = self._clock.now()
        added = 0
        for user_id in dict.fromkeys(targets):
            existing = await self._enrolment(platform, user_id)
            defaults = choices_of(existing) if existing else inputs.DEFAULT_CHOICES
            async with self._db.session() as session:
                await store.enrol(
                    session,
                    platform=platform,
                    user_id=user_id,
                    track=track,
                    function=defaults.function,
                    pace_weeks=defaults.pace_weeks,
                    weekday=defaults.weekday,
                    local_time=f"{defaults.at:%H:%M}",
                    enrolled_by=ctx.identity.user_id,
                    now=now,
                )
            added += 1
            locale = await self._people.locale_of(platform, user_id)
            text = self._catalog.text(
                locale,
                "learn.enrol.notice",
                by=MentionUser(ctx.identity.user_id, ctx.identity.actor.display_name),
                track=self._catalog.text(locale, f"learn.track.{track}"),
                prefix=Markup(ctx.prefix),
            )
            key = f"learn-enrolled:{platform.value}:{user_id}:{track}:{now:%Y%m%dT%H%M%S}"
            await self._outbox.enqueue([Outgoing(key, platform, "dm", user_id, Message.of(text))])
        return ctx.reply(ctx.t("learn.enrol.done", count=added, track=ctx.t(f"learn.track.{track}")))

    async def _known_with_function(self, platform: Platform, function: str) -> list[str]:
        async with self._db.session() as session:
            rows = await store.with_function(session, platform=platform, function=function)
        return list(rows)
