"""An anonymous question can never ping anyone, and obvious personal data never reaches the channel."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.errors import InputError
from bot.questions.sanitize import Cleaned, clean_question

# What Slack or Teams would turn into a notification, however it got into the text.
PING = re.compile(r"<[!@#]|</?at\b|@(?:channel|here|everyone)\b", re.IGNORECASE)

TOKENS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!here|here>",
    "<@U024BE7LH>",
    "<@U024BE7LH|bob>",
    "<@W12345>",
    "<@29:1bo|Bo>",
    "<#C024BE7LR>",
    "<#C024BE7LR|general>",
    "<!subteam^SAZ94GDB8>",
    "<!subteam^SAZ94GDB8|@design>",
    "<at>Bob</at>",
    '<at id="0">Anna Jensen</at>',
    "<AT>x</AT>",
    "@channel",
    "@here",
    "@everyone",
    "@Channel",
    "<",
    ">",
    "!",
    "@",
    "#",
    "at",
    "/",
    "|",
    "^",
    " ",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)), min_size=1, max_size=40))
@example(["<", "<!here>", "!here>"])
@example(["<!", "<!here>", "here>"])
@example(["team", "@here", ".dk"])
@example(["<", "a@b.dk", "!"])
@example(["<at", "<at>x</at>", ">"])
def test_no_output_ever_contains_a_ping(parts: list[str]) -> None:
    raw = "".join(parts)
    try:
        cleaned = clean_question(raw)
    except InputError:
        return
    assert not PING.search(cleaned.text), (raw, cleaned.text)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_any_text_is_either_cleaned_or_rejected_with_a_catalog_key(raw: str) -> None:
    try:
        cleaned = clean_question(raw)
    except InputError as error:
        assert error.key in {"ask.empty", "ask.too_long"}
        return
    assert cleaned.text == cleaned.text.strip()
    assert cleaned.text
    assert set(cleaned.masked) <= {"email", "phone", "cpr"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<!channel> can we use ChatGPT?", "＠channel can we use ChatGPT?"),
        ("Ask <@U024BE7LH|bob> about it", "Ask ＠bob about it"),
        ("Ask <@U024BE7LH> about it", "Ask ＠U024BE7LH about it"),
        ("Should <@29:1bo|Bo> see this?", "Should ＠Bo see this?"),  # a Teams mention, as the edge passes it
        ("See <#C024BE7LR|general>", "See #general"),
        ("Hey <!subteam^SAZ94GDB8|@design>!", "Hey ＠design!"),
        ("Hej <at>Anna Jensen</at>, må jeg?", "Hej ＠Anna Jensen, må jeg?"),
        ("@here is this allowed?", "＠here is this allowed?"),
        ("See <https://example.com|the policy>", "See the policy"),
        ("2 < 3 and 5 > 4", "2 < 3 and 5 > 4"),
    ],
)
def test_mentions_and_broadcasts_read_as_harmless_text(raw: str, expected: str) -> None:
    assert clean_question(raw) == Cleaned(text=expected, masked=())


@pytest.mark.parametrize(
    ("raw", "expected", "kinds"),
    [
        (
            "Can I paste anna.jensen@firma.dk into ChatGPT?",
            "Can I paste [e-mail removed] into ChatGPT?",
            ("email",),
        ),
        (
            "Må jeg dele kundens CPR 010190-1234 med Copilot?",
            "Må jeg dele kundens CPR [CPR removed] med Copilot?",
            ("cpr",),
        ),
        ("CPR uden bindestreg: 3112851234.", "CPR uden bindestreg: [CPR removed].", ("cpr",)),
        ("Ring til mig på 23 45 67 89", "Ring til mig på [phone removed]", ("phone",)),
        ("Ring på 23456789 eller 2345 6789", "Ring på [phone removed] eller [phone removed]", ("phone",)),
        ("Call +45 23 45 67 89 today", "Call [phone removed] today", ("phone",)),
        ("Call +44 20 7946 0958", "Call [phone removed]", ("phone",)),
        ("Call +1 (555) 123-4567 or 0045 23456789", "Call [phone removed] or [phone removed]", ("phone",)),
        (
            "Mail a@b.dk or call 23456789, CPR 0101901234",
            "Mail [e-mail removed] or call [phone removed], CPR [CPR removed]",
            ("email", "phone", "cpr"),
        ),
        ("team@here.dk says hi", "[e-mail removed] says hi", ("email",)),
    ],
)
def test_personal_data_is_masked_and_reported(raw: str, expected: str, kinds: tuple[str, ...]) -> None:
    assert clean_question(raw) == Cleaned(text=expected, masked=kinds)


@pytest.mark.parametrize(
    "raw",
    [
        "In 2024 we asked 5 questions about AI",
        "Vi har 1.000.000 kr. i budget for 2025-2026",
        "Between 2024 2025 our usage doubled",
        "The report from 20240131 says 45 % use AI",
        "Order 12.345.678 was shipped",
        "Version 3.11.7 and ticket 4242",
        "Vi var 12 personer på kurset den 3112 i fjor",
        "A 10-digit invoice number 9999999999 is not a CPR",
        "Prices went from 1 500 to 2 000 kr.",
        "Reference 1234567 is seven digits",
    ],
)
def test_ordinary_numbers_are_left_alone(raw: str) -> None:
    assert clean_question(raw) == Cleaned(text=raw, masked=())


def test_an_invalid_date_is_not_a_cpr_number() -> None:
    # 32nd day, 13th month: not a CPR number (may still be treated as something else, not CPR)
    assert "cpr" not in clean_question("Kode 3213901234 virker ikke").masked
    assert "cpr" not in clean_question("Kode 0113901234 virker ikke").masked  # month 13


@pytest.mark.parametrize("raw", ["", "   ", "\n\t \r\n", "\x00\x01"])
def test_an_empty_question_is_refused(raw: str) -> None:
    with pytest.raises(InputError) as error:
        clean_question(raw)
    assert error.value.key == "ask.empty"


def test_the_length_limit_counts_after_trimming() -> None:
    assert clean_question("  " + "x" * 2000 + "  ").text == "x" * 2000
    with pytest.raises(InputError) as error:
        clean_question("x" * 2001)
    assert error.value.key == "ask.too_long"
    with pytest.raises(InputError):
        clean_question("x" * 11, max_length=10)
    assert clean_question("ø").text == "ø"


def test_control_and_direction_override_characters_are_dropped() -> None:
    assert clean_question("a\u202eb\x07c\r\nd").text == "abc\nd"


def test_long_hostile_input_is_handled_quickly() -> None:
    # Patterns are bounded; a regex with nested quantifiers would take seconds here.
    hostile = ("+45 " + "1" * 40 + " ") * 40 + "a" * 200 + "@" * 200
    cleaned = clean_question(hostile[:2000])
    assert not PING.search(cleaned.text)


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(min_value=date(1920, 1, 1), max_value=date(2019, 12, 31)),
    serial=st.integers(0, 9999),
    dash=st.booleans(),
)
def test_every_plausible_cpr_number_is_masked(day: date, serial: int, dash: bool) -> None:
    cpr = f"{day:%d%m%y}{'-' if dash else ''}{serial:04d}"
    cleaned = clean_question(f"Mit CPR-nummer er {cpr}, må jeg dele det?")
    assert cpr not in cleaned.text and "cpr" in cleaned.masked


@settings(max_examples=300, deadline=None)
@given(year=st.integers(1900, 2099), count=st.integers(0, 99999))
def test_years_and_counts_are_never_masked(year: int, count: int) -> None:
    raw = f"In {year} we answered {count} questions, {year}-{year + 1}."
    assert clean_question(raw) == Cleaned(text=raw, masked=())


@settings(max_examples=200, deadline=None)
@given(number=st.from_regex(r"[2-9][0-9]{7}", fullmatch=True), spaced=st.booleans())
def test_danish_phone_numbers_are_masked_unless_they_read_as_a_date(number: str, spaced: bool) -> None:
    shown = " ".join(number[i : i + 2] for i in range(0, 8, 2)) if spaced else number
    cleaned = clean_question(f"Ring til {shown} i morgen")
    looks_like_date = 1900 <= int(number[:4]) <= 2099
    if not looks_like_date:
        assert shown not in cleaned.text and cleaned.masked == ("phone",)
