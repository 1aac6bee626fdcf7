"""The pure search-word logic: stemming in both languages, the terms sent to the index, the 0..1 score."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from storage.search_terms import (
    MAX_INDEX_TERMS,
    MAX_QUERY_WORDS,
    index_query,
    index_terms,
    query_groups,
    score,
    stem_group,
    words,
)


def test_words_are_folded_and_one_letter_and_overlong_words_dropped() -> None:
    assert words("Will AI take MY job? I ask, ÆBLER & Straße") == [
        "will",
        "ai",
        "take",
        "my",
        "job",
        "ask",
        "æbler",
        "strasse",
    ]
    assert words("x" * 41 + " ok") == ["ok"]
    assert words("snake_case") == ["snake", "case"]  # FTS5's tokenizer splits on "_" as well


def test_english_and_danish_inflections_share_a_stem() -> None:
    assert set(stem_group("policies")) & set(stem_group("policy"))
    assert set(stem_group("kunder")) & set(stem_group("kunden"))
    assert set(stem_group("medarbejdere")) & set(stem_group("medarbejder"))
    assert stem_group("ai") == ("ai",)


def test_index_terms_hold_every_stem_of_every_word_once_per_word() -> None:
    assert index_terms("Policies, policies!") == "polici polici"
    assert index_terms("kunder") == "kunder kund"


def test_a_query_keeps_distinct_groups_and_is_bounded() -> None:
    assert query_groups("job jobs JOB") == [("job",)]
    assert len(query_groups(" ".join(f"word{n}" for n in range(100)))) == MAX_QUERY_WORDS


def test_the_index_is_asked_for_rare_known_stems_only() -> None:
    counts = {"ai": 900, "job": 3, "take": 40, "replac": 2}
    groups = query_groups("will AI take or replace my job")
    assert index_query(groups, counts, total=1000) == ["replac", "job", "take"]
    assert index_query(query_groups("ai"), counts, total=1000) == ["ai"]  # only common words: the rarest
    assert index_query(query_groups("unknown words"), counts, total=1000) == []
    many = {f"w{n}": 1 for n in range(30)}
    assert len(index_query(query_groups(" ".join(many)), many, total=1000)) == MAX_INDEX_TERMS


def test_the_score_rewards_telling_words_and_punishes_a_lone_common_one() -> None:
    counts = {"ai": 500, "take": 20, "job": 5, "will": 300, "my": 400, "canteen": 2}
    entry = "Will AI take my job?"
    assert score(query_groups(entry), counts, 1000, entry, "") == 1.0
    close = score(query_groups("AI taking jobs"), counts, 1000, entry, "")
    lone = score(query_groups("AI in the canteen"), counts, 1000, entry, "")
    assert close > 0.6 > lone
    counts |= {"eat": 10}
    asked = query_groups("eat in the canteen")
    in_answer = score(asked, counts, 1000, "Where do we eat?", index_terms("In the canteen."))
    assert score(asked, counts, 1000, "Where do we eat?", index_terms("At home.")) < in_answer
    assert in_answer < score(asked, counts, 1000, "Can we eat in the canteen?", "")


text = st.text(alphabet=st.sampled_from("abcdeæøå AIjobkunde?!"), max_size=60)


@given(query=text, entry=text, answer=text, common=st.integers(min_value=0, max_value=50))
def test_the_score_is_always_between_0_and_1(query: str, entry: str, answer: str, common: int) -> None:
    groups = query_groups(query)
    counts = {stem: 1 + common for group in groups + query_groups(entry) for stem in group}
    value = score(groups, counts, 100, entry, index_terms(answer))
    assert 0.0 <= value <= 1.0
