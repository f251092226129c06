"""The embedded store: its record (SQLite) and its in-memory graph, behind ``GraphStore``."""

from __future__ import annotations

import contextlib
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from functools import partial
from pathlib import Path as FsPath
from typing import Any, TypeVar, cast

from graph_service.model import NodeKey, NodeLabel
from graph_service.records import GraphBatch, LoadReport
from graph_service.rules import LinkageRules
from graph_service.stores.base import (
    Coverage,
    Direction,
    Keep,
    LeadFacts,
    Link,
    Listed,
    Node,
    Reached,
    Relationship,
    SortBy,
)
from graph_service.stores.embedded import lists, questions
from graph_service.stores.embedded.adjacency import Adjacency
from graph_service.stores.embedded.properties import Fields
from graph_service.stores.embedded.record import DB_FILE, CommitCounts, Record

T = TypeVar("T")


class EmbeddedStore:
    """A :class:`~graph_service.stores.base.GraphStore` in one process, durable in a directory.

    Parameters
    ----------
    data_dir : path
        Directory holding ``graph.sqlite3``.
    create : bool
        Create the directory and an empty store if missing (what a load wants). With
        ``False`` (what serving and querying want), a missing store is an error rather than
        an empty graph served from a mistyped path; so is a store no load has completed
        (``load_seq`` 0: its first load was killed, or is still running).

    Raises
    ------
    StoreUnavailableError
        If the store is missing and ``create`` is false, the directory cannot be created, or
        the database cannot be opened, is not a graph-service database, or was written with
        another schema version or ``marshal`` format.

    Notes
    -----
    Opening reads the snapshot a load left (:mod:`~graph_service.stores.embedded.snapshot`)
    and replays the writes committed after it, or, without a usable one, every row of the
    record (:class:`~graph_service.stores.embedded.record.Record`) into the in-memory graph
    (:class:`~graph_service.stores.embedded.adjacency.Adjacency`); O(V + E) time and
    memory either way. Queries run on the in-memory graph; the record is used by :meth:`write` and
    :meth:`refresh`. The rows a load writes are applied to memory when the store is next
    read, so a process that only loads does not pay for building the graph.
    """

    pushdowns: frozenset[str] = frozenset({
        "uncovered_employees", "executives_without_private_banking", "payroll_coverage",
        "coverage_rollup", "manager_leads", "enterprises", "persons", "managers",
        "private_banking_prospects",
    })
    """Linkage questions this store answers itself (:mod:`graph_service.linkage.question`)."""

    def __init__(self, data_dir: str | FsPath, *, create: bool = True) -> None:
        self._memory = Adjacency(defaultdict(Fields))
        self._record = Record(data_dir, self._memory, create=create)
        self.data_dir = self._record.data_dir

    def _current(self) -> Adjacency:
        """The in-memory graph, caught up with this store's own last load (O(1) when current)."""
        self._record.current()
        return self._memory

    def decode_deferred(self) -> None:
        """Decode what opening from the snapshot left for first reads.

        What ``serve`` runs in a thread once started
        (:func:`graph_service.api.execution.decode_in_background`). See
        :meth:`Adjacency.decode_deferred
        <graph_service.stores.embedded.adjacency.Adjacency.decode_deferred>`. Thread-safe.
        """
        self._memory.decode_deferred()

    async def refresh(self) -> bool:
        """See :meth:`Record.refresh <graph_service.stores.embedded.record.Record.refresh>`."""
        return self._record.refresh()

    async def snapshot_current(self) -> bool:
        """Whether the snapshot is whole and of every committed write.

        See :meth:`Record.snapshot_current
        <graph_service.stores.embedded.record.Record.snapshot_current>`.
        """
        return self._record.snapshot_current()

    async def save_snapshot(self, rules: LinkageRules | None = None) -> FsPath:
        """Write the snapshot opening starts from (what a load does once committed).

        With ``rules``, the derived indexes their questions read first are built before
        (:func:`.questions.warm`), so that the snapshot holds them. See
        :meth:`Record.save_snapshot
        <graph_service.stores.embedded.record.Record.save_snapshot>`. After a first load
        written with ``snapshot_rules`` (:meth:`write`), waits for the process it forked to
        write the snapshot instead, and writes it here only if that process did not.
        """
        written = self._record.forked_snapshot()
        if written is not None:
            return written
        if rules is not None:
            questions.warm(self._current(), rules)
        return self._record.save_snapshot()

    @property
    def snapshot_unused(self) -> str | None:
        """Why this store did not open from its snapshot (holding rows); else ``None``.

        See :attr:`Record.snapshot_unused
        <graph_service.stores.embedded.record.Record.snapshot_unused>`: until a snapshot
        is written, every opening of the data directory rebuilds the graph from the record.
        """
        return self._record.snapshot_unused

    async def write(
        self, batch: GraphBatch, snapshot_rules: LinkageRules | None = None
    ) -> LoadReport:
        """Apply ``batch`` (deletions, then upserts) in one SQLite transaction.

        Committed durably before it is visible in memory, all or nothing; other processes
        see it on their next :meth:`refresh`. A command's batch (rows in lists, no input
        files) is group-committed with the writes arriving meanwhile (:meth:`Record.commit
        <graph_service.stores.embedded.record.Record.commit>`); a load's (it names the
        files it reads, or reads its rows while written) is written alone (:meth:`Record.write
        <graph_service.stores.embedded.record.Record.write>`).

        A load followed by :meth:`save_snapshot` passes the same rules as
        ``snapshot_rules``: a first load into an empty store then writes the snapshot in a
        forked process while SQLite writes its rows (:class:`~.forked.ForkedSnapshot`).
        """
        if batch.files or not (isinstance(batch.nodes, list)
                               and isinstance(batch.relationships, list)):
            prepare = None if snapshot_rules is None else partial(questions.warm,
                                                                  rules=snapshot_rules)
            return self._record.write(batch, prepare)
        return await self._record.commit(batch)

    @property
    def commit_counts(self) -> CommitCounts:
        """What the group commit did since opening (:class:`~.record.CommitCounts`)."""
        return self._record.counts

    async def get_nodes(self, label: str, ids: Sequence[str]) -> list[Node | None]:
        """Nodes by id, aligned with ``ids``; ``None`` where absent. O(len(ids))."""
        return self._current().get_nodes(label, ids)

    async def list_ids(self, label: str) -> list[str]:
        """Every id of ``label``, sorted as text. O(n log n) in the label's size."""
        return self._current().list_ids(label)

    async def neighbors(
        self, label: str, ids: Sequence[str], rel_type: str, direction: Direction
    ) -> list[list[tuple[Relationship, Node]]]:
        """See :meth:`Adjacency.neighbors`."""
        return self._current().neighbors(label, ids, rel_type, direction)

    async def search_names(
        self, labels: Sequence[str], words: Sequence[str], limit: int, refuse_at: int
    ) -> list[tuple[str, str, str]] | None:
        """Exactly the matching nodes, up to ``limit`` (one SQLite FTS5 query).

        See :meth:`Record.search <graph_service.stores.embedded.record.Record.search>`.
        """
        self._current()
        return self._record.search(labels, words, limit, refuse_at)

    async def uncovered_employees(
        self, enterprise_id: str, product_types: Sequence[str], rules: LinkageRules
    ) -> list[str]:
        """See :func:`.questions.uncovered_employees`."""
        return questions.uncovered_employees(self._current(), enterprise_id, product_types, rules)

    async def executives_without_private_banking(
        self, enterprise_id: str | None, rules: LinkageRules
    ) -> list[str]:
        """See :func:`.questions.executives_without_private_banking`."""
        return questions.executives_without_private_banking(self._current(), enterprise_id, rules)

    async def payroll_coverage(
        self, enterprise_ids: Sequence[str], rules: LinkageRules
    ) -> list[Coverage]:
        """See :func:`.questions.payroll_coverage`."""
        return questions.payroll_coverage(self._current(), enterprise_ids, rules)

    async def coverage_rollup(
        self, group_by: str, rules: LinkageRules
    ) -> dict[str | None, tuple[int, int, int]]:
        """See :func:`.questions.coverage_rollup`."""
        return questions.coverage_rollup(self._current(), group_by, rules)

    async def manager_leads(
        self,
        manager_id: str,
        rel_types: Sequence[str],
        max_hops: int,
        rules: LinkageRules,
        keep: Callable[[LeadFacts], T | None],
        rank: Callable[[T], tuple[float, ...]],
    ) -> Reached[T]:
        """See :func:`.questions.manager_leads`."""
        return questions.manager_leads(
            self._current(), manager_id, rel_types, max_hops, rules, keep, rank
        )

    async def private_banking_prospects(
        self,
        rules: LinkageRules,
        keep: Callable[[LeadFacts], T | None],
        rank: Callable[[T], tuple[float, ...]],
    ) -> Reached[T]:
        """See :func:`.questions.everyone_kept`."""
        return questions.everyone_kept(self._current(), rules, keep, rank)

    async def list_nodes(self, label: str, keep: Keep | None, sort: Sequence[SortBy],
                         defaults: Mapping[str, Any]) -> Listed:  # fmt: skip
        """See :func:`.lists.list_nodes`."""
        return lists.list_nodes(self._current(), label, keep, sort, defaults)

    # -- traversal primitives: see GraphStore; handles are node numbers ---------------------

    async def handles(self, keys: Sequence[NodeKey]) -> list[int | None]:
        """The number of each node, aligned with ``keys``; ``None`` where absent."""
        find = self._current().find
        return [find(key) for key in keys]

    async def nodes(self, handles: Sequence[int]) -> list[Node]:
        """The nodes numbered ``handles``, aligned."""
        return self._memory.nodes(handles)

    async def degrees(self, handles: Sequence[int]) -> list[int]:
        """Neighbours of each node in both directions (joined pairs, not relationships)."""
        return self._memory.degrees(handles)

    async def neighbourhood(self, handles: Iterable[int], rel_types: frozenset[str]) -> set[int]:
        """See :meth:`Adjacency.neighbourhood`."""
        return self._memory.neighbourhood(handles, rel_types)

    async def touching(
        self, handles: Iterable[int], others: AbstractSet[int], rel_types: frozenset[str]
    ) -> set[int]:
        """See :meth:`Adjacency.touching`."""
        return self._memory.touching(handles, others, rel_types)

    async def first_neighbours(
        self,
        handles: Sequence[int],
        rel_types: frozenset[str],
        exclude: AbstractSet[int],
        limit: int,
    ) -> Iterator[list[int]]:
        """See :meth:`Adjacency.first_neighbours` (lazy: computed as iterated)."""
        return self._memory.first_neighbours(handles, rel_types, exclude, limit)

    async def links(
        self, handle: int, others: AbstractSet[int], rel_types: frozenset[str]
    ) -> list[Link]:
        """See :meth:`Adjacency.links`."""
        return self._memory.links(handle, others, rel_types)

    async def relationships(self, rels: Sequence[tuple[str, int, int]]) -> list[Relationship]:
        """See :meth:`Adjacency.relationships`."""
        return self._memory.relationships(rels)

    async def relationships_among(
        self, handles: Sequence[int], rel_types: frozenset[str]
    ) -> list[Relationship]:
        """See :meth:`Adjacency.relationships_among`."""
        return self._memory.relationships_among(handles, rel_types)

    async def relationships_of_types(self, rel_types: frozenset[str]) -> list[Relationship]:
        """See :meth:`Adjacency.relationships_of_types`."""
        return self._current().relationships_of_types(rel_types)

    async def as_of(self) -> str | None:
        """The latest ``Account.lastActivityAt`` held; ``None`` if none.

        O(accounts) once, then cached until the next change (a derived index).
        """
        graph = self._current()
        key = ("as of",)
        if key not in graph.derived:
            accounts = graph.index.get(NodeLabel.ACCOUNT.value, {}).values()
            times = (graph.node(n).props.get("lastActivityAt") for n in accounts)
            graph.derived[key] = max((t for t in times if t is not None), default=None)
        return cast("str | None", graph.derived[key])

    async def counts(self) -> dict[str, int]:
        """Node count per label and relationship count per type (absent ones as 0). O(1)."""
        return self._current().counts()

    async def close(self) -> None:
        """Close the SQLite connection."""
        self._record.close()


def _created_dir(path: FsPath) -> FsPath | None:
    """The outermost directory that creating ``path`` (with its parents) would create."""
    if path.exists():
        return None
    while not path.parent.exists():
        path = path.parent
    return path


@contextlib.contextmanager
def removed_on_failure(data_dir: FsPath) -> Iterator[None]:
    """Remove the store files and directories the block created in ``data_dir`` if it fails.

    For a first load: if the block raises (``BaseException``, an interrupt included), every
    directory it created goes, or, into an existing directory that held no store, the
    store's files (``graph.sqlite3`` and its ``-wal``, ``-shm``, ``-journal``). A store that
    was there before is left to its own rollback. A file that cannot be removed (a read-only
    file system: nothing was written there) is left, and the block's exception raised.
    """
    created_dir = _created_dir(data_dir)
    new_store = not (data_dir / DB_FILE).exists()
    try:
        yield
    except BaseException:
        if created_dir is not None:
            shutil.rmtree(created_dir, ignore_errors=True)
        elif new_store:
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(OSError):
                    (data_dir / (DB_FILE + suffix)).unlink()
        raise
