"""The command table: every word of `/champ …` from every installed feature, and who may see it."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from bot.domain import Role
from bot.features import Command


class CommandTable:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}

    def add(self, command: Command) -> None:
        if command.name in self._commands:
            raise ValueError(f"command {command.name!r} registered twice")
        self._commands[command.name] = command

    def get(self, name: str) -> Command | None:
        return self._commands.get(name)

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands.values())

    def visible_to(self, role: Role) -> list[Command]:
        return [command for command in self._commands.values() if command.help_role.rank <= role.rank]

    def closest(self, word: str, role: Role) -> str | None:
        names = [command.name for command in self.visible_to(role)]
        matches = difflib.get_close_matches(word.lower(), names, n=1, cutoff=0.6)
        return matches[0] if matches else None
