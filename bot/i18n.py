"""The message catalog: every user-facing string, in English and Danish, looked up by key.

A count shown to people names its plural phrase in the template's format spec:
`"{people:plural.people}"` renders `plural.people.one` ("{count} person") or `.other`
("{count} people"), chosen by the language's CLDR plural rule (Babel) for that number; the
phrase sees the message's other parameters too, so a whole sentence can agree with the count.
"""

from __future__ import annotations

import logging
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale

from bot.text import ChannelLink, Link, Markup, MentionUser, Span, Text, UserText

log = logging.getLogger(__name__)

LOCALES = ("en", "da")
DEFAULT_LOCALE = "en"
_DIR = Path(__file__).with_name("locales")
_FORMATTER = string.Formatter()
PLURAL_PREFIX = "plural."  # a format spec starting with this names a table of plural forms
WORDS_PREFIX = "words."  # the words people type for a command word, per language


def resolve_locale(candidate: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Map a platform locale such as 'da-DK' or 'en_US' onto a catalog we have."""
    if candidate:
        language = candidate.replace("_", "-").split("-")[0].lower()
        if language in LOCALES:
            return language
        if language in {"nb", "nn", "no"}:  # Norwegian readers manage Danish better than English
            return "da"
    return default if default in LOCALES else DEFAULT_LOCALE


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


@cache
def load_catalog(locale: str) -> dict[str, str]:
    with (_DIR / f"{locale}.toml").open("rb") as handle:
        return _flatten(tomllib.load(handle))


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in _FORMATTER.parse(template) if field}


@cache
def _spellings(word: str) -> frozenset[str]:
    """Every way `word` is typed in any of our languages, from the catalogs' `[words]` tables;
    a word with no entry there (most subcommand names) is understood as itself."""
    spellings = {word.casefold()}
    for locale in LOCALES:
        spellings.update(
            spelling.casefold() for spelling in load_catalog(locale).get(WORDS_PREFIX + word, "").split()
        )
    return frozenset(spellings)


def command_word(typed: str, *choices: str) -> str | None:
    """Which of `choices` a typed word means, in any language we have: `command_word("planlæg",
    "schedule", "list")` → `"schedule"`. People mix languages, so every language's words count;
    the caller names the choices, so one spelling may mean different things in different places."""
    folded = typed.strip().casefold()
    return next((choice for choice in choices if folded in _spellings(choice)), None)


@cache
def _plural_rule(locale: str) -> Any:
    return Locale.parse(locale).plural_form


def plural_form(locale: str, count: float) -> str:
    """The CLDR plural category of `count` in `locale`: `one`, `other` (and, for languages that
    have them, `zero`, `two`, `few`, `many`)."""
    return str(_plural_rule(locale)(abs(count)))


class Catalog:
    """Turns keys into Text; parameters are user text unless the caller passes Text or spans."""

    def __init__(self) -> None:
        self._added: dict[str, dict[str, str]] = {locale: {} for locale in LOCALES}

    def add(self, locale: str, messages: Mapping[str, str]) -> None:
        """Texts a feature brings with it (see `Feature.messages`); never replaces a shipped key."""
        if locale not in self._added:
            raise ValueError(f"no catalog for locale {locale!r}")
        clash = sorted(key for key in messages if key in load_catalog(locale) or key in self._added[locale])
        if clash:
            raise ValueError(f"catalog keys defined twice: {', '.join(clash)}")
        self._added[locale].update(messages)

    def _lookup(self, locale: str, key: str) -> str | None:
        messages = load_catalog(locale)
        return messages[key] if key in messages else self._added[locale].get(key)

    def template(self, locale: str, key: str) -> str:
        found = self._lookup(locale, key)
        if found is not None:
            return found
        log.warning("catalog key %s missing in %s", key, locale)
        return self._lookup(DEFAULT_LOCALE, key) or key

    def text(self, locale: str, key: str, **params: object) -> Text:
        spans: list[Span] = []
        for literal, field, spec, _ in _FORMATTER.parse(self.template(locale, key)):
            if literal:
                spans.append(Markup(literal))
            if field is None:
                continue
            value = params[field]
            if spec and spec.startswith(PLURAL_PREFIX):
                spans.extend(
                    self.text(
                        locale, self._plural_key(locale, spec, value), **{**params, "count": value}
                    ).spans
                )
            elif isinstance(value, Text):
                spans.extend(value.spans)
            elif isinstance(value, Markup | UserText | MentionUser | ChannelLink | Link):
                spans.append(value)
            elif isinstance(value, str):
                spans.append(UserText(value))
            else:
                spans.append(Markup(format(value, spec or "")))
        return Text(tuple(spans))

    def string(self, locale: str, key: str, **params: object) -> str:
        """A plain string for labels and titles; parameters here are trusted values only."""
        out = []
        for literal, field, spec, conversion in _FORMATTER.parse(self.template(locale, key)):
            out.append(literal)
            if field is None:
                continue
            value = params[field]
            if spec and spec.startswith(PLURAL_PREFIX):
                out.append(
                    self.string(locale, self._plural_key(locale, spec, value), **{**params, "count": value})
                )
            else:
                out.append(_FORMATTER.format_field(_FORMATTER.convert_field(value, conversion), spec or ""))
        return "".join(out)

    def _plural_key(self, locale: str, table: str, count: object) -> str:
        if not isinstance(count, int | float):
            raise TypeError(f"{table} needs a number, not {count!r}")
        form = f"{table}.{plural_form(locale, count)}"
        return form if form in load_catalog(locale) else f"{table}.other"
