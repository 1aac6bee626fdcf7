"""Neutral messages as plain terminal text; buttons are numbered so a person can type the number."""

from __future__ import annotations

from bot.messages import Actions, Divider, Message, Note, Section
from bot.text import Text


def render_text(text: Text) -> str:
    return text.plain()


def render(message: Message, first: int = 1) -> str:
    """`first` is the number of the message's first button: a shell numbers buttons across a session."""
    lines: list[str] = []
    number = first - 1
    for block in message.blocks:
        if isinstance(block, Section):
            lines.append(render_text(block.text))
            lines.extend(f"  {name}: {render_text(value)}" for name, value in block.fields)
        elif isinstance(block, Note):
            lines.append(f"  ({render_text(block.text)})")
        elif isinstance(block, Divider):
            lines.append("—" * 20)
        elif isinstance(block, Actions):
            labels = []
            for button in block.buttons:
                number += 1
                labels.append(f"[{number}] {button.label}")
            lines.append("  ".join(labels))
    return "\n".join(lines)
