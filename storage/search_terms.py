"""Search words for the knowledge base: the same normalising, stemming and scoring on every database.

Pure and I/O-free. Every word is folded (NFKC, lower case) and stemmed with both the English and
the Danish Snowball stemmer, so "policies"/"policy" and "kunder"/"kunden" meet whichever language
the asker wrote in. The stems of one word form a group: a query word matches an entry when any stem
of its group appears there. There is no stop-word list: words found in many entries weigh little
(inverse document frequency from the `knowledge_term` counts) and are not sent to the index at all.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[^\W_]+")
MAX_WORD = 40  # longer "words" (hashes, pasted URLs) are noise and would not fit knowledge_term
MAX_QUERY_WORDS = 32  # a pasted essay still makes a bounded query
MAX_INDEX_TERMS = 10  # the rarest query stems sent to the full-text index
COMMON_SHARE = 0.05  # a stem in more than this share of entries finds candidates no better than chance
ANSWER_WEIGHT = 0.5  # a query word found only in an entry's answer counts half

_STEMMERS = (snowballstemmer.stemmer("english"), snowballstemmer.stemmer("danish"))

Group = tuple[str, ...]


def words(text: str) -> list[str]:
    """The words of a text, folded, in order (one-letter and overlong words dropped)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [word for word in _WORD.findall(folded) if 1 < len(word) <= MAX_WORD]


@lru_cache(maxsize=50_000)
def stem_group(word: str) -> Group:
    """The distinct stems of one folded word: English first, then Danish when it differs."""
    stems: list[str] = []
    for stemmer in _STEMMERS:
        stem = stemmer.stemWord(word)
        if stem and stem not in stems:
            stems.append(stem)
    return tuple(stems)


def index_terms(text: str) -> str:
    """What the full-text index stores for a text: every stem of every word, space separated."""
    return " ".join(stem for word in words(text) for stem in stem_group(word))


def distinct_terms(*term_strings: str) -> set[str]:
    """The distinct stems of stored term strings: what an entry adds to `knowledge_term`."""
    return {term for terms in term_strings for term in terms.split()}


def query_groups(text: str) -> list[Group]:
    """The distinct stem groups of a query, at most `MAX_QUERY_WORDS` of them."""
    groups: list[Group] = []
    for word in words(text):
        group = stem_group(word)
        if group not in groups:
            groups.append(group)
        if len(groups) == MAX_QUERY_WORDS:
            break
    return groups


def idf(entries_with_term: int, total: int) -> float:
    """BM25's inverse document frequency, always positive."""
    return math.log(1 + (total - entries_with_term + 0.5) / (entries_with_term + 0.5))


def index_query(groups: list[Group], counts: Mapping[str, int], total: int) -> list[str]:
    """The stems worth asking the full-text index for: those in at most `COMMON_SHARE` of the
    entries, rarest first, at most `MAX_INDEX_TERMS`; the rarest two when every one is common.
    Stems no entry has are left out (they cannot match)."""
    known = sorted(
        {stem for group in groups for stem in group if counts.get(stem, 0) > 0}, key=counts.__getitem__
    )
    rare = [stem for stem in known if counts[stem] <= max(1, total * COMMON_SHARE)]
    return (rare or known[:2])[:MAX_INDEX_TERMS]


def score(
    groups: list[Group], counts: Mapping[str, int], total: int, entry_question: str, answer_terms: str
) -> float:
    """How well an entry answers a query, 0..1, weighted by how telling each word is (IDF).

    Two shares, balanced by their harmonic mean: how much of the query the entry covers (words no
    entry has tell nothing and are left out; a word found only in the answer counts
    `ANSWER_WEIGHT`), and how much of the entry's question the query mentions, so a single shared
    word with a long question stays low. 1.0: the query and the entry's question share every word.
    `counts` must hold the stems of the query and of the entry's question.
    """
    entry_groups = query_groups(entry_question)
    if not groups or not entry_groups:
        return 0.0

    def weight(group: Group) -> float:
        known = [counts[stem] for stem in group if counts.get(stem, 0) > 0]
        return idf(min(known), total) if known else 0.0

    question = {stem for group in entry_groups for stem in group}
    answer = set(answer_terms.split())
    asked = {stem for group in groups for stem in group}
    possible = found = 0.0
    for group in groups:
        value = weight(group)
        possible += value
        if question.intersection(group):
            found += value
        elif answer.intersection(group):
            found += value * ANSWER_WEIGHT
    entry_possible = entry_found = 0.0
    for group in entry_groups:
        value = weight(group)
        entry_possible += value
        if asked.intersection(group):
            entry_found += value
    if not possible or not entry_possible or not found or not entry_found:
        return 0.0
    coverage, mentioned = found / possible, entry_found / entry_possible
    return round(2 * coverage * mentioned / (coverage + mentioned), 4)
