"""How names are cut into search words: accents, case, CJK characters, the indexed terms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph_service.search_text import (
    MAX_TERM_CHARS,
    NAMED_LABELS,
    index_terms,
    indexed,
    matcher,
    query_term,
    query_terms,
    words,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Société Générale", ["societe", "generale"]),
        ("GONZÁLEZ-Jędryka", ["gonzalez", "jedryka"]),
        ("Straße", ["strasse"]),
        ("Ｆｕｌｌ　Ｗｉｄｔｈ ①", ["full", "width", "1"]),  # NFKD folds compatibility forms
        ("中国工商银行", ["中", "国", "工", "商", "银", "行"]),
        ("李 小龙 Bruce", ["李", "小", "龙", "bruce"]),
        ("カタカナ", ["カ", "タ", "カ", "ナ"]),
        ("  ...  ", []),
        ("O'Brien & Sons, Ltd.", ["o", "brien", "sons", "ltd"]),
    ],
)
def test_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    ("query", "name", "expected"),
    [
        ("sh so", "Shields and Sons", True),
        ("so sh", "Shields and Sons", True),  # any order
        ("sons", "Shields and Sons", True),
        ("ands", "Shields and Sons", False),  # a prefix of a word, not of the text
        ("ields", "Shields and Sons", False),
        ("gonz", "González", True),
        ("GONZÁ", "Gonzalez", True),
        ("小龙", "李小龙", True),
        ("龙李", "李小龙", True),
        ("大", "李小龙", False),
        ("", "Anything", False),
    ],
)
def test_matches(query: str, name: str, expected: bool) -> None:
    assert bool(matcher(words(query))(indexed(name))) is expected


@given(
    st.lists(st.text("abc", min_size=1, max_size=3), max_size=3),
    st.lists(st.text("abc", min_size=1, max_size=4), max_size=4),
)
def test_matches_is_each_word_a_prefix_of_a_word(query: list[str], name: list[str]) -> None:
    expected = bool(query) and all(any(w.startswith(q) for w in name) for q in query)
    assert bool(matcher(query)(" ".join(name))) is expected


def test_indexed_names_are_their_words_spaced() -> None:
    assert indexed("O'Brien & Sons, Ltd.") == "o brien sons ltd"
    assert indexed("李小龙") == "李 小 龙"
    assert indexed("  ...  ") == ""


def test_index_terms_hold_every_prefix_up_to_the_cap() -> None:
    assert index_terms("Ann Anders") == "a an ann and ande ander anders"
    assert index_terms("李小龙") == "李 小 龙"
    long = "x" * (MAX_TERM_CHARS + 5)
    assert index_terms(long).split() == ["x" * n for n in range(1, MAX_TERM_CHARS + 1)]
    assert query_term(long) == "x" * MAX_TERM_CHARS
    # Every query word finds its name by an exact term of the index.
    for query in ("a", "ande", "anders"):
        assert query_term(query) in index_terms("Ann Anders").split()


def test_ascii_text_is_cut_as_any_text() -> None:
    """ASCII text takes a shortcut; with an ideographic space (a separator) added it takes
    the general path: both cut the same."""
    every = "".join(chr(c) for c in range(128))
    for text in (every, " ".join(f"x{c}Y{c}{c}" for c in every), "Shields and Sons, Ltd."):
        assert words(text) == words(text + "\u3000")
    assert words(every) == ["0123456789", "abcdefghijklmnopqrstuvwxyz",
                            "abcdefghijklmnopqrstuvwxyz"]


def test_named_labels() -> None:
    assert NAMED_LABELS == ("Enterprise", "Person", "Manager")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (["e"] * 100, ["e"]),  # "e e e ...": one prefix term, not a hundred
        (["ann", "smith", "anna", "ann", "s"], ["smith", "anna"]),
        (["a", "ab", "abc", "b"], ["abc", "b"]),
        (["sons", "shi"], ["sons", "shi"]),  # neither begins the other: both kept, in order
        (words("\ufdfa " * 100), words("\ufdfa")),  # 200 characters: 400 words, 4 distinct
        ([], []),
    ],
)
def test_query_terms_drop_repeated_and_implied_words(query: list[str], expected: list[str]) -> None:
    assert query_terms(query) == expected


@given(st.lists(st.text("abc", min_size=1, max_size=3), max_size=6),
       st.lists(st.text("abc", min_size=1, max_size=4), max_size=4))
def test_query_terms_match_the_names_the_whole_query_matches(
    query: list[str], name: list[str]
) -> None:
    indexed_name = " ".join(name)
    assert bool(matcher(query_terms(query))(indexed_name)) == bool(matcher(query)(indexed_name))
