"""Neutral messages as Adaptive Cards. Only mentions we create carry an entity, so user text never pings."""

from __future__ import annotations

import re
from typing import Any

from bot.messages import Actions, Divider, Form, Message, Note, Section
from bot.text import ChannelLink, Link, Markup, MentionUser, Text, UserText

CARD_VERSION = "1.5"
_MARKDOWN = re.compile(r"([\\*_\[\]])")
_AT_TAG = re.compile(r"<(/?)at", re.IGNORECASE)


def escape(text: str) -> str:
    """Make a person's words inert: Markdown is backslash-escaped and an `<at>` tag is broken with a
    word joiner, so it can never line up with a mention entity. (Cards render no HTML, so no entities.)"""
    return _AT_TAG.sub("<\u2060\\1at", _MARKDOWN.sub(r"\\\1", text))


def markdown(text: Text, mentions: list[dict[str, Any]]) -> str:
    out = []
    for span in text.spans:
        if isinstance(span, Markup):
            out.append(span.text)
        elif isinstance(span, UserText):
            out.append(escape(span.text))
        elif isinstance(span, MentionUser):
            tag = f"<at>{escape(span.name or 'someone')}</at>"
            mentions.append(
                {"type": "mention", "text": tag, "mentioned": {"id": span.user_id, "name": span.name}}
            )
            out.append(tag)
        elif isinstance(span, ChannelLink):
            out.append(f"**#{escape(span.name or 'channel')}**")
        elif isinstance(span, Link):
            out.append(f"[{escape(span.label)}]({span.url})")
    return "".join(out)


def card(message: Message) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    mentions: list[dict[str, Any]] = []
    for block in message.blocks:
        if isinstance(block, Section):
            body.append({"type": "TextBlock", "text": markdown(block.text, mentions), "wrap": True})
            if block.fields:
                facts = [{"title": name, "value": markdown(value, mentions)} for name, value in block.fields]
                body.append({"type": "FactSet", "facts": facts})
        elif isinstance(block, Note):
            body.append(
                {
                    "type": "TextBlock",
                    "text": markdown(block.text, mentions),
                    "wrap": True,
                    "isSubtle": True,
                    "size": "Small",
                }
            )
        elif isinstance(block, Divider):
            body.append({"type": "TextBlock", "text": " ", "separator": True})
        elif isinstance(block, Actions):
            for button in block.buttons:
                action: dict[str, Any] = {
                    "type": "Action.Submit",
                    "title": button.label,
                    "data": {"action_id": button.action_id, "value": button.value},
                }
                if button.style == "primary":
                    action["style"] = "positive"
                elif button.style == "danger":
                    action["style"] = "destructive"
                actions.append(action)
    result: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        result["actions"] = actions
    if mentions:
        result["msteams"] = {"entities": mentions}
    return result


def form_card(form: Form) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": escape(form.title), "weight": "Bolder", "wrap": True}
    ]
    for field in form.inputs:
        element: dict[str, Any]
        if field.kind == "select":
            element = {
                "type": "Input.ChoiceSet",
                "id": field.name,
                "choices": [{"title": label, "value": value} for value, label in field.options],
                "value": field.initial,
            }
        else:
            element = {
                "type": "Input.Text",
                "id": field.name,
                "isMultiline": field.kind == "multiline",
                "value": field.initial,
            }
            if field.max_length:
                element["maxLength"] = field.max_length
        element.update({"label": field.label, "isRequired": field.required})
        body.append(element)
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
        "actions": [
            {
                "type": "Action.Submit",
                "title": form.submit_label,
                "data": {"form_id": form.form_id, "metadata": form.metadata},
            }
        ],
    }
