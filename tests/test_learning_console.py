"""A person walks through the weekly lessons in `champbot console`, in English and in Danish, and a
lesson that arrives from the outbox can be answered with its numbered buttons."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from bot.app import open_core, start_worker
from bot.clock import FrozenClock
from bot.domain import Actor, Conversation, Platform
from bot.events import FormSubmission, Origin
from handlers.console.messenger import ConsoleMessenger
from handlers.console.shell import ConsoleShell
from jobs import registry
from jobs.runner import run_job
from storage import learning as store
from tests.cli import champbot
from tests.conftest import make_settings

# learn start → the form's five prompts (track, function, pace, weekday, time; Enter keeps the default)
# → learn next → [1] Start → [6] Done → [8] answer A → [15] five stars → learn progress
# (the console numbers every button of the session on from 1, as printed)
WALK = "learn start\n\nsales\n\n\n\nlearn next\n1\n6\n8\n15\nlearn progress\n"


def test_bo_walks_through_a_lesson_in_english(database_url: str) -> None:
    result = champbot("console", "--user", "bo", stdin=WALK, CHAMPBOT_DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    steps = [
        "— Weekly AI lessons —",
        "Your job function",
        "You're enrolled: Foundations for Sales, every week on Tuesday at 10:00",
        "What generative AI is — and is not",
        "(Foundations · lesson 1 of 12 · about 18 minutes)",
        "[1] Start  [2] Done  [3] Snooze 1 day  [4] Too easy  [5] Too hard",
        "The case",
        "Try it now",
        "One question to check what stuck:",
        "A. The model produced a plausible-looking number",
        "Right. Unless the tool is connected to a live source",
        "How useful was this lesson for your work?",
        "Thank you, noted: 5 of 5.",
        "Your weekly lessons",
        "Function: Sales",
        "Lessons done: 1 of 12",
        "Streak: 1 week in a row",
        "Your average rating: 5.0 / 5",
    ]
    position = 0
    for step in steps:
        found = out.find(step, position)
        assert found >= 0, f"{step!r} missing after position {position}:\n{out[position : position + 400]}"
        position = found


def test_bo_walks_through_a_lesson_in_danish(database_url: str) -> None:
    result = champbot(
        "console", "--user", "bo", "--locale", "da", stdin=WALK, CHAMPBOT_DATABASE_URL=database_url
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    steps = [
        "— Ugentlige AI-lektioner —",
        "Din jobfunktion",
        "Du er tilmeldt: Grundforløb for Salg, hver uge om tirsdagen kl. 10:00",
        "Hvad generativ AI er",
        "(Grundforløb · lektion 1 af 12 · ca. 18 minutter)",
        "[1] Start  [2] Færdig  [3] Udsæt en dag  [4] For let  [5] For svær",
        "Casen",
        "Prøv det nu",
        "Et enkelt spørgsmål om det, du lige har lært:",
        "Rigtigt.",
        "Hvor brugbar var lektionen i dit arbejde?",
        "Tak, noteret: 5 ud af 5.",
        "Dine ugentlige lektioner",
        "Gennemførte lektioner: 1 af 12",
        "Uger i træk: 1",
    ]
    position = 0
    for step in steps:
        found = out.find(step, position)
        assert found >= 0, f"{step!r} missing after position {position}:\n{out[position : position + 400]}"
        position = found
    assert "Right." not in out and "Lessons done" not in out


def test_a_bad_enrolment_answer_in_the_console_is_explained_and_nothing_is_saved(database_url: str) -> None:
    result = champbot(
        "console",
        "--user",
        "bo",
        stdin="learn start\n\nastronaut\n\n\n\nlearn progress\n",
        CHAMPBOT_DATABASE_URL=database_url,
    )
    assert (
        "“function” must be one of: sales, finance, hr, customer-service, operations, managers, other."
        in (result.stdout)
    )
    assert "Nothing was saved." in result.stdout
    assert "You are not taking the weekly lessons yet." in result.stdout


async def test_a_weekly_lesson_from_the_outbox_can_be_started_with_its_number(database_url: str) -> None:
    clock = FrozenClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # Tuesday 10:00 in Copenhagen
    settings = make_settings(database_url)
    actor = Actor(Platform.CONSOLE, "bo", "bo", "en", "Europe/Copenhagen")
    origin = Origin(actor, Conversation(Platform.CONSOLE, "dm-bo", is_direct=True))
    out = io.StringIO()
    async with open_core(settings, clock=clock) as core:
        messenger = ConsoleMessenger(out, user="bo")
        core.messengers.register(messenger)
        clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
        await core.handle_form(FormSubmission(origin, "learn.enrol", {"function": "hr"}))
        clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
        job = registry.find(core, "learning_tick")
        assert job is not None
        assert (await run_job(core, job)).summary.startswith("1 lessons")
        worker = start_worker(core, settings, limits={})
        try:
            while await worker.run_once():
                pass
        finally:
            await worker.stop()
        assert "[DM to @bo] What generative AI is" in out.getvalue()
        shell = ConsoleShell(core, messenger, actor, out, io.StringIO("1\n"))
        await shell.run()
        assert "The case" in out.getvalue().split("[DM to @bo]", 1)[1]
        async with core.database.session() as session:
            row = await store.progress(session, platform="console", user_id="bo", lesson_id="foundations-01")
        assert row is not None and row.opened_at == clock.now()
