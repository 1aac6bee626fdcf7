"""The core's front door: every edge hands it neutral events and renders what comes back."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from bot.actions import ActionContext, ActionTable
from bot.ai import draft_answer
from bot.campaigns.lessons import FromLearning
from bot.campaigns.service import CampaignService
from bot.clock import Clock
from bot.commands import CommandTable
from bot.config import Settings
from bot.context import CommandContext, UsageError
from bot.delivery.outbox import OutboxService
from bot.domain import Platform, Role
from bot.events import ButtonPress, CommandEvent, FormSubmission, MemberJoined, Origin, ThreadReply
from bot.i18n import Catalog
from bot.identity import Identity
from bot.learning.content import load_curriculum, shipped_content_dir
from bot.learning.schedule import QuietRules
from bot.learning.service import LearningService
from bot.messages import Message, Reply, Section
from bot.metrics import Metrics
from bot.parsing import parse
from bot.ports import LLM, Messengers
from bot.questions.anonymity import Anonymity, store_for
from bot.questions.answering import AnswerDesk, Drafter, Match
from bot.questions.board import QUESTION_KEY, QuestionBoard
from bot.questions.gate import QuestionGate
from bot.questions.loop import Loop
from bot.questions.moderation import Moderation
from bot.questions.service import QuestionService
from bot.questions.sessions import QuestionHours
from bot.services.help import HelpService
from bot.services.knowledge import KnowledgeService
from bot.services.people import PeopleService
from bot.services.roles import RolesService
from bot.services.setup import SetupService
from bot.text import Markup, UserText
from bot.worklane import WorkLane
from storage import inbound
from storage.engine import Database

log = logging.getLogger(__name__)

ActionEvent = TypeVar("ActionEvent", ButtonPress, FormSubmission)

COMMAND_PREFIX = {Platform.SLACK: "/champ "}


@dataclass
class Services:
    people: PeopleService
    help: HelpService
    setup: SetupService
    roles: RolesService
    campaigns: CampaignService
    learning: LearningService
    questions: QuestionService
    answers: AnswerDesk
    question_hours: QuestionHours
    moderation: Moderation
    loop: Loop
    knowledge: KnowledgeService


def register_actions(table: ActionTable, services: Services) -> None:
    """Every button and form handler, by the feature prefix of its id (``qa.vote`` → ``qa``)."""
    table.button("learn", services.learning.button)
    table.form("learn", services.learning.form)
    table.button("ask", services.questions.ask_button)
    table.form("ask", services.questions.ask_form)
    table.button("qa", services.questions.qa_button)
    table.form("qa", services.answers.form)
    table.button("qamod", services.moderation.button)
    table.form("qamod", services.moderation.form)
    table.button("qahours", services.loop.helpful)


def register_commands(table: CommandTable, services: Services) -> None:
    """Every command of every platform, registered once."""
    table.add("help", Role.EMPLOYEE, services.help.help)
    table.add("whoami", Role.EMPLOYEE, services.help.whoami)
    table.add("setup", Role.ADMIN, services.setup.setup)
    table.add("grant", Role.ADMIN, services.roles.grant)
    table.add("revoke", Role.ADMIN, services.roles.revoke)
    table.add("nudge", Role.ADMIN, services.campaigns.nudge)
    table.add("learn", Role.EMPLOYEE, services.learning.learn)
    table.add("ask", Role.EMPLOYEE, services.questions.ask)
    table.add("qa", Role.EMPLOYEE, services.question_hours.command)  # roles per subcommand inside
    table.add("kb", Role.EMPLOYEE, services.knowledge.command)  # roles per subcommand inside


def drafter_for(llm: LLM) -> Drafter:
    """AI drafts grounded in the knowledge-base matches the question already found."""

    async def draft(question: str, matches: Sequence[Match], locale: str) -> str:
        return await draft_answer(llm, question=question, matches=matches, locale=locale)

    return draft


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
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.messengers = messengers
        self.catalog = Catalog()
        people = PeopleService(
            database=database,
            clock=clock,
            configured_roles=configured_roles(settings, extra_roles or {}),
            default_locale=settings.locale,
            default_timezone=settings.timezone,
        )
        self.outbox = OutboxService(database=database, clock=clock)
        self.metrics = Metrics()
        self.lane = WorkLane(settings.work_concurrency, self.metrics.work_held)
        commands = CommandTable()
        board = QuestionBoard(
            database=database,
            clock=clock,
            messengers=messengers,
            outbox=self.outbox,
            catalog=self.catalog,
            locale=settings.locale,
        )
        knowledge = KnowledgeService(database=database, clock=clock)
        answers = AnswerDesk(
            database=database,
            clock=clock,
            messengers=messengers,
            board=board,
            knowledge=knowledge,
            drafter=drafter_for(llm) if llm is not None else None,
        )
        self.outbox.on_sent(QUESTION_KEY, answers.posted)
        anonymity = Anonymity(
            database=database, clock=clock, store=store_for(database), timezone=settings.timezone
        )
        question_hours = QuestionHours(
            database=database,
            clock=clock,
            outbox=self.outbox,
            catalog=self.catalog,
            timezone=settings.timezone,
            locale=settings.locale,
            response_time=timedelta(hours=settings.qa_response_hours),
        )
        moderation = Moderation(
            database=database,
            clock=clock,
            outbox=self.outbox,
            messengers=messengers,
            board=board,
            hours=question_hours,
            catalog=self.catalog,
            locale=settings.locale,
            max_delay_seconds=settings.qa_max_delay,
            anonymity=anonymity,
        )
        question_hours.on_open(moderation.release_queued)
        loop = Loop(
            database=database,
            outbox=self.outbox,
            anonymity=anonymity,
            catalog=self.catalog,
            locale=settings.locale,
        )
        moderation.after_publish(loop.suggest_same)
        gate = QuestionGate(
            database=database, board=board, hours=question_hours, moderation=moderation, loop=loop
        )
        self.services = Services(
            people=people,
            help=HelpService(commands),
            setup=SetupService(database=database, clock=clock, messengers=messengers),
            roles=RolesService(people=people, outbox=self.outbox),
            campaigns=CampaignService(
                database=database,
                clock=clock,
                messengers=messengers,
                outbox=self.outbox,
                catalog=self.catalog,
                timezone=settings.timezone,
                default_locale=settings.locale,
                lessons=lambda: FromLearning(self.services.learning),
            ),
            learning=LearningService(
                database=database,
                clock=clock,
                catalog=self.catalog,
                curriculum=load_curriculum(shipped_content_dir(), settings.content_dir),
                outbox=self.outbox,
                people=people,
                messengers=messengers,
                rules=QuietRules.for_country(settings.holiday_country),
                default_timezone=settings.timezone,
                default_locale=settings.locale,
            ),
            questions=QuestionService(
                database=database,
                clock=clock,
                messengers=messengers,
                board=board,
                answers=answers,
                anonymity=anonymity,
                max_delay_seconds=settings.qa_max_delay,
                daily_limit=settings.qa_daily_limit,
            ),
            answers=answers,
            question_hours=question_hours,
            moderation=moderation,
            loop=loop,
            knowledge=knowledge,
        )
        self.services.questions.gate = gate
        register_commands(commands, self.services)
        self.commands = commands
        self.actions = ActionTable()
        register_actions(self.actions, self.services)

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
        """Run one command; whatever happens, the person gets a clear answer and no traceback."""
        identity = await self.services.people.identify(event.origin)
        ctx = self._context(event.origin, identity, event.text)
        name = ctx.command.name
        if not name:
            return await self.services.help.help(ctx)
        spec = self.commands.get(name)
        if spec is None:
            return self._unknown(ctx, name)
        if not identity.may(spec.role):
            log.info("command refused", extra={"command": name, "needed": spec.role.value})
            return ctx.reply(ctx.t("refused", command=Markup(name), role=ctx.t(f"role.{spec.role.value}")))
        try:
            return await spec.handler(ctx)
        except UsageError as error:
            usage = ctx.t("usage", usage=Markup(f"`{ctx.prefix}{ctx.s(spec.usage_key)}`"))
            if error.key == spec.usage_key:
                return ctx.reply(usage)
            return ctx.reply(ctx.t(error.key, **error.params), usage)
        except Exception:
            return self._failed(ctx, name)

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
        handler: Callable[[ActionContext, ActionEvent], Awaitable[Reply | None]] | None,
    ) -> Reply | None:
        """A press or form goes to the feature that owns its id; an unknown or failing one gets a
        clear line."""
        identity = await self.services.people.identify(event.origin)
        if handler is None:
            log.info("action without a handler", extra={"action_id": action_id})
            return Reply(Message.of(self.catalog.text(identity.locale, "button.expired")))
        ctx = self._action_context(identity)
        try:
            return await handler(ctx, event)
        except UsageError as error:
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
            await self.services.people.remember_channel(event.origin)
            if not event.origin.conversation.is_direct:
                return None
        identity = await self.services.people.identify(event.origin)
        if not event.origin.conversation.is_direct:
            return None
        ctx = self._context(event.origin, identity, "help")
        return Reply(Message((Section(ctx.t("welcome")), *self.services.help.overview(ctx).blocks[1:])))

    async def handle_thread_reply(self, event: ThreadReply) -> bool:
        """A reply in a channel thread. True when it was a champion's answer under a question; anything
        else is just conversation (False), and only replies under a question cost a look-up of the speaker."""
        conversation = event.origin.conversation
        if conversation.thread_id is None or not await self.services.answers.is_question_thread(
            conversation.platform, conversation.conversation_id, conversation.thread_id
        ):
            return False
        identity = await self.services.people.identify(event.origin)
        try:
            return await self.services.answers.thread_reply(identity, event)
        except Exception:
            log.exception("thread reply failed", extra={"error_id": uuid.uuid4().hex[:8]})
            return False

    async def home(self, origin: Origin) -> Message:
        """What Slack's App Home tab shows: a greeting and the person's own help."""
        identity = await self.services.people.identify(origin)
        ctx = self._context(origin, identity, "help")
        return Message((Section(ctx.t("welcome")), *self.services.help.overview(ctx).blocks[1:]))
