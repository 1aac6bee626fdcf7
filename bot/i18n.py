"""The message catalog: every user-facing string, in English and Danish, looked up by key."""

from __future__ import annotations

import logging
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from bot.text import ChannelLink, Link, Markup, MentionUser, Span, Text, UserText

log = logging.getLogger(__name__)

LOCALES = ("en", "da")
DEFAULT_LOCALE = "en"
_DIR = Path(__file__).with_name("locales")
_FORMATTER = string.Formatter()


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
            if isinstance(value, Text):
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
        return self.template(locale, key).format(**params)
