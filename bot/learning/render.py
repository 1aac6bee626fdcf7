"""Lessons as neutral messages: the weekly DM with its buttons, the body, the quiz and the rating."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.learning.content import Lesson
from bot.messages import Actions, Block, Button, Message, Note, Section
from bot.text import Markup, Text

SECTION_LIMIT = 2900  # Slack refuses section text over 3000 characters
LETTERS = "ABCD"
_ITALIC = re.compile(r"(?<![*\w])\*(?!\*)([^*\n]+?)\*(?!\*)")

Translate = Callable[..., Text]
Label = Callable[..., str]


def lesson_dm(lesson: Lesson, t: Translate, s: Label, *, position: int, total: int) -> Message:
    """The weekly nudge: title, one-line summary, and Start / Done / Snooze / Too easy / Too hard."""
    value = lesson.id
    return Message(
        (
            Section(Text.of(Markup(f"**{_plain(lesson.title)}**\n"), Markup(_plain(lesson.summary)))),
            Note(
                t(
                    "learn.lesson.meta",
                    track=t(f"learn.track.{lesson.track}"),
                    position=position,
                    total=total,
                    minutes=lesson.minutes,
                )
            ),
            Actions(
                (
                    Button(s("learn.button.start"), "learn.start", value, "primary"),
                    Button(s("learn.button.done"), "learn.done", value),
                    Button(s("learn.button.snooze"), "learn.snooze", value),
                    Button(s("learn.button.easy"), "learn.easy", value),
                    Button(s("learn.button.hard"), "learn.hard", value),
                )
            ),
        )
    )


def lesson_body(lesson: Lesson, s: Label) -> Message:
    """The whole lesson, split into sections a platform accepts, with Done at the end."""
    blocks: list[Block] = [Section(Text.of(Markup(f"**{_plain(lesson.title)}**")))]
    blocks.extend(Section(Text.of(Markup(chunk))) for chunk in body_chunks(lesson.body))
    blocks.append(
        Actions(
            (
                Button(s("learn.button.done"), "learn.done", lesson.id, "primary"),
                Button(s("learn.button.snooze"), "learn.snooze", lesson.id),
            )
        )
    )
    return Message(tuple(blocks))


def body_chunks(body: str) -> list[str]:
    """Markdown headings become bold lines; long parts are split at paragraph breaks."""
    chunks: list[str] = []
    for part in re.split(r"\n(?=## )", body.strip()):
        text = _plain(part)
        text = re.sub(r"^## (.+)$", r"**\1**", text, flags=re.MULTILINE)
        while len(text) > SECTION_LIMIT:
            cut = text.rfind("\n\n", 0, SECTION_LIMIT)
            cut = cut if cut > 0 else SECTION_LIMIT
            chunks.append(text[:cut].strip())
            text = text[cut:].strip()
        if text:
            chunks.append(text)
    return chunks


def _plain(text: str) -> str:
    """Our markup knows **bold** and `code`; single-star emphasis is shown as plain words."""
    return _ITALIC.sub(r"\1", text)


def quiz(lesson: Lesson, t: Translate) -> Message:
    question = lesson.quiz
    lines = [Markup(f"**{_plain(question.question)}**")]
    lines.extend(
        Markup(f"\n{LETTERS[index]}. {_plain(choice.text)}") for index, choice in enumerate(question.choices)
    )
    buttons = tuple(
        Button(LETTERS[index], "learn.answer", f"{lesson.id}|{index}")
        for index in range(len(question.choices))
    )
    return Message((Section(t("learn.quiz.intro")), Section(Text.of(*lines)), Actions(buttons)))


def feedback(lesson: Lesson, index: int, t: Translate) -> Message:
    choice = lesson.quiz.choices[index]
    verdict = t("learn.quiz.right" if choice.correct else "learn.quiz.wrong")
    said = _plain(choice.feedback)
    if said.lower().startswith(verdict.plain().lower().rstrip(".")):  # the lesson already says "Right."
        blocks: list[Block] = [Section(Text.of(Markup(said)))]
    else:
        blocks = [Section(verdict + Text.of(Markup(" " + said)))]
    if not choice.correct:
        right = lesson.quiz.choices[lesson.quiz.correct_index]
        blocks.append(Note(t("learn.quiz.answer", answer=Markup(_plain(right.text)))))
    blocks.append(Section(t("learn.rate.ask")))
    blocks.append(
        Actions(tuple(Button(str(stars), "learn.rate", f"{lesson.id}|{stars}") for stars in range(1, 6)))
    )
    return Message(tuple(blocks))
