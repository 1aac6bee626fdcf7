"""Knowledge-base queries; the dialect-specific full-text search (FTS5 / tsvector) lives only here."""

from __future__ import annotations

SEARCH_INDEX_PREFIX = "knowledge_fts"  # the FTS5 table, its shadow tables, triggers and the GIN index


def is_search_index(name: str | None) -> bool:
    """True for the full-text index objects the migration creates outside the models."""
    return name is not None and name.startswith(SEARCH_INDEX_PREFIX)


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic filter: the search index is not a model, so autogenerate must not try to drop it."""
    return not (reflected and compare_to is None and is_search_index(name))
