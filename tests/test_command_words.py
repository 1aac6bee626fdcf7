"""Command words in every language come from the catalogs' `[words]` tables, not from Python:
a Danish admin types `setup ledelse`, `grant ambassadør`, `qa moderation til`, `nudge vis`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import FrozenClock
from bot.i18n import LOCALES, WORDS_PREFIX, command_word, load_catalog
from tests.question_hours_support import Office, open_office


@pytest.fixture
async def office(database_url: str, clock: FrozenClock) -> AsyncIterator[Office]:
    async with open_office(database_url, clock) as place:
        yield place


def test_every_language_names_the_same_command_words_and_no_spelling_means_two() -> None:
    words = {locale: {k for k in load_catalog(locale) if k.startswith(WORDS_PREFIX)} for locale in LOCALES}
    assert words["en"] and all(found == words["en"] for found in words.values())
    meaning: dict[str, str] = {}
    for locale in LOCALES:
        for key in sorted(words[locale]):
            spellings = load_catalog(locale)[key].split()
            assert spellings, f"{locale}:{key} has no words"
            for spelling in spellings:
                assert meaning.setdefault(spelling.casefold(), key) == key, f"{spelling!r} means two things"


def test_a_typed_word_means_the_choice_it_spells_in_any_language() -> None:
    assert command_word("planlæg", "schedule", "list", "cancel") == "schedule"
    assert command_word("VIS", "schedule", "list") == "list"
    assert command_word("list", "schedule", "list") == "list"
    assert command_word("til", "on", "off") == "on"
    assert command_word("til", "schedule", "list") is None  # only the choices the caller names
    assert command_word("someday", "on", "off") is None
    assert command_word("Quarterly", "quarterly") == "quarterly"  # not in the catalogs yet: itself


async def test_a_danish_admin_uses_danish_command_words_throughout(office: Office) -> None:
    assert "Pre-moderation is on" in await office.say("bo", "qa moderation til")
    assert "Pre-moderation is off" in await office.say("bo", "qa moderation FRA")
    assert "is now the channel for leadership" in await office.say("ana", "setup ledelse <#lead|lead>")
    assert "dan is now AI champion" in await office.say("ana", "grant ambassadør <@dan|dan>")
    assert "No campaigns yet" in await office.say("ana", "nudge vis")
    scheduled = await office.say("ana", "nudge planlæg alle hver tirsdag 10.00 lokal Husk kaffen")
    assert "Campaign #1 scheduled: every Tuesday at 10:00 in each person's own time zone" in scheduled
    assert "Campaign #1 cancelled" in await office.say("ana", "nudge annuller 1")
    # not a word of qa moderation: its usage line
    assert "Usage: qa moderation <on|off>" in await office.say("bo", "qa moderation måske")
