"""What questions look like, pure: no name anywhere public, the token only on the receipt's buttons,
AI answers labelled with their approving champion, in English and Danish."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.i18n import Catalog
from bot.messages import Message
from bot.questions import render
from bot.text import ChannelLink, MentionUser, Text, UserText
from handlers.console.render import render as console
from handlers.slack import render as slack

CATALOG = Catalog()


@dataclass(frozen=True)
class FakeMatch:
    question: str
    answer: str
    question_number: int | None
    score: float = 0.9


def actions(message: Message) -> dict[str, str]:
    return {button.action_id: button.value for button in message.buttons}


@pytest.mark.parametrize("locale", ["en", "da"])
def test_a_posted_question_is_a_number_and_its_words_with_no_mention_of_anyone(locale: str) -> None:
    message = render.question_message(
        CATALOG,
        locale,
        question_id=7,
        number=17,
        text="<!channel> will AI take my job?",
        votes=3,
        status="open",
    )
    assert console(message).startswith("Q-17 · anonym")
    assert all(
        not isinstance(span, MentionUser)
        for block in message.blocks
        for span in getattr(block, "text", Text()).spans
    )
    assert UserText("<!channel> will AI take my job?") in message.blocks[1].text.spans  # type: ignore[union-attr]
    assert "&lt;!channel&gt;" in str(slack.blocks(message))
    assert actions(message)["qa.vote"] == "7" and "qa.accept" not in actions(message)
    assert "+1: 3" in console(message)


def test_an_answered_question_offers_accept_and_reopen_and_an_accepted_one_only_reopen() -> None:
    answered = render.question_message(
        CATALOG, "en", question_id=1, number=1, text="q", votes=0, status="answered"
    )
    accepted = render.question_message(
        CATALOG, "en", question_id=1, number=1, text="q", votes=0, status="accepted"
    )
    assert {"qa.accept", "qa.reopen"} <= set(actions(answered)) and "✅ Answered" in console(answered)
    assert "qa.accept" not in actions(accepted) and "qa.reopen" in actions(accepted)
    assert "Answer accepted" in console(accepted)


def test_the_receipt_carries_the_token_only_in_its_buttons_and_says_what_was_masked() -> None:
    receipt = render.receipt(
        CATALOG,
        "da",
        number=4,
        channel=Text.of(ChannelLink("C1", "ai-spørgsmål")),
        delay_minutes=2,
        masked=("email", "cpr"),
        token="tok-123",
    )
    shown = console(receipt)
    assert "Q-4" in shown and "inden for 2 minutter" in shown and "en e-mailadresse, et CPR-nummer" in shown
    assert "tok-123" not in shown and actions(receipt) == {"ask.show": "tok-123", "ask.followup": "tok-123"}


def test_a_published_ai_answer_is_labelled_and_names_the_approving_champion() -> None:
    champion = MentionUser("U2", "bo")
    message = render.published_draft(CATALOG, "en", champion=champion, text="Use Copilot.")
    assert "AI-generated answer" in console(message) and champion in message.blocks[0].text.spans  # type: ignore[union-attr]
    assert "<@U2>" in str(slack.blocks(message))


def test_asked_before_lists_answered_questions_by_number_and_curated_entries_without() -> None:
    message = render.asked_before(
        CATALOG,
        "en",
        [
            FakeMatch("Can I use ChatGPT?", "Only Copilot.", 12),
            FakeMatch("AI policy?", "See the intranet.", None),
        ],
    )
    shown = console(message)
    assert shown.startswith("Asked before:")
    assert "• Q-12: Can I use ChatGPT?\n  ↳ Answer: Only Copilot." in shown
    assert "• AI policy?\n  ↳ Answer: See the intranet." in shown
