"""The embedded store's in-memory graph: compact adjacency over node numbers, and its indexes.

Every node is a compact integer. Per node (lists indexed by the integer) its label, id,
property-value tuple, and its successors and predecessors: a *neighbourhood* mapping each
neighbour to the pair's edge data, which maps each relationship type joining the pair to its
property values (at most one relationship of a type from one node to another). A
neighbourhood of up to :data:`SMALL` neighbours is a flat tuple ``(m1, e1, m2, e2, ...)``,
a larger one a dict (:func:`pairs`, :func:`edge_to` and the like read either), because at
one million people most nodes have one to three neighbours, and a dict per node and
direction was most of the store's memory (benchmarks/README.md, "Memory of the graph at
1M"). Per label, an index from id to integer (:class:`~.idindex.IdIndex`). Properties are
handed out as read-only :class:`~graph_service.stores.embedded.properties.Properties` views
of those tuples, so no dict is kept per node or relationship. Derived indexes (payroll
coverage per product set, employees of an enterprise sorted by id, a hub's first
neighbours) are computed on first use; when the graph changes, each is patched for the
nodes that changed (:data:`PATCHES`) or dropped, so that a small write does not make the
next question rebuild them whole. The traversal primitives of
:class:`~graph_service.stores.base.GraphStore` are answered here, on node numbers.
"""

from __future__ import annotations

import marshal
import sys
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from heapq import merge, nsmallest
from itertools import chain, compress, islice, repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from graph_service.memory import bulk_allocation
from graph_service.model import RELATIONSHIP_SPECS, NodeKey, NodeLabel, RelationshipType
from graph_service.stores.base import REL_ORDER, Direction, Link, Node, Relationship
from graph_service.stores.embedded.idindex import IdIndex
from graph_service.stores.embedded.properties import Fields, Properties, Values

_ALL_TYPES = frozenset(REL_ORDER)


def _contract_order(rel: Relationship) -> tuple[NodeKey, NodeKey, int]:
    """Sort key of :meth:`Adjacency.relationships_of_types`: start key, end key, type."""
    return (rel.start, rel.end, REL_ORDER[rel.type])
_NO_IDS = IdIndex()  # the index of a label without nodes (never written)
SORTED_NEIGHBOURS_MIN = 1_000
"""Neighbours from which a node counts as a hub whose first neighbours in key order the
client network walk reads (:meth:`Adjacency.first_neighbours`), rather than ranking
all of them again on each visit: few nodes (enterprises, managers, payroll accounts) but
many of the relationships' ends; counted on the 1M-person benchmark bank, see
benchmarks/README.md#tuning-constants."""
SMALL = 8
"""Neighbours up to which a neighbourhood is a flat tuple rather than a dict: with CPython
3.11's GC header, a tuple of ``2k`` items costs 56 + 16k bytes, a dict of one to five keys
240 and one of six to ten 368, and finding a neighbour scans at most ``2 * SMALL`` items in
C (:func:`edge_to`). Hubs (employers, managers) become dicts, so looking up one of their
thousands of neighbours stays O(1). At 1M people 26,335 of the 6.3 million neighbourhoods
are dicts (benchmarks/README.md, "Memory of the graph at 1M")."""
TYPED_KEPT_MIN = 64
"""Neighbours from which a node's neighbours of one relationship type and direction are kept
once read (:meth:`Adjacency.neighbors`), when they are at most one in
:data:`TYPED_KEPT_SHARE` of them: an enterprise's referrals, contacts and shareholders among
its thousands of employees, which every request of a manager reads (their portfolio,
:func:`graph_service.access.portfolio`) and which cost a scan of all of them each time.
The few kept stay small; a type making most of a neighbourhood (its employees) is read by
the scan it needs anyway (measured on the 1M-person benchmark bank, see
benchmarks/README.md#tuning-constants)."""
TYPED_KEPT_SHARE = 8
"""See :data:`TYPED_KEPT_MIN`."""
PATCH_MAX = 10_000
"""Changed nodes up to which :meth:`Adjacency.settle` patches the derived indexes; past it
(a load) they are dropped and rebuilt on first use, which then costs less than patching."""
Patch = Callable[["Adjacency", Any, Any, AbstractSet[int]], Any]
"""``patch(graph, key, value, changed)``: the derived index ``value`` stored under ``key``
brought up to date with the nodes ``changed`` (changed values, relationships added, changed or
removed at them, removed, or neighbours of a removed node); ``None`` drops it."""
PATCHES: dict[str, Patch] = {}
"""How each kind of derived index (the first item of its key) follows small changes. A kind
not here is dropped on any change. Filled by :func:`patches`."""


def patches(kind: str) -> Callable[[Patch], Patch]:
    """Register the decorated function as the :data:`PATCHES` entry of ``kind``."""

    def register(patch: Patch) -> Patch:
        PATCHES[kind] = patch
        return patch

    return register


def per_node(graph: Adjacency, kind: str) -> dict[int, Any]:
    """The derived index of ``kind`` that holds one entry per node (created empty).

    One dict per kind, under the key ``(kind,)``, rather than one derived index per node:
    :meth:`Adjacency.settle` visits every derived index after each write, so thousands of
    per-node ones (one per enterprise asked about) made every mutation slower (measured on
    the 1M-person benchmark bank, see benchmarks/README.md#tuning-constants).

    A list kept per node (an enterprise's staff or uncovered employees, a hub's neighbours
    of one type, its first neighbours) is kept as a tuple, which CPython's cyclic GC stops
    tracking once it holds only untracked items (ids, numbers, tuples of them), where a
    list is rescanned by every full collection: a server's, whose frozen heap leaves it
    little else to scan, took 3 to 27 ms at 1M people once the largest enterprises had
    been asked about, inside whichever request it fell on (same section).
    """
    return graph.derived.setdefault((kind,), {})  # type: ignore[no-any-return]


def drop_changed(
    graph: Adjacency, key: Any, cache: dict[int, Any], changed: AbstractSet[int]
) -> dict[int, Any]:
    """The patch of a :func:`per_node` index: the entries of the changed nodes dropped.

    O(min(changed, entries)).
    """
    if len(changed) <= len(cache):
        for n in changed:
            cache.pop(n, None)
    else:
        for n in [n for n in cache if n in changed]:
            del cache[n]
    return cache


PATCHES["first neighbours"] = drop_changed  # Adjacency._first_neighbours
PATCHES["typed neighbours"] = drop_changed  # Adjacency._typed


CACHES = frozenset({"derived", "_changed", "_later", "_runs"})
"""Attributes of :class:`Adjacency` a snapshot leaves out: the derived indexes (rebuilt on
first use, but for those of the kinds in :data:`SNAPSHOT_KINDS`) and the nodes changed
since they were last settled."""
NEIGHBOURHOODS = frozenset({"succ", "pred", "bare"})
"""The neighbourhoods' attributes: one deferred part of a snapshot (``bare`` goes with them,
as their edge dicts share its dicts)."""
IN_RUNS = ("values", "ids")
"""Per-node attributes a snapshot cuts in runs of :data:`VALUE_RUN` nodes, each run a
deferred part named ``<attribute>@<its first node number>``: the nodes' property values,
and their ids (3.1 million texts at 1M, most of what opening decoded before)."""
DEFERRED = frozenset(IN_RUNS) | NEIGHBOURHOODS
"""Attributes a snapshot keeps in deferred parts (:meth:`Adjacency.snapshot_state`), each
decoded when first read (:meth:`Adjacency.restore`): the nodes' property values and ids, in
runs (:data:`IN_RUNS`), then the neighbourhoods, most of the time spent opening one. A
report answered from the kept derived indexes (:data:`SNAPSHOT_KINDS`) decodes the runs of
ids its lookups compare (at 1M, the enterprises' two; a lookup in a label spread over more
than :data:`RUNS_APART` runs, as people are, every id); a bulk query reading nodes but no
relationship, the runs of ids and values of the nodes it reads."""
VALUE_RUN = 65_536
"""Nodes per run of a snapshot's property values and ids: a node read before they are
decoded decodes its runs alone (a bulk query over the 100,000 enterprises of the 1M-person
benchmark bank, numbered together, two runs of 48 rather than every node's:
benchmarks/README.md#tuning-constants)."""
RUNS_APART = 2
"""Runs of an attribute a process decodes one at a time (:data:`VALUE_RUN`): reading a node
of another decodes them all at once. A bulk query over one label reads its few runs alone; a
server, whose questions read nodes all over the graph, decodes each attribute once, in one
request, rather than a run at a time in one request after another (in-process p99 of
``uncoveredEmployees`` at 1M: benchmarks/README.md#tuning-constants)."""
_DEFERRED_LOCK = threading.Lock()
SNAPSHOT_KINDS: set[str] = set()
"""Kinds of derived index a snapshot keeps (each also has a :data:`PATCHES` entry, which
brings it up to date with the writes replayed after the snapshot): those over the whole
graph that a first question would otherwise pay for, e.g. the payroll owners' flags and
every enterprise's coverage counts. Filled by the modules defining them."""


Edge = dict[str, Values]
"""The relationships from one node to another: type -> property values (never mutated)."""
Hood = Any
"""A neighbourhood: ``(m1, e1, m2, e2, ...)`` (a tuple, up to :data:`SMALL` neighbours) or
a dict ``{m: e}``, each ``e`` the :data:`Edge` between the node and ``m``."""


def pairs(hood: Hood) -> Iterable[tuple[int, Edge]]:
    """``(neighbour, edge)`` of each neighbour in ``hood``, as ``dict.items()`` gives them."""
    if hood.__class__ is dict:
        return hood.items()  # type: ignore[no-any-return]
    flat = iter(hood)
    # Even length by construction; strict= would parse keyword arguments at every call.
    return zip(flat, flat)  # noqa: B905


def neighbours(hood: Hood) -> Iterable[int]:
    """The neighbours in ``hood`` (a dict's keys, a tuple's even items)."""
    return hood if hood.__class__ is dict else hood[::2]  # type: ignore[no-any-return]


def edge_to(hood: Hood, other: int) -> Edge | None:
    """The edge to ``other`` in ``hood``, ``None`` when not joined. O(1), or O(:data:`SMALL`).

    A tuple's odd items are edge dicts, never equal to a node number, so ``other`` can only
    be found at an even position.
    """
    if hood.__class__ is dict:
        return hood.get(other)  # type: ignore[no-any-return]
    return hood[hood.index(other) + 1] if other in hood else None  # type: ignore[no-any-return]


def count(hood: Hood) -> int:
    """Neighbours in ``hood``: a tuple's length halved (the hot loops inline this)."""
    return len(hood) >> (hood.__class__ is tuple)


def _filter(rel_types: frozenset[str]) -> frozenset[str] | None:
    """``rel_types`` as the helpers take it: ``None`` when it holds every type."""
    return None if rel_types >= _ALL_TYPES else rel_types


def _consume(calls: Iterable[Any]) -> None:
    """Exhaust ``calls`` (e.g. a ``map`` of setters) for their effects, at C speed.

    The ``consume`` recipe of the :mod:`itertools` documentation: a ``deque`` of length 0.
    """
    deque(calls, maxlen=0)


class _StoredKeys:
    """The node keys a graph holds, as a container over its per-label id index."""

    __slots__ = ("_index",)

    def __init__(self, index: Mapping[str, IdIndex]) -> None:
        self._index = index

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple):
            return False
        ids = self._index.get(key[0])
        return ids is not None and key[1] in ids


class Adjacency:
    """The graph in memory: nodes numbered from 0, their relationships, labels, ids, values.

    Parameters
    ----------
    fields : defaultdict of str to Fields
        Field names per label and relationship type, shared with the record (which adds
        the names a load writes); the views handed out read them.

    Attributes
    ----------
    succ, pred : list
        Per node number, its successors' and its predecessors' neighbourhood (:data:`Hood`:
        ``edge_to(succ[n], m)`` is the edge data of ``n -> m``); ``None`` for a removed
        node. Edge dicts are shared between ``succ`` and ``pred``, and between pairs joined
        by equal relationships, and never mutated (copy on write). Networkx algorithms get
        a :class:`networkx.DiGraph` of the subgraph they need
        (:func:`graph_service.linkage.analytics.digraph`).
    labels, ids, values : list
        Per node number: its label, id and property values.
    index : dict of str to IdIndex
        Per label, id to node number (:class:`~.idindex.IdIndex`: a dict's methods).
    rel_counts : Counter
        Relationships per type.
    derived : dict
        Derived indexes by key (a tuple whose first item names their kind), computed on
        first use by their readers; brought up to date by :meth:`settle` after changes.
    """

    def __init__(self, fields: defaultdict[str, Fields]) -> None:
        self.fields = fields
        self.succ: list[Hood] = []
        self.pred: list[Hood] = []
        self.labels: list[str] = []
        self.ids: list[str] = []
        self.values: list[Values] = []
        self.index: dict[str, IdIndex] = {label.value: IdIndex() for label in NodeLabel}
        # The edge dict of a pair joined by one relationship without properties, per type.
        self.bare = {t.value: {t.value: ()} for t in RelationshipType}
        self.rel_counts: Counter[str] = Counter()
        self.derived: dict[Any, Any] = {}
        self._changed: set[int] | None = set()  # since the last settle; None: too many
        # restore()'s deferred parts by item name, and the runs decoded from them
        self._later: dict[str, Callable[[], dict[str, Any]]] = {}
        self._runs: dict[str, dict[int, list[Any]]] = {name: {} for name in IN_RUNS}

    # -- building ------------------------------------------------------------------------

    def apply_nodes(
        self, label: str, ids: Sequence[str], values: list[Values], *, new: bool
    ) -> None:
        """Add nodes of ``label`` to memory, or replace the values of those present.

        ``ids`` and ``values`` are columns of rows. Column-wise: each step is one ``map``,
        ``update`` or list operation over all rows, run in C, instead of a Python loop per
        row. New nodes are numbered in row order, with empty neighbourhoods (the empty
        tuple). ``new`` says that no row is in memory yet (opening), which spares
        looking each one up.
        """
        label = sys.intern(label)  # one text per label, not per node
        known = self.index.setdefault(label, IdIndex())
        if not new:
            stored = known.numbers_of(ids)
            if stored.count(None) < len(stored):
                for n, node_values in zip(stored, values, strict=True):
                    if n is not None:
                        self.values[n] = node_values
                self._note(n for n in stored if n is not None)
                absent = [n is None for n in stored]
                ids, values = tuple(compress(ids, absent)), list(compress(values, absent))
        first = len(self.values)
        numbers = range(first, first + len(ids))
        if new:
            self._changed = None
        else:
            self._note(numbers)
        known.add(ids, numbers)
        self.labels.extend(repeat(label, len(ids)))
        self.ids.extend(ids)
        self.values.extend(values)
        self.succ.extend(repeat((), len(ids)))
        self.pred.extend(repeat((), len(ids)))

    def apply_rels(
        self,
        rel_type: str,
        start_label: str,
        end_label: str,
        start_ids: Sequence[str],
        end_ids: Sequence[str],
        values: Sequence[Values],
    ) -> None:
        """Add relationships of one type and endpoint labels (or replace their values).

        ``start_ids``, ``end_ids`` and ``values`` (``()`` for none) are columns of rows
        whose ``(start, end)`` pairs are distinct (the record's primary key). A pair without
        relationships gets ``{type: values}``: the type's shared dict for no properties, and
        one dict for the rows of this call whose values have the same :mod:`marshal`
        encoding (so 1, 1.0 and True differ), so that a type's few roles and titles are a
        few dicts rather than one per relationship. A pair already joined gets a merged copy
        of its dict. Every end is looked up before anything is applied.

        Raises
        ------
        KeyError
            If an end node is not in memory; nothing is applied then.
        """
        starts = self.index[start_label].require(start_ids)
        ends = self.index[end_label].require(end_ids)
        self.join(rel_type, starts, ends, values)

    def join(
        self, rel_type: str, starts: Sequence[int], ends: Sequence[int], values: Sequence[Values]
    ) -> None:
        """:meth:`apply_rels` of rows whose ends are given by node number (present ones)."""
        succ, pred = self.succ, self.pred
        rel_type = sys.intern(rel_type)  # one text per type, not per edge dict
        bare = self.bare.setdefault(rel_type, {rel_type: ()})
        shared: dict[bytes, Edge] = {}  # by the values' encoding: 1, 1.0 and True differ
        replaced = 0
        for u, v, node_values in zip(starts, ends, values, strict=True):
            joined = edge_to(succ[u], v)
            if joined is not None:  # the pair is already joined by another type (or this one)
                replaced += rel_type in joined
                edge = {**joined, rel_type: node_values}
            elif not node_values:
                edge = bare
            else:
                encoded = marshal.dumps(node_values)
                edge = shared.get(encoded) or shared.setdefault(encoded, {rel_type: node_values})
            _put(succ, u, v, edge)
            _put(pred, v, u, edge)
        self.rel_counts[rel_type] += len(starts) - replaced
        self._note(chain(starts, ends))

    def remove_nodes(self, label: str, ids: Iterable[str]) -> None:
        """Remove the nodes of ``label`` among ``ids`` with their relationships.

        Absent ids are skipped. A removed node's number is not reused: its slots in
        ``labels``, ``ids`` and ``values`` stay, unreachable from ``index``, and its
        neighbourhoods become ``None``. O(degree) per node.
        """
        known = self.index.get(label, _NO_IDS)
        succ, pred = self.succ, self.pred
        for node_id in ids:
            n = known.pop(node_id, None)
            if n is None:
                continue
            out, into = succ[n], pred[n]
            succ[n] = pred[n] = None
            for other, edge in pairs(out):
                self.rel_counts.subtract(edge.keys())
                if other != n:
                    _drop(pred, other, n)
            for other, edge in pairs(into):
                if other != n:  # a relationship to itself was counted leaving it
                    self.rel_counts.subtract(edge.keys())
                    _drop(succ, other, n)
            self._note(chain((n,), neighbours(out), neighbours(into)))

    def remove_rels(
        self,
        rel_type: str,
        start_label: str,
        end_label: str,
        pairs: Iterable[tuple[str, str]],
    ) -> None:
        """Remove the ``rel_type`` relationships between the ``(start id, end id)`` pairs.

        Pairs not so joined are skipped. The pair's edge dict is replaced by a copy without
        ``rel_type`` (edge dicts are never mutated), or removed when it held only that type.
        """
        starts, ends = self.index.get(start_label, _NO_IDS), self.index.get(end_label, _NO_IDS)
        for start_id, end_id in pairs:
            u, v = starts.get(start_id), ends.get(end_id)
            edge = None if u is None or v is None else edge_to(self.succ[u], v)
            if edge is None or rel_type not in edge:
                continue
            assert u is not None and v is not None
            rest = {t: values for t, values in edge.items() if t != rel_type}
            if rest:
                _put(self.succ, u, v, rest)
                _put(self.pred, v, u, rest)
            else:
                _drop(self.succ, u, v)
                _drop(self.pred, v, u)
            self.rel_counts[rel_type] -= 1
            self._note((u, v))

    def has_relationship(self, rel_type: str, start: NodeKey, end: NodeKey) -> bool:
        """Whether a ``rel_type`` relationship joins ``start`` to ``end``. O(1)."""
        u, v = self.find(start), self.find(end)
        return u is not None and v is not None and rel_type in (edge_to(self.succ[u], v) or ())

    def relationships_at(self, key: NodeKey) -> list[tuple[str, NodeKey, NodeKey]]:
        """``(type, start key, end key)`` of every relationship at node ``key``, each once.

        Empty when the node is absent. O(degree).
        """
        n = self.find(key)
        if n is None:
            return []
        found = [(t, key, self.key(m)) for m, edge in pairs(self.succ[n]) for t in edge]
        found += [(t, self.key(m), key) for m, edge in pairs(self.pred[n]) if m != n for t in edge]
        return found

    def _note(self, nodes: Iterable[int]) -> None:
        """Note ``nodes`` as changed, for :meth:`settle` (up to :data:`PATCH_MAX`)."""
        changed = self._changed
        if changed is not None:
            changed.update(nodes)
            if len(changed) > PATCH_MAX:
                self._changed = None

    def settle(self) -> None:
        """Bring the derived indexes up to date with the changes since the last settle.

        Each is patched for the changed nodes (:data:`PATCHES`, O(changed nodes and their
        neighbours) for the ones here), or dropped when its kind has no patch or more than
        :data:`PATCH_MAX` nodes changed.
        """
        changed = self._changed
        self._changed = set()
        if changed is None:
            self.derived.clear()
            return
        if not changed:
            return
        for key, value in list(self.derived.items()):
            patch = PATCHES.get(key[0])
            patched = None if patch is None else patch(self, key, value, changed)
            if patched is None:
                del self.derived[key]
            else:
                self.derived[key] = patched

    # -- snapshots (graph_service.stores.embedded.snapshot) -----------------------------

    def state(self) -> dict[str, Any]:
        """Everything this graph holds, for a snapshot: every attribute but the caches.

        Generic on purpose: a structure added to this class is in the snapshot without
        being listed. Left out are :data:`CACHES`, rebuilt on first use, but for the derived
        indexes of :data:`SNAPSHOT_KINDS`, kept under ``"derived"``.
        """
        self._undefer()
        state = {name: value for name, value in vars(self).items() if name not in CACHES}
        self.settle()  # the kept indexes as patched with every change
        state["derived"] = {k: v for k, v in self.derived.items() if k[0] in SNAPSHOT_KINDS}
        return state

    def snapshot_state(self) -> tuple[dict[str, Any], list[frozenset[str]]]:
        """:meth:`state` as a snapshot holds it, and its deferred parts' items.

        The attributes of :data:`IN_RUNS` cut in runs of :data:`VALUE_RUN` nodes
        (``values@<first node>``, ``ids@<first node>``), each a deferred part, then
        :data:`NEIGHBOURHOODS` one. O(nodes) references copied.
        """
        state = self.state()
        runs = {f"{name}@{start}": column[start : start + VALUE_RUN]
                for name in IN_RUNS for column in [state.pop(name)]
                for start in range(0, len(column), VALUE_RUN)}  # fmt: skip
        state.update(runs)
        return state, [*(frozenset({name}) for name in runs), NEIGHBOURHOODS]

    def restore(
        self,
        state: dict[str, Any],
        later: Sequence[tuple[AbstractSet[str], Callable[[], dict[str, Any]]]] = (),
    ) -> None:
        """Become the graph whose :meth:`snapshot_state` is ``state``, with its kept indexes.

        ``later``, when given, answers the items of the state left out of ``state``: each
        part names its items and a function answering them, called when one of them is
        first read, once. The values are whole again once every run of them is read.
        """
        vars(self).clear()
        vars(self).update(state)
        self.derived = dict(state.get("derived", {}))
        self._changed = set()
        self._later = {name: decode for names, decode in later for name in names}
        self._runs = {name: {} for name in IN_RUNS}
        for index in self.index.values():
            index.attach(self.id_of)

    if not TYPE_CHECKING:  # (mypy would take any attribute for one of these)

        def __getattr__(self, name: str) -> Any:
            """A :data:`DEFERRED` attribute not decoded yet: decoded now (called on misses)."""
            if name in DEFERRED and "_later" in vars(self):
                self._undefer(name)
                return vars(self)[name]
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _run(self, name: str, start: int) -> list[Any]:
        """The run of attribute ``name`` from node ``start`` (:data:`VALUE_RUN`) a read reads.

        Decoded alone if not yet and fewer than :data:`RUNS_APART` of its runs are; else
        every run of it at once, and the attribute is whole.
        """
        runs = self._runs[name]
        if start not in runs and len(runs) >= RUNS_APART:
            self._undefer(name)
        return self._decoded_run(name, start)

    def _decoded_run(self, name: str, start: int) -> list[Any]:
        """The run of attribute ``name`` from node ``start``, decoded if not yet.

        Thread-safe (once the attribute is whole, a slice of it).
        """
        with _DEFERRED_LOCK:
            if name in vars(self):
                return vars(self)[name][start : start + VALUE_RUN]  # type: ignore[no-any-return]
            run = self._runs[name].get(start)
            if run is None:
                item = f"{name}@{start}"
                with bulk_allocation():
                    part = self._later[item]()
                run = self._runs[name][start] = part[item]
                del self._later[item]  # once decoded: an interrupt leaves it to the next read
            return run

    def decode_deferred(self) -> None:
        """Decode every :data:`DEFERRED` attribute of the snapshot restored; a no-op once done.

        The neighbourhoods first (what most questions read first), then the ids and the
        property values run by run (:data:`IN_RUNS`). Thread-safe: run beside the thread
        answering requests, it holds the lock a request reading a deferred part takes for
        one part at a time, and the part a request needs is decoded once, by whichever
        thread comes first. So that no request pays a decode (at 1M: the values, 0.56 s,
        and the ids, 0.25 s, would each land in one request).
        """
        for name in (*NEIGHBOURHOODS, *reversed(IN_RUNS)):  # (one part: every neighbourhood)
            self._undefer(name)

    def _undefer(self, name: str | None = None) -> None:
        """Decode the deferred attribute ``name`` of the snapshot restored (every one: ``None``).

        An attribute of :data:`IN_RUNS` from every run of it. Thread-safe; a no-op once
        decoded.
        """
        for whole in IN_RUNS if name is None else [name] if name in IN_RUNS else []:
            if whole in vars(self):
                continue
            prefix = f"{whole}@"
            with _DEFERRED_LOCK:  # listed under it: another thread reading a run deletes its part
                starts = [int(k[len(prefix) :]) for k in self._later if k.startswith(prefix)]
            for start in starts:
                self._decoded_run(whole, start)  # those not decoded yet, into self._runs
            with _DEFERRED_LOCK:
                if whole not in vars(self):
                    runs = self._runs[whole]
                    with bulk_allocation():  # frozen: no collection rescans its items
                        column = list(chain.from_iterable(runs[s] for s in sorted(runs)))
                    vars(self)[whole] = column
                    self._runs[whole] = {}
                    if whole == "ids":
                        for index in self.index.values():
                            index.attach(column.__getitem__)
        with _DEFERRED_LOCK:
            later = self._later
            for each in [name] if name is not None else list(later):
                decode = later.get(each) if each not in IN_RUNS else None
                if decode is not None:
                    with bulk_allocation():
                        part = decode()
                    for item in part:
                        later.pop(item, None)
                    vars(self).update(part)

    def size(self) -> int:
        """Nodes plus relationships. O(labels + relationship types)."""
        return sum(map(len, self.index.values())) + sum(self.rel_counts.values())

    def stored_keys(self) -> _StoredKeys:
        """The node keys in memory, as a container (what a load checks its rows against)."""
        return _StoredKeys(self.index)

    # -- lookups -------------------------------------------------------------------------

    def key(self, n: int) -> NodeKey:
        """``(label, id)`` of node ``n``."""
        return (self.labels[n], self.id_of(n))

    def id_of(self, n: int) -> str:
        """The id of node ``n``.

        Before the snapshot's ids are decoded, from the run of them holding ``n``
        (:data:`VALUE_RUN`), decoded if not yet (:meth:`_run`).
        """
        ids = self.__dict__.get("ids")
        return ids[n] if ids is not None else self._in_run("ids", n)  # type: ignore[no-any-return]

    def node(self, n: int) -> Node:
        """Node ``n`` as read, its properties a view.

        Before the snapshot's values are decoded, from the run of them holding ``n``
        (:data:`VALUE_RUN`), decoded if not yet; its id likewise (:meth:`id_of`).
        """
        label = self.labels[n]
        values = self.__dict__.get("values")
        node_values = values[n] if values is not None else self._in_run("values", n)
        return Node(label, self.id_of(n), Properties(self.fields[label], node_values))

    def _in_run(self, name: str, n: int) -> Any:
        """Node ``n``'s item of an attribute ``name`` of :data:`IN_RUNS` not yet whole.

        Read from the run holding ``n``, decoded if not yet (:meth:`_run`).
        """
        start = n - n % VALUE_RUN
        run = self._runs[name].get(start) or self._run(name, start)
        return run[n - start]

    def find(self, key: NodeKey) -> int | None:
        """The number of the node ``key``; ``None`` when absent."""
        ids = self.index.get(key[0])
        return None if ids is None else ids.get(key[1])

    def rel(self, rel_type: str, u: int, v: int, values: Values) -> Relationship:
        """The ``rel_type`` relationship from ``u`` to ``v`` with ``values``, as read."""
        props = Properties(self.fields[rel_type], values)
        return Relationship(rel_type, self.key(u), self.key(v), props)

    def get_nodes(self, label: str, ids: Sequence[str]) -> list[Node | None]:
        """Nodes by id, aligned with ``ids``; ``None`` where absent. O(len(ids))."""
        numbers = self.index.get(label, _NO_IDS).numbers_of(ids)
        return [None if n is None else self.node(n) for n in numbers]

    def list_ids(self, label: str) -> list[str]:
        """Every id of ``label``, sorted as text. O(n log n) in the label's size."""
        return self.index.get(label, _NO_IDS).sorted_keys()

    def neighbors(
        self, label: str, ids: Sequence[str], rel_type: str, direction: Direction
    ) -> list[list[tuple[Relationship, Node]]]:
        """Relationships of ``rel_type`` in ``direction`` from each node, with the other end.

        Returns
        -------
        list of list of (Relationship, Node)
            Aligned with ``ids``; each inner list sorted by the other node's ``(label, id)``;
            empty for an absent node. O(degree log degree) per node.
        """
        outgoing = direction is Direction.OUTGOING
        known = self.index.get(label, _NO_IDS)
        answer: list[list[tuple[Relationship, Node]]] = []
        for node_id in ids:
            n = known.get(node_id)
            found: list[tuple[Relationship, Node]] = []
            if n is not None:
                for other, values in self._typed(n, rel_type, outgoing):
                    start, end = (n, other) if outgoing else (other, n)
                    found.append((self.rel(rel_type, start, end, values), self.node(other)))
            answer.append(found)
        return answer

    def _typed(self, n: int, rel_type: str, outgoing: bool) -> Sequence[tuple[int, Values]]:
        """Node ``n``'s neighbours by ``rel_type``, leaving it or reaching it, with values.

        Each neighbour with the relationship's property values, in the neighbours'
        ``(label, id)`` order. Kept per node (the ``"typed neighbours"`` :func:`per_node`
        index, dropped for a node when it changes) when the neighbourhood has
        :data:`TYPED_KEPT_MIN` neighbours or more and these are at most one in
        :data:`TYPED_KEPT_SHARE` of them; else read by a scan of the neighbourhood,
        O(degree).
        """
        hood = (self.succ if outgoing else self.pred)[n]
        large = hood.__class__ is dict and len(hood) >= TYPED_KEPT_MIN
        cache = per_node(self, "typed neighbours") if large else None
        kept = cache.get(n) if cache is not None else None
        if kept is not None and (rel_type, outgoing) in kept:
            return kept[rel_type, outgoing]  # type: ignore[no-any-return]
        others = [(o, e[rel_type]) for o, e in pairs(hood) if rel_type in e]
        others.sort(key=lambda pair: self.key(pair[0]))
        if cache is not None and len(others) * TYPED_KEPT_SHARE <= len(hood):
            kept_now = tuple(others)  # see per_node
            cache.setdefault(n, {})[rel_type, outgoing] = kept_now
            return kept_now
        return others

    # -- traversal primitives (graph_service.linkage.traversal) ---------------------------
    #
    # Handles are node numbers; ``rel_types`` a frozenset of types (every type: ``None``
    # internally, which spares testing each relationship's type).

    def nodes(self, handles: Iterable[int]) -> list[Node]:
        """The nodes numbered ``handles``, aligned."""
        return [self.node(n) for n in handles]

    def degrees(self, handles: Iterable[int]) -> list[int]:
        """Neighbours of each node in both directions (joined pairs, not relationships)."""
        succ, pred = self.succ, self.pred
        return [
            (len(out := succ[n]) >> (out.__class__ is tuple))  # count(), inlined
            + (len(into := pred[n]) >> (into.__class__ is tuple))
            for n in handles
        ]

    def touching(
        self, handles: Iterable[int], others: AbstractSet[int], rel_types: frozenset[str]
    ) -> set[int]:
        """The members of ``others`` joined to any of ``handles`` (:meth:`_touching`)."""
        return self._touching(handles, others, _filter(rel_types))

    def neighbourhood(self, handles: Iterable[int], rel_types: frozenset[str]) -> set[int]:
        """Every neighbour of ``handles`` through ``rel_types``, either direction."""
        types = _filter(rel_types)
        reached: set[int] = set()
        for n in handles:
            reached.update(self._adjacent(n, types))
        return reached

    def first_neighbours(
        self,
        handles: Iterable[int],
        rel_types: frozenset[str],
        exclude: AbstractSet[int],
        limit: int,
    ) -> Iterator[list[int]]:
        """Each node's first ``limit - len(exclude)`` neighbours not in ``exclude``, in order.

        Lazily: each node's entry is computed as it is iterated, against ``exclude`` then.
        A hub's (from :data:`SORTED_NEIGHBOURS_MIN` neighbours) are read from its cached
        first ``limit`` neighbours (:meth:`_first_neighbours`: at most ``len(exclude)`` of
        them are excluded); another node's are ranked, only as far as the count asked
        (O(k log count) for ``k`` neighbours not excluded).
        """
        types = _filter(rel_types)
        for node in handles:
            room = limit - len(exclude)
            if self._degree(node) >= SORTED_NEIGHBOURS_MIN:
                prefix, complete = self._first_neighbours(node, limit)
                fresh = (o for o in prefix if o not in exclude and self._joined(node, o, types))
                found = list(islice(fresh, room))
                if complete or len(found) == room:
                    yield found
                    continue  # else the relationship filter skipped too many of them
            yield self._ranked(set(self._adjacent(node, types)).difference(exclude), room)

    def links(self, handle: int, others: AbstractSet[int], rel_types: frozenset[str]) -> list[Link]:
        """The relationships joining ``handle`` to members of ``others``, in path-hop order.

        O(min(degree, ``len(others)``)) to find them (:meth:`_between` or :meth:`_links`),
        then a sort of those found.
        """
        if len(others) < self._degree(handle):
            found = [(o, *rel) for o in others for rel in self._between(handle, o, rel_types)]
        else:
            found = [link for link in self._links(handle, rel_types) if link[0] in others]
        key = self.key
        found.sort(key=lambda f: (key(f[0]), REL_ORDER.get(f[1], 99), key(f[2])))
        return found

    def relationships(self, rels: Iterable[tuple[str, int, int]]) -> list[Relationship]:
        """The stored relationships ``(type, start, end)`` with their properties, aligned."""
        succ = self.succ
        return [self.rel(t, s, e, edge_to(succ[s], e)[t]) for t, s, e in rels]  # type: ignore[index]

    def relationships_among(
        self, handles: Sequence[int], rel_types: frozenset[str]
    ) -> list[Relationship]:
        """Every relationship between two of ``handles`` in ``rel_types``, in contract order.

        O(sum of min(out-degree, ``len(handles)``)): a hub's outgoing relationships are
        looked up by the nodes given rather than enumerated.
        """
        succ, labels, ids = self.succ, self.labels, self.ids
        kept = set(handles)
        keys = {n: (labels[n], ids[n]) for n in handles}
        found: list[tuple[NodeKey, NodeKey, int, str, Values]] = []
        for node in handles:
            out = succ[node]
            among = (
                [(o, out[o]) for o in handles if o in out]
                if out.__class__ is dict and len(out) > len(handles)
                else [(o, edge) for o, edge in pairs(out) if o in kept]
            )
            start = keys[node]
            found += [
                (start, keys[other], REL_ORDER.get(t, 99), t, values)
                for other, edge in among
                for t, values in edge.items()
                if t in rel_types
            ]
        found.sort(key=itemgetter(0, 1, 2))
        fields = self.fields
        return [
            Relationship(t, s, e, Properties(fields[t], values)) for s, e, _, t, values in found
        ]

    def relationships_of_types(self, rel_types: frozenset[str]) -> list[Relationship]:
        """Every relationship of one of ``rel_types``, in contract order.

        Each type's relationships are read once, O(nodes of its start labels + their
        outgoing pairs), and kept as a derived index until the graph changes; several types
        are merged from those, O(relationships), so that each relationship is kept once
        however many sets of types ask for it (the analytics ask for ``SHAREHOLDER_OF`` and
        ``GUARANTEES`` together and apart: 177,000 relationships kept rather than 354,000
        at one million people).
        """
        if len(rel_types) == 1:
            return list(self._relationships_of_type(next(iter(rel_types))))
        return list(merge(*(self._relationships_of_type(t) for t in sorted(rel_types)),
                          key=_contract_order))  # fmt: skip

    def _relationships_of_type(self, rel_type: str) -> list[Relationship]:
        """Every ``rel_type`` relationship in contract order, kept (a derived index)."""
        key = ("relationships of type", rel_type)
        if key not in self.derived:
            succ, labels, ids = self.succ, self.labels, self.ids
            spec = RELATIONSHIP_SPECS.get(rel_type)
            starts = {start for start, _ in spec.endpoints} if spec is not None else set()
            found: list[tuple[NodeKey, NodeKey, Values]] = []
            for label in sorted(starts):
                for n in self.index.get(label, _NO_IDS).values():
                    for other, edge in pairs(succ[n]):
                        if rel_type in edge:
                            found.append(((label, ids[n]), (labels[other], ids[other]),
                                          edge[rel_type]))  # fmt: skip
            found.sort(key=itemgetter(0, 1))
            fields = self.fields  # read per relationship: a type never loaded has no entry
            self.derived[key] = [
                Relationship(rel_type, s, e, Properties(fields[rel_type], v)) for s, e, v in found
            ]
        return self.derived[key]  # type: ignore[no-any-return]

    def _links(self, n: int, rel_types: frozenset[str]) -> Iterator[tuple[int, str, int, int]]:
        """Yield ``(other, type, start, end)`` for each relationship of ``n`` in ``rel_types``.

        Either direction, each relationship in its stored direction and once (a relationship
        from ``n`` to itself too); parallel ones yield separately.
        """
        for other, edge in pairs(self.succ[n]):
            for rel_type in edge:
                if rel_type in rel_types:
                    yield other, rel_type, n, other
        for other, edge in pairs(self.pred[n]):
            if other != n:  # a self-relationship was yielded as an outgoing one
                for rel_type in edge:
                    if rel_type in rel_types:
                        yield other, rel_type, other, n

    def _adjacent(self, n: int, rel_types: frozenset[str] | None) -> Iterable[int]:
        """Neighbours of ``n`` through ``rel_types`` (``None``: any) in either direction.

        A neighbour joined by relationships in both directions comes twice.
        """
        if rel_types is None:
            return chain(neighbours(self.succ[n]), neighbours(self.pred[n]))
        return (
            other
            for adjacency in (self.succ[n], self.pred[n])
            for other, edge in pairs(adjacency)
            if not rel_types.isdisjoint(edge)
        )

    def _touching(
        self, nodes: Iterable[int], others: AbstractSet[int], rel_types: frozenset[str] | None
    ) -> set[int]:
        """The members of ``others`` joined to any of ``nodes`` by a relationship of ``rel_types``.

        ``None`` allows any type. O(sum over ``nodes`` of min(degree, ``len(others)``)):
        for each node, whichever of its neighbours and ``others`` is smaller is iterated
        (in C when any type will do), so testing a hub against a few nodes does not
        enumerate the hub's neighbours.
        """
        found: set[int] = set()
        succ, pred = self.succ, self.pred
        if rel_types is None:
            reached: set[int] = set()  # the neighbours of the nodes with fewer than others
            for n in nodes:
                out, into = succ[n], pred[n]
                degree = (len(out) >> (out.__class__ is tuple)) + (
                    len(into) >> (into.__class__ is tuple)
                )  # count(), inlined
                if degree <= len(others):
                    reached.update(neighbours(out), neighbours(into))
                else:  # iterates the smaller of the two, in C
                    found |= _keys_among(out, others)
                    found |= _keys_among(into, others)
            found |= reached.intersection(others)
            return found
        for n in nodes:
            for adjacency in (succ[n], pred[n]):
                if not adjacency:
                    continue
                if adjacency.__class__ is not dict:  # a few neighbours: pairs(), inlined
                    found.update(
                        o
                        for o, edge in zip(adjacency[::2], adjacency[1::2])  # noqa: B905
                        if o in others and not rel_types.isdisjoint(edge)
                    )
                elif len(adjacency) <= len(others):
                    found.update(
                        o
                        for o, edge in adjacency.items()
                        if o in others and not rel_types.isdisjoint(edge)
                    )
                else:
                    found.update(
                        o
                        for o in others
                        if (edge := adjacency.get(o)) is not None
                        and not rel_types.isdisjoint(edge)
                    )
        return found

    def _ranked(self, nodes: Iterable[int], count: int | None = None) -> list[int]:
        """The first ``count`` (all with ``None``) of ``nodes`` in ``(label, id)`` order.

        Keys are compared as ``(label, id, node)`` tuples, in C; O(k log count) for k nodes.
        """
        labels, ids = self.labels, self.ids
        keyed = [(labels[n], ids[n], n) for n in nodes]
        ranked = sorted(keyed) if count is None else nsmallest(count, keyed)
        return [n for _, _, n in ranked]

    def _first_neighbours(self, hub: int, count: int) -> tuple[Sequence[int], bool]:
        """At least the first ``count`` of a hub's neighbours in ``(label, id)`` order.

        Either direction, each neighbour once. Derived index, cached until the graph
        changes: a walk that passes a hub (an enterprise with tens of thousands of
        employees) reads its first few neighbours instead of ranking them all again. Only
        a prefix is ranked, which costs a pass over the neighbours rather than a sort.

        Returns
        -------
        (sequence of int, bool)
            The neighbours (a tuple), and whether they are all of them.
        """
        cache = per_node(self, "first neighbours")
        cached = cache.get(hub)
        if cached is None or not (cached[1] or len(cached[0]) >= count):
            others = set(neighbours(self.succ[hub])).union(neighbours(self.pred[hub]))
            first = tuple(self._ranked(others, count))  # a tuple: see per_node
            cached = cache[hub] = (first, len(first) == len(others))
        return cached  # type: ignore[no-any-return]

    def _joined(self, n: int, other: int, rel_types: frozenset[str] | None) -> bool:
        """Whether a relationship of ``rel_types`` (``None``: any) joins ``n`` and ``other``."""
        if rel_types is None:
            return True
        return any(
            edge is not None and not rel_types.isdisjoint(edge)
            for edge in (edge_to(self.succ[n], other), edge_to(self.pred[n], other))
        )

    def _degree(self, n: int) -> int:
        """Neighbours of ``n`` in both directions (joined pairs, not relationships)."""
        return count(self.succ[n]) + count(self.pred[n])

    def _between(
        self, n: int, other: int, rel_types: frozenset[str]
    ) -> Iterator[tuple[str, int, int]]:
        """``(type, start, end)`` of each relationship in ``rel_types`` joining two nodes.

        O(1): two dict lookups. The relationships :meth:`_links` yields for ``other``.
        """
        for edge, start, end in (
            (edge_to(self.succ[n], other), n, other),
            (edge_to(self.pred[n], other) if other != n else None, other, n),
        ):
            if edge is not None:
                for rel_type in edge:
                    if rel_type in rel_types:
                        yield rel_type, start, end

    def counts(self) -> dict[str, int]:
        """Node count per label and relationship count per type (absent ones as 0). O(1)."""
        answer = {label.value: len(self.index[label.value]) for label in NodeLabel}
        answer.update({t.value: self.rel_counts[t.value] for t in RelationshipType})
        return answer


def _put(side: list[Hood], n: int, other: int, edge: Edge) -> None:
    """Set the edge from ``n`` to ``other`` in ``side[n]`` (added or replaced).

    A tuple neighbourhood is replaced by a new tuple, or by a dict past :data:`SMALL`
    neighbours; a dict is written in place.
    """
    hood = side[n]
    if hood.__class__ is dict:
        hood[other] = edge
    elif other in hood:
        at = hood.index(other) + 1
        side[n] = (*hood[:at], edge, *hood[at + 1 :])
    elif len(hood) < 2 * SMALL:
        side[n] = (*hood, other, edge)
    else:
        grown = dict(pairs(hood))
        grown[other] = edge
        side[n] = grown


def _drop(side: list[Hood], n: int, other: int) -> None:
    """Remove ``other`` from ``side[n]``, where it is."""
    hood = side[n]
    if hood.__class__ is dict:
        del hood[other]
    else:
        at = hood.index(other)
        side[n] = hood[:at] + hood[at + 2 :]


def _keys_among(hood: Hood, others: AbstractSet[int]) -> set[int]:
    """The neighbours in ``hood`` that are in ``others`` (a dict's, iterating the smaller)."""
    if hood.__class__ is dict:
        return hood.keys() & others  # type: ignore[no-any-return]
    return {o for o in hood[::2] if o in others}
