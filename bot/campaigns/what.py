"""What a campaign sends: one lesson, each person's next lesson of a track, or free text.

Pure: the free text is the rest of the line exactly as typed; it travels as user text, so it
can never ping anyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import InputError
from bot.i18n import command_word

MAX_TEXT = 3000  # Slack's limit for one section of text
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class LessonContent:
    lesson_id: str


@dataclass(frozen=True)
class TrackContent:
    track: str  # each person's next lesson of this track


@dataclass(frozen=True)
class FreeText:
    text: str


Content = LessonContent | TrackContent | FreeText


def parse_what(rest: str) -> Content:
    """`lesson:<id>`, `track:<name>` (one word alone), or the whole of `rest` as free text."""
    text = rest.strip()
    if not text:
        raise InputError("nudge.error.empty_text")
    words = text.split()
    if len(words) == 1:
        kind, sep, name = words[0].partition(":")
        if sep and command_word(kind, "lesson"):
            return LessonContent(_checked(name.lower(), "nudge.error.lesson_id"))
        if sep and command_word(kind, "track"):
            return TrackContent(_checked(name.lower(), "nudge.error.track_name"))
    if len(text) > MAX_TEXT:
        raise InputError("nudge.error.too_long", limit=MAX_TEXT, length=len(text))
    return FreeText(text)


def _checked(name: str, key: str) -> str:
    if not _ID.match(name):
        raise InputError(key, name=name[:40])
    return name


def encode(content: Content) -> tuple[str, str]:
    """(kind, value) for the campaign row."""
    match content:
        case LessonContent(lesson_id):
            return "lesson", lesson_id
        case TrackContent(track):
            return "track", track
        case FreeText(text):
            return "text", text
    raise TypeError(content)


def decode(kind: str, value: str) -> Content:
    if kind == "lesson":
        return LessonContent(value)
    if kind == "track":
        return TrackContent(value)
    if kind == "text":
        return FreeText(value)
    raise ValueError(f"not a stored content kind: {kind!r}")
