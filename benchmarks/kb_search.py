"""Knowledge-base search: p95 latency over 100,000 entries and recall@3 on labelled paraphrases.

Loads the 120 labelled entries of `benchmarks/data/kb_paraphrases.json` plus generated filler
entries (seeded, drawn from the labelled entries' own vocabulary and generic workplace words, so
they compete for the same terms) into a fresh champbot database through `storage.knowledge`, then
asks the 300 labelled queries through `storage.knowledge.search` — the same function the bot's
`kb search` and "Asked before:" use — on SQLite (and PostgreSQL with `--postgres URL`). The
baseline in the same run is the rank-bm25 package (`BM25Okapi`) over the same documents (question
and answer), once with plain lower-cased words and once with champbot's stemmed terms.

    python -m benchmarks.kb_search [--entries 100000] [--postgres URL] [--sweep]

`--postgres` empties the knowledge_entry table of that database first: point it at a scratch one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rank_bm25 import BM25Okapi
from sqlalchemy import delete

from benchmarks._harness import log, machine, percentile, table
from storage import knowledge
from storage.engine import Database
from storage.knowledge import DEFAULT_MIN_SCORE
from storage.migrate import upgrade
from storage.models import KnowledgeEntry, KnowledgeTerm
from storage.search_terms import index_terms

DATA = Path(__file__).with_name("data") / "kb_paraphrases.json"
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
_GENERIC_WORDS = """meeting calendar invoice report budget spreadsheet email customer supplier contract travel
expense laptop printer password account access badge office parking canteen holiday vacation leave payroll
salary pension insurance onboarding training course workshop team project deadline roadmap release
sprint ticket backlog server database backup network wifi phone headset screen keyboard license
software update install upgrade migration cloud storage folder sharepoint teams slack document
template presentation slide chart dashboard kpi target forecast sales marketing campaign website
newsletter survey feedback review appraisal bonus recruitment interview candidate manager director
board strategy policy procedure guideline compliance audit risk security incident privacy gdpr
consent data retention archive deletion request approval workflow process automation tool system
platform vendor pricing quote order delivery warehouse stock logistics shipping return refund
support helpdesk chat translation language english danish german french summary minutes agenda
note task reminder schedule shift overtime remote hybrid home commute bike lunch coffee event
party christmas summer anniversary celebration award recognition volunteer charity sustainability
energy carbon emission waste recycling health safety first aid ergonomics desk chair lamp"""
GENERIC = _GENERIC_WORDS.split()
FILLER_STARTS = [
    "How do I",
    "Can I",
    "Where can I find",
    "Who approves",
    "Is it allowed to",
    "Why does",
    "When should we",
    "What is the process for",
    "Hvordan",
    "Må jeg",
    "Hvor finder jeg",
]


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    relevant: frozenset[str]


def load() -> tuple[list[dict[str, str]], list[Query]]:
    data = json.loads(DATA.read_text())
    queries = [Query(q["id"], q["text"], frozenset(q["relevant"])) for q in data["queries"]]
    return data["entries"], queries


def filler(count: int, entries: list[dict[str, str]], seed: int = 17) -> list[tuple[str, str, str]]:
    """Seeded filler entries that reuse the labelled vocabulary, Zipf-weighted, plus generic words."""
    rng = random.Random(seed)
    labelled = [
        w for e in entries for w in re.findall(r"[^\W\d_]+", f"{e['question']} {e['answer']}".lower())
    ]
    vocabulary = sorted(set(labelled)) + GENERIC
    rng.shuffle(vocabulary)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(vocabulary))]
    rows = []
    for _ in range(count):
        question = " ".join(rng.choices(vocabulary, weights, k=rng.randint(4, 10)))
        answer = " ".join(rng.choices(vocabulary, weights, k=rng.randint(20, 60)))
        rows.append(
            (f"{rng.choice(FILLER_STARTS)} {question}?", answer.capitalize() + ".", rng.choice(["en", "da"]))
        )
    return rows


async def load_database(
    url: str, entries: list[dict[str, str]], rows: list[tuple[str, str, str]]
) -> dict[int, str]:
    """Fill a database; returns entry id → labelled id for the labelled entries."""
    await asyncio.to_thread(upgrade, url)
    database = Database(url)
    try:
        async with database.session() as session:
            await (await session.connection()).execute(delete(KnowledgeEntry))
            await (await session.connection()).execute(delete(KnowledgeTerm))
        labelled: dict[int, str] = {}
        async with database.session() as session:
            for entry in entries:
                entry_id = await knowledge.add_curated(
                    session,
                    question=entry["question"],
                    answer=entry["answer"],
                    locale=entry["locale"],
                    now=NOW,
                )
                labelled[entry_id] = entry["id"]
        for start in range(0, len(rows), 5000):
            async with database.session() as session:
                await knowledge.add_many(session, rows[start : start + 5000], now=NOW)
        return labelled
    finally:
        await database.close()


@dataclass
class Run:
    name: str
    top: dict[str, list[tuple[str | None, float]]]  # query id → [(labelled id or None, score)], best first
    latencies_ms: list[float]


async def run_ours(name: str, url: str, labelled: dict[int, str], queries: list[Query]) -> Run:
    database = Database(url)
    top: dict[str, list[tuple[str | None, float]]] = {}
    latencies: list[float] = []
    try:
        for query in queries[:20]:  # warm the caches
            async with database.session() as session:
                await knowledge.search(session, query.text, limit=3, min_score=0.0)
        for query in queries:
            started = time.perf_counter()
            async with database.session() as session:
                found = await knowledge.search(session, query.text, limit=3, min_score=0.0)
            latencies.append((time.perf_counter() - started) * 1000)
            top[query.id] = [(labelled.get(f.entry.id or 0), f.score) for f in found]
    finally:
        await database.close()
    return finished(Run(name, top, latencies), queries)


def run_bm25(
    name: str,
    tokenize: Callable[[str], list[str]],
    documents: list[tuple[str | None, str]],
    queries: list[Query],
) -> Run:
    log(f"{name}: indexing {len(documents)} documents")
    index = BM25Okapi([tokenize(text) for _, text in documents])
    top: dict[str, list[tuple[str | None, float]]] = {}
    latencies: list[float] = []
    for query in queries:
        started = time.perf_counter()
        scores = index.get_scores(tokenize(query.text))
        best = sorted(range(len(scores)), key=lambda i: -scores[i])[:3] if len(scores) else []
        latencies.append((time.perf_counter() - started) * 1000)
        top[query.id] = [(documents[i][0], float(scores[i])) for i in best if scores[i] > 0]
    return finished(Run(name, top, latencies), queries)


def finished(run: Run, queries: list[Query]) -> Run:
    """Log a run's headline at once, so a long baseline never hides the figures already measured."""
    recall, hit = recall_at_3(run, queries)
    p95 = percentile(sorted(run.latencies_ms), 0.95)
    log(f"{run.name}: p95 {p95:.1f} ms, recall@3 {pct(recall)}, hit@3 {pct(hit)}")
    return run


def plain_words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


def stemmed_terms(text: str) -> list[str]:
    return index_terms(text).split()


def recall_at_3(run: Run, queries: Sequence[Query]) -> tuple[float, float]:
    """(mean recall@3, share of queries with a relevant entry in the top 3) over answerable queries."""
    answerable = [q for q in queries if q.relevant]
    recalls, hits = [], 0
    for query in answerable:
        got = {labelled for labelled, _ in run.top[query.id][:3]} & query.relevant
        recalls.append(len(got) / len(query.relevant))
        hits += bool(got)
    return sum(recalls) / len(answerable), hits / len(answerable)


def at_threshold(run: Run, queries: Sequence[Query], threshold: float) -> tuple[float, float, float]:
    """(answerable with a relevant match ≥ threshold in the top 3, answerable with any match shown that
    is wrong at rank 1, unanswerable left without any match ≥ threshold)."""
    answerable = [q for q in queries if q.relevant]
    unanswerable = [q for q in queries if not q.relevant]
    shown_right = sum(
        any(lab in q.relevant and score >= threshold for lab, score in run.top[q.id][:3]) for q in answerable
    )
    wrong_first = sum(
        bool(run.top[q.id]) and run.top[q.id][0][1] >= threshold and run.top[q.id][0][0] not in q.relevant
        for q in answerable
    )
    left_alone = sum(not any(score >= threshold for _, score in run.top[q.id]) for q in unanswerable)
    return (
        shown_right / len(answerable),
        wrong_first / len(answerable),
        left_alone / max(1, len(unanswerable)),
    )


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


async def main(args: argparse.Namespace) -> None:
    entries, queries = load()
    rows = filler(max(0, args.entries - len(entries)), entries)
    log(f"{len(entries)} labelled + {len(rows)} filler entries, {len(queries)} queries on {machine()}")
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="champbot-bench-") as folder:
        targets = [] if args.no_sqlite else [("champbot, SQLite FTS5", f"sqlite:///{Path(folder) / 'kb.db'}")]
        if args.postgres:
            targets.append(("champbot, PostgreSQL FTS", args.postgres))
        for name, url in targets:
            log(f"{name}: loading")
            started = time.perf_counter()
            labelled = await load_database(url, entries, rows)
            log(f"{name}: loaded in {time.perf_counter() - started:.0f} s; searching")
            runs.append(await run_ours(name, url, labelled, queries))
    documents: list[tuple[str | None, str]] = [(e["id"], f"{e['question']} {e['answer']}") for e in entries]
    documents += [(None, f"{q} {a}") for q, a, _ in rows]
    if not args.no_baseline:
        runs.append(run_bm25("rank-bm25 BM25Okapi, plain words", plain_words, documents, queries))
        runs.append(run_bm25("rank-bm25 BM25Okapi, champbot's stems", stemmed_terms, documents, queries))

    answerable = sum(1 for q in queries if q.relevant)
    print(
        f"Knowledge-base search, {args.entries:,} entries, {len(queries)} queries "
        f"({answerable} answerable, {len(queries) - answerable} unanswerable); {machine()}\n"
    )
    result_rows = []
    for run in runs:
        recall, hit = recall_at_3(run, queries)
        ordered = sorted(run.latencies_ms)
        ours = run.name.startswith("champbot")
        shown, wrong, alone = at_threshold(run, queries, DEFAULT_MIN_SCORE) if ours else (None, None, None)
        result_rows.append(
            [
                run.name,
                f"{percentile(ordered, 0.5):.1f}",
                f"{percentile(ordered, 0.95):.1f}",
                pct(recall),
                pct(hit),
                pct(shown) if shown is not None else "–",
                pct(alone) if alone is not None else "–",
            ]
        )
    print(
        table(
            [
                "search",
                "p50 ms",
                "p95 ms",
                "recall@3",
                "hit@3",
                f"shown ≥ {DEFAULT_MIN_SCORE}",
                "unanswerable left alone",
            ],
            result_rows,
        )
    )
    print(
        f"\nshown ≥ {DEFAULT_MIN_SCORE}: answerable queries with a right entry among the matches at or above "
        'the bot\'s threshold (what "Asked before:" would show); unanswerable left alone: unanswerable '
        "queries with no match at or above it. rank-bm25 scores are not normalised, so no threshold applies."
    )
    if args.sweep:
        for run in runs:
            if not run.name.startswith("champbot"):
                continue
            sweep = []
            for step in range(5, 80, 5):
                threshold = step / 100
                shown, wrong, alone = at_threshold(run, queries, threshold)
                sweep.append([f"{threshold:.2f}", pct(shown), pct(wrong), pct(alone)])
            print(f"\nThreshold sweep, {run.name}\n")
            print(
                table(
                    [
                        "threshold",
                        "answerable shown right",
                        "answerable wrong at rank 1",
                        "unanswerable left alone",
                    ],
                    sweep,
                )
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--postgres", help="a scratch PostgreSQL URL (its knowledge_entry table is emptied)")
    parser.add_argument(
        "--sweep", action="store_true", help="also print recall and false matches per threshold"
    )
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL (with --postgres)")
    parser.add_argument("--no-baseline", action="store_true", help="skip rank-bm25 (quicker, for tuning)")
    asyncio.run(main(parser.parse_args()))
