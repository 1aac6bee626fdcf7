"""What a command handler gets: the speaker, the parsed words, the catalog in their language."""

from __future__ import annotations

from dataclasses import dataclass

from bot.events import Origin
from bot.i18n import Catalog
from bot.identity import Identity
from bot.messages import Message, Reply
from bot.parsing import ParsedCommand
from bot.text import Text


@dataclass(frozen=True)
class CommandContext:
    origin: Origin
    identity: Identity
    command: ParsedCommand
    catalog: Catalog
    prefix: str  # how commands are typed on this platform: "/champ " in Slack, "" elsewhere

    @property
    def locale(self) -> str:
        return self.identity.locale

    def t(self, key: str, **params: object) -> Text:
        return self.catalog.text(self.locale, key, **params)

    def s(self, key: str, **params: object) -> str:
        return self.catalog.string(self.locale, key, **params)

    def reply(self, *texts: Text, private: bool = True) -> Reply:
        return Reply(Message.of(*texts), private=private)


def after_sub(ctx: CommandContext) -> str:
    """The text after the subcommand word, untouched: `kb add a | b` → `a | b`."""
    parts = ctx.command.rest.strip().split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def sub_words(ctx: CommandContext) -> list[str]:
    """The words after the subcommand word: `qa schedule thu 14:00 1h` → `["thu", "14:00", "1h"]`."""
    return ctx.command.words()[1:]
