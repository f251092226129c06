"""The nodes joined by some relationship types, ignoring direction, as arrays for bulk search.

A breadth-first search reaching hundreds of thousands of people (``managerLeads`` at two
hops from a manager's clients, on the 1M-person benchmark bank) cannot afford a Python step
per node reached. :class:`Joined` holds, for every node, the numbers of the nodes joined to
it by one of the types, in either direction, as one compressed sparse row structure (numpy
arrays ``starts`` and ``others``), so that a whole hop's neighbours are gathered by numpy
(:meth:`Joined.expand`).

It is a derived index of :class:`~graph_service.stores.embedded.adjacency.Adjacency`
(``("joined", types)``), built on first use in one pass over the relationships leaving the
types' start labels, and patched after small changes without rebuilding
(:func:`_patch_joined`): the rows of the nodes whose rows changed are read from the
adjacency instead (:attr:`Joined.stale`) until more than :data:`STALE_MAX` have, when it is
dropped and rebuilt on next use.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from itertools import chain

import numpy as np
import numpy.typing as npt

from graph_service.model import RELATIONSHIP_SPECS, NodeLabel
from graph_service.stores.embedded.adjacency import Adjacency, pairs, patches

Numbers = npt.NDArray[np.int64]
"""Node numbers, one dimension."""

STALE_MAX = 50_000
"""Changed nodes whose rows :class:`Joined` reads from the adjacency, up to which it is kept;
past it, it is rebuilt on next use (a pass over the relationships, once)."""

_PERSON = NodeLabel.PERSON.value


class Joined:
    """Per node, the nodes joined to it by one of ``types``, either direction (CSR arrays).

    Parameters
    ----------
    graph : Adjacency
    types : frozenset of str
        Relationship types.

    Attributes
    ----------
    types : frozenset of str
    starts : ndarray of int64, shape (size + 1,)
        Node ``n``'s neighbours are ``others[starts[n]:starts[n + 1]]``, for ``n`` below
        ``size``, the nodes there when it was built (a node joined twice, or both ways,
        appears once per relationship direction).
    others : ndarray of int64
    person : ndarray of bool, shape (len(graph.labels),)
        Whether each node is a person (extended for nodes added since).
    stale : ndarray of bool, shape (len(graph.labels),)
        Whether each node's row changed since it was built (or the node is new): its row
        is read from the adjacency.
    stale_count : int
        Nodes flagged in ``stale``.
    scratch : ndarray of int64, shape (len(graph.labels),)
        Room for a value per node, kept from one search to the next (:meth:`distinct`),
        so that a search does not map and fault in a fresh array of the graph's size.

    Notes
    -----
    Built in O(nodes of the types' start labels + their outgoing pairs) in Python, then
    a sort of the joined pairs by numpy. A node's row lists every relationship direction
    at it that holds one of ``types``: the search deduplicates.
    """

    def __init__(self, graph: Adjacency, types: frozenset[str]) -> None:
        self.types = types
        succ, index = graph.succ, graph.index
        labels = {start for t in types if t in RELATIONSHIP_SPECS
                  for start, _ in RELATIONSHIP_SPECS[t].endpoints}  # fmt: skip
        if not types <= RELATIONSHIP_SPECS.keys():  # an undeclared type: any start label
            labels = set(index)
        ends: list[int] = []
        begins: list[int] = []
        for label in labels:
            for n in index.get(label, {}).values():
                found = [m for m, edge in pairs(succ[n]) if not types.isdisjoint(edge)]
                if found:
                    ends += found
                    begins += [n] * len(found)
        size = len(graph.labels)
        a = np.fromiter(chain(begins, ends), np.int64, 2 * len(ends))
        b = np.fromiter(chain(ends, begins), np.int64, 2 * len(ends))
        order = np.argsort(a, kind="stable")
        self.others: Numbers = b[order]
        self.starts: Numbers = np.zeros(size + 1, np.int64)
        np.cumsum(np.bincount(a, minlength=size), out=self.starts[1:])
        self.person = np.zeros(size, bool)
        self.person[np.fromiter(index.get(_PERSON, {}).values(), np.int64)] = True
        self.stale = np.zeros(size, bool)
        self.stale_count = 0
        self.scratch: Numbers = np.empty(size, np.int64)

    def grow(self, graph: Adjacency) -> None:
        """Take in the nodes added to ``graph`` since: stale, and flagged if persons."""
        size, labels = len(self.person), graph.labels
        if len(labels) > size:
            added = range(size, len(labels))
            self.person = np.concatenate(
                [self.person, np.fromiter((labels[n] == _PERSON for n in added), bool)]
            )
            self.stale = np.concatenate([self.stale, np.ones(len(added), bool)])
            self.stale_count += len(added)
            self.scratch = np.empty(len(labels), np.int64)

    def note(self, graph: Adjacency, changed: AbstractSet[int]) -> None:
        """Flag stale the ``changed`` nodes whose rows differ from the adjacency now.

        O(their relationships): a write that joins or parts nodes by other types (a
        referral, a contact, a client assigned) leaves the rows as they are.
        """
        stale = self.stale
        for n in changed:
            if not stale[n] and sorted(self.live(graph, n)) != sorted(self.row(graph, n).tolist()):
                stale[n] = True
                self.stale_count += 1

    def live(self, graph: Adjacency, n: int) -> list[int]:
        """The nodes joined to ``n`` in the adjacency now."""
        types = self.types
        return [m for hood in (graph.succ[n], graph.pred[n]) if hood  # None: removed
                for m, edge in pairs(hood) if not types.isdisjoint(edge)]  # fmt: skip

    def row(self, graph: Adjacency, n: int) -> Numbers:
        """The nodes joined to ``n`` now (its row, or the adjacency's for a stale node)."""
        if not self.stale[n]:
            return self.others[self.starts[n]:self.starts[n + 1]]
        return np.array(self.live(graph, n), np.int64)

    def distinct(self, nodes: Numbers) -> Numbers:
        """``nodes`` without repeats (each at one of its places). O(len(nodes)).

        One place of each node is written in :attr:`scratch` (whichever write numpy lets
        stand) and read back: the node is kept there alone. The caller must not
        interleave another call (searches run one at a time).
        """
        places = np.arange(len(nodes))
        self.scratch[nodes] = places
        return nodes[self.scratch[nodes] == places]

    def expand(self, graph: Adjacency, frontier: Numbers) -> Numbers:
        """The nodes joined to those of ``frontier``, with repeats. O(their relationships).

        The rows of the frontier's current nodes are gathered by numpy; those of stale
        nodes read from the adjacency.
        """
        if self.stale_count:
            old = self.stale[frontier]
            late = [self.row(graph, n) for n in frontier[old].tolist()]
            frontier = frontier[~old]
        else:
            late = []
        first, last = self.starts[frontier], self.starts[frontier + 1]
        lengths = last - first
        total = int(lengths.sum())
        offsets = np.repeat(first - (np.cumsum(lengths) - lengths), lengths)
        gathered = self.others[np.arange(total, dtype=np.int64) + offsets]
        return np.concatenate([gathered, *late]) if late else gathered


def joined(graph: Adjacency, types: frozenset[str]) -> Joined:
    """The :class:`Joined` index of ``types`` (a derived index, built on first use)."""
    key = ("joined", types)
    found: Joined | None = graph.derived.get(key)
    if found is None:
        found = graph.derived[key] = Joined(graph, types)
    return found


@patches("joined")
def _patch_joined(
    graph: Adjacency, key: object, index: Joined, changed: AbstractSet[int]
) -> Joined | None:
    """The index with the changed nodes whose rows changed stale (read from the adjacency).

    Dropped past :data:`STALE_MAX` stale nodes (rebuilt on next use).
    A relationship added or removed changes both its ends, and a removed node its
    neighbours too, so every row that may be out of date is a changed node's.
    """
    index.grow(graph)
    index.note(graph, changed)
    return None if index.stale_count > STALE_MAX else index
