"""Rich text as spans, so every edge knows which words are ours and which came from a user.

Catalog templates are trusted markup; anything a person typed travels as `UserText` and is
escaped by the renderer of the platform it lands on, so it can never ping anyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Markup:
    """Text we wrote. May use **bold** and `code`; nothing else is interpreted."""

    text: str


@dataclass(frozen=True)
class UserText:
    """Text a person wrote: rendered literally and escaped on every platform."""

    text: str


@dataclass(frozen=True)
class MentionUser:
    """A deliberate mention of a person the bot means to notify."""

    user_id: str
    name: str = ""


@dataclass(frozen=True)
class ChannelLink:
    channel_id: str
    name: str = ""


@dataclass(frozen=True)
class Link:
    url: str
    label: str


Span = Markup | UserText | MentionUser | ChannelLink | Link


@dataclass(frozen=True)
class Text:
    spans: tuple[Span, ...] = ()

    @classmethod
    def of(cls, *parts: Span | Text) -> Text:
        """Compose spans; plain strings are refused so nobody marks user text as trusted by accident."""
        spans: list[Span] = []
        for part in parts:
            if isinstance(part, Text):
                spans.extend(part.spans)
            elif isinstance(part, str):
                raise TypeError("wrap strings in Markup (ours) or UserText (theirs)")
            else:
                spans.append(part)
        return cls(tuple(spans))

    @classmethod
    def join(cls, parts: Iterable[Text], separator: str = "\n") -> Text:
        spans: list[Span] = []
        for index, part in enumerate(parts):
            if index:
                spans.append(Markup(separator))
            spans.extend(part.spans)
        return cls(tuple(spans))

    def __add__(self, other: Text) -> Text:
        return Text(self.spans + other.spans)

    def plain(self) -> str:
        """The words without any formatting, for notifications and the console."""
        out = []
        for span in self.spans:
            if isinstance(span, Markup):
                out.append(strip_markup(span.text))
            elif isinstance(span, UserText):
                out.append(span.text)
            elif isinstance(span, MentionUser):
                out.append(f"@{span.name or span.user_id}")
            elif isinstance(span, ChannelLink):
                out.append(f"#{span.name or span.channel_id}")
            else:
                out.append(f"{span.label} ({span.url})")
        return "".join(out)


BOLD = "**"


def strip_markup(text: str) -> str:
    return convert_bold(text, "").replace("`", "")


def convert_bold(text: str, marker: str) -> str:
    """Swap our bold marker for the platform's. Markers toggle, so bold may span a placeholder
    (`**{purpose}**`); the catalog test keeps every template balanced."""
    return text.replace(BOLD, marker)


def shorten(text: str, limit: int, *, one_line: bool = True) -> str:
    """At most `limit` characters, ending in "…" when cut. `one_line` folds every run of whitespace
    into one space, for quotes inside a sentence; without it line breaks survive (a card's body)."""
    if one_line:
        text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"
