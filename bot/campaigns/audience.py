"""Who a campaign reaches: everyone, a channel's members, named people, a function or a track.

Pure: parsing the words and storing an audience as one line of text; resolving it into people
needs the platform and the database and lives in the service.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import InputError
from bot.i18n import command_word
from bot.parsing import ChannelArg, Token, UserArg

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class Everyone:
    """Everyone the bot knows on the platform."""


@dataclass(frozen=True)
class Here:
    """The channel the command was typed in (in Teams: its team); the service names it."""


@dataclass(frozen=True)
class Channel:
    channel_id: str
    name: str = ""


@dataclass(frozen=True)
class People:
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class Function:
    name: str


@dataclass(frozen=True)
class Track:
    name: str


Audience = Everyone | Here | Channel | People | Function | Track


def parse_audience(tokens: Sequence[Token]) -> tuple[Audience, int]:
    """The audience at the start of `tokens` and how many tokens it used."""
    if not tokens:
        raise InputError("nudge.error.audience_missing")
    first = tokens[0]
    if isinstance(first.arg, ChannelArg):
        return Channel(first.arg.channel_id, first.arg.name), 1
    if isinstance(first.arg, UserArg):
        count = _run(tokens)
        ids = [t.arg.user_id for t in tokens[:count] if isinstance(t.arg, UserArg)]
        return People(tuple(dict.fromkeys(ids))), count
    word = first.word
    match command_word(word, "everyone", "here"):
        case "everyone":
            return Everyone(), 1
        case "here":
            return Here(), 1
    kind, sep, name = word.partition(":")
    if sep and command_word(kind, "function"):
        return Function(_name(name, "nudge.error.function_name")), 1
    if sep and command_word(kind, "track"):
        return Track(_name(name, "nudge.error.track_name")), 1
    raise InputError("nudge.error.audience", word=first.arg_text)


def _run(tokens: Sequence[Token]) -> int:
    """How many mentions stand in a row at the start."""
    count = 0
    for token in tokens:
        if not isinstance(token.arg, UserArg):
            break
        count += 1
    return count


def _name(name: str, key: str) -> str:
    if not _NAME.match(name):
        raise InputError(key, name=name[:40])
    return name


def encode(audience: Audience) -> str:
    """JSON for the campaign row; platform ids may hold any character (Teams' `29:…`, `19:…@thread`)."""
    match audience:
        case Everyone():
            return json.dumps({"kind": "everyone"})
        case Channel(channel_id, name):
            return json.dumps({"kind": "channel", "id": channel_id, "name": name})
        case People(user_ids):
            return json.dumps({"kind": "people", "ids": list(user_ids)})
        case Function(name):
            return json.dumps({"kind": "function", "name": name})
        case Track(name):
            return json.dumps({"kind": "track", "name": name})
    raise TypeError(audience)


def decode(stored: str) -> Audience:
    data = json.loads(stored)
    kind = data.get("kind")
    if kind == "everyone":
        return Everyone()
    if kind == "channel":
        return Channel(data["id"], data.get("name", ""))
    if kind == "people":
        return People(tuple(data["ids"]))
    if kind == "function":
        return Function(data["name"])
    if kind == "track":
        return Track(data["name"])
    raise ValueError(f"not a stored audience: {stored!r}")
