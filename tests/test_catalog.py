"""The message catalog: English and Danish complete, placeholders and markup consistent."""

from __future__ import annotations

import pytest

from bot.i18n import LOCALES, Catalog, load_catalog, placeholders, resolve_locale
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
        and len(english[key]) > 25
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
