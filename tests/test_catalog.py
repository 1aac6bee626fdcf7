"""The message catalog: English and Danish complete, placeholders and markup consistent."""

from __future__ import annotations

import re
import string

import pytest

from bot.i18n import LOCALES, PLURAL_PREFIX, Catalog, load_catalog, placeholders, plural_form, resolve_locale
from bot.text import Markup, MentionUser, UserText


def test_every_key_exists_in_every_language() -> None:
    keys = {locale: set(load_catalog(locale)) for locale in LOCALES}
    english = keys["en"]
    for locale, found in keys.items():
        assert found == english, (
            f"{locale}: missing {sorted(english - found)}, extra {sorted(found - english)}"
        )


def test_translations_use_the_same_placeholders() -> None:
    english = load_catalog("en")
    for locale in LOCALES:
        for key, template in load_catalog(locale).items():
            assert placeholders(template) == placeholders(english[key]), f"{locale}:{key}"


@pytest.mark.parametrize("locale", LOCALES)
def test_bold_markers_are_balanced(locale: str) -> None:
    for key, template in load_catalog(locale).items():
        assert template.count("**") % 2 == 0, f"{locale}:{key}"
        assert template.count("`") % 2 == 0, f"{locale}:{key}"


def test_no_danish_template_is_left_in_english() -> None:
    english, danish = load_catalog("en"), load_catalog("da")
    same = [
        key
        for key in english
        if english[key] == danish[key]
        and len(re.sub(r"\{[^}]*\}", "", english[key])) > 25  # words to translate, not placeholders
        and not key.endswith(".usage")  # syntax is shared
    ]
    assert same == []


def test_parameters_are_user_text_unless_marked_as_ours() -> None:
    text = Catalog().text("en", "grant.done", person=MentionUser("U2", "bo"), role="<!channel>")
    assert MentionUser("U2", "bo") in text.spans
    assert UserText("<!channel>") in text.spans
    assert all(not (isinstance(s, Markup) and "<!channel>" in s.text) for s in text.spans)


@pytest.mark.parametrize(
    "candidate, default, expected",
    [
        ("da-DK", "en", "da"),
        ("da", "en", "da"),
        ("en_US", "da", "en"),
        ("de-DE", "da", "da"),
        (None, "en", "en"),
        ("nb-NO", "en", "da"),
        ("", "xx", "en"),
    ],
)
def test_a_platform_locale_maps_onto_a_catalog(candidate: str | None, default: str, expected: str) -> None:
    assert resolve_locale(candidate, default) == expected


# "week(s)", "uge(r)", "besked(er)": a count pretending not to know its own number.
_HEDGED_PLURAL = re.compile(r"[^\W\d_]\((?:s|es|e|r|er|ne)\)")
# A bare number placeholder right before a counted noun: "{count} people" instead of a plural form.
_BARE_COUNT = re.compile(
    r"\{[a-z_]+\} (?:[a-z“”?]+ )?(?:people|persons?|questions?|weeks?|days?|hours?|minutes?|entries|entry|"
    r"messages?|answers?|taps?|lessons?|characters?|personer|uger|dage|timer|minutter|beskeder|lektioner|tegn)\b"
)


def _specs(template: str) -> list[tuple[str, str]]:
    return [(field, spec) for _, field, spec, _ in string.Formatter().parse(template) if field and spec]


@pytest.mark.parametrize("locale", LOCALES)
def test_no_template_hedges_a_plural_with_brackets(locale: str) -> None:
    hedged = {key: text for key, text in load_catalog(locale).items() if _HEDGED_PLURAL.search(text)}
    assert hedged == {}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_count_shown_to_people_goes_through_a_plural_form(locale: str) -> None:
    messages = load_catalog(locale).items()
    bare = {
        key: text for key, text in messages if not key.startswith(PLURAL_PREFIX) and _BARE_COUNT.search(text)
    }
    assert bare == {}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_plural_a_template_names_exists_with_a_form_for_each_number(locale: str) -> None:
    messages = load_catalog(locale)
    for key, template in messages.items():
        for field, spec in _specs(template):
            assert spec.startswith(PLURAL_PREFIX), f"{locale}:{key}: unknown format spec {spec!r}"
            for number in (0, 1, 2, 5, 21, 1.5):
                form = f"{spec}.{plural_form(locale, number)}"
                assert form in messages, f"{locale}:{key}: {field}={number} needs {form}"
    for key, template in messages.items():
        if key.startswith(PLURAL_PREFIX):
            assert "count" in placeholders(template), f"{locale}:{key} does not show the number"


@pytest.mark.parametrize(
    ("locale", "count", "expected"),
    [
        ("en", 1, "Enrolled 1 person in"),
        ("en", 2, "Enrolled 2 people in"),
        ("en", 0, "Enrolled 0 people in"),
        ("da", 1, "1 person er tilmeldt"),
        ("da", 2, "2 personer er tilmeldt"),
    ],
)
def test_a_count_picks_the_form_of_its_number(locale: str, count: int, expected: str) -> None:
    text = Catalog().text(locale, "learn.enrol.done", count=count, track="Champion").plain()
    assert text.startswith(expected)


def test_a_plural_phrase_may_agree_a_whole_sentence_and_works_in_plain_strings_too() -> None:
    catalog = Catalog()
    one = catalog.text("en", "learn.report.hidden", people=1, minimum=5).plain()
    assert one == "1 person in a group smaller than 5 is not shown."
    assert catalog.string("da", "learn.pause.done", weeks=1, until="2026-12-24").startswith(
        "Sat på pause i 1 uge."
    )
    assert catalog.string("da", "learn.pause.done", weeks=3, until="2026-12-24").startswith(
        "Sat på pause i 3 uger."
    )
