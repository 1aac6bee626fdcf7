"""Question hours as conversations on the core: champions open, schedule and close sessions; the tick
runs the schedule on a frozen clock exactly once; late questions are escalated to the champion on duty.

The core is real (database, outbox, worker, console messenger); only the clock is frozen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.app import open_core
from bot.clock import FrozenClock
from bot.domain import Actor, Conversation, Platform
from bot.events import CommandEvent, Origin
from storage.models import JobRun, QaHoursSettings, QaSession, QaSlot, Question
from tests.cli import champbot
from tests.conftest import make_settings
from tests.question_hours_support import Office, open_office

THURSDAY_2PM_CPH = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)  # 14:00 in Copenhagen (CET)


@pytest.fixture
async def office(database_url: str, clock: FrozenClock) -> AsyncIterator[Office]:
    async with open_office(database_url, clock) as place:
        yield place


async def test_a_champion_opens_a_session_employees_ask_and_closing_posts_the_summary(office: Office) -> None:
    answer = await office.say("bo", "qa open 90m")
    assert "open until 12:00 (Europe/Copenhagen)" in answer  # 09:30 UTC is 10:30 in Copenhagen
    assert "A question hour is already open" in await office.say("bo", "qa open")
    posted = await office.deliver()
    assert "[#ai-questions] 🙋 The question hour is open until 12:00" in posted
    assert "ask <your question>" in posted

    await office.say("cleo", "ask Will AI take over my job as an accountant?")
    await office.say("dan", "ask Which AI tools are we allowed to use for customer e-mails?")
    await office.say("dan", "ask Is there a course on prompt writing?")
    await office.deliver()
    first = await office.question(1)
    assert first.status == "open"
    await office.press("dan", "qa.vote", str(first.id))
    await office.press("cleo", "qa.vote", str((await office.question(3)).id))
    await office.press("ana", "qa.vote", str(first.id))
    async with office.core.database.session() as session:
        third = (await session.exec(select(Question).where(Question.number == 3))).one()
        third.status = "answered"  # a champion's answer (the answering flow) marks it answered
        session.add(third)

    status = await office.say("cleo", "qa status")
    assert "A question hour is open until 12:00" in status

    assert "The question hour is closed" in await office.say("bo", "qa close")
    posted = await office.deliver()
    assert "The question hour is over. 3 questions, 1 answered, 2 still open." in posted
    assert "Most votes: Q-1 (2), Q-3 (1)." in posted
    assert "No question hour is open right now." in await office.say("bo", "qa close")
    assert len(await office.outbox("qahours:summary:")) == 1


async def test_the_tick_opens_and_closes_a_scheduled_session_exactly_once(office: Office) -> None:
    answer = await office.say("bo", "qa schedule thursday 14:00 1h")
    assert "every Thursday at 14:00 for 1h" in answer and "Thursday 26/11 at 14:00" in answer
    assert "Every Thursday at 14:00 for 1h" in await office.say("dan", "qa status")

    office.clock.set(THURSDAY_2PM_CPH - timedelta(minutes=1))
    assert await office.tick()
    assert await office.rows(QaSession) == []

    office.clock.set(THURSDAY_2PM_CPH + timedelta(seconds=30))
    assert await office.tick()
    assert not await office.tick()  # the same minute: the job is already claimed
    assert await office.tick(force=True)  # forced: runs, but the sitting is open already
    office.clock.advance(timedelta(minutes=1))
    assert await office.tick()
    (session,) = await office.rows(QaSession)
    assert (session.opened_by, session.opened_at) == ("schedule", THURSDAY_2PM_CPH)
    assert len(await office.outbox("qahours:open:")) == 1
    assert "The question hour is open until 15:00" in await office.deliver()

    await office.say("cleo", "ask Can Copilot read my calendar?")
    office.clock.set(THURSDAY_2PM_CPH + timedelta(hours=1, minutes=1))
    assert await office.tick()
    assert await office.tick(force=True)
    (session,) = await office.rows(QaSession)
    assert session.closed_at == THURSDAY_2PM_CPH + timedelta(hours=1)
    summaries = await office.outbox("qahours:summary:")
    assert len(summaries) == 1 and "1 question, 0 answered, 1 still open" in summaries[0][2]
    assert await office.outbox("qahours:open:") == (await office.outbox("qahours:open:"))[:1]

    # A day before the next sitting the champions get the list of unanswered questions, once.
    office.clock.set(THURSDAY_2PM_CPH + timedelta(days=6, minutes=5))
    assert await office.tick()
    assert await office.tick(force=True)
    (reminder,) = await office.outbox("qahours:remind:")
    assert reminder[1] == "champions"
    assert "1 unanswered question before" in reminder[2]
    assert "Q-1: Can Copilot read my calendar?" in reminder[2]

    # A minute-by-minute job keeps only two days of run records.
    runs = sorted(run.period for run in await office.rows(JobRun) if run.job_id == "qa_tick")
    assert runs == ["2026-12-02T14:05", "2026-12-02T14:05#manual-20261202T130500.000000"]


async def test_questions_outside_a_session_wait_for_the_next_one(office: Office) -> None:
    assert "now wait for the next one" in await office.say("ana", "qa mode sessions")
    await office.say("bo", "qa schedule thu 14:00 30m")
    receipt = await office.say("cleo", "ask What does the AI policy say about Midjourney?")
    assert "will be posted, without your name, when the next question hour opens" in receipt
    await office.deliver()
    assert (await office.question(1)).status == "queued"
    assert await office.outbox("qa:q:") == []
    shown = await office.press("cleo", "ask.show", office.token_of("cleo"))
    assert "Q-1 will be posted when the next question hour opens" in shown

    office.clock.set(THURSDAY_2PM_CPH)
    await office.tick()
    posted = await office.deliver()
    assert "What does the AI policy say about Midjourney?" in posted
    assert (await office.question(1)).status == "open"

    # Back to "always": a question asked on a day without a question hour is posted at once.
    assert "posted at any time" in await office.say("ana", "qa mode always")
    office.clock.set(THURSDAY_2PM_CPH + timedelta(days=2))
    await office.say("dan", "ask Is there a course on prompt writing?")
    await office.deliver()
    assert (await office.question(2)).status == "open"


async def test_a_question_unanswered_past_the_target_is_escalated_naming_the_champion_on_duty(
    office: Office,
) -> None:
    answer = await office.say("ana", "qa oncall <@bo|bo> <@eve|eve>")
    assert "On duty this week: @bo" in answer
    await office.say("cleo", "ask Who decides which AI tools we may use?")
    await office.deliver()

    office.clock.advance(timedelta(hours=47))
    await office.tick()
    assert await office.outbox("qahours:escalate:") == []

    office.clock.advance(timedelta(hours=1, minutes=1))  # Thursday 26 Nov, still week 48: bo
    await office.tick()
    await office.tick(force=True)
    (escalation,) = await office.outbox("qahours:escalate:")
    assert escalation[1] == "champions"
    assert "Q-1 has waited more than 48 hours" in escalation[2]
    assert "Who decides which AI tools we may use?" in escalation[2]
    assert "On duty this week: @bo" in escalation[2]

    # The next week the rotation has turned: a new late question names eve.
    office.clock.set(datetime(2026, 11, 30, 8, tzinfo=UTC))
    await office.say("dan", "ask Can I use AI to write performance reviews?")
    office.clock.advance(timedelta(hours=49))
    await office.tick()
    escalations = await office.outbox("qahours:escalate:")
    assert len(escalations) == 2 and "On duty this week: @eve" in escalations[1][2]
    assert "On-call rotation: @bo, @eve. On duty this week: @eve" in await office.say("ana", "qa oncall")


@pytest.mark.parametrize(
    ("user", "text", "expected"),
    [
        ("bo", "qa open 5x", "Write the length like 1h, 90m or 1h30m"),
        ("bo", "qa open 2m", "from 10 minutes to 24 hours"),
        ("bo", "qa open 1h extra", "Usage: qa open [1h]"),
        ("bo", "qa schedule funday 14:00 1h", "I don't know that weekday"),
        ("bo", "qa schedule thu 25:00 1h", "Write the time like 14:00, 14.30 or 2pm"),
        ("bo", "qa schedule thu 14:00", "Usage: qa schedule <weekday> <HH:MM> <1h>"),
        ("bo", "qa schedule thu 14:00 30h", "from 10 minutes to 24 hours"),
        ("bo", "qa unschedule thu 14:00", "There is no weekly question hour on that day"),
        ("bo", "qa moderation maybe", "Usage: qa moderation <on|off>"),
        ("bo", "qa frobnicate", "Usage: qa [status"),
        ("bo", "qa <@bo|bo> open", "Usage: qa [status"),
        ("bo", "qa close", "No question hour is open right now."),
        ("ana", "qa oncall bo eve", "Name the champions on call with @"),
        ("ana", "qa mode sometimes", "Usage: qa mode <always|sessions>"),
        ("cleo", "qa open", "qa open needs the AI champion role"),
        ("cleo", "qa schedule thu 14:00 1h", "qa schedule needs the AI champion role"),
        ("bo", "qa oncall <@bo|bo>", "qa oncall needs the admin role"),
        ("cleo", "qa moderation on", "qa moderation needs the AI champion role"),
    ],
)
async def test_bad_qa_input_gets_a_clear_answer_and_changes_nothing(
    office: Office, user: str, text: str, expected: str
) -> None:
    answer = await office.say(user, text)
    assert expected in answer
    assert "Traceback" not in answer and "went wrong" not in answer
    assert await office.rows(QaSlot) == []
    assert await office.rows(QaSession) == []
    assert await office.rows(QaHoursSettings) == []


async def test_a_session_cannot_open_without_a_questions_channel(
    database_url: str, clock: FrozenClock
) -> None:
    async with open_core(make_settings(database_url), clock=clock) as core:
        origin = Origin(
            Actor(Platform.CONSOLE, "ana", "ana"), Conversation(Platform.CONSOLE, "c", is_direct=True)
        )
        reply = await core.handle_command(CommandEvent(origin, "qa open"))
        assert "No questions channel is bound yet" in reply.message.fallback()
        reply = await core.handle_command(CommandEvent(origin, "qa moderation on"))
        assert "Pre-moderation needs a champions channel" in reply.message.fallback()
        async with core.database.session() as session:
            assert list((await session.exec(select(QaSession))).all()) == []
            assert list((await session.exec(select(QaHoursSettings))).all()) == []


def test_a_champion_runs_a_question_hour_in_the_console(database_url: str) -> None:
    """The console as a person types it: a subprocess reading stdin, on the real system clock."""
    admin = champbot(
        "console",
        "--user",
        "ana",
        "--admin",
        stdin="setup questions #ai-questions\nqa open 45m\nqa status\nqa open 2h\nqa frob\n",
        CHAMPBOT_DATABASE_URL=database_url,
        CHAMPBOT_QA_MAX_DELAY="0",
    )
    assert admin.returncode == 0, admin.stderr
    assert "[#ai-questions] 🙋 The question hour is open until" in admin.stdout
    assert "A question hour is open until" in admin.stdout
    assert "A question hour is already open" in admin.stdout
    assert "Usage: qa [status" in admin.stdout
    asker = champbot(
        "console",
        "--user",
        "cy",
        stdin="ask Can I use <!here> ChatGPT for translations? Mail me: cy@firma.dk\nqa close\n",
        CHAMPBOT_DATABASE_URL=database_url,
        CHAMPBOT_QA_MAX_DELAY="0",
    )
    assert "＠here" in asker.stdout and "[e-mail removed]" in asker.stdout
    assert "cy@firma.dk" not in asker.stdout and "<!here>" not in asker.stdout
    assert "qa close needs the AI champion role" in asker.stdout
    closing = champbot(
        "console", "--user", "ana", "--admin", stdin="qa close\n", CHAMPBOT_DATABASE_URL=database_url
    )
    assert "The question hour is over. 1 question, 0 answered, 1 still open." in closing.stdout
    assert "Traceback" not in admin.stdout + asker.stdout + closing.stdout + closing.stderr
