"""How names are cut into search words: the one normalisation every store indexes with.

Rule (issue 11): text is normalised with Unicode NFKD, its combining marks dropped (accents:
``é`` becomes ``e``) and case-folded (``ß`` becomes ``ss``); a *word* is then a maximal run
of letters and digits (Unicode categories ``L*`` and ``N*``), and every CJK character
(ideographs, kana) is a word of its own, since Chinese and Japanese names are written
without spaces. ``search(text:)`` matches a name when each word of ``text`` is a prefix of
some word of the name (:func:`matches`).

The stores index these words with their own full-text facility
(:mod:`graph_service.linkage.search`): the embedded store its SQLite FTS5 table, whose
``unicode61`` tokenizer cuts text where this module does; the Cypher stores a property
``searchText`` holding :func:`index_terms`, read by a full-text index with exact terms
(FalkorDB's full-text index expands a prefix query to at most a few hundred terms, so
prefix queries would miss names; an exact term never does).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

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

_CJK_RANGES = (
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x3FFFF),  # Extensions B to H, compatibility supplement
)


_ASCII_WORD = re.compile(r"[a-z0-9]+")


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def normalise(text: str) -> str:
    """``text`` in NFKD, without combining marks, case-folded.

    Examples
    --------
    >>> normalise("Société Générale")
    'societe generale'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    return kept.casefold()


def words(text: str) -> list[str]:
    """The search words of ``text``, in order (see the module's rule).

    Parameters
    ----------
    text : str
        A name, or the text of a search.

    Returns
    -------
    list of str
        Runs of letters and digits of the normalised text; each CJK character alone.

    Examples
    --------
    >>> words("Crédit Agricole S.A.")
    ['credit', 'agricole', 's', 'a']
    >>> words("中国工商银行 ICBC")
    ['中', '国', '工', '商', '银', '行', 'icbc']
    """
    if text.isascii():  # NFKD changes no ASCII text; its letters and digits are [a-z0-9]
        return _ASCII_WORD.findall(text.lower())
    found: list[str] = []
    run: list[str] = []
    for char in normalise(text):
        if _is_cjk(char):
            if run:
                found.append("".join(run))
                run.clear()
            found.append(char)
        elif unicodedata.category(char)[0] in "LN":
            run.append(char)
        elif run:
            found.append("".join(run))
            run.clear()
    if run:
        found.append("".join(run))
    return found


def matches(query: Sequence[str], name: Sequence[str]) -> bool:
    """Whether each word of ``query`` is a prefix of some word of ``name`` (both :func:`words`).

    O(len(query) * len(name)). An empty ``query`` matches nothing.
    """
    return bool(query) and all(any(w.startswith(q) for w in name) for q in query)


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
    "matches",
    "normalise",
    "query_term",
    "words",
]
