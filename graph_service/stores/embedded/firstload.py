"""The graph of a first load, built from the rows it writes rather than read back from SQLite.

A load into an empty store (the bulk load of a bank) used to build the in-memory graph on
the next read by reading every row it had just written back from SQLite
(:meth:`Record._read_all <graph_service.stores.embedded.record.Record>`): fetching the rows
and decoding their properties again was most of that rebuild (measured on the 1M-person
benchmark bank, see benchmarks/README.md#tuning-constants). :class:`FirstLoad` keeps each
row's key and encoded values as the load writes it, and builds from them the graph that
rebuild would build: the same node numbers, neighbourhoods, edge dicts shared alike and
values, since it applies the same rows in the same order and chunks.
"""

from __future__ import annotations

from itertools import islice, repeat
from operator import add, eq, mul
from typing import TypeVar

from graph_service.model import NODE_SPECS, RELATIONSHIP_SPECS
from graph_service.stores.embedded.adjacency import Adjacency
from graph_service.stores.embedded.properties import Values, merge

K = TypeVar("K")
_RelKind = tuple[str, str, str]
"""``(type, start label, end label)``: one range of the relationships' primary key."""


class FirstLoad:
    """The node and relationship rows a load writes into an empty store, as columns.

    Filled while the rows are written (:meth:`nodes_of`, :meth:`relationships_of`: the
    columns of a label or relationship kind, appended to in row order); once the load is
    committed, :attr:`seq` is its ``load_seq`` and :meth:`build` gives the graph.

    Notes
    -----
    Memory: a reference per row and column, the id texts and value tuples being those the
    graph then holds. The rebuild this replaces reads each label's nodes in id order (the
    primary key, text compared as UTF-8 bytes, which orders as Python compares ``str``) and
    each kind of relationship in ``(start id, end id)`` order, in chunks; a row stored
    twice is one row whose values are the rows' merged in order
    (:func:`~graph_service.stores.embedded.properties.merge`, what the upsert stores).
    """

    __slots__ = ("_nodes", "_rels", "seq")

    def __init__(self) -> None:
        self._nodes: dict[str, tuple[list[str], list[Values]]] = {}
        self._rels: dict[_RelKind, tuple[list[str], list[str], list[Values]]] = {}
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

    def build(self, memory: Adjacency, chunk: int) -> None:
        """Apply the rows to ``memory`` (empty, no node ever added) as the rebuild does.

        Labels in :data:`~graph_service.model.NODE_SPECS` order, then relationship types in
        :data:`~graph_service.model.RELATIONSHIP_SPECS` order and each type's endpoints in
        its order; each in key order, relationships ``chunk`` rows per call of
        :meth:`Adjacency.join <graph_service.stores.embedded.adjacency.Adjacency.join>`
        (the rebuild's chunk of rows read: edge dicts are shared within a call). The
        columns are emptied as they are applied. O(rows log rows).

        Raises
        ------
        KeyError
            If a relationship's end node is not among the nodes (never, for rows a load
            checked: :class:`~graph_service.records.UpsertCheck`).
        """
        for label in NODE_SPECS:
            ids, values = self._nodes.pop(label, ([], []))
            order = sorted(range(len(ids)), key=ids.__getitem__)  # stable: later rows last
            ids, values = _merged([ids[i] for i in order], [values[i] for i in order])
            memory.apply_nodes(label, ids, values, new=True)
        width = len(memory.ids)  # node numbers are below it
        for rel_type, spec in RELATIONSHIP_SPECS.items():
            for start_label, end_label in spec.endpoints:
                columns = self._rels.pop((rel_type, start_label, end_label), None)
                if columns is None:
                    continue
                start_ids, end_ids, values = columns
                starts = memory.index[start_label].require(start_ids)
                ends = memory.index[end_label].require(end_ids)
                del start_ids[:], end_ids[:]
                # A label's nodes are numbered in id order: number order is key order.
                pairs = list(map(add, map(mul, starts, repeat(width)), ends))
                order = sorted(range(len(pairs)), key=pairs.__getitem__)
                pairs, values = _merged([pairs[i] for i in order], [values[i] for i in order])
                for at in range(0, len(pairs), chunk):
                    part = pairs[at : at + chunk]
                    memory.join(
                        rel_type,
                        [pair // width for pair in part],
                        [pair % width for pair in part],
                        values[at : at + chunk],
                    )


def _merged(keys: list[K], values: list[Values]) -> tuple[list[K], list[Values]]:
    """Rows in key order with those of one key merged into one, in order (later win).

    The values of a key stored once are kept as they are (the rebuild decodes what the
    upsert stored: the row's own values when it was not merged).
    """
    if not any(map(eq, keys, islice(keys, 1, None))):
        return keys, values
    kept_keys: list[K] = []
    kept_values: list[Values] = []
    for key, row in zip(keys, values, strict=True):
        if kept_keys and kept_keys[-1] == key:
            kept_values[-1] = merge(kept_values[-1], row)
        else:
            kept_keys.append(key)
            kept_values.append(row)
    return kept_keys, kept_values


__all__ = ["FirstLoad"]
