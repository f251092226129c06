"""The graph searches, written once over the stores' traversal primitives.

:func:`client_network` (breadth-first expansion within a node budget) and
:func:`shortest_paths` (two-way breadth-first search, then every shortest path in order)
call only the primitives of :class:`~graph_service.stores.base.GraphStore` (resolving keys,
expanding a frontier, testing whether a frontier touches a set, degrees, a node's first
neighbours in key order, the relationships joining nodes), on the store's own opaque node
handles and with sets passed in bulk, so that every store answers identically, in the
ordering contract of :mod:`graph_service.stores.base`.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat

from graph_service.model import NodeKey
from graph_service.stores.base import (
    REL_ORDER,
    GraphStore,
    Handle,
    Node,
    Path,
    Relationship,
    Subgraph,
)

NODE_READ_COST = 16
"""Cost of reading one node's relationships, in neighbours listed (a ratio, no unit): on the
embedded store a node is a random memory access into the graph, a neighbour one step of a
C loop over a dict; measured on the 1M-person benchmark bank, see
benchmarks/README.md#tuning-constants. Weighs the two ways of testing whether two search
frontiers touch (:func:`_distances`)."""


async def client_network(
    store: GraphStore, start: NodeKey, depth: int, rel_types: Sequence[str], max_nodes: int
) -> Subgraph:
    """Breadth-first ego graph of ``start`` up to ``depth`` hops, at most ``max_nodes``.

    Parameters
    ----------
    store : GraphStore
    start : (label, id)
    depth : int
        Hops from ``start``, ignoring direction.
    rel_types : sequence of str
        Relationship types to traverse.
    max_nodes : int
        Node budget.

    Returns
    -------
    Subgraph
        Nodes in breadth-first order: for each node of a level in order, its neighbours not
        yet seen in ``(label, id)`` order, until the budget is full (``truncated`` when a
        node was left out); every relationship among them once. Empty when ``start`` is
        absent.

    Notes
    -----
    One :meth:`~graph_service.stores.base.GraphStore.first_neighbours` call per level, for
    the whole frontier, asking each node for no more neighbours than the budget can admit
    (the embedded store keeps a hub's first neighbours, so a walk past an enterprise with
    thousands of employees reads a few hundred of them); then the relationships among the
    nodes kept and the nodes, one call each.
    """
    [first] = await store.handles([start])
    if first is None:
        return Subgraph()
    types = frozenset(rel_types)
    seen = {first}
    order = [first]
    frontier = [first]
    truncated = False
    for _ in range(depth):
        admitted: list[Handle] = []
        for fresh in await store.first_neighbours(frontier, types, seen, max_nodes + 1):
            for other in fresh:
                if other in seen:
                    continue  # admitted earlier in this level
                if len(order) >= max_nodes:
                    truncated = True
                    break
                seen.add(other)
                order.append(other)
                admitted.append(other)
            if truncated:
                break
        frontier = admitted
        if truncated or not frontier:
            break
    rels = await store.relationships_among(order, types)
    return Subgraph(await store.nodes(order), rels, truncated)


async def _distances(
    store: GraphStore, source: Handle, target: Handle, types: frozenset[str], max_hops: int
) -> dict[Handle, int] | None:
    """Distance from ``source`` of every node on a shortest path to ``target``.

    Bidirectional breadth-first search: one side grows by a level at a time until the
    two searches meet, which visits about twice the square root of what a one-sided
    search to the same depth visits. Then the nodes on shortest paths are collected
    walking back from the meeting nodes on both sides, a level at a time. Returns ``None``
    when ``target`` is farther than ``max_hops``.

    Notes
    -----
    Time goes to the nodes whose relationships are read (a random memory access each on the
    embedded store, :data:`NODE_READ_COST`; a round trip on a server) more than to
    the neighbours listed, so the search tests before it enumerates and reads a frontier
    only when it must:

    - A path one hop longer than the two searches so far exists exactly when the two
      frontiers are adjacent (had nearer nodes been, they would have met earlier). That
      is tested first, from the side where it is cheaper (a hub, such as an enterprise
      with tens of thousands of employees, is tested against the other frontier without
      listing its neighbours).
    - Otherwise the side whose frontier has the fewer neighbours grows a level. A
      frontier's degrees are read only when a choice needs them: a frontier of ``k``
      nodes (beyond the first) has at least ``k`` neighbours, and testing from it costs
      at least ``k`` node reads.
    - With two hops left, the level is not built: the neighbours of one frontier are
      collected in a set and the other frontier is tested against it (a common
      neighbour is the middle of a path); with one hop left, only the first test runs.
    """
    sides: tuple[dict[Handle, int], dict[Handle, int]] = ({source: 0}, {target: 0})
    levels: tuple[list[set[Handle]], list[set[Handle]]] = ([{source}], [{target}])
    known: list[list[int] | None] = [None, None]  # the frontiers' degrees, once read

    async def degrees(i: int) -> list[int]:
        found = known[i]
        if found is None:
            found = known[i] = await store.degrees(list(levels[i][-1]))
        return found

    async def test_cost(i: int) -> int:
        other = len(levels[1 - i][-1])
        found = await degrees(i)
        return sum(map(min, found, repeat(other))) + NODE_READ_COST * len(levels[i][-1])

    while True:
        fronts = (levels[0][-1], levels[1][-1])
        hops = len(levels[0]) + len(levels[1]) - 2
        if hops >= max_hops or not fronts[0] or not fronts[1]:
            return None
        small = 0 if len(fronts[0]) <= len(fronts[1]) else 1
        big = 1 - small
        side, cost = small, await test_cost(small)
        if cost > NODE_READ_COST * len(fronts[big]) and await test_cost(big) < cost:
            side = big
        meeting = await store.touching(fronts[side], fronts[1 - side], types)
        if meeting:
            sides[side].update(dict.fromkeys(meeting, len(levels[side])))
            break
        if hops + 1 == max_hops:
            return None
        grow = small
        if (len(levels[big]) == 1 or sum(await degrees(small)) > len(fronts[big])) and (
            sum(await degrees(big)) < sum(await degrees(small))
        ):
            grow = big
        reached = await store.neighbourhood(fronts[grow], types)
        if hops + 2 == max_hops:
            meeting = await store.touching(fronts[1 - grow], reached, types)
            if not meeting:
                return None
            for i in (0, 1):
                sides[i].update(dict.fromkeys(meeting, len(levels[i])))
            break
        following = reached.difference(sides[grow])
        sides[grow].update(dict.fromkeys(following, len(levels[grow])))
        levels[grow].append(following)
        known[grow] = None
    some = next(iter(meeting))
    length = sides[0][some] + sides[1][some]
    dist = {node: sides[0][node] for node in meeting}
    for seen, side_levels, offset, sign in (
        (sides[0], levels[0], 0, 1),
        (sides[1], levels[1], length, -1),
    ):
        # The nodes on shortest paths at each distance from this side's end, nearest the
        # meeting nodes first: those of the level below that touch the ones above.
        on_path = set(meeting)
        below = seen[some] - 1
        while below >= 0 and on_path:
            on_path = await store.touching(on_path, side_levels[below], types)
            dist.update(dict.fromkeys(on_path, offset + sign * below))
            below -= 1
    return dist


async def shortest_paths(
    store: GraphStore,
    start: NodeKey,
    end: NodeKey,
    rel_types: Sequence[str],
    max_hops: int,
    limit: int,
) -> list[Path]:
    """Up to ``limit`` shortest paths from ``start`` to ``end`` ignoring direction.

    Parameters
    ----------
    store : GraphStore
    start, end : (label, id)
    rel_types : sequence of str
        Relationship types a path may use.
    max_hops : int
        Longest path considered.
    limit : int
        Most paths listed.

    Returns
    -------
    list of Path
        All of the same, shortest length; empty when either node is absent or they are
        not linked within ``max_hops``. Ordered hop by hop from ``start``, each hop by the
        next node's key, then the relationship's type, then its start node's key (the
        ordering contract); parallel relationships give distinct paths (as Cypher's
        ``allShortestPaths``).

    Notes
    -----
    A bidirectional breadth-first search for the nodes on shortest paths
    (:func:`_distances`), then a depth-first enumeration of that shortest-path DAG in
    order, reading each visited node's relationships to the next level
    (:meth:`~graph_service.stores.base.GraphStore.links`) until ``limit`` paths are found;
    nodes and relationship properties are read for the paths listed only. O(V + E) within
    ``max_hops / 2`` of either end, plus the paths listed.
    """
    source, target = await store.handles([start, end])
    if source is None or target is None:
        return []
    if source == target:
        return [Path(tuple(await store.nodes([source])), ())]
    types = frozenset(rel_types)
    dist = await _distances(store, source, target, types, max_hops)
    if dist is None:
        return []
    by_level: dict[int, set[Handle]] = {}
    for node, level in dist.items():
        by_level.setdefault(level, set()).add(node)
    found: list[tuple[list[Handle], list[tuple[str, Handle, Handle]]]] = []
    stack: list[tuple[list[Handle], list[tuple[str, Handle, Handle]]]] = [([source], [])]
    # Depth-first, children pushed in reverse so they are popped in sorted order.
    while stack and len(found) < limit:
        nodes, rels = stack.pop()
        last = nodes[-1]
        if last == target:
            found.append((nodes, rels))
            continue
        after = by_level.get(dist[last] + 1, set())
        for other, rel_type, s, e in reversed(await store.links(last, after, types)):
            stack.append((nodes + [other], rels + [(rel_type, s, e)]))
    kept = list(dict.fromkeys(n for nodes, _ in found for n in nodes))
    read = dict(zip(kept, await store.nodes(kept), strict=True))
    triples = list(dict.fromkeys(r for _, rels in found for r in rels))
    stored = dict(zip(triples, await store.relationships(triples), strict=True))
    return [
        Path(tuple(read[n] for n in nodes), tuple(stored[r] for r in rels))
        for nodes, rels in found
    ]


def _hop_order(rel: Relationship) -> tuple[int, NodeKey]:
    """Where a relationship sits among those joining the same two nodes (path-hop order)."""
    return REL_ORDER.get(rel.type, len(REL_ORDER)), rel.start


ALL = 1 << 62
"""A ``limit`` of :meth:`~graph_service.stores.base.GraphStore.first_neighbours` that
asks for every neighbour."""


async def reach(
    store: GraphStore, starts: Sequence[NodeKey], rel_types: Sequence[str], max_hops: int
) -> dict[NodeKey, Path]:
    """Every node within ``max_hops`` of any of ``starts``, with one shortest path to it.

    Parameters
    ----------
    store : GraphStore
    starts : sequence of (label, id)
        The sources, at hop 0; absent ones are ignored.
    rel_types : sequence of str
        Relationship types a path may use, ignoring direction.
    max_hops : int
        Farthest hop reached (0: the sources only).

    Returns
    -------
    dict of (label, id) to Path
        Each node reached, in breadth-first order (by hop, then ``(label, id)``), to a
        shortest path from a source ending at it (``path.length`` is its hop). The path
        chosen: each node's previous node is the first, in ``(label, id)`` order, of the
        previous level's nodes joined to it, and the relationship joining them the first
        in path-hop order (type's declaration order, then start node's key): the same on
        every store.

    Notes
    -----
    One :meth:`~graph_service.stores.base.GraphStore.first_neighbours` and one
    :meth:`~graph_service.stores.base.GraphStore.nodes` call per level, then one
    :meth:`~graph_service.stores.base.GraphStore.relationships_among` call over the nodes
    reached. O(V + E) of the nodes within ``max_hops - 1`` hops of the sources.
    """
    found = [h for h in await store.handles(list(dict.fromkeys(starts))) if h is not None]
    types = frozenset(rel_types)
    read: dict[Handle, Node] = dict(zip(found, await store.nodes(found), strict=True))
    frontier = sorted(found, key=lambda h: read[h].key)
    previous: dict[Handle, Handle | None] = dict.fromkeys(frontier)
    order = list(frontier)
    for _ in range(max_hops):
        if not frontier:
            break
        fresh: list[Handle] = []
        listed = await store.first_neighbours(frontier, types, previous.keys(), ALL)
        for parent, others in zip(frontier, listed, strict=True):
            for other in others:
                if other not in previous:
                    previous[other] = parent
                    fresh.append(other)
        read.update(zip(fresh, await store.nodes(fresh), strict=True))
        frontier = sorted(fresh, key=lambda h: read[h].key)
        order += frontier
    joining: dict[tuple[NodeKey, NodeKey], Relationship] = {}
    for rel in await store.relationships_among(order, types) if max_hops else []:
        for pair in ((rel.start, rel.end), (rel.end, rel.start)):
            kept = joining.get(pair)
            if kept is None or _hop_order(rel) < _hop_order(kept):
                joining[pair] = rel
    paths: dict[NodeKey, Path] = {}
    for handle in order:
        node, parent = read[handle], previous[handle]
        if parent is None:
            paths[node.key] = Path((node,), ())
        else:
            before = paths[read[parent].key]
            rel = joining[(read[parent].key, node.key)]
            paths[node.key] = Path((*before.nodes, node), (*before.relationships, rel))
    return paths
