"""The feature contract: everything a feature adds to the bot, declared in one place.

A feature is a package in `bot/` with a `feature.py` whose `feature(deps)` returns a `Feature`:
its commands and subcommands with the role each needs, its buttons and forms by id with roles,
its scheduled ticks, the catalog keys it owns, and its part of a person's data export and
deletion. The composition root installs the list in `bot/installed.py`; the core routes, refuses
roles and turns input errors into replies for every feature the same way, so a feature never
checks a role or prints a usage line itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import ButtonHandler, FormHandler
from bot.clock import Clock
from bot.config import Settings
from bot.context import CommandContext
from bot.delivery.outbox import OutboxService
from bot.domain import Platform, Role
from bot.events import ThreadReply
from bot.i18n import Catalog, command_word
from bot.identity import Identity
from bot.messages import Reply
from bot.metrics import Metrics
from bot.parsing import ParsedCommand, Word
from bot.ports import LLM, Messengers
from bot.services.people import PeopleService
from storage.engine import Database

T = TypeVar("T")

CommandHandler = Callable[[CommandContext], Awaitable[Reply]]
TickRun = Callable[[datetime], Awaitable[str]]  # the run's moment in, a one-line summary out


@dataclass(frozen=True)
class Sub:
    """One subcommand: `qa schedule …` is `Sub(role=CHAMPION, handler=…, usage="cmd.qa.schedule.usage")`."""

    role: Role
    handler: CommandHandler
    usage: str  # catalog key of this subcommand's usage line, shown when its input does not fit


@dataclass(frozen=True)
class Command:
    """A command word. Either `handler` (a plain command) or `subcommands` (routed by the next word)."""

    name: str
    role: Role = Role.EMPLOYEE  # needed for the command at all; subcommands may need more
    handler: CommandHandler | None = None
    subcommands: Mapping[str, Sub] = field(default_factory=dict)
    default: str | None = None  # the subcommand run when none is typed (`qa` → `qa status`)
    usage: str = ""  # catalog key of the help line; default `cmd.<name>.usage`
    summary: str = ""  # catalog key of the one-line description; default `cmd.<name>.summary`

    def __post_init__(self) -> None:
        if (self.handler is None) == (not self.subcommands):
            raise ValueError(f"command {self.name!r} needs a handler or subcommands, not both")
        if self.default is not None and self.default not in self.subcommands:
            raise ValueError(f"command {self.name!r}: default {self.default!r} is not a subcommand")
        object.__setattr__(self, "usage", self.usage or f"cmd.{self.name}.usage")
        object.__setattr__(self, "summary", self.summary or f"cmd.{self.name}.summary")

    def route(self, command: ParsedCommand) -> tuple[str, Sub] | None:
        """The subcommand the words name (or the default when there are none); None when nothing fits."""
        args = command.args
        if not args:
            return (self.default, self.subcommands[self.default]) if self.default else None
        first = args[0]
        if not isinstance(first, Word):
            return None
        word = first.text.lower()
        for name, sub in self.subcommands.items():
            if command_word(word, name):  # the name, or its spellings in the catalogs' [words]
                return name, sub
        return None

    @property
    def help_role(self) -> Role:
        """The lowest role that can use any part of it: where help lists it."""
        if not self.subcommands:
            return self.role
        lowest = min((sub.role for sub in self.subcommands.values()), key=lambda role: role.rank)
        return lowest if lowest.rank > self.role.rank else self.role


@dataclass(frozen=True)
class Button:
    """Buttons whose id is `id` or starts with `id.`; the longest declared id wins."""

    id: str
    role: Role
    handler: ButtonHandler
    refusal: str = "button.refused"  # catalog key shown to someone without the role


@dataclass(frozen=True)
class Form:
    """Form submissions whose id is `id` or starts with `id.`; the longest declared id wins."""

    id: str
    role: Role
    handler: FormHandler
    refusal: str = "button.refused"


@dataclass(frozen=True)
class Tick:
    """A scheduled job: cron fields in the organisation's time zone, one run per period."""

    job_id: str
    description: str
    run: TickRun
    cron: Mapping[str, str]
    period_format: str  # strftime of the local run time: one run per distinct value
    keep_runs: timedelta = timedelta(days=7)  # its run records older than this are pruned


@dataclass(frozen=True)
class PersonKey:
    """Whose data an export or deletion is about."""

    platform: Platform
    user_id: str


# Each runs inside the caller's session, so a deletion over all features is one transaction.
ExportHook = Callable[[AsyncSession, PersonKey], Awaitable[Mapping[str, object]]]
ForgetHook = Callable[[AsyncSession, PersonKey], Awaitable[int]]  # how many rows went


@dataclass(frozen=True)
class ThreadReplies:
    """Replies in channel threads a feature owns (the questions' answer threads)."""

    owns: Callable[[Platform, str, str], Awaitable[bool]]  # platform, channel, thread: cheap, no look-ups
    reply: Callable[[Identity, ThreadReply], Awaitable[bool]]
    role: Role = Role.EMPLOYEE  # whose replies count; others' are just conversation


Hook = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Feature:
    name: str
    commands: tuple[Command, ...] = ()
    buttons: tuple[Button, ...] = ()
    forms: tuple[Form, ...] = ()
    ticks: tuple[Tick, ...] = ()
    catalog: tuple[str, ...] = ()  # catalog key prefixes it owns, e.g. ("qahours.", "cmd.qa.")
    # Texts the feature brings itself, by locale, when they are not in bot/locales/*.toml (a feature
    # kept outside this repository, or one written for a test); they may never replace a shipped key.
    messages: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    export: ExportHook | None = None  # None where the feature stores nothing about a person
    forget: ForgetHook | None = None
    threads: ThreadReplies | None = None
    start: Hook | None = None  # when the bot starts serving (e.g. catch up on missed campaigns)
    close: Hook | None = None  # before the database closes (e.g. finish fan-outs in hand)


class Shared:
    """Services one feature builds and a later one uses (the knowledge base, for the questions).

    A service is found by its class, or by the protocol it was provided as: the programme
    features read each other's facts through the protocols in `bot/programme.py`, and `find`
    answers None when the feature that owns a source is not installed.
    """

    def __init__(self) -> None:
        self._services: dict[type, object] = {}

    def provide(self, service: object, *, as_kind: type | None = None) -> None:
        kind = as_kind or type(service)
        if kind in self._services:
            raise ValueError(f"{kind.__name__} provided twice")
        self._services[kind] = service

    def find(self, kind: type[T]) -> T | None:
        return cast("T | None", self._services.get(kind))

    def get(self, kind: type[T]) -> T:
        service = self.find(kind)
        if service is None:
            raise LookupError(
                f"{kind.__name__} is not provided: install the feature that provides it earlier"
            )
        return service


@dataclass(frozen=True)
class FeatureDeps:
    """What every feature builder gets: the bot's shared resources, built once by the core."""

    settings: Settings
    database: Database
    clock: Clock
    outbox: OutboxService
    messengers: Messengers
    catalog: Catalog
    people: PeopleService
    metrics: Metrics
    llm: LLM | None
    shared: Shared


FeatureBuilder = Callable[[FeatureDeps], Feature]
