"""Pre-moderation, reporting, "same as Q-n?" merges and "Helpful?" as conversations on the real core.

The asker is never stored: a rejection reaches them only through their own receipt's token.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import FrozenClock
from bot.questions.loop import Loop
from storage import question_hours as store
from storage.models import OutboxMessage, QaModeration, Question
from tests.question_hours_support import Office, open_office


@pytest.fixture
async def office(database_url: str, clock: FrozenClock) -> AsyncIterator[Office]:
    async with open_office(database_url, clock) as place:
        yield place


async def test_a_held_question_is_approved_by_a_champion_and_then_posted(office: Office) -> None:
    assert "Pre-moderation is on" in await office.say("bo", "qa moderation on")
    receipt = await office.say("cleo", "ask Can my manager see my ChatGPT history?")
    assert "goes to a champion for review first" in receipt
    question = await office.question(1)
    assert question.status == "pending"
    champions = await office.deliver()
    assert "[#champions] 🛡️ Q-1 awaits review" in champions
    assert "Can my manager see my ChatGPT history?" in champions
    assert await office.outbox("qa:q:") == []  # nothing in the questions channel yet
    assert "waiting for a champion's review" in await office.press(
        "cleo", "ask.show", office.token_of("cleo")
    )

    assert "Only AI champions can review questions." in await office.press(
        "dan", "qamod.approve", str(question.id)
    )
    assert "is approved and on its way" in await office.press("bo", "qamod.approve", str(question.id))
    assert "already been reviewed" in await office.press("ana", "qamod.approve", str(question.id))
    posted = await office.deliver()
    assert "[#ai-questions] Q-1" in posted and "Can my manager see my ChatGPT history?" in posted
    assert "[#champions, updated]" in office.out.getvalue(), (
        office.out.getvalue()
    )  # the champions' card shows the decision
    assert "Approved by @bo" in office.out.getvalue()
    assert (await office.question(1)).status == "open"


async def test_a_rejected_question_tells_only_the_asker_why_through_their_receipt(office: Office) -> None:
    await office.say("bo", "qa moderation on")
    await office.say("cleo", "ask Why is Jens in accounting so bad at Excel?")
    question = await office.question(1)
    await office.deliver()

    assert await office.press("bo", "qamod.reject", str(question.id)) == ""  # a form opens
    assert "Please give a reason" in await office.submit(
        "bo", "qamod.reject_form", {"reason": "  "}, str(question.id)
    )
    assert "Please keep the reason under 500" in await office.submit(
        "bo", "qamod.reject_form", {"reason": "x" * 501}, str(question.id)
    )
    assert (await office.question(1)).status == "pending"
    reason = "Questions about named colleagues go to HR, not here."
    done = await office.submit("bo", "qamod.reject_form", {"reason": reason}, str(question.id))
    assert "Q-1 is rejected" in done
    assert (await office.question(1)).status == "rejected"
    await office.deliver()
    assert f"Rejected by @bo: {reason}" in office.out.getvalue()
    assert await office.outbox("qa:q:") == []

    shown = await office.press("cleo", "ask.show", office.token_of("cleo"))
    assert f"Q-1 was not published: {reason}" in shown
    # Nothing stored names cleo: the decision row has the champion, the reason, no asker.
    async with office.core.database.session() as session:
        (decision,) = (await session.exec(select(QaModeration))).all()
        rows = (await session.exec(select(OutboxMessage))).all()
    assert decision.decided_by == "bo" and "cleo" not in repr(decision)
    assert not [row for row in rows if row.target == "cleo" or "cleo" in row.payload]


async def test_an_edited_question_is_cleaned_again_before_it_is_posted(office: Office) -> None:
    await office.say("bo", "qa moderation on")
    await office.say("cleo", "ask Is Copilot safe for HR files?")
    question = await office.question(1)
    await office.deliver()  # the champions' card
    edited = "Is Copilot safe for HR files? <!channel> ask hr@firma.dk"
    assert "is approved" in await office.submit("bo", "qamod.edit_form", {"text": edited}, str(question.id))
    posted = await office.deliver()
    assert "Is Copilot safe for HR files? ＠channel ask [e-mail removed]" in posted
    assert "Edited and approved by @bo" in office.out.getvalue()
    assert "hr@firma.dk" not in posted and "<!channel>" not in posted


async def test_anyone_reports_a_question_and_the_champions_get_the_reason_without_the_reporter(
    office: Office,
) -> None:
    await office.say("cleo", "ask Does anyone else think the AI team is useless?")
    question = await office.question(1)
    assert await office.press("dan", "qamod.report", str(question.id)) == ""
    assert "Please give a reason" in await office.submit(
        "dan", "qamod.report_form", {"reason": ""}, str(question.id)
    )
    sent = await office.submit(
        "dan", "qamod.report_form", {"reason": "This is a rant, not a question"}, str(question.id)
    )
    assert "Your name was not sent" in sent
    (report,) = await office.outbox("qamod:report:")
    assert report[1] == "champions"
    assert "Q-1 was reported: This is a rant, not a question" in report[2]
    assert "dan" not in report[2]
    again = await office.submit("dan", "qamod.report_form", {"reason": "Still a rant"}, str(question.id))
    assert "already reported Q-1 today" in again
    assert len(await office.outbox("qamod:report:")) == 1


async def test_a_repeated_question_is_offered_for_merging_and_the_receipt_still_works(office: Office) -> None:
    await office.say("cleo", "ask Am I allowed to paste customer data into ChatGPT?")
    await office.say("dan", "ask Can I paste customer data into ChatGPT?")
    await office.say("ana", "ask Which courses on prompt writing do we offer?")
    await office.deliver()
    first, second = await office.question(1), await office.question(2)
    await office.press("ana", "qa.vote", str(first.id))
    await office.press("cleo", "qa.vote", str(second.id))
    await office.press("ana", "qa.vote", str(second.id))
    (card,) = await office.outbox("qaloop:same:")
    assert card[1] == "champions" and "Q-2 looks like Q-1. Same question?" in card[2]

    assert "Only AI champions" in await office.press("dan", "qamod.merge", f"{second.id}:{first.id}")
    merged = await office.press("bo", "qamod.merge", f"{second.id}:{first.id}")
    assert "Q-2 is merged into Q-1 by @bo" in merged
    assert "already been merged" in await office.press("bo", "qamod.merge", f"{second.id}:{first.id}")
    assert (await office.question(1)).votes == 3
    assert (await office.question(2)).status == "merged"
    shown = await office.press("dan", "ask.show", office.token_of("dan"))
    assert "Q-2 asked the same as Q-1" in shown
    await office.deliver()
    board = office.out.getvalue()
    assert "Merged: this asks the same as an earlier question" in board  # Q-2's message, updated
    assert "This question asks the same as Q-1" in board  # and the note in Q-2's thread
    # The unrelated third question was not offered.
    assert len(await office.outbox("qaloop:same:")) == 1


async def test_helpful_is_counted_once_per_person(office: Office) -> None:
    await office.say("cleo", "ask What is a good first prompt for summarising meetings?")
    question = await office.question(1)
    value = f"{question.id}:yes"
    assert "Your feedback on the answer to Q-1 is counted" in await office.press(
        "cleo", "qahours.helpful", value
    )
    assert "already given feedback on Q-1" in await office.press("cleo", "qahours.helpful", value)
    assert "already given feedback" in await office.press("cleo", "qahours.helpful", f"{question.id}:no")
    await office.press("dan", "qahours.helpful", f"{question.id}:no")
    await office.press("ana", "qahours.helpful", value)
    async with office.core.database.session() as session:
        assert await store.feedback_of(session, question_id=question.id or 0) == (2, 1)
        (row,) = (await session.exec(select(Question))).all()
    share = await office.core.service(Loop).share(question_platform(row))
    assert (share.yes, share.no, share.share) == (2, 1, None)  # fewer than five taps: no share shown
    assert "shown from 5 taps on" in await office.say("bo", "qa status")
    await office.press("bo", "qahours.helpful", value)
    await office.press("eve", "qahours.helpful", value)
    assert "Answers found helpful: 80 % of 5" in await office.say("bo", "qa status")
    assert "helpful" not in (await office.say("dan", "qa status")).lower()  # for champions
    for bad in ("x:yes", f"{question.id}:maybe", "999:yes", ""):
        assert "expired" in await office.press("dan", "qahours.helpful", bad)


def question_platform(row: Question):  # type: ignore[no-untyped-def]
    from bot.domain import Platform

    return Platform(row.platform)


async def test_an_approved_question_that_repeats_an_open_one_is_offered_for_merging(office: Office) -> None:
    await office.say("cleo", "ask Can my manager see my ChatGPT history?")
    await office.say("bo", "qa moderation on")
    await office.say("dan", "ask Can my manager read my ChatGPT history?")
    assert await office.outbox("qaloop:same:") == []  # held questions are not compared yet
    held = await office.question(2)
    await office.deliver()
    await office.press("bo", "qamod.approve", str(held.id))
    (card,) = await office.outbox("qaloop:same:")
    assert "Q-2 looks like Q-1" in card[2]


async def test_no_log_line_of_moderation_or_question_hours_names_the_asker(
    office: Office, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await office.say("bo", "qa moderation on")
    await office.say("cleo", "ask Is it OK to use AI for my exam at the evening school?")
    question = await office.question(1)
    await office.deliver()
    await office.press("cleo", "ask.show", office.token_of("cleo"))
    await office.submit("bo", "qamod.reject_form", {"reason": "Ask your school."}, str(question.id))
    await office.press("cleo", "ask.show", office.token_of("cleo"))
    await office.press("cleo", "qahours.helpful", f"{question.id}:yes")
    await office.press("cleo", "qamod.report", str(question.id))
    await office.submit("cleo", "qamod.report_form", {"reason": "spam"}, str(question.id))
    office.clock.advance(timedelta(days=3))
    await office.tick()
    ours = [r for r in caplog.records if r.name.split(".")[0] in {"bot", "handlers", "jobs", "storage"}]
    assert ours
    for record in ours:
        assert "cleo" not in record.getMessage() and "cleo" not in repr(record.__dict__), record.getMessage()
