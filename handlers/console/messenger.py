"""The console's Messenger: posts and DMs meant for others are printed, labelled with where they went."""

from __future__ import annotations

import itertools
from typing import TextIO

from bot.domain import Platform
from bot.messages import Button, Form, Message, MessageRef
from bot.ports import FormTrigger, Member
from handlers.console.render import render


class Buttons:
    """Every button printed in a session, numbered on from 1, so a posted question's "+1" can be
    pressed as easily as a reply's button."""

    def __init__(self) -> None:
        self._pressable: dict[int, Button] = {}
        self._next = 1

    def number(self, message: Message) -> int:
        """Register the message's buttons; returns the number of its first one."""
        first = self._next
        for button in message.buttons:
            self._pressable[self._next] = button
            self._next += 1
        return first

    def get(self, number: int) -> Button | None:
        return self._pressable.get(number)


class ConsoleMessenger:
    platform = Platform.CONSOLE

    def __init__(self, out: TextIO, *, user: str = "") -> None:
        self._out = out
        self._user = user  # the one person at this terminal
        self._ids = itertools.count(1)
        self.pending_forms: list[Form] = []
        self.buttons = Buttons()

    def _print(self, label: str, message: Message) -> str:
        message_id = str(next(self._ids))
        body = render(message, self.buttons.number(message)).replace("\n", "\n    ")
        print(f"[{label}] {body}", file=self._out, flush=True)
        return message_id

    async def post(
        self, channel_id: str, message: Message, *, thread_id: str | None = None, key: str | None = None
    ) -> MessageRef:
        """The ref names the channel itself, so a later update or thread reply can find it."""
        label = f"#{channel_id}" + (f" thread {thread_id}" if thread_id else "")
        return MessageRef(Platform.CONSOLE, channel_id, self._print(label, message))

    async def dm(self, user_id: str, message: Message, *, key: str | None = None) -> MessageRef:
        return MessageRef(Platform.CONSOLE, f"@{user_id}", self._print(f"DM to @{user_id}", message))

    async def find_sent(
        self, kind: str, target: str, key: str, *, thread_id: str | None = None
    ) -> MessageRef | None:
        return None  # the terminal keeps no history

    async def update(self, ref: MessageRef, message: Message) -> None:
        where = ref.channel_id if ref.channel_id.startswith("@") else f"#{ref.channel_id}"
        self._print(f"{where}, updated", message)

    async def open_form(self, trigger: FormTrigger, form: Form) -> None:
        """The shell asks the form's questions one by one before reading the next command."""
        self.pending_forms.append(form)

    async def members(self, channel_id: str) -> list[str]:
        """A console channel holds the person at the terminal, and nobody else."""
        return [self._user] if self._user else []

    async def directory(self) -> list[Member]:
        return [Member(self._user)] if self._user else []

    async def permalink(self, ref: MessageRef) -> str | None:
        """The terminal has no links; a label that says where the message was printed."""
        return f"console:#{ref.channel_id}/{ref.message_id}"
