"""How names are cut into search words: the one normalisation every store indexes with.

Rule (issue 11): text is normalised with Unicode NFKD, its combining marks dropped (accents:
``é`` becomes ``e``) and case-folded (``ß`` becomes ``ss``); a *word* is then a maximal run
of letters and digits (``str.isalnum``: Unicode letters and numbers), and every CJK letter
(ideographs, kana) is a word of its own, since Chinese and Japanese names are written
without spaces. ``search(text:)`` matches a name when each word of ``text`` is a prefix of
some word of the name (:func:`matcher`).

The stores index these words with their own full-text facility
(:mod:`graph_service.linkage.search`): the embedded store its SQLite FTS5 table, whose
``unicode61`` tokenizer cuts text where this module does; the Cypher stores a property
``searchText`` holding :func:`index_terms`, read by a full-text index with exact terms
(FalkorDB's full-text index expands a prefix query to at most a few hundred terms, so
prefix queries would miss names; an exact term never does).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Sequence

from graph_service.model import NODE_SPECS

SEARCH_PROPERTY = "searchText"
"""The node property of the Cypher stores that their full-text indexes read (not a model
property: reads leave it out)."""
NAMED_LABELS: tuple[str, ...] = tuple(
    label for label, spec in NODE_SPECS.items() if "name" in spec.by_name
)
"""The labels whose nodes have a ``name``, in declaration order: the ones a full-text index
covers (other nodes are found by id only)."""
MAX_TERM_CHARS = 12
"""Longest prefix :func:`index_terms` indexes; a longer query word is looked up by its first
:data:`MAX_TERM_CHARS` characters (:func:`query_term`) and checked by the service."""

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
"""Hiragana and Katakana, the CJK Unified Ideographs (extension A, the main block, extensions
B to H), the CJK Compatibility Ideographs and their supplement."""
_WORD = re.compile(rf"(?:(?![{_CJK}])[^\W_])+|(?=[^\W_])[{_CJK}]")
"""A run of letters and digits (``str.isalnum``) other than CJK, or one CJK letter."""
_ASCII_WORD = re.compile(r"[a-z0-9]+")


@functools.cache
def _marks() -> dict[int, None]:
    """A ``str.translate`` table dropping every combining mark (categories ``M*``).

    Planes 0, 1 and 14 hold them all. Built on first use.
    """
    return {
        code: None
        for block in (range(0x20000), range(0xE0000, 0xE1000))
        for code in block
        if unicodedata.category(chr(code)).startswith("M")
    }


def normalise(text: str) -> str:
    """``text`` in NFKD, without combining marks, case-folded.

    Examples
    --------
    >>> normalise("Société Générale")
    'societe generale'
    """
    marks = _marks()
    return unicodedata.normalize("NFKD", text).translate(marks).casefold().translate(marks)


def words(text: str) -> list[str]:
    """The search words of ``text``, in order (see the module's rule).

    Parameters
    ----------
    text : str
        A name, or the text of a search.

    Returns
    -------
    list of str
        Runs of letters and digits (``str.isalnum``) of the normalised text; each CJK
        letter alone.

    Examples
    --------
    >>> words("Crédit Agricole S.A.")
    ['credit', 'agricole', 's', 'a']
    >>> words("中国工商银行 ICBC")
    ['中', '国', '工', '商', '银', '行', 'icbc']
    """
    if text.isascii():  # NFKD changes no ASCII text; its letters and digits are [a-z0-9]
        return _ASCII_WORD.findall(text.lower())
    return _WORD.findall(normalise(text))


def indexed(name: str) -> str:
    """The :func:`words` of ``name``, space-separated: what the search indexes hold of it.

    The embedded store's ``search_names`` rows hold it; every store answers it with its
    candidates (:meth:`~graph_service.stores.base.GraphStore.search_names`), and
    :func:`matcher` reads it.

    Examples
    --------
    >>> indexed("Shields & Sons, Ltd.")
    'shields sons ltd'
    """
    return " ".join(words(name))


def matcher(query: Sequence[str]) -> Callable[[str], object]:
    """Whether a name matches ``query``: a test compiled once, to check many names.

    Parameters
    ----------
    query : sequence of str
        Search words (:func:`words`).

    Returns
    -------
    callable
        ``test(name)``, truthy when each word of ``query`` begins a word of ``name``, an
        :func:`indexed` name. O(len(query) * len(name)): one regular expression, a lookahead
        per query word for it at the name's start or after a space (words hold no space).
        Never true for an empty ``query``.

    Examples
    --------
    >>> test = matcher(["so", "sh"])
    >>> bool(test("shields and sons")), bool(test("shields andsons"))
    (True, False)
    """
    if not query:
        return lambda name: False
    return re.compile("".join(f"(?=(?:.* )?{re.escape(word)})" for word in query)).match


def query_terms(query: Sequence[str]) -> list[str]:
    """The words of a search that a match must begin, each once, none implied by another.

    A word that another word of ``query`` begins (``ann`` beside ``anna``), or that repeats,
    asks nothing more of a name: every word starting with ``anna`` starts with ``ann``. So
    the stores' full-text queries and :func:`matcher` need only the others; each word left
    costs the stores a look-up (on SQLite, a prefix term read through its doclist), and a
    200-character text may hold 100 words (``a a a ...``), or 400 once normalised
    (``\ufdfa``, followed by a space, is four words), where one or four decide.

    Parameters
    ----------
    query : sequence of str
        Search words (:func:`words`).

    Returns
    -------
    list of str
        The words that no other word of ``query`` begins, in the order they first appear.
        O(n log n) for n words: a word begins another exactly when it begins the next one in
        sorted order.

    Examples
    --------
    >>> query_terms(["ann", "smith", "anna", "ann", "s"])
    ['smith', 'anna']
    """
    ordered = sorted(set(query))
    implied = {word for word, after in itertools.pairwise(ordered) if after.startswith(word)}
    return [word for word in dict.fromkeys(query) if word not in implied]


def index_terms(name: str) -> str:
    """The ``searchText`` of a name on the Cypher stores: every prefix of every word.

    Prefixes of up to :data:`MAX_TERM_CHARS` characters, each once, space-separated, so that a
    full-text index finds a name by an exact term (:func:`query_term`).

    Examples
    --------
    >>> index_terms("Ann Anders")
    'a an ann and ande ander anders'
    """
    terms = dict.fromkeys(
        word[:end] for word in words(name) for end in range(1, min(len(word), MAX_TERM_CHARS) + 1)
    )
    return " ".join(terms)


def query_term(word: str) -> str:
    """The indexed term a query word is looked up by: its first :data:`MAX_TERM_CHARS` chars."""
    return word[:MAX_TERM_CHARS]


__all__ = [
    "MAX_TERM_CHARS",
    "NAMED_LABELS",
    "SEARCH_PROPERTY",
    "index_terms",
    "indexed",
    "matcher",
    "normalise",
    "query_term",
    "query_terms",
    "words",
]
