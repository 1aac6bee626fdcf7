"""Weekly lessons end to end: people in three time zones get their lesson at their own local time over
the real Slack client and the fake Web API, never in quiet hours; pausing and stopping take effect at
once; a lesson, its quiz, rating and the HR report; bad input changes nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.app import Server
from bot.clock import FrozenClock
from bot.domain import Actor, Conversation, Platform, Role
from bot.events import ButtonPress, CommandEvent, FormSubmission, Origin
from bot.learning.schedule import QuietRules, allowed
from bot.learning.service import LearningService
from bot.messages import Reply
from jobs import registry
from jobs.runner import run_job
from storage import learning as store
from tests.fakes import FakeSlackApi

DK = QuietRules.for_country("DK")
PEOPLE = {
    "U1": ("ana", "Europe/Copenhagen"),
    "U2": ("bo", "America/New_York"),
    "U3": ("cy", "Asia/Singapore"),
    "U4": ("dan", "Europe/Copenhagen"),
    "U5": ("eve", "America/New_York"),
}


def origin(user_id: str) -> Origin:
    name, zone = PEOPLE.get(user_id, (user_id.lower(), "Europe/Copenhagen"))
    actor = Actor(Platform.SLACK, user_id, name, "en-US", zone)
    return Origin(actor, Conversation(Platform.SLACK, f"D{user_id}", is_direct=True))


async def say(server: Server, user_id: str, text: str) -> str:
    reply = await server.core.handle_command(CommandEvent(origin(user_id), text))
    return reply.message.fallback()


async def press(server: Server, user_id: str, action_id: str, value: str) -> Reply:
    reply = await server.core.handle_button(ButtonPress(origin(user_id), action_id, value))
    assert reply is not None
    return reply


async def enrol(server: Server, user_id: str, **values: str) -> str:
    answers = {"track": "foundations", "function": "sales", "pace": "1", "weekday": "tue", "time": "10:00"}
    answers.update(values)
    reply = await server.core.handle_form(FormSubmission(origin(user_id), "learn.enrol", answers))
    assert reply is not None
    return reply.message.fallback()


@dataclass(frozen=True)
class Sent:
    at: datetime
    to: str
    text: str


async def settle(server: Server) -> None:
    """Wait (on the outbox, not the clock) until everything due has been handed to Slack."""
    async with asyncio.timeout(30):
        while True:
            state = (await server.core.outbox.status()).by_state
            if state["pending"] == state["sending"] == 0:
                return
            await asyncio.sleep(0.01)


async def run_until(server: Server, clock: FrozenClock, slack: FakeSlackApi, until: datetime) -> list[Sent]:
    """Step the frozen clock an hour at a time, running the lesson tick as the scheduler would."""
    job = registry.find(server.core, "learning_tick")
    assert job is not None
    sent: list[Sent] = []
    seen = len(slack.calls_to("chat.postMessage"))
    while clock.now() <= until:
        await run_job(server.core, job)
        await settle(server)
        calls = slack.calls_to("chat.postMessage")
        sent.extend(
            Sent(clock.now(), str(c.args["channel"]), str(c.args.get("text", ""))) for c in calls[seen:]
        )
        seen = len(calls)
        clock.advance(timedelta(hours=1))
    return sent


def local(sent: Sent) -> datetime:
    return sent.at.astimezone(ZoneInfo(PEOPLE[sent.to][1]))


def add_people(slack: FakeSlackApi) -> None:
    for user_id, (name, zone) in PEOPLE.items():
        if user_id not in {"U1", "U2"}:
            slack.add_user(user_id, name, tz=zone)


async def test_three_time_zones_get_their_lesson_at_their_own_tuesday_ten_and_pause_and_stop_hold(
    server: Server, clock: FrozenClock, slack_api: FakeSlackApi
) -> None:
    add_people(slack_api)
    clock.set(datetime(2026, 11, 23, 6, 0, tzinfo=UTC))  # Monday morning in Copenhagen
    for user_id in PEOPLE:
        assert "You're enrolled" in await enrol(server, user_id)
    assert "Paused for 3 weeks" in await say(server, "U4", "learn pause 3")

    first_week = await run_until(server, clock, slack_api, datetime(2026, 11, 25, 12, tzinfo=UTC))
    lessons = [s for s in first_week if "What generative AI is" in s.text]
    assert sorted(s.to for s in lessons) == ["U1", "U2", "U3", "U5"]  # dan is paused
    for sent in lessons:
        assert (local(sent).weekday(), local(sent).hour, local(sent).minute) == (1, 10, 0), sent
    by_person = {s.to: s.at for s in lessons}
    assert by_person["U3"] == datetime(2026, 11, 24, 2, tzinfo=UTC)  # Singapore
    assert by_person["U1"] == datetime(2026, 11, 24, 9, tzinfo=UTC)  # Copenhagen
    assert by_person["U2"] == datetime(2026, 11, 24, 15, tzinfo=UTC)  # New York

    await press(server, "U1", "learn.start", "foundations-01")
    await press(server, "U1", "learn.done", "foundations-01")
    assert "Stopped." in await say(server, "U5", "learn stop")  # eve stops mid-course

    rest = await run_until(server, clock, slack_api, datetime(2026, 12, 2, 12, tzinfo=UTC))
    everything = first_week + rest
    for sent in everything:
        assert allowed(sent.at, ZoneInfo(PEOPLE[sent.to][1]), DK), f"{sent} is in quiet hours"
    assert not [s for s in everything if s.to in {"U4"}]
    assert not [s for s in rest if s.to == "U5"], "a stopped person got something"
    reminders = [s for s in rest if s.text.startswith("A gentle reminder")]
    assert sorted(s.to for s in reminders) == ["U2", "U3"]  # ana finished hers; one reminder, never more
    for sent in reminders:
        assert (local(sent).weekday(), local(sent).hour) == (3, 10)  # Thursday 10:00 local
    second = [s for s in rest if s not in reminders]
    assert sorted(s.to for s in second) == ["U1", "U2", "U3"]
    for sent in second:
        assert (local(sent).date().isoformat(), local(sent).hour) == ("2026-12-01", 10), sent

    async with server.core.database.session() as session:
        ana = await store.progress(session, platform="slack", user_id="U1", lesson_id="foundations-01")
        eve = await store.enrolment(session, platform="slack", user_id="U5")
    assert ana is not None and ana.opened_at is not None and ana.done_at is not None
    assert eve is not None and eve.stopped_at is not None


async def test_a_danish_public_holiday_moves_the_lesson_in_every_time_zone(
    server: Server, clock: FrozenClock, slack_api: FakeSlackApi
) -> None:
    add_people(slack_api)
    clock.set(datetime(2027, 3, 24, 6, 0, tzinfo=UTC))  # the Wednesday before Easter
    for user_id in ("U1", "U2", "U3"):
        await enrol(server, user_id, weekday="thu")
    sent = await run_until(server, clock, slack_api, datetime(2027, 3, 31, 12, tzinfo=UTC))
    assert sorted(s.to for s in sent) == ["U1", "U2", "U3"]
    for item in sent:
        # Maundy Thursday, Good Friday, the weekend and Easter Monday are skipped: Tuesday at 10:00 local
        assert local(item).date().isoformat() == "2027-03-30" and local(item).hour == 10, item


async def test_a_lesson_from_start_to_rating_is_recorded(server: Server, clock: FrozenClock) -> None:
    await enrol(server, "U1", function="managers", track="practitioner")
    lesson = await server.core.handle_command(CommandEvent(origin("U1"), "learn next"))
    assert [b.action_id for b in lesson.message.buttons] == [
        "learn.start",
        "learn.done",
        "learn.snooze",
        "learn.easy",
        "learn.hard",
    ]
    lesson_id = lesson.message.buttons[0].value
    assert lesson_id == "practitioner-managers-01"
    body = await press(server, "U1", "learn.start", lesson_id)
    assert "Try it now" in body.message.fallback()
    quiz = await press(server, "U1", "learn.done", lesson_id)
    answers = [b for b in quiz.message.buttons if b.action_id == "learn.answer"]
    assert [b.label for b in answers][:2] == ["A", "B"]
    lesson = server.core.service(LearningService).curriculum.lesson(lesson_id, "en")
    assert lesson is not None
    wrong = next(i for i, c in enumerate(lesson.quiz.choices) if not c.correct)
    feedback = await press(server, "U1", "learn.answer", f"{lesson_id}|{wrong}")
    assert lesson.quiz.choices[wrong].feedback[:40] in feedback.message.fallback()
    assert "The best answer:" in feedback.message.fallback()
    thanks = await press(server, "U1", "learn.rate", f"{lesson_id}|4")
    assert "4 of 5" in thanks.message.fallback()
    comment = await server.core.handle_form(
        FormSubmission(origin("U1"), "learn.comment", {"comment": "<!channel> useful"}, lesson_id)
    )
    assert comment is not None and "<!channel> useful" in comment.message.fallback()
    async with server.core.database.session() as session:
        row = await store.progress(session, platform="slack", user_id="U1", lesson_id=lesson_id)
    assert row is not None
    assert (row.quiz_answer, row.quiz_correct, row.rating, row.comment) == (
        wrong,
        False,
        4,
        "<!channel> useful",
    )
    progress = await say(server, "U1", "learn progress")
    assert "Lessons done: 1 of 4" in progress and "Your average rating: 4.0 / 5" in progress


async def test_every_third_lesson_asks_about_ai_use_and_the_first_yes_is_kept(
    server: Server, clock: FrozenClock
) -> None:
    await enrol(server, "U1")
    for number in range(1, 4):
        reply = await server.core.handle_command(CommandEvent(origin("U1"), "learn next"))
        lesson_id = reply.message.buttons[0].value
        await press(server, "U1", "learn.done", lesson_id)
        rated = await press(server, "U1", "learn.rate", f"{lesson_id}|5")
        asks = [b for b in rated.message.buttons if b.action_id == "learn.aiuse"]
        assert bool(asks) == (number == 3)
        clock.advance(timedelta(days=7))
    assert "Great, noted" in (await press(server, "U1", "learn.aiuse", "3|yes")).message.fallback()
    async with server.core.database.session() as session:
        ana = await store.enrolment(session, platform="slack", user_id="U1")
    assert ana is not None and ana.first_ai_use_at == clock.now()
    assert ana.first_ai_use_at - ana.enrolled_at == timedelta(days=21)


async def test_the_report_merges_small_groups_and_hides_fewer_than_five(
    server: Server, slack_api: FakeSlackApi
) -> None:
    for n in range(6):
        await enrol(server, f"S{n}", function="sales")
    for n in range(3):
        await enrol(server, f"H{n}", function="hr")
    await press(server, "S0", "learn.done", "foundations-01")
    await press(server, "S0", "learn.rate", "foundations-01|5")
    report = await say(server, "UADMIN", "learn report")
    assert "Foundations / Sales: 6 people" in report
    assert "HR" not in report
    assert "3 people in groups smaller than 5 are not shown." in report
    assert "Training satisfaction: 5.0 of 5" in report
    assert "shown once at least 5 people have reported use" in report
    refused = await say(server, "U1", "learn report")
    assert "needs the admin role" in refused


async def test_hr_enrols_people_who_then_hear_about_it_in_their_language(
    server: Server, slack_api: FakeSlackApi
) -> None:
    reply = await say(server, "UADMIN", "learn enrol <@U1|ana> <@U2|bo> champion")
    assert "Enrolled 2 people in Champion." in reply
    await settle(server)
    texts = {c.args["channel"]: str(c.args.get("text", "")) for c in slack_api.calls_to("chat.postMessage")}
    assert "enrolled you in the weekly AI lessons (Champion)" in texts["U1"]
    assert set(
        await server.core.service(LearningService).enrolled(platform=Platform.SLACK, track="champion")
    ) == {
        "U1",
        "U2",
    }
    assert await server.core.service(LearningService).is_active(platform=Platform.SLACK, user_id="U1")
    await say(server, "U1", "learn pause 1")
    assert not await server.core.service(LearningService).is_active(platform=Platform.SLACK, user_id="U1")


async def test_bad_input_gets_a_clear_answer_and_changes_nothing(server: Server) -> None:
    assert "not taking the weekly lessons yet" in await say(server, "U1", "learn pause 2")
    assert "not taking the weekly lessons yet" in await say(server, "U1", "learn progress")
    bad_form = await enrol(server, "U1", function="astronaut")
    assert "“function” must be one of" in bad_form and "Nothing was saved" in bad_form
    assert "between 08:00 and 17:59" in await enrol(server, "U1", time="22:00")
    assert "between 08:00 and 17:59" in await enrol(server, "U1", time="soon")
    assert "“weekday” must be one of" in await enrol(server, "U1", weekday="sat")
    async with server.core.database.session() as session:
        assert await store.enrolment(session, platform="slack", user_id="U1") is None

    await enrol(server, "U1")
    cases = {
        "learn": "Usage:",
        "learn fly": "Usage:",
        "learn pause": "number of weeks to pause, from 1 to 12",
        "learn pause 0": "number of weeks to pause",
        "learn pause 99": "number of weeks to pause",
        "learn pause soon": "number of weeks to pause",
        "learn away": "first and last day away",
        "learn away 2026-13-01 2026-12-24": "first and last day away",
        "learn away 2026-12-24 2026-12-01": "comes before the first one",
        "learn away 2025-01-01 2025-01-02": "already in the past",
        "learn away 2026-12-01 2028-12-01": "at most a year",
        "learn enrol <@U2|bo>": "needs the admin role",
    }
    for text, expected in cases.items():
        answer = await say(server, "U1", text)
        assert expected in answer, (text, answer)
        assert "Traceback" not in answer
    assert "Name the people" in await say(server, "UADMIN", "learn enrol everyone")
    assert "Unknown function" in await say(server, "UADMIN", "learn enrol function:astronauts")
    async with server.core.database.session() as session:
        ana = await store.enrolment(session, platform="slack", user_id="U1")
    assert ana is not None
    assert (ana.paused_until, ana.away_from, ana.stopped_at, ana.function) == (None, None, None, "sales")

    expired = await press(server, "U1", "learn.answer", "foundations-01|9")
    assert "expired" in expired.message.fallback()
    gone = await press(server, "U1", "learn.start", "no-such-lesson")
    assert "no longer in the curriculum" in gone.message.fallback()
    too_long = await server.core.handle_form(
        FormSubmission(origin("U1"), "learn.comment", {"comment": "x" * 1001}, "foundations-01")
    )
    assert too_long is not None and "under 1000 characters" in too_long.message.fallback()


async def test_snooze_brings_the_lesson_back_tomorrow_at_the_usual_time(
    server: Server, clock: FrozenClock, slack_api: FakeSlackApi
) -> None:
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    await enrol(server, "U1")
    lesson = await server.core.handle_command(CommandEvent(origin("U1"), "learn next"))
    lesson_id = lesson.message.buttons[0].value
    snoozed = await press(server, "U1", "learn.snooze", lesson_id)
    assert "Wednesday 2026-11-25 at 10:00" in snoozed.message.fallback()
    sent = await run_until(server, clock, slack_api, datetime(2026, 11, 25, 12, tzinfo=UTC))
    back = [s for s in sent if "What generative AI is" in s.text]
    assert [s.at for s in back] == [datetime(2026, 11, 25, 9, tzinfo=UTC)]


async def test_finishing_the_foundations_starts_three_monthly_follow_ups(
    server: Server, clock: FrozenClock, slack_api: FakeSlackApi
) -> None:
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    await enrol(server, "U1", function="other")
    await server.core.people.grant(
        platform=Platform.SLACK, user_id="U1", role=Role.CHAMPION, granted_by="UADMIN"
    )
    for lesson in server.core.service(LearningService).curriculum.track("foundations", "en"):
        await press(server, "U1", "learn.done", lesson.id)
    async with server.core.database.session() as session:
        ana = await store.enrolment(session, platform="slack", user_id="U1")
    assert ana is not None and ana.foundations_completed_at == clock.now()
    job = registry.find(server.core, "learning_tick")
    assert job is not None
    followups = []
    for _month in range(5):
        clock.advance(timedelta(days=31))
        await run_job(server.core, job)
        await settle(server)
        followups = [
            c for c in slack_api.calls_to("chat.postMessage") if "Follow-up" in str(c.args.get("text"))
        ]
    assert len(followups) == 3
    tried = await press(server, "U1", "learn.followup", "1|tried")
    assert "Great to hear" in tried.message.fallback()
    again = await press(server, "U1", "learn.followup", "1|stuck")  # only the first answer counts
    assert "happens to everyone" in again.message.fallback()
    async with server.core.database.session() as session:
        answers = await store.followup_answers(session, platform="slack")
    assert answers == {"tried": 1}


async def test_people_hr_enrolled_before_they_ever_spoke_get_lessons_at_their_slack_time_zone(
    server: Server, clock: FrozenClock, slack_api: FakeSlackApi
) -> None:
    add_people(slack_api)  # cy is in Singapore according to Slack, and has never written to the bot
    clock.set(datetime(2026, 11, 23, 6, 0, tzinfo=UTC))
    assert "Enrolled 1 person" in await say(server, "UADMIN", "learn enrol <@U3|cy>")
    sent = await run_until(server, clock, slack_api, datetime(2026, 11, 24, 12, tzinfo=UTC))
    lessons = [s for s in sent if "What generative AI is" in s.text]
    assert [(s.to, s.at) for s in lessons] == [("U3", datetime(2026, 11, 24, 2, tzinfo=UTC))]
    assert len(slack_api.calls_to("users.list")) == 1  # one bulk read, not one call per nudge


async def test_away_dates_move_the_weekly_lesson_to_the_first_working_day_after(
    server: Server, clock: FrozenClock, slack_api: FakeSlackApi
) -> None:
    clock.set(datetime(2026, 11, 23, 6, 0, tzinfo=UTC))
    await enrol(server, "U1")
    assert "no lessons from 2026-11-24 to 2026-11-26" in await say(
        server, "U1", "learn away 2026-11-24 2026-11-26"
    )
    sent = await run_until(server, clock, slack_api, datetime(2026, 11, 27, 12, tzinfo=UTC))
    assert [(s.to, s.at) for s in sent] == [("U1", datetime(2026, 11, 27, 9, tzinfo=UTC))]  # Friday 10:00


async def test_too_easy_moves_on_to_harder_lessons_and_too_hard_to_gentler_ones(server: Server) -> None:
    await enrol(server, "U1")
    learning = server.core.service(LearningService)
    curriculum = learning.curriculum
    first = (
        (await server.core.handle_command(CommandEvent(origin("U1"), "learn next"))).message.buttons[0].value
    )
    assert "more advanced" in (await press(server, "U1", "learn.easy", first)).message.fallback()
    harder = await learning.next_lesson_id(platform=Platform.SLACK, user_id="U1")
    assert harder is not None
    harder_lesson = curriculum.lesson(harder, "en")
    assert harder_lesson is not None and harder_lesson.level >= 2
    assert "gentler" in (await press(server, "U1", "learn.hard", harder)).message.fallback()
    assert "gentler" in (await press(server, "U1", "learn.hard", harder)).message.fallback()
    async with server.core.database.session() as session:
        ana = await store.enrolment(session, platform="slack", user_id="U1")
    assert ana is not None and ana.level_shift == -1
    gentler = await learning.next_lesson_id(platform=Platform.SLACK, user_id="U1")
    gentler_lesson = curriculum.lesson(gentler or "", "en")
    assert gentler_lesson is not None and gentler_lesson.level <= 2
    assert "not taking the weekly lessons" not in await say(server, "U1", "learn stop")
    assert "not taking the weekly lessons yet" in await say(server, "U1", "learn next")
