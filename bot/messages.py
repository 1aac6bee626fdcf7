"""The neutral outgoing message model every edge renders: Block Kit, Adaptive Cards, or plain text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.domain import Platform
from bot.text import Text


@dataclass(frozen=True)
class Section:
    text: Text
    fields: tuple[tuple[str, Text], ...] = ()


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str
    value: str = ""
    style: Literal["default", "primary", "danger"] = "default"


@dataclass(frozen=True)
class Actions:
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Note:
    """Small print under a message (context in Slack, a subtle line in Teams)."""

    text: Text


@dataclass(frozen=True)
class Divider:
    pass


Block = Section | Actions | Note | Divider


@dataclass(frozen=True)
class Message:
    blocks: tuple[Block, ...]

    @classmethod
    def of(cls, *blocks: Block | Text) -> Message:
        return cls(tuple(Section(b) if isinstance(b, Text) else b for b in blocks))

    def fallback(self) -> str:
        """A plain-text rendering used for notifications and accessibility."""
        lines = []
        for block in self.blocks:
            if isinstance(block, Section):
                lines.append(block.text.plain())
                lines.extend(f"{name}: {value.plain()}" for name, value in block.fields)
            elif isinstance(block, Note):
                lines.append(block.text.plain())
        return "\n".join(line for line in lines if line)

    @property
    def buttons(self) -> tuple[Button, ...]:
        return tuple(b for block in self.blocks if isinstance(block, Actions) for b in block.buttons)


@dataclass(frozen=True)
class Input:
    name: str
    label: str
    kind: Literal["text", "multiline", "select"] = "text"
    options: tuple[tuple[str, str], ...] = ()
    required: bool = True
    initial: str = ""
    max_length: int | None = None


@dataclass(frozen=True)
class Form:
    form_id: str
    title: str
    inputs: tuple[Input, ...]
    submit_label: str
    metadata: str = ""


@dataclass(frozen=True)
class Reply:
    """The answer to the person who spoke; private unless the service says otherwise."""

    message: Message
    private: bool = True
    replace: bool = False  # for a button press: update the message the button was on instead
    direct: bool = False  # deliver in the person's direct chat, never where they spoke (a Teams channel)


@dataclass(frozen=True)
class MessageRef:
    """Where a sent message lives, so it can be updated or threaded later."""

    platform: Platform
    channel_id: str
    message_id: str
    extra: dict[str, str] = field(default_factory=dict, compare=False)
