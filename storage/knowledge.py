"""Knowledge-base queries; the dialect-specific full-text search (FTS5 / tsvector) lives only here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import KnowledgeEntry, KnowledgeTerm
from storage.search_terms import distinct_terms, index_query, index_terms, query_groups, score
from storage.upsert import insert_if_absent

SEARCH_INDEX_PREFIX = "knowledge_fts"  # FTS5 table, shadow tables, triggers; PostgreSQL column and index
CANDIDATES = 30  # how many of the engine's best are scored
ENTRY_COUNT = "*"  # the knowledge_term row that counts the entries themselves (no stem contains "*")
DEFAULT_MIN_SCORE = 0.45  # below this a match is not offered as "Asked before:" (benchmarks/kb_search.py)


def is_search_index(name: str | None) -> bool:
    """True for the full-text index objects the migration creates outside the models."""
    return name is not None and name.startswith(SEARCH_INDEX_PREFIX)


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic filter: the search index is not a model, so autogenerate must not try to drop it."""
    return not (reflected and compare_to is None and is_search_index(name))


@dataclass(frozen=True)
class Found:
    entry: KnowledgeEntry
    score: float  # 0..1, `storage.search_terms.score`


# --- writing ------------------------------------------------------------------------------------


def _values(*, question: str, answer: str, locale: str, now: datetime) -> dict[str, Any]:
    return {
        "question": question,
        "answer": answer,
        "locale": locale,
        "question_terms": index_terms(question),
        "answer_terms": index_terms(answer),
        "updated_at": now,
    }


async def add_curated(
    session: AsyncSession, *, question: str, answer: str, locale: str, now: datetime
) -> int:
    """A curated entry (`kb add`); returns its id."""
    values = _values(question=question, answer=answer, locale=locale, now=now)
    entry = KnowledgeEntry(source="curated", created_at=now, **values)
    session.add(entry)
    await session.flush()
    await _count_terms(session, _added(entry.question_terms, entry.answer_terms))
    assert entry.id is not None
    return entry.id


async def add_many(session: AsyncSession, rows: Sequence[tuple[str, str, str]], *, now: datetime) -> None:
    """Bulk-load curated (question, answer, locale) rows, e.g. for the benchmark."""
    if not rows:
        return
    values = [
        {"source": "curated", "created_at": now, **_values(question=q, answer=a, locale=loc, now=now)}
        for q, a, loc in rows
    ]
    await (await session.connection()).execute(insert(KnowledgeEntry), values)
    counts: Counter[str] = Counter()
    for row in values:
        counts.update(_added(row["question_terms"], row["answer_terms"]))
    await _count_terms(session, counts)


async def remember_question(
    session: AsyncSession,
    *,
    question_id: int,
    question_number: int,
    question: str,
    answer: str,
    locale: str,
    now: datetime,
) -> None:
    """Insert or refresh the one entry of an answered question (a later accepted answer replaces it)."""
    values = _values(question=question, answer=answer, locale=locale, now=now)
    existing = await _by_question(session, question_id)
    if existing is None:
        row = {"source": "question", "question_id": question_id, "question_number": question_number}
        if await insert_if_absent(
            session, KnowledgeEntry, {**row, "created_at": now, **values}, key=("question_id",)
        ):
            await _count_terms(session, _added(values["question_terms"], values["answer_terms"]))
            return
        existing = await _by_question(session, question_id)  # a concurrent answer inserted it first
        assert existing is not None
    before = distinct_terms(existing.question_terms, existing.answer_terms)
    for name, value in values.items():
        setattr(existing, name, value)
    existing.question_number = question_number
    session.add(existing)
    await session.flush()
    after = distinct_terms(existing.question_terms, existing.answer_terms)
    change = Counter(after - before)
    change.subtract(Counter(before - after))
    await _count_terms(session, change)


async def forget_question(session: AsyncSession, question_id: int) -> bool:
    """Remove the entry of a question; True when there was one."""
    entry = await _by_question(session, question_id)
    if entry is None:
        return False
    await _delete(session, entry)
    return True


async def remove(session: AsyncSession, entry_id: int) -> KnowledgeEntry | None:
    """Remove one entry by id; returns it, or None when there is no such entry."""
    entry = await session.get(KnowledgeEntry, entry_id)
    if entry is not None:
        await _delete(session, entry)
    return entry


async def _by_question(session: AsyncSession, question_id: int) -> KnowledgeEntry | None:
    result = await session.exec(select(KnowledgeEntry).where(col(KnowledgeEntry.question_id) == question_id))
    return result.first()


async def _delete(session: AsyncSession, entry: KnowledgeEntry) -> None:
    removed = Counter({term: -n for term, n in _added(entry.question_terms, entry.answer_terms).items()})
    await session.delete(entry)
    await session.flush()
    await _count_terms(session, removed)


def _added(question_terms: str, answer_terms: str) -> Counter[str]:
    """What one more entry adds to the counts: one per distinct stem, and one to the entry count."""
    return Counter([ENTRY_COUNT, *distinct_terms(question_terms, answer_terms)])


async def _count_terms(session: AsyncSession, change: Counter[str]) -> None:
    """Add to the per-term entry counts in one atomic statement per 1,000 terms (race-free)."""
    items = [{"term": term, "entries": n} for term, n in sorted(change.items()) if n]
    if not items:
        return
    connection = await session.connection()
    table = KnowledgeTerm.__table__  # type: ignore[attr-defined]
    insert_ = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    for start in range(0, len(items), 1000):
        statement = insert_(table).values(items[start : start + 1000])
        statement = statement.on_conflict_do_update(
            index_elements=["term"], set_={"entries": table.c.entries + statement.excluded.entries}
        )
        await connection.execute(statement)


# --- reading ------------------------------------------------------------------------------------


async def entries(session: AsyncSession, *, offset: int = 0, limit: int = 20) -> list[KnowledgeEntry]:
    """Entries newest first, a page at a time."""
    result = await session.exec(
        select(KnowledgeEntry).order_by(col(KnowledgeEntry.id).desc()).offset(offset).limit(limit)
    )
    return list(result.all())


async def count(session: AsyncSession) -> int:
    """How many entries there are, from the kept count (no scan of the entries)."""
    return (await term_counts(session, [ENTRY_COUNT])).get(ENTRY_COUNT, 0)


async def term_counts(session: AsyncSession, terms: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(terms))
    if not wanted:
        return {}
    result = await session.exec(select(KnowledgeTerm).where(col(KnowledgeTerm.term).in_(wanted)))
    return {row.term: row.entries for row in result.all()}


async def search(session: AsyncSession, words: str, *, limit: int, min_score: float) -> list[Found]:
    """The best entries for a text, best first, each scored 0..1; those under `min_score` left out.

    The full-text index finds candidates for the query's telling stems (BM25 on SQLite,
    ts_rank_cd on PostgreSQL); `search_terms.score` — the same on both — orders them, the index's
    order breaking ties."""
    groups = query_groups(words)
    if not groups or limit < 1:
        return []
    counts = await term_counts(session, [ENTRY_COUNT, *(stem for group in groups for stem in group)])
    total = counts.pop(ENTRY_COUNT, 0)
    terms = index_query(groups, counts, total)
    if not terms:
        return []
    ids = await _candidate_ids(session, terms, limit=max(CANDIDATES, limit))
    if not ids:
        return []
    found = await session.exec(select(KnowledgeEntry).where(col(KnowledgeEntry.id).in_(ids)))
    by_id = {entry.id: entry for entry in found.all()}
    candidates = [by_id[i] for i in ids if i in by_id]
    unseen = {stem for entry in candidates for stem in entry.question_terms.split()} - counts.keys()
    counts.update(await term_counts(session, unseen))
    scored = [
        (score(groups, counts, total, entry.question, entry.answer_terms), position, entry)
        for position, entry in enumerate(candidates)
    ]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [Found(entry, value) for value, _, entry in scored if value >= min_score][:limit]


async def _candidate_ids(session: AsyncSession, terms: Sequence[str], *, limit: int) -> list[int]:
    """Ids of entries with any of the stems, best first by the database's own ranking."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        rows = await connection.execute(_POSTGRES_SEARCH, {"query": " | ".join(terms), "limit": limit})
    else:
        match = " OR ".join(f'"{term}"' for term in terms)  # stems are letters and digits only
        rows = await connection.execute(_SQLITE_SEARCH, {"match": match, "limit": limit})
    return [row.id for row in rows.all()]


# Question words weigh twice answer words in both engines.
_SQLITE_SEARCH = text(
    "SELECT rowid AS id FROM knowledge_fts WHERE knowledge_fts MATCH :match "
    "ORDER BY bm25(knowledge_fts, 2.0, 1.0) LIMIT :limit"
)
_POSTGRES_SEARCH = text(  # knowledge_fts_vector: a stored generated column (migration 0003), GIN-indexed
    "SELECT id FROM knowledge_entry, to_tsquery('simple'::regconfig, :query) AS query "
    "WHERE knowledge_fts_vector @@ query "
    "ORDER BY ts_rank_cd('{0.1, 0.1, 0.5, 1.0}', knowledge_fts_vector, query, 1) DESC, id LIMIT :limit"
)
