"""Graph analytics for analysts: the whole-book subgraph that networkx's algorithms run on.

``enterpriseGroups`` (:mod:`.groups`), ``guaranteeCircles`` (:mod:`.circles`) and
``influence`` (:mod:`.influence`) each read one subgraph of the book, every relationship of a
few types (:meth:`~graph_service.stores.base.GraphStore.relationships_of_types`), build a
:class:`networkx.DiGraph` of it with :func:`digraph` and run a networkx algorithm on it. The
same code runs on every store: the embedded store hands over the relationships of its
in-memory graph, a Cypher store (Neo4j, FalkorDB) fetches them from the database (one read
per type); the algorithm then runs in the service. The graph is built in key order, so
that the answer, floating-point sums included, is the same on every store. networkx is
imported when one of these questions first runs, not with the question registry, so that
the commands and requests that ask none of them start without it (about 0.1 s).

These are whole-book questions for analysts and admins (``Question.roles``): a manager or an
application is refused ``FORBIDDEN``, since the groups, circles and scores span every
manager's clients. Each is also a report (:mod:`graph_service.reports`): its items as rows,
in rank order, ids and figures only. Each costs :data:`ANALYTICS_COST` of the node budget,
so that one request holds at most one of them with the default budget; the algorithm itself
(and the building of its graph) runs in a worker thread (:func:`in_worker`), so that the
operations of other callers go on meanwhile rather than wait seconds for it at one million
people (benchmarks/README.md, "Analytics beside other requests").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from graph_service.config import Settings
from graph_service.linkage.question import (
    BOOK_SCAN_COST,
    Batch,
    Order,
    Outside,
    Question,
    Ranked,
    Ranking,
    accept,
    fixed_cost,
)
from graph_service.memory import release_free_heap
from graph_service.model import NodeKey
from graph_service.stores.base import GraphStore, Node, Relationship

if TYPE_CHECKING:
    import networkx as nx

ANALYST_ROLES = frozenset({"analyst"})
"""The roles besides ``admin`` that may ask an analytics question."""
ANALYTICS_COST = 3 * BOOK_SCAN_COST
"""Node budget base of an analytics question: a whole-book read, then a graph algorithm in
Python over it (at one million people 0.2 to 6 s, benchmarks/README.md); 30,000, so two
exceed the default budget of 50,000 (``GRAPH_SERVICE_MAX_QUERY_NODES``)."""

T = TypeVar("T")


async def in_worker(compute: Callable[..., T], *args: Any) -> T:
    """``compute(*args)`` in a worker thread (:func:`asyncio.to_thread`), awaited.

    For the pure part of an analytics question, what runs on what the store already
    answered (the relationships read, the graph built of them): the event loop that awaits
    it goes on serving other operations, sharing the interpreter with the worker at its
    switch interval. Never for a store call: the embedded store's graph is read and
    changed by its event loop's thread alone (:mod:`graph_service.api.execution`). An
    operation cancelled meanwhile (its time limit) stops waiting; the computation runs to
    its end in the worker.
    """
    return await asyncio.to_thread(compute, *args)


def release_graph(graph: nx.DiGraph) -> None:
    """Free ``graph`` now, and hand the free C heap back to the operating system.

    A networkx graph refers to itself through the views it caches (``G.nodes``,
    ``G.edges``: a reference cycle), so once dropped its dicts, hundreds of megabytes at one
    million people, would wait for a full collection of the cyclic GC, which a server whose
    heap is frozen rarely runs; :meth:`networkx.Graph.clear` frees them at once. Then
    :func:`~graph_service.memory.release_free_heap`: glibc would keep the freed pages.
    At one million people (2026-12-05, by hand), ``serve`` grew from 1,433 MB to 1,750 MB
    over the three questions; with each type's relationships kept once by the embedded
    store and the heap handed back, to 1,655 MB; with the graph emptied too, to 1,636 MB.
    """
    graph.clear()
    release_free_heap()


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
    import networkx as nx  # on first use (the module's docstring)

    graph = nx.DiGraph()
    if weight is None:
        graph.add_edges_from((rel.start, rel.end) for rel in relationships)
        return graph
    summed: dict[tuple[NodeKey, NodeKey], float] = {}  # in the order pairs first appear
    for rel in relationships:
        pair = (rel.start, rel.end)
        summed[pair] = summed.get(pair, 0.0) + float(rel.props.get(weight) or 0.0)
    graph.add_weighted_edges_from((start, end, value) for (start, end), value in summed.items())
    return graph


async def between(store: GraphStore, rel_types: frozenset[str], label: str) -> nx.DiGraph:
    """The graph of the ``rel_types`` relationships whose two ends are ``label`` nodes.

    Built in a worker thread (:func:`in_worker`) from the relationships read.
    """
    rels = await store.relationships_of_types(rel_types)
    return await in_worker(digraph, [r for r in rels if r.start[0] == label and r.end[0] == label])


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


def whole_book(args: object) -> tuple[NodeKey, ...]:
    """No node must exist: an analytics question reads the whole book."""
    return ()


def analytics_question(
    name: str,
    description: str,
    arguments: type,
    item: type,
    order: Order,
    batch: Batch[Any, Ranked[Any]],
    validate: Callable[[Any, Settings], Any] = accept,
) -> Question[Any, Any]:
    """An analytics question: a ranked connection of ``item`` over the whole book.

    What the three share, in one place: no subject, for the roles of
    :data:`ANALYST_ROLES` (and ``admin``), its nodes masked as everywhere
    (:attr:`~graph_service.linkage.question.Outside.MASKED`), its items a report's rows
    (:attr:`~graph_service.linkage.question.Ranking.rows`: ids and figures, the same for
    every caller), a node budget base of :data:`ANALYTICS_COST`, the generic rule only.

    Parameters
    ----------
    name, description : str
        As :class:`~graph_service.linkage.question.Question`'s.
    arguments, item : type
        The argument dataclass and the ranked item dataclass.
    order : Order
        The items' order, named in the cursors.
    batch : Batch
        The rule, in batch form.
    validate : callable, optional
        The arguments' check (none by default).
    """
    return Question(
        name=name,
        description=description + " For analysts and admins.",
        arguments=arguments,
        answer=Ranked,
        ranking=Ranking(order=order, item=item, rows=True),
        validate=validate,
        subjects=whole_book,
        outside=Outside.MASKED,
        roles=ANALYST_ROLES,
        batch=batch,
        cost=fixed_cost(ANALYTICS_COST),
    )
