"""Neutral messages as Block Kit. User text is escaped here, so it can never ping anyone in Slack."""

from __future__ import annotations

from typing import Any

from bot.messages import Actions, Divider, Form, Message, Note, Section
from bot.text import ChannelLink, Link, Markup, MentionUser, Text, UserText, convert_bold, shorten

SECTION_LIMIT = 3000
FIELD_LIMIT = 2000


def escape(text: str) -> str:
    """Slack's three control characters; escaping them defuses <!channel>, <@U…>, <#C…> and friends."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: Text) -> str:
    out = []
    for span in text.spans:
        if isinstance(span, Markup):
            out.append(convert_bold(escape(span.text), "*"))
        elif isinstance(span, UserText):
            out.append(escape(span.text))
        elif isinstance(span, MentionUser):
            out.append(f"<@{span.user_id}>")
        elif isinstance(span, ChannelLink):
            out.append(f"<#{span.channel_id}>")
        elif isinstance(span, Link):
            out.append(f"<{span.url}|{escape(span.label)}>")
    return "".join(out)


def _plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": shorten(text, limit, one_line=False), "emoji": True}


def blocks(message: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for index, block in enumerate(message.blocks):
        if isinstance(block, Section):
            section: dict[str, Any] = {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": shorten(mrkdwn(block.text) or " ", SECTION_LIMIT, one_line=False),
                },
            }
            if block.fields:
                section["fields"] = [
                    {
                        "type": "mrkdwn",
                        "text": shorten(f"*{escape(name)}*\n{mrkdwn(value)}", FIELD_LIMIT, one_line=False),
                    }
                    for name, value in block.fields[:10]
                ]
            out.append(section)
        elif isinstance(block, Note):
            out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn(block.text)}]})
        elif isinstance(block, Divider):
            out.append({"type": "divider"})
        elif isinstance(block, Actions):
            elements = []
            for button in block.buttons[:25]:
                element: dict[str, Any] = {
                    "type": "button",
                    "text": _plain(button.label),
                    "action_id": button.action_id,
                    "value": button.value[:2000],
                }
                if button.style != "default":
                    element["style"] = button.style
                elements.append(element)
            out.append({"type": "actions", "block_id": f"actions-{index}", "elements": elements})
    return out


def fallback(message: Message) -> str:
    """The notification text; escaped too, because Slack parses it like any message."""
    return shorten(escape(message.fallback()), 4000, one_line=False) or " "


def modal(form: Form) -> dict[str, Any]:
    input_blocks = []
    for field in form.inputs:
        element: dict[str, Any]
        if field.kind == "select":
            element = {
                "type": "static_select",
                "action_id": field.name,
                "options": [{"text": _plain(label), "value": value} for value, label in field.options],
            }
            initial = next((o for o in field.options if o[0] == field.initial), None)
            if initial:
                element["initial_option"] = {"text": _plain(initial[1]), "value": initial[0]}
        else:
            element = {
                "type": "plain_text_input",
                "action_id": field.name,
                "multiline": field.kind == "multiline",
            }
            if field.initial:
                element["initial_value"] = field.initial
            if field.max_length:
                element["max_length"] = field.max_length
        input_blocks.append(
            {
                "type": "input",
                "block_id": field.name,
                "label": _plain(field.label, 2000),
                "optional": not field.required,
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": form.form_id,
        "private_metadata": form.metadata[:3000],
        "title": _plain(form.title, 24),
        "submit": _plain(form.submit_label, 24),
        "blocks": input_blocks,
    }


def form_values(state: dict[str, Any]) -> dict[str, str]:
    """view.state.values → {input name: text}, for every element kind we render."""
    values: dict[str, str] = {}
    for block_id, elements in state.get("values", {}).items():
        for element in elements.values():
            if element.get("type") == "static_select":
                selected = element.get("selected_option") or {}
                values[block_id] = selected.get("value", "")
            else:
                values[block_id] = element.get("value") or ""
    return values
