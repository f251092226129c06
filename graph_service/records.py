"""The domain's write records: a batch of node and relationship upserts and deletions.

Loaders (:mod:`graph_service.ingest`) and domain commands (mutations) fill a
:class:`GraphBatch`; a store writes it with :meth:`~graph_service.stores.base.GraphStore.write`
and answers a :class:`LoadReport`. Rows carry the file and line they came from so that a
rejected row can be traced (a command's rows leave them empty). A batch's rows may be read
lazily, while the store writes them (:class:`UpsertCheck` applies the upsert rule row by
row); :func:`plan_batch` applies it to a whole batch at once. Stores import this module,
never the loaders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from graph_service.errors import ConflictError, InvalidInputError
from graph_service.model import NODE_SPECS, RELATIONSHIP_SPECS, NodeKey


class NodeRow(NamedTuple):
    """One node to upsert.

    A named tuple rather than a dataclass: a load builds millions of them, and a tuple is
    built in about a third of the time of a frozen dataclass instance and is smaller.

    Parameters
    ----------
    label, id : str
        The node's identity.
    props : dict
        Properties, already converted to stored types (see ``ElementSpec.coerce``).
    file : str, default ""
        Source file name (for the load report); empty for a command's row.
    line : int, default 0
        1-based physical line in ``file``; 0 for a command's row.
    """

    label: str
    id: str
    props: dict[str, Any]
    file: str = ""
    line: int = 0

    @property
    def key(self) -> NodeKey:
        """The node's ``(label, id)`` key."""
        return (self.label, self.id)


class RelationshipRow(NamedTuple):
    """One relationship to upsert, from ``start`` to ``end`` (a named tuple, as NodeRow).

    Parameters
    ----------
    type : str
        Relationship type (a :class:`~graph_service.model.RelationshipType` value).
    start, end : NodeKey
        ``(label, id)`` of the endpoints; the labels are already checked against the model.
    props : dict
        Properties, already converted to stored types.
    file, line : str, int, default "" and 0
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
    file: str = ""
    line: int = 0
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


RelationshipKey = tuple[str, NodeKey, NodeKey]
"""A relationship's identity: ``(type, start key, end key)``."""


@dataclass(frozen=True, slots=True)
class Expected:
    """What a command's write requires of one node as it is when the write begins.

    Parameters
    ----------
    absent : bool
        The node must not exist (a create keyed by an idempotency key).
    version : int or None
        Otherwise the node must exist, and, when given, its ``version`` property must be
        this (optimistic concurrency: ``updateReferral(expectedVersion:)``).
    """

    absent: bool = False
    version: int | None = None

    def check(self, key: NodeKey, props: Mapping[str, Any] | None) -> None:
        """Check the node's stored properties (``None``: absent) against this expectation.

        Raises
        ------
        ConflictError
            If the node exists though it must not, is absent though it must exist, or its
            ``version`` differs.
        """
        label, node_id = key
        if self.absent:
            if props is not None:
                raise ConflictError(f"{label} {node_id!r} was written meanwhile")
            return
        if props is None:
            raise ConflictError(f"{label} {node_id!r} no longer exists")
        if self.version is not None and props.get("version") != self.version:
            raise ConflictError(
                f"stale expectedVersion {self.version}: {label} {node_id!r} is at version "
                f"{props.get('version')}; read it again"
            )


@dataclass(slots=True)
class GraphBatch:
    """Everything one write (a load, a command) changes.

    Applied in this order: relationship deletions, node deletions, node upserts,
    relationship upserts; so a batch may delete a node and create it again, anew.

    Attributes
    ----------
    nodes : iterable of NodeRow
        Upserted first; a later row for the same key merges into (overrides) an earlier one.
    relationships : iterable of RelationshipRow
        Upserted after the nodes; a row whose endpoint is neither in the store nor in
        ``nodes`` is rejected, not loaded.
    rejects : list of Reject
        Rows the loader itself already rejected (e.g. derived-data evidence that points
        nowhere); the store appends its own.
    files : list of str
        Every file read, so that the report lists files with no rows too.
    skipped : dict of str to str
        The input's other entries, each with the reason it was not read, so that the
        report accounts for every file of an input directory.
    deleted_nodes : list of NodeKey
        Nodes to delete with their relationships (Cypher's ``DETACH DELETE``); an absent
        one is no error.
    deleted_relationships : list of RelationshipKey
        Relationships to delete, by type and ends; an absent one is no error.
    expected : dict of NodeKey to Expected
        What the nodes must be like when the write begins (a command's preconditions);
        if one is not, the store raises :class:`~graph_service.errors.ConflictError` and
        writes nothing.

    Notes
    -----
    ``nodes`` and ``relationships`` are lists when the loader has read everything
    (:meth:`materialized`), or one-pass iterators that read the input while the store
    writes (``graph_service.ingest.stream_canonical``). A store iterates each once,
    ``nodes`` to the end before ``relationships``; an iterator may then raise the loader's
    :class:`~graph_service.errors.InvalidInputError` in the middle of a load, which the
    store undoes (or, if it cannot, reads everything first: :meth:`materialized`).
    """

    nodes: Iterable[NodeRow] = field(default_factory=list)
    relationships: Iterable[RelationshipRow] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    deleted_nodes: list[NodeKey] = field(default_factory=list)
    deleted_relationships: list[RelationshipKey] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    expected: dict[NodeKey, Expected] = field(default_factory=dict)

    def materialized(self) -> GraphBatch:
        """Read every row: the batch with lists of rows (itself if they are lists already).

        Raises
        ------
        InvalidInputError
            What reading the rows raises (a lazy batch's input errors surface here).
        """
        if isinstance(self.nodes, list) and isinstance(self.relationships, list):
            return self
        return GraphBatch(
            list(self.nodes),
            list(self.relationships),
            self.rejects,
            self.files,
            self.deleted_nodes,
            self.deleted_relationships,
            self.skipped,
            self.expected,
        )

    def check_deletions(self) -> None:
        """Check the deleted keys against the graph model.

        Raises
        ------
        InvalidInputError
            Naming the first deleted node whose label, or relationship whose type or end
            labels, the model (:mod:`graph_service.model`) does not have.
        """
        for label, node_id in self.deleted_nodes:
            if label not in NODE_SPECS:
                raise InvalidInputError(
                    f"cannot delete {label} {node_id!r}: unknown label {label!r}; expected "
                    f"one of {', '.join(NODE_SPECS)}"
                )
        for rel_type, start, end in self.deleted_relationships:
            spec = RELATIONSHIP_SPECS.get(rel_type)
            if spec is None or (start[0], end[0]) not in spec.endpoints:
                raise InvalidInputError(
                    f"cannot delete the {rel_type} relationship from {start[0]} {start[1]!r} "
                    f"to {end[0]} {end[1]!r}: the model has no such relationship"
                )


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
    skipped : dict of str to str
        The input directory's other entries, each with the reason it was not read.
    """

    loaded: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    rejects: list[Reject] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def total_loaded(self) -> int:
        """Source rows written, all files together."""
        return sum(self.loaded.values())

    @property
    def total_rejected(self) -> int:
        """Source rows rejected, all files together."""
        return sum(self.rejected.values())


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
    deleted_nodes, deleted_relationships : list
        The batch's deletions, written before the upserts.
    """

    report: LoadReport
    nodes: dict[NodeKey, dict[str, Any]]
    relationships: dict[RelationshipKey, dict[str, Any]]
    deleted_nodes: list[NodeKey] = field(default_factory=list)
    deleted_relationships: list[RelationshipKey] = field(default_factory=list)


class UpsertCheck:
    """The upsert rule applied to a batch's rows as they stream past, and its report.

    Every store's rule (:meth:`~graph_service.stores.base.GraphStore.write`): node rows are
    all loaded; a relationship row whose start or end node is neither in ``stored`` nor
    among the batch's node rows is rejected with its file, line and reason
    (``"end node Person '2' does not exist"``) and counted, with its ``source_rows``, as
    rejected in its file. Merging rows of the same key is left to the caller.

    Parameters
    ----------
    batch : GraphBatch
        Read once: :meth:`nodes`, then :meth:`relationships`, then :meth:`report`.
    stored : container of NodeKey
        The keys the store already holds (at least every relationship end not in the batch).
        A key the batch deletes counts as not stored (unless the batch upserts it again).

    Notes
    -----
    Memory: the ids of the batch's nodes, one set per label (about 100 bytes per node), and
    the rejects; no row is kept. O(1) per row.
    """

    __slots__ = ("_batch", "_loaded", "_rejects", "_seen", "_stored")

    def __init__(self, batch: GraphBatch, stored: Container[NodeKey]) -> None:
        self._batch = batch
        self._stored = _Remaining(stored, batch.deleted_nodes) if batch.deleted_nodes else stored
        self._seen: dict[str, set[str]] = {}
        self._loaded: dict[str, int] = {}
        self._rejects: list[tuple[Reject, int]] = []

    def nodes(self) -> Iterator[NodeRow]:
        """Yield every node row of the batch, counting it as loaded and noting its key."""
        seen, loaded = self._seen, self._loaded
        ids: set[str] = set()
        label = file = None
        count = 0  # rows of ``file`` not yet added to ``loaded``
        for row in self._batch.nodes:
            row_label, node_id, _, row_file, _ = row
            if row_label != label:
                label = row_label
                ids = seen.setdefault(label, set())
            ids.add(node_id)
            if row_file != file:
                if file is not None:
                    loaded[file] = loaded.get(file, 0) + count
                file, count = row_file, 0
            count += 1
            yield row
        if file is not None:
            loaded[file] = loaded.get(file, 0) + count

    def relationships(self) -> Iterator[RelationshipRow]:
        """Yield the relationship rows whose ends both exist; note the others as rejects.

        Call after :meth:`nodes` is exhausted: an end counts as existing if stored or among
        the batch's node rows.
        """
        seen, stored, loaded = self._seen, self._stored, self._loaded
        empty: set[str] = set()
        # The node ids of the last start and end labels (a file's ends rarely change label).
        start_label = end_label = ""
        start_ids = end_ids = empty
        file = ""
        count = 0  # source rows of ``file`` loaded and not yet added to ``loaded``
        some = False  # whether a row of ``file`` was loaded (a file has an entry then)
        for rel in self._batch.relationships:
            _, start, end, _, row_file, line, rows = rel
            if start[0] != start_label:
                start_label = start[0]
                start_ids = seen.get(start_label, empty)
            if end[0] != end_label:
                end_label = end[0]
                end_ids = seen.get(end_label, empty)
            if row_file != file:
                if some:
                    loaded[file] = loaded.get(file, 0) + count
                file, count, some = row_file, 0, False
            if start[1] not in start_ids and start not in stored:
                end_name, (label, node_id) = "start", start
            elif end[1] not in end_ids and end not in stored:
                end_name, (label, node_id) = "end", end
            else:
                count += rows
                some = True
                yield rel
                continue
            reason = f"{end_name} node {label} {node_id!r} does not exist"
            self._rejects.append((Reject(row_file, line, reason), rows))
        if some:
            loaded[file] = loaded.get(file, 0) + count

    def report(self) -> LoadReport:
        """The load report, once the rows are consumed: rejects in file and line order.

        The loader's own rejects (``batch.rejects``) come first among equal positions.
        """
        batch = self._batch
        report = LoadReport(files=list(batch.files), skipped=dict(batch.skipped))
        for reject in batch.rejects:
            report.rejected[reject.file] += 1
        for reject, rows in self._rejects:
            report.rejected[reject.file] += rows
        report.loaded.update(self._loaded)
        rejects = [*batch.rejects, *(reject for reject, _ in self._rejects)]
        rejects.sort(key=lambda r: (r.file, r.line))
        report.rejects = rejects
        return report


class _Remaining:
    """The keys of ``stored`` that are not among ``deleted``."""

    __slots__ = ("_deleted", "_stored")

    def __init__(self, stored: Container[NodeKey], deleted: Iterable[NodeKey]) -> None:
        self._stored = stored
        self._deleted = frozenset(deleted)

    def __contains__(self, key: object) -> bool:
        return key not in self._deleted and key in self._stored


def plan_batch(batch: GraphBatch, stored: Container[NodeKey]) -> PlannedBatch:
    """Merge ``batch``'s rows by key and reject relationships to missing nodes.

    The upsert rule of every store (:class:`UpsertCheck`), applied to the whole batch:
    node rows merge into one node per key, relationship rows whose ends exist into one
    relationship per ``(type, start, end)``, properties in row order (later rows win).

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
    check = UpsertCheck(batch, stored)
    # A key's first row keeps its own props dict; only repeated keys pay for a merged copy.
    nodes: dict[NodeKey, dict[str, Any]] = {}
    for row in check.nodes():
        key = (row.label, row.id)
        earlier = nodes.get(key)
        nodes[key] = row.props if earlier is None else {**earlier, **row.props}
    rels: dict[RelationshipKey, dict[str, Any]] = {}
    for rel in check.relationships():
        rel_key = (rel.type, rel.start, rel.end)
        earlier_rel = rels.get(rel_key)
        rels[rel_key] = rel.props if earlier_rel is None else {**earlier_rel, **rel.props}
    return PlannedBatch(
        check.report(), nodes, rels, batch.deleted_nodes, batch.deleted_relationships
    )
