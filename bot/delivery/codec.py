"""Neutral messages as JSON, so a message written to the outbox can be delivered by any replica."""

from __future__ import annotations

import json
from typing import Any

from bot.messages import Actions, Block, Button, Divider, Message, Note, Section
from bot.text import ChannelLink, Link, Markup, MentionUser, Span, Text, UserText

_SPANS: dict[str, type] = {"m": Markup, "u": UserText, "@": MentionUser, "#": ChannelLink, "l": Link}
_TAGS = {kind: tag for tag, kind in _SPANS.items()}


def _text(text: Text) -> list[list[str]]:
    out = []
    for span in text.spans:
        tag = _TAGS[type(span)]
        out.append([tag, *(str(value) for value in vars(span).values())])
    return out


def _untext(data: list[list[str]]) -> Text:
    spans: list[Span] = [_SPANS[tag](*values) for tag, *values in data]
    return Text(tuple(spans))


def _block(block: Block) -> dict[str, Any]:
    if isinstance(block, Section):
        return {
            "section": _text(block.text),
            "fields": [[name, _text(value)] for name, value in block.fields],
        }
    if isinstance(block, Actions):
        return {"actions": [[b.label, b.action_id, b.value, b.style] for b in block.buttons]}
    if isinstance(block, Note):
        return {"note": _text(block.text)}
    return {"divider": True}


def _unblock(data: dict[str, Any]) -> Block:
    if "section" in data:
        fields = tuple((name, _untext(value)) for name, value in data.get("fields", []))
        return Section(_untext(data["section"]), fields)
    if "actions" in data:
        return Actions(
            tuple(
                Button(label, action_id, value, style) for label, action_id, value, style in data["actions"]
            )
        )
    if "note" in data:
        return Note(_untext(data["note"]))
    return Divider()


def dumps(message: Message) -> str:
    return json.dumps([_block(block) for block in message.blocks], ensure_ascii=False, separators=(",", ":"))


def loads(payload: str) -> Message:
    return Message(tuple(_unblock(block) for block in json.loads(payload)))
