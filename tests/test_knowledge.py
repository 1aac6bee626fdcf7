"""The knowledge base on the real core: answered questions and curated entries are found again by
paraphrases (English and Danish), `kb` commands answer bad input clearly and change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlmodel import select

from bot.app import open_core
from bot.clock import FrozenClock
from bot.core import Core
from bot.domain import Actor, Conversation, Platform, Role
from bot.events import CommandEvent, Origin
from bot.services.knowledge import KnowledgeService
from storage import knowledge
from storage.models import KnowledgeEntry, KnowledgeTerm
from tests.cli import champbot
from tests.conftest import make_settings

JOB = "Will AI take my job?"
JOB_ANSWER = "AI changes tasks faster than it replaces whole jobs; learn how it fits your own work."
PASTE = "Can I paste customer data into the chatbot?"
PASTE_ANSWER = "No: customer data stays in approved systems. Use the approved assistant and anonymise first."
DANISH = "Må jeg bruge AI til at skrive mails til kunder?"
DANISH_ANSWER = "Ja, med den godkendte assistent, men læs altid teksten igennem, før du sender den."


@dataclass
class Desk:
    core: Core

    @property
    def kb(self) -> KnowledgeService:
        return self.core.service(KnowledgeService)

    async def say(self, user: str, text: str) -> str:
        origin = Origin(
            actor=Actor(Platform.CONSOLE, user, user),
            conversation=Conversation(Platform.CONSOLE, f"console:{user}", is_direct=True),
        )
        reply = await self.core.handle_command(CommandEvent(origin, text))
        return reply.message.fallback()

    async def entries(self) -> list[KnowledgeEntry]:
        async with self.core.database.session() as session:
            return list((await session.exec(select(KnowledgeEntry).order_by(KnowledgeEntry.id))).all())

    async def terms(self) -> dict[str, int]:
        async with self.core.database.session() as session:
            return {row.term: row.entries for row in (await session.exec(select(KnowledgeTerm))).all()}


@pytest.fixture
async def desk(database_url: str, clock: FrozenClock) -> AsyncIterator[Desk]:
    """ana is admin (configuration), bo a champion, cleo an employee."""
    roles = {(Platform.CONSOLE, "bo"): frozenset({Role.CHAMPION})}
    async with open_core(make_settings(database_url), clock=clock, extra_roles=roles) as core:
        yield Desk(core)


async def test_an_answered_question_is_found_again_by_a_paraphrase_with_its_q_number(desk: Desk) -> None:
    await desk.kb.remember_answer(
        question_id=7, question_number=17, question=JOB, answer=JOB_ANSWER, locale="en"
    )
    await desk.kb.remember_answer(
        question_id=8, question_number=18, question=PASTE, answer=PASTE_ANSWER, locale="en"
    )

    found = await desk.kb.search("is the new AI going to take away jobs like mine?")

    assert [m.question_number for m in found][:1] == [17]
    assert found[0].answer == JOB_ANSWER and 0 < found[0].score <= 1
    assert all(0 <= m.score <= 1 for m in found)
    pasting = await desk.kb.search("pasting our customers' data into a chatbot, is that ok?")
    assert pasting and pasting[0].question_number == 18


async def test_a_later_answer_replaces_the_entry_and_a_reopened_question_leaves(desk: Desk) -> None:
    await desk.kb.remember_answer(
        question_id=7, question_number=17, question=JOB, answer="First.", locale="en"
    )
    await desk.kb.remember_answer(
        question_id=7, question_number=17, question=JOB, answer=JOB_ANSWER, locale="en"
    )

    entries = await desk.entries()
    assert [(e.source, e.question_id, e.question_number, e.answer) for e in entries] == [
        ("question", 7, 17, JOB_ANSWER)
    ]
    assert (await desk.kb.search(JOB))[0].answer == JOB_ANSWER

    await desk.kb.forget_question(7)
    await desk.kb.forget_question(7)  # twice is harmless

    assert await desk.entries() == []
    assert await desk.kb.search(JOB, min_score=0.0) == []
    assert {term: n for term, n in (await desk.terms()).items() if n} == {}  # the counts went back to zero


async def test_danish_inflections_meet_through_the_stemmer(desk: Desk) -> None:
    await desk.say("bo", f"kb add {DANISH} | {DANISH_ANSWER}")

    found = await desk.kb.search("kan man skrive en mail til en kunde med AI-assistenten")

    assert found and found[0].question == DANISH and found[0].question_number is None


async def test_an_unrelated_question_finds_nothing_above_the_threshold(desk: Desk) -> None:
    await desk.kb.remember_answer(
        question_id=7, question_number=17, question=JOB, answer=JOB_ANSWER, locale="en"
    )
    await desk.kb.remember_answer(
        question_id=8, question_number=18, question=PASTE, answer=PASTE_ANSWER, locale="en"
    )

    assert await desk.kb.search("Where is the canteen menu for Friday?") == []
    assert await desk.kb.search("") == []
    assert await desk.kb.search("?!  …") == []


@pytest.mark.parametrize(
    "words",
    ['"AI" OR NOT (job) NEAR/3 take*', "job: -take ^AI", "'; DROP TABLE knowledge_entry; --", "a AND b || c"],
)
async def test_search_syntax_in_a_question_is_just_words(desk: Desk, words: str) -> None:
    await desk.kb.remember_answer(
        question_id=7, question_number=17, question=JOB, answer=JOB_ANSWER, locale="en"
    )

    found = await desk.kb.search(words, min_score=0.0)

    assert all(match.question_number == 17 for match in found)
    assert len(await desk.entries()) == 1


async def test_kb_add_search_list_and_remove(desk: Desk) -> None:
    added = await desk.say("bo", f"kb add {PASTE} | {PASTE_ANSWER}")
    assert "Added to the knowledge base as entry #1." in added
    await desk.kb.remember_answer(
        question_id=7, question_number=17, question=JOB, answer=JOB_ANSWER, locale="en"
    )

    search = await desk.say("cleo", "kb search will AI take my job")
    assert "#2 · Q-17: Will AI take my job?" in search
    assert JOB_ANSWER in search

    listing = await desk.say("cleo", "kb list")
    assert "2 entries (page 1 of 1, newest first)" in listing
    assert listing.index("#2 · Q-17") < listing.index(f"#1: {PASTE}")

    removed = await desk.say("ana", "kb remove 1")
    assert f"Entry #1 ({PASTE}) is removed" in removed
    assert [e.id for e in await desk.entries()] == [2]


async def test_kb_search_that_finds_nothing_says_so(desk: Desk) -> None:
    reply = await desk.say("cleo", "kb search parking at the office")
    assert "Nothing in the knowledge base matches “parking at the office” yet." in reply


async def test_kb_in_danish(database_url: str, clock: FrozenClock) -> None:
    async with open_core(make_settings(database_url, locale="da"), clock=clock) as core:
        reply = await Desk(core).say("ana", f"kb add {DANISH} | {DANISH_ANSWER}")
    assert "Tilføjet til vidensbasen som nummer #1." in reply


BAD_INPUT = [
    ("bo", "kb add Can I use AI for e-mails? Yes, with the approved one.", "Put a | between the question"),
    ("bo", "kb add  | only an answer", "Both the question and the answer need some words"),
    ("bo", "kb add only a question |   ", "Both the question and the answer need some words"),
    ("bo", "kb add " + "why " * 200 + "| because", "Please keep the question under 500 characters"),
    ("bo", "kb add why? | " + "because " * 500, "and the answer under 3000"),
    ("cleo", f"kb add {JOB} | {JOB_ANSWER}", "kb add needs the AI champion role."),
    ("bo", "kb remove 1", "kb remove needs the admin role."),
    ("ana", "kb remove 99", "There is no knowledge-base entry #99."),
    ("ana", "kb remove 99999999999999999999", "There is no knowledge-base entry #99999999999999999999."),
    ("ana", "kb remove twelve", "Give the number of the entry to remove"),
    ("ana", "kb remove", "Give the number of the entry to remove"),
    ("cleo", "kb search", "What should I look for?"),
    ("cleo", "kb search " + "word " * 120, "Please search with fewer words"),
    ("cleo", "kb list zero", "Usage:"),
    ("cleo", "kb list 0", "Usage:"),
    ("cleo", "kb list 5", "There is no such page; the knowledge base has 1 entry."),
    ("cleo", "kb", "Usage:"),
    ("cleo", "kb frobnicate", "Usage:"),
]


@pytest.mark.parametrize(("user", "text", "expected"), BAD_INPUT)
async def test_bad_kb_input_gets_a_clear_answer_and_changes_nothing(
    desk: Desk, user: str, text: str, expected: str
) -> None:
    await desk.kb.remember_answer(
        question_id=7, question_number=17, question=JOB, answer=JOB_ANSWER, locale="en"
    )
    before = [(e.id, e.question, e.answer) for e in await desk.entries()], await desk.terms()

    reply = await desk.say(user, text)

    assert expected in reply
    assert "Traceback" not in reply and "went wrong" not in reply
    assert ([(e.id, e.question, e.answer) for e in await desk.entries()], await desk.terms()) == before


def test_kb_from_the_console(database_url: str) -> None:
    session = champbot(
        "console",
        "--user",
        "bo",
        "--champion",
        stdin=f"kb add {PASTE} | {PASTE_ANSWER}\nkb search customer data in the chatbot\nkb add nothing\n",
        CHAMPBOT_DATABASE_URL=database_url,
    )
    assert session.returncode == 0, session.stderr
    assert "Added to the knowledge base as entry #1." in session.stdout
    assert f"#1: {PASTE}" in session.stdout
    assert "Put a | between the question and the answer" in session.stdout
    assert "Traceback" not in session.stdout + session.stderr


async def test_storage_counts_entries_without_scanning_them(desk: Desk) -> None:
    await desk.say("bo", f"kb add {PASTE} | {PASTE_ANSWER}")
    await desk.kb.remember_answer(
        question_id=7, question_number=17, question=JOB, answer=JOB_ANSWER, locale="en"
    )
    async with desk.core.database.session() as session:
        assert await knowledge.count(session) == 2
    terms = await desk.terms()
    assert terms["job"] == 1 and terms["data"] == 1
    assert terms["approv"] == 1  # "approved" is twice in one answer: counted once per entry


async def test_two_answers_remembered_at_once_make_one_entry(desk: Desk) -> None:
    await asyncio.gather(
        *(
            desk.kb.remember_answer(
                question_id=7, question_number=17, question=JOB, answer=answer, locale="en"
            )
            for answer in ("First answer.", JOB_ANSWER)
        )
    )

    [entry] = await desk.entries()
    assert entry.answer in {"First answer.", JOB_ANSWER}
    assert (await desk.terms())["*"] == 1
