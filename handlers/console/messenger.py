"""The console's Messenger: posts and DMs meant for others are printed, labelled with where they went."""

from __future__ import annotations

import itertools
from typing import TextIO

from bot.domain import Platform
from bot.messages import Form, Message, MessageRef
from bot.ports import FormTrigger
from handlers.console.render import render


class ConsoleMessenger:
    platform = Platform.CONSOLE

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._ids = itertools.count(1)
        self.pending_forms: list[Form] = []

    def _print(self, label: str, message: Message) -> MessageRef:
        message_id = str(next(self._ids))
        body = render(message).replace("\n", "\n    ")
        print(f"[{label}] {body}", file=self._out, flush=True)
        return MessageRef(Platform.CONSOLE, label, message_id)

    async def post(
        self, channel_id: str, message: Message, *, thread_id: str | None = None, key: str | None = None
    ) -> MessageRef:
        label = f"#{channel_id}" + (f" thread {thread_id}" if thread_id else "")
        return self._print(label, message)

    async def dm(self, user_id: str, message: Message, *, key: str | None = None) -> MessageRef:
        return self._print(f"DM to @{user_id}", message)

    async def find_sent(
        self, kind: str, target: str, key: str, *, thread_id: str | None = None
    ) -> MessageRef | None:
        return None  # the terminal keeps no history

    async def update(self, ref: MessageRef, message: Message) -> None:
        self._print(f"{ref.channel_id}, updated", message)

    async def open_form(self, trigger: FormTrigger, form: Form) -> None:
        """The shell asks the form's questions one by one before reading the next command."""
        self.pending_forms.append(form)

    async def permalink(self, ref: MessageRef) -> str | None:
        """The terminal has no links; a label that says where the message was printed."""
        return f"console:{ref.channel_id}/{ref.message_id}"
