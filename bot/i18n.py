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

    def template(self, locale: str, key: str) -> str:
        messages = load_catalog(locale)
        if key in messages:
            return messages[key]
        log.warning("catalog key %s missing in %s", key, locale)
        return load_catalog(DEFAULT_LOCALE).get(key, key)

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
