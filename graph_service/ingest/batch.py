"""The unit of bulk loading: rows of nodes and relationships with their provenance.

A loader fills a :class:`GraphBatch`; a store writes it all or nothing with
:meth:`~graph_service.stores.base.GraphStore.upsert` and answers a :class:`LoadReport`.
Rows carry the file and line they came from so that a rejected row can be traced.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from graph_service.model import NodeKey


@dataclass(frozen=True, slots=True)
class NodeRow:
    """One node to upsert.

    Parameters
    ----------
    label, id : str
        The node's identity.
    props : dict
        Properties, already converted to stored types (see ``ElementSpec.coerce``).
    file : str
        Source file name (for the load report).
    line : int
        1-based physical line in ``file``.
    """

    label: str
    id: str
    props: dict[str, Any]
    file: str
    line: int

    @property
    def key(self) -> NodeKey:
        """The node's ``(label, id)`` key."""
        return (self.label, self.id)


@dataclass(frozen=True, slots=True)
class RelationshipRow:
    """One relationship to upsert, from ``start`` to ``end``.

    Parameters
    ----------
    type : str
        Relationship type (a :class:`~graph_service.model.RelationshipType` value).
    start, end : NodeKey
        ``(label, id)`` of the endpoints; the labels are already checked against the model.
    props : dict
        Properties, already converted to stored types.
    file, line : str, int
        Provenance, as for :class:`NodeRow`; for an aggregated row, the first source row.
    source_rows : int, default 1
        How many data rows of ``file`` this row stands for: more than 1 when a loader
        aggregates rows (FinBench transfers: one ``TRANSFERRED_TO`` per account pair). The
        load report counts them all as loaded, or all as rejected, so that per file
        loaded + rejected equals the file's data rows.
    """

    type: str
    start: NodeKey
    end: NodeKey
    props: dict[str, Any]
    file: str
    line: int
    source_rows: int = 1


@dataclass(frozen=True, slots=True)
class Reject:
    """A row that was not loaded, and why.

    Parameters
    ----------
    file, line : str, int
        Where the row is.
    reason : str
        Human-readable cause, e.g. ``"start node Person '42' does not exist"``.
    """

    file: str
    line: int
    reason: str


@dataclass(slots=True)
class GraphBatch:
    """Everything one load writes, written as one transaction.

    Attributes
    ----------
    nodes : list of NodeRow
        Upserted first; a later row for the same key merges into (overrides) an earlier one.
    relationships : list of RelationshipRow
        Upserted after the nodes; a row whose endpoint is neither in the store nor in
        ``nodes`` is rejected, not loaded.
    rejects : list of Reject
        Rows the loader itself already rejected (e.g. derived-data evidence that points
        nowhere); the store appends its own.
    files : list of str
        Every file read, so that the report lists files with no rows too.
    """

    nodes: list[NodeRow] = field(default_factory=list)
    relationships: list[RelationshipRow] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


@dataclass(slots=True)
class LoadReport:
    """What a load did, per source file.

    Attributes
    ----------
    loaded : Counter of str
        Source rows written per file name (a relationship row counts its
        ``source_rows``).
    rejected : Counter of str
        Source rows rejected per file name (likewise).
    rejects : list of Reject
        Each rejected row with its reason, in file and line order; an aggregated row is
        listed once, at its first source line.
    files : list of str
        Files read, in reading order.
    """

    loaded: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    rejects: list[Reject] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def total_loaded(self) -> int:
        """Source rows written, all files together."""
        return sum(self.loaded.values())

    @property
    def total_rejected(self) -> int:
        """Source rows rejected, all files together."""
        return sum(self.rejected.values())


RelationshipKey = tuple[str, NodeKey, NodeKey]
"""A relationship's identity: ``(type, start key, end key)``."""


@dataclass(slots=True)
class PlannedBatch:
    """A batch merged by key and checked against the store, ready to write.

    Attributes
    ----------
    report : LoadReport
        What writing ``nodes`` and ``relationships`` loads and what was rejected.
    nodes : dict of NodeKey to dict
        Each node once, its rows' properties merged in row order (later rows win).
    relationships : dict of RelationshipKey to dict
        Each relationship whose ends both exist once, properties merged likewise.
    """

    report: LoadReport
    nodes: dict[NodeKey, dict[str, Any]]
    relationships: dict[RelationshipKey, dict[str, Any]]


def plan_batch(batch: GraphBatch, stored: Container[NodeKey]) -> PlannedBatch:
    """Merge ``batch``'s rows by key and reject relationships to missing nodes.

    The upsert rule of every store (:meth:`~graph_service.stores.base.GraphStore.upsert`):
    node rows merge into one node per key; a relationship row whose start or end is neither
    in ``stored`` nor among the batch's nodes is rejected with its file, line and reason
    (``"end node Person '2' does not exist"``) and counted, with its ``source_rows``, as
    rejected in its file.

    Parameters
    ----------
    batch : GraphBatch
    stored : container of NodeKey
        The keys the store already holds (at least every relationship end not in the batch).

    Returns
    -------
    PlannedBatch
        Rejects in file and line order, after the loader's own.
    """
    report = LoadReport(files=list(batch.files))
    for reject in batch.rejects:
        report.rejected[reject.file] += 1
    rejects = list(batch.rejects)
    loaded: dict[str, int] = {}
    # A key's first row keeps its own props dict; only repeated keys pay for a merged copy.
    nodes: dict[NodeKey, dict[str, Any]] = {}
    for row in batch.nodes:
        key = (row.label, row.id)
        earlier = nodes.get(key)
        nodes[key] = row.props if earlier is None else {**earlier, **row.props}
        loaded[row.file] = loaded.get(row.file, 0) + 1
    rels: dict[RelationshipKey, dict[str, Any]] = {}
    for rel in batch.relationships:
        start, end = rel.start, rel.end
        if start not in nodes and start not in stored:
            end_name, (label, node_id) = "start", start
        elif end not in nodes and end not in stored:
            end_name, (label, node_id) = "end", end
        else:
            rel_key = (rel.type, start, end)
            earlier_rel = rels.get(rel_key)
            rels[rel_key] = rel.props if earlier_rel is None else {**earlier_rel, **rel.props}
            loaded[rel.file] = loaded.get(rel.file, 0) + rel.source_rows
            continue
        reason = f"{end_name} node {label} {node_id!r} does not exist"
        rejects.append(Reject(rel.file, rel.line, reason))
        report.rejected[rel.file] += rel.source_rows
    report.loaded.update(loaded)
    rejects.sort(key=lambda r: (r.file, r.line))
    report.rejects = rejects
    return PlannedBatch(report, nodes, rels)
