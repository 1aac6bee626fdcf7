"""The command table: every word of `/champ …`, the role it needs and the service call behind it."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from bot.context import CommandContext
from bot.domain import Role
from bot.messages import Reply

Handler = Callable[[CommandContext], Awaitable[Reply]]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    role: Role
    handler: Handler
    usage_key: str  # catalog key of "setup <purpose> <channel>"
    summary_key: str  # catalog key of the one-line description shown by help


class CommandTable:
    def __init__(self) -> None:
        self._specs: dict[str, CommandSpec] = {}

    def add(self, name: str, role: Role, handler: Handler) -> None:
        if name in self._specs:
            raise ValueError(f"command {name!r} registered twice")
        self._specs[name] = CommandSpec(name, role, handler, f"cmd.{name}.usage", f"cmd.{name}.summary")

    def get(self, name: str) -> CommandSpec | None:
        return self._specs.get(name)

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self._specs.values())

    def visible_to(self, role: Role) -> list[CommandSpec]:
        return [spec for spec in self._specs.values() if spec.role.rank <= role.rank]

    def closest(self, word: str, role: Role) -> str | None:
        names = [spec.name for spec in self.visible_to(role)]
        matches = difflib.get_close_matches(word.lower(), names, n=1, cutoff=0.6)
        return matches[0] if matches else None
