"""The embedded store's traversals against plain reference walks, on random banks with hubs.

The store's bidirectional search tests frontiers before it enumerates them and keeps hubs'
neighbours sorted; the references here are the definitions, written the slow obvious way
(breadth-first distances from both ends, every shortest path listed and sorted; a
breadth-first walk sorting each node's new neighbours), so a shortcut that changes an
answer fails here on some pair.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Iterator, Sequence

import pytest

from graph_service.linkage import traversal
from graph_service.model import NodeKey, RelationshipType
from graph_service.records import GraphBatch, NodeRow, RelationshipRow
from graph_service.stores.embedded import EmbeddedStore, adjacency

Rel = tuple[str, NodeKey, NodeKey]
"""``(type, start, end)``"""
ORDER = {t.value: i for i, t in enumerate(RelationshipType)}
ALL = tuple(ORDER)
FILTERS = [ALL, ("EMPLOYED_BY", "SHAREHOLDER_OF", "GUARANTEES"), ("OWNS", "TRANSFERRED_TO")]


def random_bank(seed: int) -> tuple[GraphBatch, list[NodeKey], list[Rel]]:
    """A bank of about 400 nodes: two hub enterprises, parallel and self relationships."""
    rng = random.Random(seed)
    people = [("Person", f"P{i}") for i in range(160)]
    firms = [("Enterprise", f"E{i}") for i in range(40)]
    accounts = [("Account", f"A{i}") for i in range(180)]
    managers = [("Manager", f"M{i}") for i in range(6)]
    rels: set[Rel] = set()
    for person in people:
        # Most work at one of the two hubs, E0 and E1.
        firm = firms[0] if rng.random() < 0.4 else firms[1] if rng.random() < 0.4 else None
        rels.add(("EMPLOYED_BY", person, firm or rng.choice(firms)))
        if rng.random() < 0.1:
            rels.add(("SHAREHOLDER_OF", person, rng.choice(firms)))  # maybe parallel
        if rng.random() < 0.05:
            rels.add(("GUARANTEES", person, rng.choice([person, *people])))  # maybe itself
        if rng.random() < 0.3:
            rels.add(("MANAGES", rng.choice(managers), person))
    for account in accounts:
        rels.add(("OWNS", rng.choice(people + firms), account))
        for _ in range(rng.choice((0, 0, 1, 2))):
            rels.add(("TRANSFERRED_TO", account, rng.choice([account, *accounts])))
    for firm in firms:
        rels.add(("MANAGES", rng.choice(managers), firm))
        if rng.random() < 0.5:
            rels.add(("SHAREHOLDER_OF", rng.choice(firms[:3]), firm))
    rels |= {("GUARANTEES", people[0], people[0]), ("TRANSFERRED_TO", accounts[0], accounts[0])}
    nodes = people + firms + accounts + managers
    batch = GraphBatch(
        nodes=[NodeRow(label, i, {}, "bank", 0) for label, i in nodes],
        relationships=[RelationshipRow(t, s, e, {}, "bank", 0) for t, s, e in sorted(rels)],
        files=["bank"],
    )
    return batch, nodes, sorted(rels)


def distances(start: NodeKey, rels: Sequence[Rel]) -> dict[NodeKey, int]:
    """Hops from ``start`` to every node it reaches, ignoring direction."""
    adjacent: dict[NodeKey, set[NodeKey]] = {}
    for _, s, e in rels:
        adjacent.setdefault(s, set()).add(e)
        adjacent.setdefault(e, set()).add(s)
    dist = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for other in adjacent.get(node, ()):
            if other not in dist:
                dist[other] = dist[node] + 1
                queue.append(other)
    return dist


def reference_paths(start: NodeKey, end: NodeKey, rels: Sequence[Rel], max_hops: int) -> list:
    """Every shortest path within ``max_hops``, in the stores' order.

    A path is its list of steps ``(next node, type rank, start of the relationship)``;
    paths are sorted by them, which is the order the stores list them in.
    """
    ahead, behind = distances(start, rels), distances(end, rels)
    length = ahead.get(end)
    if length is None or length > max_hops:
        return []
    if length == 0:
        return [((start,), ())]
    on_path = {n for n in ahead if n in behind and ahead[n] + behind[n] == length}
    paths = []

    def extend(nodes: list[NodeKey], steps: list[tuple[NodeKey, int, NodeKey, Rel]]) -> None:
        last = nodes[-1]
        if last == end:
            paths.append((tuple(steps), tuple(nodes), tuple(r for *_, r in steps)))
            return
        for rel in rels:
            t, s, e = rel
            if last in (s, e):
                other = e if last == s else s
                if other in on_path and ahead[other] == ahead[last] + 1:
                    extend(nodes + [other], steps + [(other, ORDER[t], s, rel)])

    extend([start], [])
    paths.sort(key=lambda p: [step[:3] for step in p[0]])
    return [(nodes, rels_) for _, nodes, rels_ in paths]


def reference_network(
    start: NodeKey, depth: int, rels: Sequence[Rel], max_nodes: int
) -> tuple[list[NodeKey], list[Rel], bool]:
    """The breadth-first walk of ``client_network``: new neighbours sorted at each node."""
    adjacent: dict[NodeKey, set[NodeKey]] = {start: set()}
    for _, s, e in rels:
        adjacent.setdefault(s, set()).add(e)
        adjacent.setdefault(e, set()).add(s)
    order, frontier, truncated = [start], [start], False
    for _ in range(depth):
        following = []
        for node in frontier:
            for other in sorted(adjacent[node] - set(order)):
                if len(order) >= max_nodes:
                    truncated = True
                    break
                order.append(other)
                following.append(other)
            if truncated:
                break
        if truncated or not following:
            break
        frontier = following
    kept = set(order)
    among = [r for r in rels if r[1] in kept and r[2] in kept]
    among.sort(key=lambda r: (r[1], r[2], ORDER[r[0]]))
    return order, among, truncated


Bank = tuple[EmbeddedStore, list[NodeKey], list[Rel]]
Question = tuple[EmbeddedStore, list[NodeKey], NodeKey, tuple[str, ...], list[Rel], random.Random]


def questions(banks: list[Bank], seed: int, per_bank: int) -> Iterator[Question]:
    """Random questions: store, its nodes, a start node, a type filter, the relationships
    of those types, and the draw (for the question's other arguments)."""
    rng = random.Random(seed)
    for store, nodes, rels in banks:
        for _ in range(per_bank):
            types = rng.choice(FILTERS)
            yield store, nodes, rng.choice(nodes), types, [r for r in rels if r[0] in types], rng


@pytest.fixture(scope="module")
def banks(tmp_path_factory: pytest.TempPathFactory) -> list[Bank]:
    """Three random banks, each loaded into an embedded store."""
    found = []
    for seed in (1, 2, 3):
        batch, nodes, rels = random_bank(seed)
        store = EmbeddedStore(tmp_path_factory.mktemp(f"bank-{seed}"))
        asyncio.run(store.write(batch))
        found.append((store, nodes, rels))
    return found


@pytest.mark.parametrize("read_cost", [0, traversal.NODE_READ_COST, 10**6])
def test_shortest_paths_match_the_reference(
    banks: list[Bank], read_cost: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cost of a node read decides which frontier tests the other: never the answer.
    monkeypatch.setattr(traversal, "NODE_READ_COST", read_cost)
    linked = 0
    for store, nodes, start, types, allowed, rng in questions(banks, read_cost, 150):
        end, max_hops = rng.choice(nodes), rng.randint(1, 6)
        expected = reference_paths(start, end, allowed, max_hops)
        answer = asyncio.run(traversal.shortest_paths(store, start, end, types, max_hops, 10_000))
        got = [
            (
                tuple(n.key for n in p.nodes),
                tuple((r.type, r.start, r.end) for r in p.relationships),
            )
            for p in answer
        ]
        assert got == expected, (start, end, types, max_hops)
        linked += bool(got) and start != end
    assert linked > 60  # many pairs are linked: paths are compared, not just emptiness


@pytest.mark.parametrize("hub_from", [adjacency.SORTED_NEIGHBOURS_MIN, 4])
def test_client_network_matches_the_reference(
    banks: list[Bank], hub_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With hub_from 4, most nodes count as hubs: their sorted neighbour lists are used.
    monkeypatch.setattr(adjacency, "SORTED_NEIGHBOURS_MIN", hub_from)
    truncated = 0
    for store, _, start, types, allowed, rng in questions(banks, hub_from, 100):
        depth, max_nodes = rng.randint(1, 3), rng.choice((500, 40, 3))
        expected = reference_network(start, depth, allowed, max_nodes)
        sub = asyncio.run(traversal.client_network(store, start, depth, types, max_nodes))
        got = (
            [n.key for n in sub.nodes],
            [(r.type, r.start, r.end) for r in sub.relationships],
            sub.truncated,
        )
        assert got == expected, (start, depth, types, max_nodes)
        truncated += sub.truncated
    assert truncated > 20  # the budget's cut is compared too
