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
class ParsedCommand:
    name: str
    args: tuple[Arg, ...]
    rest: str  # the text after the command word, untouched, for free-text commands

    def words(self) -> list[str]:
        return [arg.text for arg in self.args if isinstance(arg, Word)]


def parse(text: str) -> ParsedCommand:
    stripped = text.strip()
    args: list[Arg] = []
    first_end = 0
    for match in _TOKEN.finditer(stripped):
        if match["user"]:
            args.append(UserArg(match["user"], match["user_name"] or ""))
        elif match["channel"]:
            args.append(ChannelArg(match["channel"], match["channel_name"] or ""))
        else:
            args.append(Word(match["word"]))
        if len(args) == 1:
            first_end = match.end()
    if not args or not isinstance(args[0], Word):
        return ParsedCommand("", tuple(args), stripped)
    return ParsedCommand(args[0].text.lower(), tuple(args[1:]), stripped[first_end:].strip())
