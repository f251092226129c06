"""Linkage paths and client networks on the small bank (answers by hand, tests/conftest.py)."""

from __future__ import annotations

import asyncio

import pytest

from graph_service.config import Settings
from graph_service.errors import InvalidInputError, NotFoundError
from graph_service.linkage import network as network_question
from graph_service.linkage import paths as paths_question
from graph_service.linkage.question import answer
from graph_service.model import RelationshipType
from graph_service.records import GraphBatch, NodeRow, RelationshipRow
from graph_service.stores.base import GraphStore, Path, Subgraph

P, E, A, M = "Person", "Enterprise", "Account", "Manager"


def _types(rel_types: list[str] | None) -> tuple[RelationshipType, ...] | None:
    return None if rel_types is None else tuple(RelationshipType(t) for t in rel_types)


def paths(store: GraphStore, start, end, rel_types=None, **kw) -> list[Path]:  # type: ignore[no-untyped-def]
    args = paths_question.PathsArgs(start, end, _types(rel_types), **kw)
    found = answer(paths_question.QUESTION, store, Settings(), args)
    return asyncio.run(found)  # type: ignore[no-any-return]


def ids(path: Path) -> list[str]:
    return [n.id for n in path.nodes]


def test_manager_to_prospect(bank: GraphStore) -> None:
    # M1 manages Acme, where Alice works; Alice guarantees Gina, whom M2 manages.
    [path] = paths(bank, (M, "M1"), (M, "M2"), limit=10)
    assert ids(path) == ["M1", "E1", "P1", "P7", "M2"]
    assert [r.type for r in path.relationships] == [
        "MANAGES",
        "EMPLOYED_BY",
        "GUARANTEES",
        "MANAGES",
    ]
    assert path.length == 4
    # Relationships keep their stored direction: Alice -> Acme.
    assert path.relationships[1].start == (P, "P1")


def test_only_shortest_paths(bank: GraphStore) -> None:
    # Bob-Acme-Alice-Gina (3 hops) beats Bob-A2-A1-Alice-Gina (4 hops).
    answer = paths(bank, (P, "P2"), (P, "P7"), limit=10)
    assert [ids(p) for p in answer] == [["P2", "E1", "P1", "P7"]]


def test_parallel_relationships_are_distinct_paths(bank: GraphStore) -> None:
    # Dan is both executive and shareholder of Acme.
    answer = paths(bank, (P, "P4"), (E, "E1"), limit=5)
    assert [[r.type for r in p.relationships] for p in answer] == [
        ["EMPLOYED_BY"],
        ["SHAREHOLDER_OF"],
    ]
    assert len(paths(bank, (P, "P4"), (E, "E1"))) == 1


def test_relationship_filter_and_hops(bank: GraphStore) -> None:
    # Without GUARANTEES, Gina is only reachable through nobody: no path.
    no_guarantees = ["EMPLOYED_BY", "MANAGES", "OWNS", "SHAREHOLDER_OF", "TRANSFERRED_TO"]
    assert paths(bank, (P, "P2"), (P, "P7"), rel_types=no_guarantees) == []
    # Through accounts only: Bob-A2-A1-Alice.
    [path] = paths(bank, (P, "P2"), (P, "P1"), rel_types=["OWNS", "TRANSFERRED_TO"])
    assert ids(path) == ["P2", "A2", "A1", "P1"]
    assert paths(bank, (M, "M1"), (M, "M2"), max_hops=3) == []


def test_path_errors(bank: GraphStore) -> None:
    with pytest.raises(NotFoundError):
        paths(bank, (P, "P1"), (P, "nobody"))
    with pytest.raises(InvalidInputError, match="maxHops"):
        paths(bank, (P, "P1"), (P, "P2"), max_hops=0)
    with pytest.raises(InvalidInputError, match="limit"):
        paths(bank, (P, "P1"), (P, "P2"), limit=101)
    with pytest.raises(InvalidInputError, match="relationshipTypes"):
        paths(bank, (P, "P1"), (P, "P2"), rel_types=[])


def network(store: GraphStore, start, depth=1, rel_types=None, max_nodes=500) -> Subgraph:  # type: ignore[no-untyped-def]
    args = network_question.NetworkArgs(start, depth, _types(rel_types))
    found = answer(network_question.QUESTION, store, Settings(max_network_nodes=max_nodes), args)
    return asyncio.run(found)  # type: ignore[no-any-return]


def test_client_network_depth_one(bank: GraphStore) -> None:
    sub = network(bank, (E, "E1"))
    assert [n.id for n in sub.nodes] == ["E1", "E2", "M1", "P1", "P2", "P3", "P4"]
    # Every relationship among those nodes, as networkx's ego_graph: 4 EMPLOYED_BY to Acme,
    # Dan's EMPLOYED_BY to Beta (both ends are in), 2 SHAREHOLDER_OF and 1 MANAGES.
    assert len(sub.relationships) == 8
    assert sum(r.type == "EMPLOYED_BY" for r in sub.relationships) == 5
    assert not sub.truncated


def test_client_network_depth_two_and_filter(bank: GraphStore) -> None:
    sub = network(bank, (P, "P1"), depth=2, rel_types=["EMPLOYED_BY", "GUARANTEES"])
    assert [n.id for n in sub.nodes] == ["P1", "E1", "P7", "P2", "P3", "P4"]
    assert {r.type for r in sub.relationships} == {"EMPLOYED_BY", "GUARANTEES"}


def test_client_network_budget(bank: GraphStore) -> None:
    sub = network(bank, (E, "E1"), max_nodes=3)
    assert [n.id for n in sub.nodes] == ["E1", "E2", "M1"]
    assert sub.truncated
    assert all(r.start in {n.key for n in sub.nodes} for r in sub.relationships)


def test_client_network_lists_a_self_relationship_once(bank: GraphStore) -> None:
    # A1 transfers to itself too: one relationship, which leaves and reaches A1.
    to_itself = RelationshipRow("TRANSFERRED_TO", (A, "A1"), (A, "A1"), {"count": 1}, "t.csv", 2)
    asyncio.run(bank.write(GraphBatch(relationships=[to_itself], files=["t.csv"])))
    sub = network(bank, (A, "A1"))
    assert [n.id for n in sub.nodes] == ["A1", "A2", "P1"]
    assert [(r.type, r.start[1], r.end[1]) for r in sub.relationships] == [
        ("TRANSFERRED_TO", "A1", "A1"),
        ("TRANSFERRED_TO", "A1", "A2"),
        ("OWNS", "P1", "A1"),
    ]
    # A path never takes it: A2-A1-Alice, as without it.
    [path] = paths(bank, (A, "A2"), (P, "P1"), limit=10)
    assert ids(path) == ["A2", "A1", "P1"]


def test_client_network_errors(bank: GraphStore) -> None:
    with pytest.raises(InvalidInputError, match="depth"):
        network(bank, (E, "E1"), depth=4)
    with pytest.raises(NotFoundError):
        network(bank, (A, "A99"))


def test_loan_and_sign_in_relationships_only_when_named(bank: GraphStore) -> None:
    # Alice and Frank applied for one loan; a phone signed into Alice's and Frank's accounts.
    L, MD = "Loan", "Medium"
    asyncio.run(bank.write(GraphBatch(
        nodes=[NodeRow(L, "L1", {}), NodeRow(MD, "phone", {"type": "PHONE"})],
        relationships=[
            RelationshipRow("APPLIED_FOR", (P, "P1"), (L, "L1"), {}),
            RelationshipRow("APPLIED_FOR", (P, "P6"), (L, "L1"), {}),
            RelationshipRow("SIGNED_IN_TO", (MD, "phone"), (A, "A1"), {"count": 1}),
            RelationshipRow("SIGNED_IN_TO", (MD, "phone"), (A, "A5"), {"count": 3}),
        ],
    )))  # fmt: skip
    # Omitted relationshipTypes: the linkage types, as before loans existed.
    assert {n.key for n in network(bank, (P, "P1")).nodes} == {
        (P, "P1"), (E, "E1"), (A, "A1"), (P, "P7"),
    }  # fmt: skip
    assert [ids(p) for p in paths(bank, (P, "P1"), (P, "P6"), limit=10)] == [
        ["P1", "E1", "E2", "P6"]  # Acme holds 60 % of Beta: not through the loan
    ]
    # Named: the loan joins them in two hops, the phone in four.
    [via_loan] = paths(bank, (P, "P1"), (P, "P6"), ["APPLIED_FOR"], limit=10)
    assert ids(via_loan) == ["P1", "L1", "P6"]
    [via_phone] = paths(bank, (P, "P1"), (P, "P6"), ["OWNS", "SIGNED_IN_TO"], limit=10)
    assert ids(via_phone) == ["P1", "A1", "phone", "A5", "P6"]
    reached = network(bank, (MD, "phone"), 1, ["SIGNED_IN_TO"])
    assert [n.key for n in reached.nodes] == [(MD, "phone"), (A, "A1"), (A, "A5")]
    assert [dict(r.props) for r in reached.relationships] == [{"count": 1}, {"count": 3}]
