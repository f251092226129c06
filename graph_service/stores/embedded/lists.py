"""The embedded store's own lists of one label (``enterprises``, ``persons``, ``managers``).

The generic rule (:mod:`graph_service.linkage.lists`) reads every node of the label and tests
and sorts them in Python: at one million people, seconds for a page of ten. Here a list is
answered over columns kept as derived indexes of the in-memory graph
(:class:`~graph_service.stores.embedded.adjacency.Adjacency`):

- **A column** per label and property: per node number, the *code* of its value (its place
  among the property's distinct values; -1 without a value), so that a filter's test runs
  once per distinct value and numpy picks the nodes (:func:`keep_mask`), and a sort orders
  the distinct values once (:meth:`_Column.ranks`).
- **An order** per label and sort: the label's nodes sorted by their values' ranks, then by
  id (:func:`numpy.lexsort`), kept while the nodes of the label and their sort values stay
  the same (:func:`_patch_order`); a filtered list keeps the order's nodes that pass.

Values given with a sort entry (an enterprise's figures) are ranked per request.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np
import numpy.typing as npt

from graph_service.stores.base import (
    AllOf,
    AnyOf,
    Keep,
    Listed,
    NotOf,
    PropertyTest,
    SortBy,
)
from graph_service.stores.embedded.adjacency import Adjacency, patches
from graph_service.stores.embedded.joined import Numbers
from graph_service.stores.embedded.questions import (
    _added_or_removed,
    _id_order,
    _keep,
    _recent,
    _value,
    members,
)

ORDERS_KEPT = 4
"""Orders kept per label (least recently used dropped first): each the label's node numbers
and their codes per sort entry, 12 MB and more at one million people."""
COLUMNS_KEPT = 6
"""Columns kept per label (least recently used dropped first): each 4 bytes per node of the
graph (12.5 MB for the 3.1 million nodes of the 1M-person bank), plus its distinct values."""

_ABSENT = -1


class _Column:
    """The value codes of one property of a label's nodes, for a default.

    Attributes
    ----------
    codes : ndarray of int32
        Per node number: the place of its value in :attr:`values`; -1 without one, and
        for the nodes of other labels.
    values : list
        The distinct values, in the order first met (a new value is appended).
    code_of : dict or None
        Value -> code; ``None`` for the ids column, whose values are the ids in order.
    """

    __slots__ = ("_ranks", "code_of", "codes", "values")

    def __init__(self, codes: npt.NDArray[np.int32], values: list[Any],
                 code_of: dict[Any, int] | None) -> None:  # fmt: skip
        self.codes, self.values, self.code_of = codes, values, code_of
        self._ranks: dict[type, npt.NDArray[np.int64]] = {}

    def code(self, value: Any) -> int:
        """The code of ``value`` (appended when new); -1 for ``None``."""
        if value is None:
            return _ABSENT
        assert self.code_of is not None
        code = self.code_of.get(value)
        if code is None:
            code = self.code_of[value] = len(self.values)
            self.values.append(value)
            self._ranks.clear()
        return code

    def lookup(self, graph: Adjacency, label: str, value: Any) -> int | None:
        """The code of ``value`` if some node of ``label`` has it; ``None`` otherwise."""
        if self.code_of is not None:
            return self.code_of.get(value)
        known = graph.index.get(label)  # the ids: a node's code is its place in id order
        number = None if known is None or not isinstance(value, str) else known.get(value)
        return None if number is None else int(self.codes[number])

    def ranks(self, kind: type) -> npt.NDArray[np.int64]:
        """Per code, the dense rank of ``kind(value)`` among the distinct values' (kept)."""
        found = self._ranks.get(kind)
        if found is None:
            if self.code_of is None:  # the ids: in order already
                found = np.arange(len(self.values), dtype=np.int64)
            else:
                keys = [kind(v) for v in self.values]
                distinct = sorted(set(keys))
                place = {key: i for i, key in enumerate(distinct)}
                found = np.fromiter((place[k] for k in keys), np.int64, len(keys))
            self._ranks[kind] = found
        return found


def column(graph: Adjacency, label: str, name: str, default: Any) -> _Column:
    """The column of property ``name`` of ``label`` (``"id"``: the ids), built on first use.

    O(nodes of the label) the first time, then kept (at most :data:`COLUMNS_KEPT` per
    label) and patched for the nodes a write changes.
    """
    key = ("list column", label, name, default)
    found: _Column | None = _recent(graph, key)
    if found is not None:
        return found
    numbers = members(graph, label)
    if name == "id":
        ids = graph.ids
        order = _id_order(graph, label).astype(np.int32)
        found = _Column(order, [ids[n] for n in numbers.tolist()], None)
    else:
        value = _value(graph, label, name, default)
        found = _Column(np.full(len(graph.labels), _ABSENT, np.int32), [], {})
        found.codes[numbers] = [found.code(value(n)) for n in numbers.tolist()]
    return _keep(graph, key, found, COLUMNS_KEPT)


@patches("list column")
def _patch_column(graph: Adjacency, key: tuple[str, str, str, Any], found: _Column,
                  changed: AbstractSet[int]) -> _Column | None:  # fmt: skip
    """The column with the changed nodes' values coded again.

    The ids' column is dropped instead when a node of the label was added or removed.
    """
    _, label, name, default = key
    if found.code_of is None:
        count = len(found.values)
        return None if _added_or_removed(graph, label, count, changed) else found
    labels, succ = graph.labels, graph.succ
    grown = len(labels) - len(found.codes)
    if grown > 0:
        found.codes = np.concatenate([found.codes, np.full(grown, _ABSENT, np.int32)])
    value = _value(graph, label, name, default)
    for n in changed:
        if labels[n] == label:
            found.codes[n] = _ABSENT if succ[n] is None else found.code(value(n))
    return found


def keep_mask(graph: Adjacency, label: str, keep: Keep, defaults: Mapping[str, Any],
              numbers: Numbers) -> npt.NDArray[np.bool_]:  # fmt: skip
    """Per node of ``numbers`` (of ``label``), whether it passes ``keep``.

    Each test runs once per distinct value of its property (or its candidates are looked
    up, :attr:`~graph_service.stores.base.PropertyTest.candidates`), then numpy reads the
    answer of each node's value.
    """
    if isinstance(keep, PropertyTest):
        found = column(graph, label, keep.name, defaults.get(keep.name))
        if keep.candidates is None:
            many = keep.test_many or (lambda values: [keep.test(v) for v in values])
            table = np.append(np.asarray(many(found.values), np.bool_),
                              bool(keep.test(None)))  # code -1: the last  # fmt: skip
        else:  # only these values pass: looked up, not every value tested
            table = np.zeros(len(found.values) + 1, np.bool_)
            table[-1] = bool(keep.test(None))
            codes = [found.lookup(graph, label, v) for v in keep.candidates]
            table[[c for c in codes if c is not None]] = True
        return table[found.codes[numbers]]  # type: ignore[no-any-return]
    if isinstance(keep, NotOf):
        return ~keep_mask(graph, label, keep.part, defaults, numbers)
    masks = [keep_mask(graph, label, part, defaults, numbers) for part in keep.parts]
    if isinstance(keep, AllOf):
        return np.logical_and.reduce(masks) if masks else np.ones(len(numbers), np.bool_)
    assert isinstance(keep, AnyOf)
    return np.logical_or.reduce(masks) if masks else np.zeros(len(numbers), np.bool_)


def _codes(graph: Adjacency, label: str, entry: SortBy, defaults: Mapping[str, Any],
           numbers: Numbers) -> tuple[npt.NDArray[np.int32], _Column]:  # fmt: skip
    """The codes of ``numbers``' values for ``entry``, and the column they index."""
    if entry.given is None:
        found = column(graph, label, entry.name, defaults.get(entry.name))
        return found.codes[numbers], found
    ids, given = graph.ids, entry.given
    found = _Column(np.empty(0, np.int32), [], {})
    codes = [found.code(given.get(ids[n])) for n in numbers.tolist()]
    return np.array(codes, np.int32), found


def _order(graph: Adjacency, label: str, sort: Sequence[SortBy],
           defaults: Mapping[str, Any]) -> Numbers:  # fmt: skip
    """Every node of ``label`` in the order of ``sort``, then of ids.

    By :func:`numpy.lexsort` of each entry's absent flag and its values' rank (negated when
    descending), then the id's place. Without values given, kept (at most
    :data:`ORDERS_KEPT` per label) as the derived index ``("list order", label, ...)``, with
    the codes it was sorted by: O(n log n) once.
    """
    numbers = members(graph, label)
    if not sort:
        return numbers
    stored = all(entry.given is None for entry in sort)
    key = ("list order", label, tuple((e.name, e.descending, e.kind) for e in sort),
           tuple(defaults.get(e.name) for e in sort))  # fmt: skip
    if stored and (kept := _recent(graph, key)) is not None:
        return kept[0]  # type: ignore[no-any-return]
    keys: list[npt.NDArray[np.int64]] = []
    sorted_by = []
    for entry in sort:
        codes, found = _codes(graph, label, entry, defaults, numbers)
        ranks = np.append(found.ranks(entry.kind), 0)[codes]  # code -1 (absent): any rank
        keys += [(codes < 0).astype(np.int64), -ranks if entry.descending else ranks]
        sorted_by.append(codes)
    ordered = numbers[np.lexsort([_id_order(graph, label)[numbers], *keys[::-1]])]
    if stored:
        _keep(graph, key, (ordered, sorted_by), ORDERS_KEPT)
    return ordered


@patches("list order")
def _patch_order(graph: Adjacency, key: tuple[Any, ...],
                 kept: tuple[Numbers, list[npt.NDArray[np.int32]]],
                 changed: AbstractSet[int]) -> tuple[Any, ...] | None:  # fmt: skip
    """The order, or ``None`` (dropped) when it may have changed.

    Kept while no node of its label was added or removed and the changed nodes' values
    have the codes they were sorted by.
    The codes are kept per member, in id order: a node's place there is its
    ``_id_order``. The changed nodes' codes are read from their values, as the column's
    patch may come after this one; without the column (dropped since), the order is
    dropped too rather than a column built during a write.
    """
    _, label, entries, defaults = key
    ordered, sorted_by = kept
    if _added_or_removed(graph, label, len(ordered), changed):
        return None
    labels = graph.labels
    mine = [n for n in changed if labels[n] == label]
    if mine:
        place = _id_order(graph, label)[mine]
        for (name, _, _), default, was in zip(entries, defaults, sorted_by, strict=True):
            if name == "id":  # ids do not change
                continue
            found = graph.derived.get(("list column", label, name, default))
            if found is None:  # dropped since: not built again during a write
                return None
            value = _value(graph, label, name, default)
            now = [found.code(value(n)) for n in mine]  # the column may be patched after
            if not np.array_equal(now, was[place]):
                return None
    return kept


def list_nodes(graph: Adjacency, label: str, keep: Keep | None, sort: Sequence[SortBy],
               defaults: Mapping[str, Any]) -> Listed:  # fmt: skip
    """The nodes of ``label`` that pass ``keep``, in the order of ``sort``, then of ids.

    See :meth:`graph_service.linkage.lists.Pushdown.list_nodes`. O(distinct values tested
    + nodes of the label) in numpy once the columns and the order are built.
    """
    ordered = _order(graph, label, sort, defaults)
    if keep is not None:
        ordered = ordered[keep_mask(graph, label, keep, defaults, ordered)]
    known = graph.index.get(label)

    def find(ids: Collection[str]) -> list[int]:
        numbers = [] if known is None else [n for n in known.numbers_of(list(ids)) if n is not None]
        return np.flatnonzero(np.isin(ordered, numbers)).tolist()  # type: ignore[no-any-return]

    return Listed(len(ordered), lambda i: graph.node(int(ordered[i])),
                  lambda: list(map(graph.ids.__getitem__, ordered.tolist())), find)
