"""A small company on the real core for question-hours tests: console platform, frozen clock, a
worker that delivers the outbox on demand, and helpers that read like the people in the tests."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlmodel import col, select

from bot.app import open_core
from bot.clock import FrozenClock
from bot.core import Core
from bot.delivery import codec
from bot.delivery.worker import OutboxWorker
from bot.domain import Actor, Conversation, Platform
from bot.events import ButtonPress, CommandEvent, FormSubmission, Origin
from bot.messages import Reply
from handlers.console.messenger import ConsoleMessenger
from jobs import registry
from jobs.runner import run_job
from storage.models import OutboxMessage, Question
from tests.conftest import make_settings


@dataclass
class Office:
    """A small company on the console platform: ana is admin, bo a champion, cleo and dan employees."""

    core: Core
    clock: FrozenClock
    out: io.StringIO
    worker: OutboxWorker
    receipts: dict[str, list[Reply]] = field(default_factory=dict)

    def origin(self, user: str) -> Origin:
        return Origin(
            actor=Actor(Platform.CONSOLE, user, user),
            conversation=Conversation(Platform.CONSOLE, f"console:{user}", is_direct=True),
        )

    async def say(self, user: str, text: str) -> str:
        reply = await self.core.handle_command(CommandEvent(self.origin(user), text))
        self.receipts.setdefault(user, []).append(reply)
        return reply.message.fallback()

    async def press(self, user: str, action_id: str, value: str) -> str:
        reply = await self.core.handle_button(ButtonPress(self.origin(user), action_id, value))
        return reply.message.fallback() if reply else ""

    async def submit(self, user: str, form_id: str, values: dict[str, str], metadata: str) -> str:
        reply = await self.core.handle_form(FormSubmission(self.origin(user), form_id, values, metadata))
        return reply.message.fallback() if reply else ""

    async def tick(self, *, force: bool = False) -> bool:
        job = registry.find(self.core, "qa_tick")
        assert job is not None
        return (await run_job(self.core, job, force=force)).ran

    async def deliver(self) -> str:
        """Let the outbox send what is due; returns what appeared in the channels."""
        before = len(self.out.getvalue())
        while await self.worker.run_once():
            pass
        return self.out.getvalue()[before:]

    async def outbox(self, prefix: str) -> list[tuple[str, str, str]]:
        """(key, target, text) of every outbox message whose key starts with `prefix`."""
        async with self.core.database.session() as session:
            rows = (
                await session.exec(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.idempotency_key).startswith(prefix))
                    .order_by(col(OutboxMessage.id))
                )
            ).all()
        return [(r.idempotency_key, r.target, codec.loads(r.payload).fallback()) for r in rows]

    async def rows(self, model: type) -> list:  # type: ignore[type-arg]
        async with self.core.database.session() as session:
            return list((await session.exec(select(model))).all())

    async def question(self, number: int) -> Question:
        async with self.core.database.session() as session:
            found = (await session.exec(select(Question).where(Question.number == number))).one()
        return found

    def token_of(self, user: str) -> str:
        """The capability token in the asker's latest receipt (its "Show my question" button)."""
        receipt = self.receipts[user][-1].message
        return next(b.value for b in receipt.buttons if b.action_id == "ask.show")


@asynccontextmanager
async def open_office(database_url: str, clock: FrozenClock) -> AsyncIterator[Office]:
    """ana is admin (from the configuration), bo is granted champion; both channels are bound."""
    settings = make_settings(database_url, qa_max_delay=0)
    async with open_core(settings, clock=clock) as core:
        out = io.StringIO()
        core.messengers.register(ConsoleMessenger(out))
        worker = OutboxWorker(
            database=core.database,
            messengers=core.messengers,
            clock=clock,
            limits={},
            metrics=core.metrics,
            on_sent=core.outbox.notify_sent,
        )
        place = Office(core, clock, out, worker)
        await place.say("ana", "setup questions <#ai-questions|ai-questions>")
        await place.say("ana", "setup champions <#champions|champions>")
        await place.say("ana", "grant champion <@bo|bo>")
        await place.deliver()
        yield place
