"""What a question looks like in the channel, in the asker's receipt, and in the champions' draft card.

Pure: catalog text in, neutral messages out. The public question carries no name and no hint of
who asked; it is written in the organisation's language, never the asker's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.i18n import Catalog
from bot.messages import Actions, Button, Message, Note, Section
from bot.text import Link, MentionUser, Text, UserText, shorten


class MatchLike(Protocol):
    """The fields of a knowledge-base match the thread reply shows."""

    question: str
    answer: str
    question_number: int | None


def question_message(
    catalog: Catalog, locale: str, *, question_id: int, number: int, text: str, votes: int, status: str
) -> Message:
    """The anonymous question as posted: number, words, +1 count, status, and the buttons."""
    if status == "merged":  # a repeat merged into an earlier question (named in its thread)
        return Message(
            (
                Section(catalog.text(locale, "question.title", number=number)),
                Section(Text.of(UserText(text))),
                Note(catalog.text(locale, "qamod.status_merged")),
            )
        )
    buttons = [
        Button(catalog.string(locale, "question.button.vote"), "qa.vote", str(question_id), "primary"),
        Button(catalog.string(locale, "question.button.answer"), "qa.answer", str(question_id)),
    ]
    if status in {"answered", "accepted"}:
        if status == "answered":
            buttons.append(
                Button(catalog.string(locale, "question.button.accept"), "qa.accept", str(question_id))
            )
        buttons.append(
            Button(catalog.string(locale, "question.button.reopen"), "qa.reopen", str(question_id))
        )
    buttons.append(Button(catalog.string(locale, "qamod.button_report"), "qamod.report", str(question_id)))
    state = Text.join(
        [
            catalog.text(locale, "question.votes", count=votes),
            catalog.text(locale, f"question.status.{status}")
            if status in {"open", "answered", "accepted"}
            else catalog.text(locale, "question.status.open"),
        ],
        " · ",
    )
    return Message(
        (
            Section(catalog.text(locale, "question.title", number=number)),
            Section(Text.of(UserText(text))),
            Note(state),
            Actions(tuple(buttons)),
        )
    )


def followup_message(catalog: Catalog, locale: str, *, number: int, text: str) -> Message:
    return Message.of(catalog.text(locale, "question.followup", number=number), Text.of(UserText(text)))


def receipt(
    catalog: Catalog,
    locale: str,
    *,
    number: int,
    channel: Text,
    delay_minutes: int,
    masked: Sequence[str],
    token: str,
) -> Message:
    """The asker's private receipt. Its buttons carry the capability token, nothing else."""
    if delay_minutes > 0:
        lines = [
            catalog.text(locale, "ask.receipt.later", number=number, channel=channel, minutes=delay_minutes)
        ]
    else:
        lines = [catalog.text(locale, "ask.receipt.now", number=number, channel=channel)]
    if masked:
        kinds = Text.join([catalog.text(locale, f"ask.kind.{kind}") for kind in masked], ", ")
        lines.append(catalog.text(locale, "ask.masked", kinds=kinds))
    buttons = (
        Button(catalog.string(locale, "ask.button.show"), "ask.show", token),
        Button(catalog.string(locale, "ask.button.followup"), "ask.followup", token),
    )
    return Message((*(Section(line) for line in lines), Actions(buttons)))


def question_link(catalog: Catalog, locale: str, *, number: int, url: str) -> Text:
    label = catalog.string(locale, "ask.link_label", number=number)
    return catalog.text(locale, "ask.link", link=Link(url, label))


def asked_before(catalog: Catalog, locale: str, matches: Sequence[MatchLike]) -> Message:
    lines = [catalog.text(locale, "question.asked_before")]
    for match in matches:
        if match.question_number is not None:
            lines.append(
                catalog.text(
                    locale,
                    "question.match",
                    number=match.question_number,
                    question=UserText(shorten(match.question, 300, one_line=False)),
                    answer=UserText(shorten(match.answer, 600, one_line=False)),
                )
            )
        else:
            lines.append(
                catalog.text(
                    locale,
                    "question.match_curated",
                    question=UserText(shorten(match.question, 300, one_line=False)),
                    answer=UserText(shorten(match.answer, 600, one_line=False)),
                )
            )
    return Message.of(Text.join(lines))


def champion_answer(
    catalog: Catalog, locale: str, *, champion: MentionUser, text: str, question_id: int | None = None
) -> Message:
    message = Message.of(
        catalog.text(locale, "question.answer.header", champion=champion), Text.of(UserText(text))
    )
    return _with_helpful(catalog, locale, message, question_id)


def draft_card(
    catalog: Catalog, locale: str, *, draft_id: int, number: int, question: str, draft: str
) -> Message:
    """The AI draft as champions see it, with Publish / Edit and publish / Discard."""
    value = str(draft_id)
    return Message(
        (
            Section(catalog.text(locale, "draft.title", number=number)),
            Note(
                catalog.text(
                    locale, "draft.question", question=UserText(shorten(question, 500, one_line=False))
                )
            ),
            Section(Text.of(UserText(draft))),
            Actions(
                (
                    Button(catalog.string(locale, "draft.button.publish"), "qa.publish", value, "primary"),
                    Button(catalog.string(locale, "draft.button.edit"), "qa.edit", value),
                    Button(catalog.string(locale, "draft.button.discard"), "qa.discard", value, "danger"),
                )
            ),
        )
    )


def published_draft(
    catalog: Catalog, locale: str, *, champion: MentionUser, text: str, question_id: int | None = None
) -> Message:
    """A published AI answer: labelled as AI-generated and naming the approving champion (EU AI Act)."""
    message = Message.of(catalog.text(locale, "draft.label", champion=champion), Text.of(UserText(text)))
    return _with_helpful(catalog, locale, message, question_id)


def _with_helpful(catalog: Catalog, locale: str, message: Message, question_id: int | None) -> Message:
    """Adds "Helpful? yes / no" under a published answer (closing the loop with the asker)."""
    if question_id is None:
        return message
    from bot.questions.loop import helpful_actions  # loop imports storage; render stays import-light

    return Message((*message.blocks, helpful_actions(catalog, locale, question_id)))
