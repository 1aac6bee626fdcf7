"""Splitting `nudge schedule …` into tokens that remember where they stand, so the free text after
the audience and the time is kept exactly as typed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.parsing import Arg, ChannelArg, UserArg, Word

# The same neutral syntax as bot.parsing: `<@U…|name>`, `<#C…|name>`, or a plain word.
_TOKEN = re.compile(
    r"<@(?P<user>[^|>\s]+)(?:\|(?P<user_name>[^>]*))?>"
    r"|<#(?P<channel>[^|>\s]+)(?:\|(?P<channel_name>[^>]*))?>"
    r"|(?P<word>\S+)"
)


@dataclass(frozen=True)
class Token:
    arg: Arg
    start: int
    end: int

    @property
    def arg_text(self) -> str:
        """The token as typed (shortened), to quote it back in an error."""
        if isinstance(self.arg, Word):
            return self.arg.text[:40]
        if isinstance(self.arg, UserArg):
            return f"@{self.arg.name or self.arg.user_id}"
        return f"#{self.arg.name or self.arg.channel_id}"

    @property
    def word(self) -> str:
        """The token as a lower-case word; empty for a mention or a channel."""
        return self.arg.text.lower() if isinstance(self.arg, Word) else ""


def tokenize(text: str) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        arg: Arg
        if match["user"]:
            arg = UserArg(match["user"], match["user_name"] or "")
        elif match["channel"]:
            arg = ChannelArg(match["channel"], match["channel_name"] or "")
        else:
            arg = Word(match["word"])
        tokens.append(Token(arg, match.start(), match.end()))
    return tokens
