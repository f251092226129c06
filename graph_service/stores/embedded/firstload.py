"""The graph of a first load, built from the rows it writes rather than read back from SQLite.

A load into an empty store (the bulk load of a bank) used to build the in-memory graph on
the next read by reading every row it had just written back from SQLite
(:meth:`Record._read_all <graph_service.stores.embedded.record.Record>`): fetching the rows
and decoding their properties again was most of that rebuild (measured on the 1M-person
benchmark bank, see benchmarks/README.md#tuning-constants). :class:`FirstLoad` keeps each
row's key and encoded values as the load writes it, and builds from them the graph that
rebuild would build: the same node numbers, neighbourhoods, edge dicts shared alike and
values, since it applies the same rows in the same order and chunks.

The load writes those rows to SQLite from the same columns, once they are all read and put
in primary-key order (:meth:`FirstLoad.order`): a B-tree filled in key order is appended
to, page after page, where rows in file order land all over a tree larger than the page
cache (at 1M people, 19 s of SQLite's time against 8 s; see
benchmarks/README.md#tuning-constants).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from operator import eq, itemgetter
from typing import Any

from graph_service.model import NODE_SPECS, RELATIONSHIP_SPECS
from graph_service.stores.embedded.adjacency import Adjacency
from graph_service.stores.embedded.properties import Values, merge

_RelKind = tuple[str, str, str]
"""``(type, start label, end label)``: one range of the relationships' primary key."""


class FirstLoad:
    """The node and relationship rows a load writes into an empty store, as columns.

    Filled while the rows are read (:meth:`nodes_of`, :meth:`relationships_of`: the
    columns of a label or relationship kind, appended to in row order), then put in key
    order (:meth:`order`) and written from :meth:`node_runs` and :meth:`relationship_runs`;
    once the load is committed, :attr:`seq` is its ``load_seq`` and :meth:`build` gives the
    graph.

    Notes
    -----
    Memory: a reference per row and column, the id texts and value tuples being those the
    graph then holds. The rebuild this replaces reads each label's nodes in id order (the
    primary key, text compared as UTF-8 bytes, which orders as Python compares ``str``) and
    each kind of relationship in ``(start id, end id)`` order, in chunks; a row stored
    twice is one row whose values are the rows' merged in order
    (:func:`~graph_service.stores.embedded.properties.merge`, what the upsert stores).
    """

    __slots__ = ("_nodes", "_ordered", "_rels", "seq")

    def __init__(self) -> None:
        self._nodes: dict[str, tuple[list[str], list[Values]]] = {}
        self._rels: dict[_RelKind, tuple[list[str], list[str], list[Values]]] = {}
        self._ordered = False
        self.seq = 0
        """The ``load_seq`` the rows were committed as; 0 until they are."""

    def nodes_of(self, label: str) -> tuple[list[str], list[Values]]:
        """The id and values columns of the nodes of ``label`` (appended to by the caller)."""
        return self._nodes.setdefault(label, ([], []))

    def relationships_of(
        self, rel_type: str, start_label: str, end_label: str
    ) -> tuple[list[str], list[str], list[Values]]:
        """The start id, end id and values columns of one kind of relationship, likewise.

        A relationship without properties has the values ``()``.
        """
        return self._rels.setdefault((rel_type, start_label, end_label), ([], [], []))

    def known(self) -> bool:
        """Whether every label and kind of relationship kept is one of the model's.

        The rebuild reads only those, and refuses a store holding others (written by
        another version of the service); such rows are left to it.
        """
        kinds = {(t, *ends) for t, spec in RELATIONSHIP_SPECS.items() for ends in spec.endpoints}
        return self._nodes.keys() <= NODE_SPECS.keys() and self._rels.keys() <= kinds

    def order(self) -> None:
        """Put each label's rows in id order and each kind's in (start id, end id) order.

        The order of the tables' primary keys within a label or kind (text compared as UTF-8
        bytes, which orders as Python compares ``str``); the rows of one key are then merged
        into one, in row order (:func:`_merge_repeats`), as the upsert would store them. A
        relationship kind is sorted by end id, then stably by start id. O(rows log rows);
        idempotent.
        """
        if self._ordered:
            return
        for ids, values in self._nodes.values():
            _permute(sorted(range(len(ids)), key=ids.__getitem__), ids, values)
            _merge_repeats((ids,), values)
        for starts, ends, rel_values in self._rels.values():
            order = sorted(range(len(ends)), key=ends.__getitem__)
            order.sort(key=starts.__getitem__)
            _permute(order, starts, ends, rel_values)
            _merge_repeats((starts, ends), rel_values)
        self._ordered = True

    def node_runs(self) -> Iterator[tuple[str, list[str], list[Values]]]:
        """``(label, ids, values)`` per label, in label order: the ``nodes`` table's key order.

        After :meth:`order`, each run in id order.
        """
        for label in sorted(self._nodes):
            yield label, *self._nodes[label]

    def relationship_runs(
        self,
    ) -> Iterator[tuple[_RelKind, list[str], list[str], list[Values]]]:
        """``(kind, start ids, end ids, values)`` per kind, in kind order.

        ``(type, start label, end label)`` order is the ``relationships`` table's key order
        but where a type and start label have several end labels (their rows interleave by
        start id there). After :meth:`order`, each run in (start id, end id) order.
        """
        for kind in sorted(self._rels):
            yield kind, *self._rels[kind]

    def build(self, memory: Adjacency, chunk: int) -> None:
        """Apply the rows to ``memory`` (empty, no node ever added) as the rebuild does.

        Labels in :data:`~graph_service.model.NODE_SPECS` order, then relationship types in
        :data:`~graph_service.model.RELATIONSHIP_SPECS` order and each type's endpoints in
        its order; each in key order (:meth:`order`, done here if not yet), relationships
        ``chunk`` rows per call of
        :meth:`Adjacency.join <graph_service.stores.embedded.adjacency.Adjacency.join>`
        (the rebuild's chunk of rows read: edge dicts are shared within a call). The
        columns are emptied as they are applied. O(rows) once in order.

        Raises
        ------
        KeyError
            If a relationship's end node is not among the nodes (never, for rows a load
            checked: :class:`~graph_service.records.UpsertCheck`).
        """
        self.order()
        for label in NODE_SPECS:
            memory.apply_nodes(label, *self._nodes.pop(label, ([], [])), new=True)
        for rel_type, spec in RELATIONSHIP_SPECS.items():
            for start_label, end_label in spec.endpoints:
                columns = self._rels.pop((rel_type, start_label, end_label), None)
                if columns is None:
                    continue
                start_ids, end_ids, values = columns
                # A label's nodes are numbered in id order: number order is key order.
                starts = memory.index[start_label].require(start_ids)
                ends = memory.index[end_label].require(end_ids)
                del start_ids[:], end_ids[:]
                for at in range(0, len(starts), chunk):
                    memory.join(rel_type, starts[at : at + chunk], ends[at : at + chunk],
                                values[at : at + chunk])  # fmt: skip


def _permute(order: list[int], *columns: list[Any]) -> None:
    """Put each of ``columns`` in ``order`` (a permutation of its indexes), in place."""
    if len(order) > 1:
        pick = itemgetter(*order)
        for column in columns:
            column[:] = pick(column)


def _merge_repeats(keys: tuple[list[Any], ...], values: list[Values]) -> None:
    """Merge each run of adjacent rows of one key into one row, in place (later values win).

    ``keys`` are the key's columns, ``values`` the rows' values
    (:func:`~graph_service.stores.embedded.properties.merge`, what the upsert stores). The
    values of a key written once are kept as they are. O(rows) tests in C when no key
    repeats.
    """
    last = keys[-1]
    if not any(map(eq, last, islice(last, 1, None))):
        return
    rows = list(zip(*keys, strict=True))
    if not any(map(eq, rows, islice(rows, 1, None))):
        return
    kept_rows: list[tuple[Any, ...]] = []
    kept_values: list[Values] = []
    for row, row_values in zip(rows, values, strict=True):
        if kept_rows and kept_rows[-1] == row:
            kept_values[-1] = merge(kept_values[-1], row_values)
        else:
            kept_rows.append(row)
            kept_values.append(row_values)
    for column, kept_column in zip(keys, zip(*kept_rows, strict=True), strict=True):
        column[:] = kept_column
    values[:] = kept_values


__all__ = ["FirstLoad"]
