"""search on the small bank and a few added names, on every store: matches, ranking, labels,
ids, the bound, and an index kept current by writes."""

from __future__ import annotations

import asyncio

import pytest

from graph_service.config import Settings
from graph_service.errors import InvalidInputError
from graph_service.linkage.question import Ranked, answer, answer_many
from graph_service.linkage.search import QUESTION, SearchArgs
from graph_service.model import NodeLabel
from graph_service.records import GraphBatch, NodeRow
from graph_service.stores.base import GraphStore

E, P, A, M = (NodeLabel.ENTERPRISE.value, NodeLabel.PERSON.value, NodeLabel.ACCOUNT.value,
              NodeLabel.MANAGER.value)
EXTRA = [
    NodeRow(E, "E7", {"name": "Société Générale Acme"}),
    NodeRow(E, "E8", {"name": "中国工商银行"}),
    NodeRow(P, "P9", {"name": "李小龙"}),
    NodeRow(P, "acme", {"name": "Zed"}),  # found by its id
    NodeRow(M, "M9", {"name": "Acme", "kind": "retail"}),  # an exact name
]


@pytest.fixture
def store(bank: GraphStore) -> GraphStore:
    """The small bank plus :data:`EXTRA`."""
    asyncio.run(bank.write(GraphBatch(nodes=EXTRA, relationships=[], files=["extra"])))
    return bank


def search(store: GraphStore, text: str, labels: tuple[NodeLabel, ...] | None = None,
           settings: Settings | None = None) -> list[tuple[int, str, str]]:
    """The ranked ``(rank, label, id)`` of each node found."""
    found = asyncio.run(answer(QUESTION, store, settings or Settings(), SearchArgs(text, labels)))
    assert isinstance(found, Ranked)
    assert [key[1:] for key in found.sort_keys] == found.items
    return [(int(r), str(label), str(i)) for r, label, i in found.sort_keys]


def test_word_prefixes_case_and_accents(store: GraphStore) -> None:
    # Acme Ltd (E1), Société Générale Acme (E7), Acme the manager (exact), "acme" the id.
    assert search(store, "acm") == [
        (1, E, "E1"), (1, E, "E7"), (1, M, "M9"),
    ]
    assert search(store, "acme") == [
        (0, M, "M9"), (0, P, "acme"), (1, E, "E1"), (1, E, "E7"),
    ]
    assert search(store, "SOCIÉTÉ gén") == [(1, E, "E7")]
    assert search(store, "generale societe") == [(1, E, "E7")]
    assert search(store, "gmb beta") == [(1, E, "E2")]
    assert search(store, "eta") == []  # not the start of a word


def test_cjk_names_match_on_characters(store: GraphStore) -> None:
    assert search(store, "小龙") == [(1, P, "P9")]
    assert search(store, "李小龙") == [(0, P, "P9")]
    assert search(store, "工商") == [(1, E, "E8")]
    assert search(store, "商工") == [(1, E, "E8")]
    assert search(store, "龙 大") == []


def test_ids_and_labels(store: GraphStore) -> None:
    assert search(store, "A3") == [(0, A, "A3")]  # accounts are found by id only
    assert search(store, "a3") == []  # an id matches exactly
    assert search(store, "acme", (NodeLabel.ENTERPRISE,)) == [(1, E, "E1"), (1, E, "E7")]
    assert search(store, "acme", (NodeLabel.PERSON, NodeLabel.MANAGER)) == [
        (0, M, "M9"), (0, P, "acme"),
    ]


def test_a_node_found_by_its_id_and_its_name_is_listed_once(store: GraphStore) -> None:
    both = NodeRow(E, "bet", {"name": "Bet Co"})
    asyncio.run(store.write(GraphBatch(nodes=[both], relationships=[], files=["both"])))
    assert search(store, "bet") == [(0, E, "bet"), (1, E, "E2")]


def test_bad_text_and_labels_are_refused(store: GraphStore) -> None:
    for text in ("", "   ", "x" * 201):
        with pytest.raises(InvalidInputError, match="text"):
            search(store, text)
    with pytest.raises(InvalidInputError, match="labels"):
        search(store, "acme", ())


def test_a_text_matching_too_many_nodes_is_refused(store: GraphStore) -> None:
    bounded = Settings(max_search_matches=2)
    assert len(search(store, "acme", (NodeLabel.ENTERPRISE,), bounded)) == 2
    with pytest.raises(InvalidInputError, match="matches more than 2 nodes"):
        search(store, "a", settings=bounded)


def test_a_search_refused_in_a_batch_leaves_the_others_answered(store: GraphStore) -> None:
    """A bulk run's lines and a request's aliases are one batch: each answers alone."""
    bounded = Settings(max_search_matches=2)
    many = [SearchArgs("acme", (NodeLabel.ENTERPRISE,)), SearchArgs("a"),
            SearchArgs("acme", (NodeLabel.ENTERPRISE,))]
    first, refused, last = asyncio.run(answer_many(QUESTION, store, bounded, many))
    assert isinstance(refused, InvalidInputError) and "matches more than 2" in str(refused)
    assert isinstance(first, Ranked) and len(first.items) == 2 and last == first


def test_the_bound_counts_a_node_found_by_its_id_and_name_once(store: GraphStore) -> None:
    # "acme": M9 (its name), acme (its id), E1 and E7 (a word): four nodes
    assert len(search(store, "acme", settings=Settings(max_search_matches=4))) == 4
    with pytest.raises(InvalidInputError, match="matches more than 3 nodes"):
        search(store, "acme", settings=Settings(max_search_matches=3))
    both = NodeRow(E, "bet", {"name": "Bet Co"})  # found by its id and by its name
    asyncio.run(store.write(GraphBatch(nodes=[both], relationships=[], files=["both"])))
    assert search(store, "bet", settings=Settings(max_search_matches=2)) == [
        (0, E, "bet"), (1, E, "E2")]
    with pytest.raises(InvalidInputError, match="matches more than 1 nodes"):
        search(store, "bet", settings=Settings(max_search_matches=1))


def test_writes_keep_the_index_current(store: GraphStore) -> None:
    renamed = NodeRow(E, "E1", {"name": "Zenith Holdings"})
    asyncio.run(store.write(GraphBatch(nodes=[renamed], relationships=[], files=["rename"])))
    assert search(store, "acme", (NodeLabel.ENTERPRISE,)) == [(1, E, "E7")]
    assert search(store, "zen hold") == [(1, E, "E1")]
    # A row without a name keeps the stored one, and its index entry.
    blocked = NodeRow(E, "E1", {"blocked": True})
    asyncio.run(store.write(GraphBatch(nodes=[blocked], relationships=[], files=["block"])))
    assert search(store, "zenith") == [(1, E, "E1")]
    gone = GraphBatch(nodes=[], relationships=[], files=["delete"], deleted_nodes=[(E, "E1")])
    asyncio.run(store.write(gone))
    assert search(store, "zenith") == []
