"""The console chat loop: read a line, hand it to the core as the typed command, print the answer."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.core import Core
from bot.domain import Actor, Conversation, Platform
from bot.events import ButtonPress, CommandEvent, FormSubmission, MemberJoined, Origin
from bot.messages import Form, Reply
from handlers.console.messenger import ConsoleMessenger
from handlers.console.render import render

_MENTION = re.compile(r"(?<![<\w])@([\w.\-]+)")
_CHANNEL = re.compile(r"(?<![<\w])#([\w\-]+)")
EXIT_WORDS = {"exit", "quit", "/exit", "/quit"}


def to_neutral(line: str) -> str:
    """`@bo` and `#general` become the neutral `<@bo|bo>` and `<#general|general>`."""
    line = _MENTION.sub(lambda m: f"<@{m.group(1)}|{m.group(1)}>", line)
    return _CHANNEL.sub(lambda m: f"<#{m.group(1)}|{m.group(1)}>", line)


class ConsoleShell:
    def __init__(
        self,
        core: Core,
        messenger: ConsoleMessenger,
        actor: Actor,
        out: TextIO,
        reader: TextIO,
        settle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._core = core
        self._messenger = messenger
        self._actor = actor
        self._out = out
        self._reader = reader
        self._settle = settle  # delivers what is due before the next prompt, so output reads in order
        self._origin = Origin(actor, Conversation(Platform.CONSOLE, f"dm-{actor.user_id}", is_direct=True))

    async def _readline(self, prompt: str) -> str | None:
        if self._reader.isatty():
            print(prompt, end="", file=self._out, flush=True)
        line = await asyncio.to_thread(self._reader.readline)
        return None if line == "" else line.rstrip("\n")

    def _show(self, reply: Reply | None) -> None:
        if reply is None:
            return
        first = self._messenger.buttons.number(reply.message)
        print(render(reply.message, first), file=self._out, flush=True)

    async def run(self) -> None:
        greeting = await self._core.handle_member_joined(MemberJoined(self._origin))
        self._show(greeting)
        while True:
            line = await self._readline("you> ")
            if line is None or line.strip().lower() in EXIT_WORDS:
                return
            if not line.strip():
                continue
            await self._handle(line.strip())
            if self._settle is not None:
                await self._settle()
            while self._messenger.pending_forms:
                await self._fill(self._messenger.pending_forms.pop(0))
                if self._settle is not None:
                    await self._settle()

    async def _handle(self, line: str) -> None:
        button = self._messenger.buttons.get(int(line)) if line.isdigit() else None
        if button is not None:
            self._show(
                await self._core.handle_button(ButtonPress(self._origin, button.action_id, button.value))
            )
            return
        self._show(await self._core.handle_command(CommandEvent(self._origin, to_neutral(line))))

    async def _fill(self, form: Form) -> None:
        print(f"— {form.title} —", file=self._out, flush=True)
        values: dict[str, str] = {}
        for field in form.inputs:
            choices = "".join(f"\n  {value}: {label}" for value, label in field.options)
            print(f"{field.label}{choices}", file=self._out, flush=True)
            answer = await self._readline("> ")
            if answer is None:
                return
            values[field.name] = answer.strip()
        submission = FormSubmission(self._origin, form.form_id, values, form.metadata)
        self._show(await self._core.handle_form(submission))
