"""Splitting command text into words, people and channels, in one neutral syntax.

Edges hand the core text in Slack's escaped form (`<@U123|ana>`, `<#C123|general>`); Teams
and the console rewrite their own mentions into it, so one parser serves all platforms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"<@(?P<user>[^|>\s]+)(?:\|(?P<user_name>[^>]*))?>"
    r"|<#(?P<channel>[^|>\s]+)(?:\|(?P<channel_name>[^>]*))?>"
    r"|(?P<word>\S+)"
)


@dataclass(frozen=True)
class Word:
    text: str


@dataclass(frozen=True)
class UserArg:
    user_id: str
    name: str = ""


@dataclass(frozen=True)
class ChannelArg:
    channel_id: str
    name: str = ""


Arg = Word | UserArg | ChannelArg


@dataclass(frozen=True)
class Token:
    """One word, person or channel, with where it stands in the text, so a command can keep the
    free text after its words exactly as typed."""

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


@dataclass(frozen=True)
class ParsedCommand:
    name: str
    args: tuple[Arg, ...]
    rest: str  # the text after the command word, untouched, for free-text commands

    def words(self) -> list[str]:
        return [arg.text for arg in self.args if isinstance(arg, Word)]


def parse(text: str) -> ParsedCommand:
    stripped = text.strip()
    tokens = tokenize(stripped)
    if not tokens or not isinstance(tokens[0].arg, Word):
        return ParsedCommand("", tuple(token.arg for token in tokens), stripped)
    first = tokens[0]
    rest = stripped[first.end :].strip()
    return ParsedCommand(first.word, tuple(token.arg for token in tokens[1:]), rest)
