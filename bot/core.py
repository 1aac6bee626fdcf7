"""The core's front door: every edge hands it neutral events and renders what comes back."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from bot.actions import ActionContext, ActionTable, Route
from bot.clock import Clock
from bot.commands import CommandTable
from bot.config import Settings
from bot.context import CommandContext
from bot.delivery.outbox import OutboxService
from bot.domain import Platform, Role
from bot.errors import InputError
from bot.events import ButtonPress, CommandEvent, FormSubmission, MemberJoined, Origin, ThreadReply
from bot.features import Feature, FeatureBuilder, FeatureDeps, PersonKey, Shared, Tick
from bot.i18n import Catalog
from bot.identity import Identity
from bot.installed import FEATURES
from bot.messages import Message, Reply, Section
from bot.metrics import Metrics
from bot.parsing import parse
from bot.ports import LLM, Messengers
from bot.services.help import HelpService
from bot.services.job_runs import JobRuns
from bot.services.people import PeopleService
from bot.text import Markup, Text, UserText
from bot.worklane import WorkLane
from storage import inbound
from storage.engine import Database

log = logging.getLogger(__name__)

ActionEvent = TypeVar("ActionEvent", ButtonPress, FormSubmission)
T = TypeVar("T")

COMMAND_PREFIX = {Platform.SLACK: "/champ "}


def configured_roles(
    settings: Settings, extra: dict[tuple[Platform, str], frozenset[Role]]
) -> dict[tuple[Platform, str], frozenset[Role]]:
    """Roles that come from configuration (CHAMPBOT_ADMINS) or console flags, not from chat."""
    roles: dict[tuple[Platform, str], frozenset[Role]] = dict(extra)
    for ref in settings.admin_refs:
        key = (ref.platform, ref.user_id)
        roles[key] = roles.get(key, frozenset()) | {Role.ADMIN}
    return roles


class Core:
    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        clock: Clock,
        messengers: Messengers,
        extra_roles: dict[tuple[Platform, str], frozenset[Role]] | None = None,
        llm: LLM | None = None,
        features: Sequence[FeatureBuilder] = FEATURES,
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.messengers = messengers
        self.catalog = Catalog()
        self.people = PeopleService(
            database=database,
            clock=clock,
            configured_roles=configured_roles(settings, extra_roles or {}),
            default_locale=settings.locale,
            default_timezone=settings.timezone,
        )
        self.outbox = OutboxService(database=database, clock=clock)
        self.metrics = Metrics()
        self.lane = WorkLane(settings.work_concurrency, self.metrics.work_held)
        self.job_runs = JobRuns(database)
        self.commands = CommandTable()
        self.actions = ActionTable()
        self.help = HelpService(self.commands)
        self.shared = Shared()
        self.shared.provide(self.help)
        deps = FeatureDeps(
            settings=settings,
            database=database,
            clock=clock,
            outbox=self.outbox,
            messengers=messengers,
            catalog=self.catalog,
            people=self.people,
            metrics=self.metrics,
            llm=llm,
            shared=self.shared,
        )
        self.features = tuple(build(deps) for build in features)
        self.ticks: tuple[Tick, ...] = ()  # the scheduler and `champbot jobs` read these
        for feature in self.features:
            self._install(feature)

    def _install(self, feature: Feature) -> None:
        """Every command, button, form and tick of a feature, in the tables the core routes by."""
        for locale, messages in feature.messages.items():
            self.catalog.add(locale, messages)
        for command in feature.commands:
            self.commands.add(command)
        for button in feature.buttons:
            self.actions.button(button.id, button.role, button.handler, button.refusal)
        for form in feature.forms:
            self.actions.form(form.id, form.role, form.handler, form.refusal)
        taken = {tick.job_id for tick in self.ticks}
        for tick in feature.ticks:
            if tick.job_id in taken:
                raise ValueError(f"tick {tick.job_id!r} declared twice")
            taken.add(tick.job_id)
        self.ticks += feature.ticks

    def service(self, kind: type[T]) -> T:
        """A feature's service by its class, for the composition root and tests."""
        return self.shared.get(kind)

    async def start(self) -> None:
        """The bot starts serving: each feature catches up on what it missed while nothing ran."""
        for feature in self.features:
            if feature.start is not None:
                await feature.start()

    async def close(self) -> None:
        """Before the database closes: each feature finishes the work it has in hand."""
        for feature in reversed(self.features):
            if feature.close is not None:
                await feature.close()

    async def export_person(self, person: PersonKey) -> dict[str, object]:
        """What every feature stores about one person, by feature name."""
        exported: dict[str, object] = {}
        async with self.database.session() as session:
            for feature in self.features:
                if feature.export is not None:
                    exported[feature.name] = dict(await feature.export(session, person))
        return exported

    async def forget_person(self, person: PersonKey) -> int:
        """Every feature deletes its part of a person's data, all in one transaction."""
        removed = 0
        async with self.database.session() as session:
            for feature in self.features:
                if feature.forget is not None:
                    removed += await feature.forget(session, person)
        return removed

    async def first_delivery(self, platform: Platform, event_id: str) -> bool:
        """False when this activity was handled before (Bot Framework may repeat one). Slack's
        events are claimed with the look-up of their speaker instead (see `Delivery`)."""
        async with self.database.session() as session:
            return await inbound.first_time(
                session, platform=platform, event_id=event_id, now=self.clock.now()
            )

    def _context(self, origin: Origin, identity: Identity, text: str) -> CommandContext:
        return CommandContext(
            origin=origin,
            identity=identity,
            command=parse(text),
            catalog=self.catalog,
            prefix=COMMAND_PREFIX.get(identity.platform, ""),
        )

    async def handle_command(self, event: CommandEvent) -> Reply:
        """Run one command; whatever happens, the person gets a clear answer and no traceback.

        The one place a command's role is checked: the command's own, then its subcommand's."""
        identity = await self.people.identify(event.origin)
        ctx = self._context(event.origin, identity, event.text)
        name = ctx.command.name
        if not name:
            return await self.help.help(ctx)
        command = self.commands.get(name)
        if command is None:
            return self._unknown(ctx, name)
        if not identity.may(command.role):
            return self._refused(ctx, name, command.role)
        usage_key = command.usage
        handler = command.handler
        if command.subcommands:
            routed = command.route(ctx.command)
            if routed is None:
                return ctx.reply(self._usage(ctx, command.usage))
            sub_name, sub = routed
            if not identity.may(sub.role):
                return self._refused(ctx, f"{name} {sub_name}", sub.role)
            usage_key, handler = sub.usage, sub.handler
        assert handler is not None
        try:
            return await handler(ctx)
        except InputError as error:
            usage = self._usage(ctx, usage_key)
            if error.key in {usage_key, command.usage}:
                return ctx.reply(usage)
            return ctx.reply(ctx.t(error.key, **error.params), usage)
        except Exception:
            return self._failed(ctx, name)

    @staticmethod
    def _usage(ctx: CommandContext, key: str) -> Text:
        return ctx.t("usage", usage=Markup(f"`{ctx.prefix}{ctx.s(key)}`"))

    @staticmethod
    def _refused(ctx: CommandContext, what: str, role: Role) -> Reply:
        log.info("command refused", extra={"command": what, "needed": role.value})
        return ctx.reply(ctx.t("refused", command=Markup(what), role=ctx.t(f"role.{role.value}")))

    def _unknown(self, ctx: CommandContext, name: str) -> Reply:
        suggestion = self.commands.closest(name, ctx.identity.role)
        help_word = Markup(f"`{ctx.prefix}help`")
        if suggestion:
            hint = ctx.t("unknown.suggest", suggestion=Markup(f"`{ctx.prefix}{suggestion}`"), help=help_word)
        else:
            hint = ctx.t("unknown.help", help=help_word)
        return ctx.reply(ctx.t("unknown.command", command=UserText(name[:40])), hint)

    def _failed(self, ctx: CommandContext, name: str) -> Reply:
        error_id = uuid.uuid4().hex[:8]
        log.exception("command failed", extra={"command": name, "error_id": error_id})
        return ctx.reply(ctx.t("failed", error_id=Markup(error_id)))

    def _action_context(self, identity: Identity) -> ActionContext:
        return ActionContext(identity, self.catalog, COMMAND_PREFIX.get(identity.platform, ""))

    async def handle_button(self, event: ButtonPress) -> Reply | None:
        return await self._act(event, event.action_id, self.actions.for_button(event.action_id))

    async def handle_form(self, event: FormSubmission) -> Reply | None:
        return await self._act(event, event.form_id, self.actions.for_form(event.form_id))

    async def _act(
        self,
        event: ActionEvent,
        action_id: str,
        route: Route[Callable[[ActionContext, ActionEvent], Awaitable[Reply | None]]] | None,
    ) -> Reply | None:
        """A press or form goes to the feature that declared its id, if the presser has the role
        it declared; an unknown or failing one gets a clear line."""
        identity = await self.people.identify(event.origin)
        if route is None:
            log.info("action without a handler", extra={"action_id": action_id})
            return Reply(Message.of(self.catalog.text(identity.locale, "button.expired")))
        ctx = self._action_context(identity)
        if not identity.may(route.role):
            log.info("action refused", extra={"action_id": action_id, "needed": route.role.value})
            return ctx.reply(ctx.t(route.refusal, role=ctx.t(f"role.{route.role.value}")))
        try:
            return await route.handler(ctx, event)
        except InputError as error:
            return ctx.reply(ctx.t(error.key, **error.params))
        except Exception:
            return self._action_failed(ctx, action_id)

    def _action_failed(self, ctx: ActionContext, action_id: str) -> Reply:
        error_id = uuid.uuid4().hex[:8]
        log.exception("action failed", extra={"action_id": action_id, "error_id": error_id})
        return ctx.reply(ctx.t("failed", error_id=Markup(error_id)))

    async def handle_member_joined(self, event: MemberJoined) -> Reply | None:
        """The bot was installed or added somewhere: remember the place, greet in direct chats."""
        if event.is_bot:
            await self.people.remember_channel(event.origin)
            if not event.origin.conversation.is_direct:
                return None
        identity = await self.people.identify(event.origin)
        if not event.origin.conversation.is_direct:
            return None
        ctx = self._context(event.origin, identity, "help")
        return Reply(Message((Section(ctx.t("welcome")), *self.help.overview(ctx).blocks[1:])))

    async def handle_thread_reply(self, event: ThreadReply) -> bool:
        """A reply in a channel thread. True when a feature that owns the thread took it (a champion's
        answer under a question); anything else is just conversation (False), and only replies in an
        owned thread cost a look-up of the speaker."""
        conversation = event.origin.conversation
        if conversation.thread_id is None:
            return False
        for feature in self.features:
            threads = feature.threads
            if threads is None or not await threads.owns(
                conversation.platform, conversation.conversation_id, conversation.thread_id
            ):
                continue
            identity = await self.people.identify(event.origin)
            if not identity.may(threads.role):
                return False
            try:
                return await threads.reply(identity, event)
            except Exception:
                log.exception("thread reply failed", extra={"error_id": uuid.uuid4().hex[:8]})
                return False
        return False

    async def home(self, origin: Origin) -> Message:
        """What Slack's App Home tab shows: a greeting and the person's own help."""
        identity = await self.people.identify(origin)
        ctx = self._context(origin, identity, "help")
        return Message((Section(ctx.t("welcome")), *self.help.overview(ctx).blocks[1:]))
