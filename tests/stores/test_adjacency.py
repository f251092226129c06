"""The embedded store's neighbourhoods: tuples up to ``SMALL`` neighbours, dicts past it."""

from __future__ import annotations

from collections import defaultdict

from graph_service.stores.base import Direction
from graph_service.stores.embedded.adjacency import (
    SMALL,
    TYPED_KEPT_MIN,
    Adjacency,
    count,
    edge_to,
    pairs,
)
from graph_service.stores.embedded.properties import Fields

EMPLOYED_BY, SHAREHOLDER_OF = "EMPLOYED_BY", "SHAREHOLDER_OF"


def _graph(people: int) -> Adjacency:
    """One enterprise ``E1`` and ``people`` persons ``P0``... employed by it as ``staff``."""
    graph = Adjacency(defaultdict(Fields))
    graph.apply_nodes("Enterprise", ["E1"], [()], new=True)
    ids = [f"P{i}" for i in range(people)]
    graph.apply_nodes("Person", ids, [()] * people, new=True)
    graph.apply_rels(EMPLOYED_BY, "Person", "Enterprise", ids, ["E1"] * people,
                     [("staff",)] * people)  # fmt: skip
    return graph


def _employees(graph: Adjacency) -> dict[str, tuple[object, ...]]:
    enterprise = graph.find(("Enterprise", "E1"))
    assert enterprise is not None
    return {graph.ids[p]: edge[EMPLOYED_BY] for p, edge in pairs(graph.pred[enterprise])}


def test_a_neighbourhood_is_a_tuple_up_to_small_then_a_dict() -> None:
    small, large = _graph(SMALL), _graph(SMALL + 1)
    assert small.pred[0].__class__ is tuple and count(small.pred[0]) == SMALL
    assert large.pred[0].__class__ is dict and count(large.pred[0]) == SMALL + 1
    for graph, people in ((small, SMALL), (large, SMALL + 1)):
        assert _employees(graph) == {f"P{i}": ("staff",) for i in range(people)}
        assert graph.degrees([0]) == [people]
        assert graph.has_relationship(EMPLOYED_BY, ("Person", "P1"), ("Enterprise", "E1"))
        assert not graph.has_relationship(EMPLOYED_BY, ("Enterprise", "E1"), ("Person", "P1"))


def test_equal_relationships_share_one_edge_dict() -> None:
    graph = _graph(3)
    edges = {id(edge) for _, edge in pairs(graph.pred[0])}
    assert len(edges) == 1
    assert edge_to(graph.succ[1], 0) is edge_to(graph.pred[0], 1)


def test_writes_on_both_forms_keep_the_graph_right() -> None:
    for people in (3, SMALL + 3):
        graph = _graph(people)
        # A second type on a joined pair: a merged copy, the first type's dict untouched.
        graph.apply_rels(SHAREHOLDER_OF, "Person", "Enterprise", ["P1"], ["E1"], [(0.5,)])
        assert edge_to(graph.succ[2], 0) == {EMPLOYED_BY: ("staff",), SHAREHOLDER_OF: (0.5,)}
        assert edge_to(graph.succ[3], 0) == {EMPLOYED_BY: ("staff",)}
        graph.remove_rels(EMPLOYED_BY, "Person", "Enterprise", [("P1", "E1"), ("P2", "E1")])
        assert edge_to(graph.pred[0], 2) == {SHAREHOLDER_OF: (0.5,)}
        assert edge_to(graph.pred[0], 3) is None and graph.succ[3] == ()
        graph.remove_nodes("Person", ["P0"])
        assert graph.succ[1] is None and graph.pred[1] is None
        assert edge_to(graph.pred[0], 1) is None
        assert graph.degrees([0]) == [people - 2]
        assert graph.counts()[EMPLOYED_BY] == people - 3  # P0, P1 and P2 gone
        assert graph.counts()[SHAREHOLDER_OF] == 1
        assert sorted(graph.relationships_at(("Person", "P1"))) == [
            (SHAREHOLDER_OF, ("Person", "P1"), ("Enterprise", "E1"))
        ]


def test_a_hubs_few_neighbours_of_a_type_are_kept_and_follow_writes() -> None:
    graph = _graph(TYPED_KEPT_MIN + 10)
    graph.fields[SHAREHOLDER_OF].add("share")

    def holders() -> dict[str, object]:
        [found] = graph.neighbors("Enterprise", ["E1"], SHAREHOLDER_OF, Direction.INCOMING)
        return {node.id: rel.props["share"] for rel, node in found}

    graph.apply_rels(SHAREHOLDER_OF, "Person", "Enterprise", ["P2", "P10"], ["E1", "E1"],
                     [(0.5,), (0.2,)])  # fmt: skip
    graph.settle()
    assert holders() == {"P10": 0.2, "P2": 0.5}
    assert list(holders()) == ["P10", "P2"]  # by id as text
    assert graph.derived[("typed neighbours",)]  # kept: 2 shareholders among 76 neighbours
    graph.apply_rels(SHAREHOLDER_OF, "Person", "Enterprise", ["P3", "P2"], ["E1", "E1"],
                     [(0.1,), (0.9,)])  # fmt: skip
    graph.settle()
    assert holders() == {"P10": 0.2, "P2": 0.9, "P3": 0.1}
    graph.remove_rels(SHAREHOLDER_OF, "Person", "Enterprise", [("P10", "E1")])
    graph.settle()
    assert holders() == {"P2": 0.9, "P3": 0.1}
    graph.remove_nodes("Person", ["P3"])
    graph.settle()
    assert holders() == {"P2": 0.9}
    [staff] = graph.neighbors("Enterprise", ["E1"], EMPLOYED_BY, Direction.INCOMING)
    assert len(staff) == TYPED_KEPT_MIN + 9  # most of the neighbourhood: read, not kept
    assert set(graph.derived[("typed neighbours",)][0]) == {(SHAREHOLDER_OF, False)}
