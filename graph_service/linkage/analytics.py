"""Graph analytics for analysts: the whole-book subgraph that networkx's algorithms run on.

``enterpriseGroups`` (:mod:`.groups`), ``guaranteeCircles`` (:mod:`.circles`) and
``influence`` (:mod:`.influence`) each read one subgraph of the book, every relationship of a
few types (:meth:`~graph_service.stores.base.GraphStore.relationships_of_types`), build a
:class:`networkx.DiGraph` of it with :func:`digraph` and run a networkx algorithm on it. The
same code runs on every store: the embedded store hands over the relationships of its
in-memory graph, a Cypher store (Neo4j, FalkorDB) fetches them from the database (one read
per type); the algorithm then runs in the service. The graph is built in key order, so
that the answer, floating-point sums included, is the same on every store.

These are whole-book questions for analysts and admins (``Question.roles``): a manager or an
application is refused ``FORBIDDEN``, since the groups, circles and scores span every
manager's clients.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx

from graph_service.model import NodeKey
from graph_service.stores.base import GraphStore, Node, Relationship

ANALYST_ROLES = frozenset({"analyst"})
"""The roles besides ``admin`` that may ask an analytics question."""


def digraph(relationships: Iterable[Relationship], weight: str | None = None) -> nx.DiGraph:
    """A directed graph over node keys, one edge per ``start -> end`` pair.

    Parameters
    ----------
    relationships : iterable of Relationship
        In the contract order of :meth:`~graph_service.stores.base.GraphStore.
        relationships_of_types` (start key, end key, type): nodes and edges are added in
        that order.
    weight : str, optional
        A relationship property summed into the edge attribute ``weight`` (a missing or
        null value counts 0); without it, edges carry no attribute.

    Returns
    -------
    networkx.DiGraph
        Nodes are ``(label, id)`` keys, only those at an end of a relationship; parallel
        relationships of several types between one ordered pair are one edge.
    """
    graph = nx.DiGraph()
    for rel in relationships:
        if weight is None:
            graph.add_edge(rel.start, rel.end)
            continue
        value = float(rel.props.get(weight) or 0.0)
        if graph.has_edge(rel.start, rel.end):
            graph[rel.start][rel.end]["weight"] += value
        else:
            graph.add_edge(rel.start, rel.end, weight=value)
    return graph


async def between(store: GraphStore, rel_types: frozenset[str], label: str) -> nx.DiGraph:
    """The graph of the ``rel_types`` relationships whose two ends are ``label`` nodes."""
    rels = await store.relationships_of_types(rel_types)
    return digraph(r for r in rels if r.start[0] == label and r.end[0] == label)


async def read_nodes(store: GraphStore, keys: Sequence[NodeKey]) -> dict[NodeKey, Node]:
    """The nodes of ``keys`` by key, one ``get_nodes`` read per label.

    Every key comes from a relationship just read, so each node exists (a node deleted
    meanwhile is left out).
    """
    found: dict[NodeKey, Node] = {}
    for label in sorted({key[0] for key in keys}):
        ids = sorted({key[1] for key in keys if key[0] == label})
        found.update((n.key, n) for n in await store.get_nodes(label, ids) if n is not None)
    return found
