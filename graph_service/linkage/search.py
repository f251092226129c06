"""Search: find enterprises, people, managers and accounts by a few letters of a name, or an id.

Rule (issue 11; words as :mod:`graph_service.search_text` cuts them: NFKD, accents dropped,
case-folded, each CJK character a word):

- A node **matches** ``text`` when each word of ``text`` is a prefix of some word of its
  ``name``, or when ``text`` equals its ``id`` (exactly, as given). Accounts have no name:
  they are found by id only.
- **Ranked** by the service, the same on every store: exact matches first (``text`` is the
  node's id, or the name's words are the text's words), then the other word-prefix matches;
  within each, by label, then id (as text). Sort key ``(rank, label, id)``, rank 0 or 1.
- ``labels`` restricts the search to those labels (all by default).

Each store finds the candidates with its own full-text index
(:meth:`~graph_service.stores.base.GraphStore.search_names`: SQLite FTS5 on the embedded
store, a full-text index on Neo4j and FalkorDB), kept current by every write, all the
labels searched at once; each candidate comes with its name's words
(:func:`~graph_service.search_text.indexed`: the embedded store's index rows hold them, the
Cypher stores read the names), and the service keeps those that match by the rule, so every
store answers the same. The work is bounded: a text matching more than
``Settings.max_search_matches`` nodes (``GRAPH_SERVICE_MAX_SEARCH_MATCHES``, 10,000), or whose
candidates on a store reach twice that, is refused with ``BAD_USER_INPUT``; a text longer
than :data:`MAX_TEXT_CHARS` too. A refusal costs little: the store counts the matches to
that bound before it reads any name (in SQLite, the full-text index's rowids;
``queries/search.md``).
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Annotated

from graph_service.config import Settings
from graph_service.errors import InvalidInputError, shorten
from graph_service.linkage.question import (
    BOOK_SCAN_COST,
    Cost,
    CostArguments,
    Doc,
    Order,
    Question,
    Ranked,
    Ranking,
    each,
)
from graph_service.model import PERSONAL_FIELDS, NodeKey, NodeLabel
from graph_service.search_text import NAMED_LABELS, matcher, query_terms, words
from graph_service.stores.base import GraphStore

MAX_TEXT_CHARS = 200
"""Longest ``text`` accepted."""
SEARCH_COST = 1_000
"""Base cost of one ``search``: a full-text look-up and the candidates' names."""
_NAMED = frozenset(NodeLabel(label).name for label in NAMED_LABELS)
"""The GraphQL names of the labels with names (``ENTERPRISE``, ``PERSON``, ``MANAGER``)."""
CANDIDATES_PER_MATCH = 2
"""A store is asked for at most this many candidates per match allowed
(``Settings.max_search_matches``): a store may answer candidates that do not match."""
EXACT, PREFIX = 0, 1
"""The ranks: an exact match (id or all words), a word-prefix match."""
ORDER = Order("rank", (int, str, str), (False, False, False))
"""``(rank, label, id)``, ascending."""


@dataclass(frozen=True, slots=True)
class SearchArgs:
    """Arguments of ``search``.

    Attributes
    ----------
    text : str
        Words to find as prefixes of the names' words, or an id.
    labels : tuple of NodeLabel, optional
        The labels searched; all when ``None``.
    """

    text: Annotated[
        str,
        Doc("Words, each the beginning of a word of the name (case and accents ignored; "
            "each CJK character a word), or a node's id."),
    ]
    labels: Annotated[
        tuple[NodeLabel, ...] | None, Doc("Search these labels only; all when omitted.")
    ] = None


def validate(args: SearchArgs, settings: Settings) -> SearchArgs:
    """``args`` with ``labels`` resolved (every label when omitted, each once, in order).

    Raises
    ------
    InvalidInputError
        If ``text`` is blank, holds a control character (NUL, a tab or line feed: Unicode's
        category Cc, which no name or id holds as a search text, blank to the tokenizer), is
        longer than :data:`MAX_TEXT_CHARS` characters, or ``labels`` is an empty list.
    """
    if not args.text.strip():
        raise InvalidInputError("text must not be blank")
    if any(unicodedata.category(c) == "Cc" for c in args.text):
        raise InvalidInputError("text must not hold control characters (NUL, tab, line feed)")
    if len(args.text) > MAX_TEXT_CHARS:
        raise InvalidInputError(
            f"text must be at most {MAX_TEXT_CHARS} characters, got {len(args.text)}"
        )
    if args.labels is not None and not args.labels:
        raise InvalidInputError("labels must name at least one label (omit it for all)")
    chosen = tuple(NodeLabel) if args.labels is None else args.labels
    labels = tuple(label for label in NodeLabel if label in chosen)
    return dataclasses.replace(args, labels=labels)


def no_subjects(args: SearchArgs) -> tuple[NodeKey, ...]:
    """No node must exist beforehand."""
    return ()


def _too_broad(text: str, settings: Settings) -> InvalidInputError:
    return InvalidInputError(
        f"search text {shorten(text)!r} matches more than {settings.max_search_matches:,} "
        "nodes (GRAPH_SERVICE_MAX_SEARCH_MATCHES): add letters or words, or narrow labels"
    )


async def _search(store: GraphStore, settings: Settings, args: SearchArgs) -> Ranked:
    """One search (see the module's rule).

    The node whose id is ``text``, in each label searched, then the candidates of the named
    labels, each checked by its name's words as the store answers them. O(m log m) for m
    candidates: the ids of each rank and label are sorted as texts.
    """
    query = words(args.text)
    phrase = " ".join(query)
    terms = query_terms(query)  # what a match must begin: no word repeated or implied
    limit = settings.max_search_matches * CANDIDATES_PER_MATCH
    assert args.labels is not None  # validated
    labels = sorted(label.value for label in args.labels)
    exact: dict[str, list[str]] = {label: [] for label in labels}
    prefix: dict[str, list[str]] = {label: [] for label in labels}
    keys = [(label, args.text) for label in labels]
    for (label, node_id), handle in zip(keys, await store.handles(keys), strict=True):
        if handle is not None:
            exact[label].append(node_id)
    named = [label for label in labels if label in NAMED_LABELS]
    if query and named:
        # Enough names match to refuse, whatever the ids found (a node found by both counts
        # once): the store tells before it reads any name.
        enough = settings.max_search_matches + 1 + sum(map(len, exact.values()))
        candidates = await store.search_names(named, terms, limit, enough)
        if candidates is None or len(candidates) >= limit:
            raise _too_broad(args.text, settings)
        match = matcher(terms)
        for label, node_id, name in candidates:
            if node_id == args.text:
                continue  # found by its id above
            if name == phrase:
                exact[label].append(node_id)
            elif match(name):
                prefix[label].append(node_id)
    if sum(len(ids) for found in (exact, prefix) for ids in found.values()) > (
        settings.max_search_matches
    ):
        raise _too_broad(args.text, settings)
    items: list[NodeKey] = []
    sort_keys: list[tuple[int, str, str]] = []
    for rank, found in ((EXACT, exact), (PREFIX, prefix)):
        for label in labels:
            ids = sorted(found[label])
            items += zip(repeat(label), ids)
            sort_keys += zip(repeat(rank), repeat(label), ids)
    return Ranked(items=items, sort_keys=sort_keys)


async def generic(
    store: GraphStore, settings: Settings, many: Sequence[SearchArgs]
) -> list[Ranked]:
    """Each search, concurrently: candidates from the store's full-text index, checked."""
    return await each([_search(store, settings, args) for args in many])


def cost(arguments: CostArguments, settings: Settings) -> Cost:
    """Price one search: :data:`SEARCH_COST`, or a whole-book scan for some named labels.

    A search of every label with names (``labels`` omitted, or naming them all), or of none
    (accounts, referrals, contacts: by id only), reads at most the bound of matches
    (``Settings.max_search_matches``) from the full-text index: :data:`SEARCH_COST`. One of
    some of them but not all (``labels: [ENTERPRISE]``) has the matches of those labels
    counted and read among every match of the text, a scan bounded by the book, not by the
    bound (on the embedded store ``search_names``'s count, then its rows: 117,000 matches of
    ``m`` at 1,000,000 people, 66 ms a search, 3 s for the 45 a request held at 1,000 each):
    :data:`~graph_service.linkage.question.BOOK_SCAN_COST`. A ``labels`` value of another
    shape (refused when the variables are coerced) is priced as the scan.
    """
    labels = arguments.value("labels")
    if labels is None:
        return Cost(base=SEARCH_COST)
    if isinstance(labels, str):
        labels = [labels]  # a list of one, as GraphQL coerces a single value
    if not isinstance(labels, list):
        return Cost(base=BOOK_SCAN_COST)
    named = _NAMED.intersection(label for label in labels if isinstance(label, str))
    return Cost(base=BOOK_SCAN_COST if named and named != _NAMED else SEARCH_COST)


def personal_match(args: SearchArgs, key: NodeKey) -> bool:
    """Whether ``key`` was found by its name rather than by its id.

    A name is personal data for the labels of ``model.PERSONAL_FIELDS`` that list it.
    """
    return key[1] != args.text and "name" in PERSONAL_FIELDS.get(key[0], ())


QUESTION = Question(
    name="search",
    description="Nodes whose name has a word beginning with each word of `text` (case and "
    "accents ignored, CJK by character), or whose id is `text`: exact matches first, then "
    "by label and id. BAD_USER_INPUT when more than GRAPH_SERVICE_MAX_SEARCH_MATCHES "
    "(10,000) match.",
    arguments=SearchArgs,
    answer=Ranked,
    lists="Search",
    subjects=no_subjects,
    batch=generic,
    cost=cost,
    validate=validate,
    ranking=Ranking(order=ORDER, personal_match=personal_match),
)
"""``search``."""
