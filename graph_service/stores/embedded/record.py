"""The embedded store's record: the SQLite file that holds the graph durably, and its journal.

Durability rule: a write (a load, a command) commits to SQLite first and only then becomes
visible in the in-memory graph (:class:`~graph_service.stores.embedded.adjacency.Adjacency`);
opening a data directory starts the graph from the snapshot the last load wrote
(:mod:`~graph_service.stores.embedded.snapshot`) and replays the writes committed after it,
or rebuilds it from SQLite. A process killed during a write
leaves the SQLite file at its previous committed state (SQLite's write-ahead log ignores uncommitted
frames), so nothing is half-written.

Several processes may share a data directory: one load writes at a time (SQLite's write
lock), readers are never blocked (WAL), and a serving process picks up what another process
committed on its next request (:meth:`Record.sync`). Each load is numbered (the
``load_seq`` counter in ``meta``) and every row it writes carries that number, so a refresh
reads only the rows written by loads it has not seen: O(rows changed), not O(graph).
Deletions leave a tombstone carrying the ``load_seq`` of their write (tables
``deleted_nodes`` and ``deleted_relationships``: a deleted node's relationships go with it),
which a refresh applies before the rows written since.

On disk, a row's properties are a ``marshal``-encoded tuple of values aligned with the
field names of its label or relationship type (table ``fields``, append-only;
:mod:`~graph_service.stores.embedded.properties`), ``None`` where a property is absent; a
relationship without properties stores ``NULL``. Encoding and decoding a tuple costs about a
quarter of JSON's.
"""

from __future__ import annotations

import asyncio
import logging
import marshal
import os
import pickle
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, groupby, islice, repeat
from operator import itemgetter
from pathlib import Path as FsPath
from typing import Any

from graph_service.errors import GraphServiceError, StoreUnavailableError
from graph_service.memory import bulk_allocation
from graph_service.model import NODE_SPECS, RELATIONSHIP_SPECS, NodeKey
from graph_service.records import (
    GraphBatch,
    LoadReport,
    NodeRow,
    RelationshipKey,
    RelationshipRow,
    UpsertCheck,
)
from graph_service.search_text import indexed
from graph_service.stores.embedded import snapshot
from graph_service.stores.embedded.adjacency import Adjacency
from graph_service.stores.embedded.firstload import FirstLoad
from graph_service.stores.embedded.forked import ForkedSnapshot
from graph_service.stores.embedded.properties import merge

logger = logging.getLogger(__name__)

DB_FILE = "graph.sqlite3"
LOCK_TIMEOUT_S = 30.0
CHECKPOINT_EVERY_S = 1.0
"""Seconds between the group commit's checkpoints of the write-ahead log (at 200 writes a
second, about the 1,000 pages after which SQLite's own automatic checkpoint, which the group
commit turns off on its connection, would run)."""
"""How long a load waits for another process's load to finish before failing."""
SCHEMA_VERSION = "3"
WRITE_CACHE_KIB = 262_144
"""SQLite page cache of the connection while a load writes (256 MiB): keeps the B-tree pages
an insert touches in memory instead of re-reading them from the write-ahead log."""
READ_CACHE_KIB = 65_536
"""SQLite page cache of the connection between writes (64 MiB, filled only as pages are
read): a search reads the full-text index's doclists and looks its matches up in
``search_names`` one page each, which SQLite's default of 2 MiB read again from the operating
system's cache for every search (benchmarks/README.md, tuning constants)."""
SEARCH_INDEX_VERSION = "2"
"""Meta key ``search``: the full-text index's version. 2: prefix indexes of 1 to 3 characters
(the 3-letter prefixes users type, ``"cos"*``, read one prefix entry rather than every term
beginning so); 1: of 1 and 2, rebuilt when opened."""
_SEARCH_INDEX = """CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5(
    words, content = 'search_names', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 0', prefix = '1 2 3'
)"""
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fields (
    kind TEXT NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL,
    PRIMARY KEY (kind, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nodes (
    label TEXT NOT NULL, id TEXT NOT NULL, props BLOB NOT NULL,
    load_seq INTEGER NOT NULL,
    PRIMARY KEY (label, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS relationships (
    type TEXT NOT NULL,
    start_label TEXT NOT NULL, start_id TEXT NOT NULL,
    end_label TEXT NOT NULL, end_id TEXT NOT NULL,
    props BLOB,
    load_seq INTEGER NOT NULL,
    PRIMARY KEY (type, start_label, start_id, end_label, end_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deleted_nodes (
    label TEXT NOT NULL, id TEXT NOT NULL, load_seq INTEGER NOT NULL,
    PRIMARY KEY (label, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deleted_relationships (
    type TEXT NOT NULL,
    start_label TEXT NOT NULL, start_id TEXT NOT NULL,
    end_label TEXT NOT NULL, end_id TEXT NOT NULL,
    load_seq INTEGER NOT NULL,
    PRIMARY KEY (type, start_label, start_id, end_label, end_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deleted_nodes_by_load ON deleted_nodes (load_seq);
CREATE INDEX IF NOT EXISTS deleted_relationships_by_load ON deleted_relationships (load_seq);
CREATE TABLE IF NOT EXISTS search_names (
    rowid INTEGER PRIMARY KEY, label TEXT NOT NULL, id TEXT NOT NULL, words TEXT NOT NULL,
    UNIQUE (label, id)
);
{_SEARCH_INDEX};
CREATE TRIGGER IF NOT EXISTS search_names_insert AFTER INSERT ON search_names BEGIN
    INSERT INTO search_index (rowid, words) VALUES (new.rowid, new.words);
END;
CREATE TRIGGER IF NOT EXISTS search_names_delete AFTER DELETE ON search_names BEGIN
    INSERT INTO search_index (search_index, rowid, words) VALUES ('delete', old.rowid, old.words);
END;
CREATE TRIGGER IF NOT EXISTS search_names_update AFTER UPDATE ON search_names BEGIN
    INSERT INTO search_index (search_index, rowid, words) VALUES ('delete', old.rowid, old.words);
    INSERT INTO search_index (rowid, words) VALUES (new.rowid, new.words);
END;
"""
# The search index (search_names, its FTS5 index search_index kept by the triggers above):
# one row per node with a name, its words (graph_service.search_text) space-separated, so
# that FTS5's unicode61 tokenizer cuts them where the service does. Rebuilt from the stored
# names of the nodes a write wrote (search_words, registered on the connection), after the
# rows, so a merged row is indexed by its merged name; ``>= ?`` with 0 indexes every node (a
# store written before the index existed, meta key 'search' absent). The rows written come
# through the load_seq index (_WRITTEN: a look-up of each row, of every label) or, in a first
# load, where every row is the load's, as each named label's range of the table (_NAMED_LABELS,
# the same rows in the same order; CROSS JOIN keeps fields the outer loop): 0.5 s instead of
# 0.85 s at 100,000 people.
_INDEX_NAMES = (
    "INSERT INTO search_names (label, id, words) "
    "SELECT n.label, n.id, search_words(n.props, f.position) FROM {nodes} "
    "WHERE f.name = 'name' AND n.load_seq >= ? "
    "ON CONFLICT (label, id) DO UPDATE SET words = excluded.words"
)
_WRITTEN = "nodes AS n JOIN fields AS f ON f.kind = n.label"
_NAMED_LABELS = "fields AS f CROSS JOIN nodes AS n ON n.label = f.kind"
NAME_WORDS_MEMO = 65_536
"""Distinct names whose search words a write remembers while it indexes its names (names
repeat: 781 distinct among the 1M-person bank's 1,000,000 people); forgotten after it."""
_UNINDEX_NAME = "DELETE FROM search_names WHERE label = ? AND id = ?"
# CROSS JOIN keeps the full-text index the outer loop (SQLite's planner does not reorder a
# CROSS JOIN): its matches are read once and each is looked up by rowid. With a plain JOIN
# the planner scans the label's rows and runs the MATCH once per row (EXPLAIN QUERY PLAN:
# "INDEX 0:=M1"), hundreds of times slower at 10,000 people.
# One MATCH for every label searched (the full-text index holds them all), its rows read with
# the words they were indexed by: the service checks and ranks them without reading a node.
_SEARCH = (
    "SELECT s.label, s.id, s.words FROM search_index "
    "CROSS JOIN search_names AS s ON s.rowid = search_index.rowid "
    "WHERE search_index MATCH ? AND s.label IN ({labels}) LIMIT ?"
)
# _SEARCH, and the refusal of a text matching too many nodes, in one statement: the matches'
# rowids of every label, to a limit (?2), read once from the full-text index into a
# materialized table; when they reach it, one row of NULLs and no name read (a constant WHERE
# term, tested before its loop runs); else their rows, each found by its rowid. One FTS5
# query rather than a count and then the join.
_FIND = (
    "WITH m AS MATERIALIZED "
    "(SELECT rowid AS r FROM search_index WHERE search_index MATCH ?1 LIMIT ?2) "
    "SELECT NULL, NULL, NULL WHERE (SELECT count(*) FROM m) >= ?2 "
    "UNION ALL "
    "SELECT s.label, s.id, s.words FROM m CROSS JOIN search_names AS s ON s.rowid = m.r "
    "WHERE (SELECT count(*) FROM m) < ?2 AND s.label IN ({labels})"
)
# How many rows _SEARCH would answer, counting to a limit, when the matches of every label
# reach it but not every label with names is searched: counted inside SQLite.
_COUNT = (
    "SELECT count(*) FROM (SELECT 1 FROM search_index "
    "CROSS JOIN search_names AS s ON s.rowid = search_index.rowid "
    "WHERE search_index MATCH ? AND s.label IN ({labels}) LIMIT ?)"
)
_NAMED_KINDS = "SELECT kind FROM fields WHERE name = 'name'"
_LOAD_INDEXES = (
    "CREATE INDEX IF NOT EXISTS nodes_by_load ON nodes (load_seq)",
    "CREATE INDEX IF NOT EXISTS relationships_by_load ON relationships (load_seq)",
)
# Deletions (_delete): the rows go, a tombstone carrying the write's load_seq replaces any
# earlier one of the same key.
_DELETE_NODE = "DELETE FROM nodes WHERE label = ? AND id = ?"
_DELETE_REL = (
    "DELETE FROM relationships WHERE type = ? AND start_label = ? AND start_id = ? "
    "AND end_label = ? AND end_id = ?"
)
_TOMBSTONE_NODE = "INSERT OR REPLACE INTO deleted_nodes VALUES (?, ?, ?)"
_TOMBSTONE_REL = "INSERT OR REPLACE INTO deleted_relationships VALUES (?, ?, ?, ?, ?, ?)"
_SELECT_DELETED_NODES_SINCE = "SELECT label, id FROM deleted_nodes WHERE load_seq > ?"
_SELECT_DELETED_RELS_SINCE = (
    "SELECT type, start_label, start_id, end_label, end_id FROM deleted_relationships "
    "WHERE load_seq > ?"
)
# ``{rows}``: that many rows of values (_write_rows). A row already stored, by an earlier load
# or earlier in this one, keeps the values the new row leaves absent: merge_values, registered
# on the connection (_merge_values). A row whose merged values equal the stored ones is not
# written at all (the WHERE of the upsert): loading the same input again writes no row, and
# keeps its load_seq, so the load_seq indexes do not grow and a refresh reads nothing.
_WRITE_NODE = (
    "INSERT INTO nodes (label, id, props, load_seq) VALUES {rows} "
    "ON CONFLICT (label, id) DO UPDATE SET "
    "props = merge_values(props, excluded.props), load_seq = excluded.load_seq "
    "WHERE merge_values(props, excluded.props) IS NOT props"
)
_WRITE_REL = (
    "INSERT INTO relationships "
    "(type, start_label, start_id, end_label, end_id, props, load_seq) VALUES {rows} "
    "ON CONFLICT (type, start_label, start_id, end_label, end_id) DO UPDATE SET "
    "props = merge_values(props, excluded.props), load_seq = excluded.load_seq "
    "WHERE merge_values(props, excluded.props) IS NOT props"
)
_NODE_VALUES = "(?, ?, ?, ?)"
_REL_VALUES = "(?, ?, ?, ?, ?, nullif(?, 0), ?)"
ROWS_PER_STATEMENT = 64
"""Rows per ``INSERT`` of a load (multi-row ``VALUES``). Executing a statement costs about
as much as binding and inserting a row, so several rows per statement save most of that
cost; measured on the 100,000-person benchmark bank's rows, see
benchmarks/README.md#tuning-constants."""
_SELECT_NODES_SINCE = "SELECT label, id, props FROM nodes WHERE load_seq > ?"
_SELECT_RELS_SINCE = (
    "SELECT type, start_label, start_id, end_label, end_id, props FROM relationships "
    "WHERE load_seq > ?"
)
_SELECT_NODES_OF = "SELECT id, props FROM nodes WHERE label = ?"
_SELECT_RELS_OF = (
    "SELECT start_id, end_id, props FROM relationships "
    "WHERE type = ? AND start_label = ? AND end_label = ?"
)
_BAD_BLOB = (ValueError, EOFError, TypeError)
"""What ``marshal.loads`` raises for bytes it cannot decode (or a row holding text)."""
READ_CHUNK = 50_000
"""Rows fetched from SQLite and applied to memory at a time while reading: enough that the
per-chunk work vanishes, few enough that the rows in flight stay a small part of the
store's memory; measured opening the 100,000-person benchmark bank, see
benchmarks/README.md#tuning-constants."""
REPLAY_MAX_SHARE = 0.4
"""Rows changed since a snapshot (written, or deleted), as a share of the rows it holds, from
which opening rebuilds the graph from every row rather than replaying them onto the
snapshot: a replayed row costs an index lookup and a merge into the graph, about one and a
half times a row read in key order, so that replaying this share costs about as much as a
rebuild (measured on the 100,000-person benchmark bank, see
benchmarks/README.md#tuning-constants)."""
_COUNT_CHANGED = " + ".join(
    f"(SELECT count(*) FROM (SELECT 1 FROM {table} WHERE load_seq > ? LIMIT ?))"
    for table in ("nodes", "relationships", "deleted_nodes", "deleted_relationships")
).join(("SELECT ", ""))
"""Rows written or deleted after a ``load_seq``, each table's count bounded (parameters:
``(load_seq, bound)`` per table), through the ``load_seq`` indexes."""
_ADD_STORE_ID = "INSERT OR IGNORE INTO meta VALUES ('store_id', ?)"
"""The store's id (random, once): a snapshot names the store it was taken of."""
_BEHIND = -1
"""``_data_version`` of a store whose memory may lack committed loads (read on next use)."""


@dataclass(frozen=True, slots=True)
class CommitCounts:
    """What the group commit of a :class:`Record` did since it was opened.

    Attributes
    ----------
    commits : int
        SQLite transactions committed (and their log synced) by :meth:`Record.commit`.
    writes : int
        Writes they held (refused ones not counted); ``writes / commits`` is the mean
        group size.
    """

    commits: int = 0
    writes: int = 0


_Queued = tuple[GraphBatch, "asyncio.Future[LoadReport]"]


def _fts_query(words: Sequence[str]) -> str:
    """The FTS5 query of search words: each a quoted prefix term, all of them (``AND``)."""
    return " AND ".join(f'"{word}"*' for word in words)


def _next_group(queue: list[_Queued]) -> tuple[list[_Queued], list[_Queued]]:
    """Split ``queue`` (arrival order) into the next group and the writes left for later.

    A write joins the group unless it reads (``expected``, a relationship's ends), writes
    or deletes a node an earlier write of the queue writes or deletes, writes or deletes a
    relationship one of them does, or deletes a node whose relationship one of them writes:
    it is then checked after that write is committed and visible, in the next group. A
    write left for later holds back the later writes touching what it touches, so writes
    to one key keep their order. Writes whose caller stopped waiting are dropped.
    """
    nodes: set[NodeKey] = set()
    rels: set[RelationshipKey] = set()
    ends: set[NodeKey] = set()
    group: list[_Queued] = []
    later: list[_Queued] = []
    for queued in queue:
        batch, done = queued
        if done.done():
            continue
        written = {(row.label, row.id) for row in batch.nodes}
        written.update(batch.deleted_nodes)
        own_rels = {(row.type, row.start, row.end) for row in batch.relationships}
        own_ends = {end for _, start, end in own_rels for end in (start, end)}
        read = written | own_ends | batch.expected.keys()
        own_rels.update(batch.deleted_relationships)
        clash = (not read.isdisjoint(nodes) or not own_rels.isdisjoint(rels)
                 or not ends.isdisjoint(batch.deleted_nodes))
        (later if clash else group).append(queued)
        nodes.update(read if clash else written)
        rels.update(own_rels)
        ends.update(own_ends)
    return group, later


def _search_words(props: bytes, position: int) -> str:
    """The search words of a stored node's name, space-separated (SQL ``search_words``).

    ``props`` is the node's ``marshal``-encoded value tuple, ``position`` its name's index.
    """
    values = marshal.loads(props)
    return _name_words(values[position] if position < len(values) else None)


@lru_cache(maxsize=NAME_WORDS_MEMO, typed=True)
def _name_words(name: object) -> str:
    """The search words of a name, space-separated; ``""`` for none (``None``)."""
    return "" if name is None else indexed(str(name))


def _merge_values(old: bytes | None, new: bytes | None) -> bytes | None:
    """Encoded values of a row upserted over a stored one: the new value where present.

    The SQL function ``merge_values(old, new)`` of the upsert statements, called by SQLite
    only when a row's key is already stored. Both blobs are ``marshal``-encoded value
    tuples aligned with the same field names (``NULL``: no properties), so merging them is
    the dict merge ``{**old, **new}`` of the properties they encode. Answers ``old``
    itself when the merge changes no value.
    """
    if old is None or new is None:
        return new if old is None else old
    stored = marshal.loads(old)
    merged = merge(stored, marshal.loads(new))
    # The stored bytes themselves when nothing changes: marshal may encode equal values
    # differently, and the upsert compares bytes to skip unchanged rows.
    return old if merged == stored else marshal.dumps(merged)


class Record:
    """The SQLite file of a data directory, kept in step with an in-memory graph.

    Parameters
    ----------
    data_dir : path
        Directory holding ``graph.sqlite3``.
    memory : Adjacency
        The graph the committed rows are applied to (on opening, and on each
        :meth:`sync`); its ``fields`` are the field names this record encodes with.
    create : bool
        As for :class:`~graph_service.stores.embedded.store.EmbeddedStore`, which also
        lists the errors of opening.

    Notes
    -----
    Opening starts ``memory`` from the snapshot if one can be used
    (:meth:`_start_from_snapshot`), then reads the rows written after it; otherwise it
    reads every row into ``memory``, O(V + E) time and memory: each label's nodes
    and each kind of relationship in key order, a chunk at a time, each chunk applied
    as columns (:meth:`Adjacency.apply_rels
    <graph_service.stores.embedded.adjacency.Adjacency.apply_rels>`), which starts
    ``serve`` sooner than adding the rows one by one through the ``load_seq`` index
    (measured on the 1M-person benchmark bank, see
    benchmarks/README.md#tuning-constants). The rows a load writes are applied to memory
    when the store is next read (:meth:`current`), so a process that only loads does not
    pay for building the graph; those of a first load into an empty store from the rows
    it kept as it wrote them (:class:`~.firstload.FirstLoad`), not read back.
    """

    def __init__(self, data_dir: str | FsPath, memory: Adjacency, *, create: bool) -> None:
        self.data_dir = FsPath(data_dir)
        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise StoreUnavailableError(f"the data directory {self.data_dir} is not a directory")
        missing = StoreUnavailableError(
            f"no graph store in {self.data_dir}: load data first, or point --data-dir "
            "(GRAPH_SERVICE_DATA_DIR) at a loaded data directory"
        )
        if not create and not (self.data_dir / DB_FILE).is_file():
            raise missing
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # One connection, used by one coroutine at a time, possibly from a thread other
            # than the opener's (an ASGI server's loop).
            self._db = sqlite3.connect(
                self.data_dir / DB_FILE,
                isolation_level=None,
                timeout=LOCK_TIMEOUT_S,
                check_same_thread=False,
            )
            self._db.execute(f"PRAGMA cache_size = -{READ_CACHE_KIB}")
            self._db.create_function("merge_values", 2, _merge_values, deterministic=True)
            self._db.create_function("search_words", 2, _search_words, deterministic=True)
            if not create and not self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
            ).fetchone():
                self._db.close()
                raise missing  # e.g. an empty file: readers never create a store
            if not create and self._db.execute(
                "SELECT 1 FROM meta WHERE key = 'load_seq' AND value = '0'"
            ).fetchone():
                self._db.close()
                raise missing  # created by a load that never completed (killed)
            self._prepare()
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailableError(
                f"cannot open the embedded store in {self.data_dir}: {exc}"
            ) from exc
        self._memory = memory
        self._fields = memory.fields
        self._data_version = _BEHIND
        self._load_seq = 0
        # The group commit (commit): the writes waiting, the task committing them, on loop.
        self._group_loop: asyncio.AbstractEventLoop | None = None
        self._queue: list[_Queued] = []
        self._committer: asyncio.Task[None] | None = None
        self._durable = True  # False between a group's COMMIT and its fsync
        self._synced_log = -1  # inode of the write-ahead log whose directory was synced
        self._checkpointer: sqlite3.Connection | None = None  # commit()'s, in a worker
        self._checkpointing: asyncio.Future[None] | None = None
        self._checkpointed = time.monotonic()  # the last checkpoint started
        self._kept: FirstLoad | None = None  # a first load's rows, until memory is built
        self._forked: ForkedSnapshot | None = None  # writing the snapshot of self._kept
        self.counts = CommitCounts()
        """What the group commit did (:class:`CommitCounts`)."""
        self.snapshot_unused: str | None = None
        """Why opening did not start from the snapshot, when the store holds rows and it
        did not (none, damaged, of another version...); ``None`` once one is written."""
        self._start_from_snapshot()
        self.sync(in_transaction=False)

    def _prepare(self) -> None:
        """Set WAL mode and create or check the schema, waiting for another load's lock.

        A first load writes through a rollback journal (:meth:`_journal_for_load`) and
        holds its lock until it ends. Leaving that journal mode, or creating the tables,
        needs more than the shared lock this connection then holds, which SQLite refuses
        at once (``SQLITE_BUSY`` without calling the busy handler, since waiting while
        holding a lock could deadlock). So the steps are retried every 50 ms, lock
        released, for up to :data:`LOCK_TIMEOUT_S` as any lock is waited for.

        Raises
        ------
        sqlite3.OperationalError
            ``database is locked`` if the lock is still held after :data:`LOCK_TIMEOUT_S`.
        """
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                self._check_schema()
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                time.sleep(0.05)

    def _check_schema(self) -> None:
        """Create the tables in a new file, or check the version of an existing one."""
        has_meta = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        version = (
            self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if has_meta
            else None
        )
        where = self.data_dir / DB_FILE
        if version is not None and version[0] != SCHEMA_VERSION:
            raise StoreUnavailableError(
                f"{where}: schema version {version[0]}, this service reads version {SCHEMA_VERSION}"
            )
        self._db.executescript(_SCHEMA)
        for statement in _LOAD_INDEXES:
            self._db.execute(statement)
        if version is None:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('load_seq', '0')")
            self._db.execute(_ADD_STORE_ID, (uuid.uuid4().hex,))
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('marshal', ?)", (str(marshal.version),)
            )
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('search', ?)", (SEARCH_INDEX_VERSION,)
            )
            for kind, spec in (*NODE_SPECS.items(), *RELATIONSHIP_SPECS.items()):
                self._db.executemany(
                    "INSERT OR IGNORE INTO fields VALUES (?, ?, ?)",
                    ((kind, i, p.name) for i, p in enumerate(spec.properties)),
                )
            self._db.execute("COMMIT")
        (encoding,) = self._db.execute("SELECT value FROM meta WHERE key = 'marshal'").fetchone()
        if encoding != str(marshal.version):
            raise StoreUnavailableError(
                f"{where}: properties encoded with marshal version {encoding}, this Python "
                f"reads version {marshal.version}; reload the data"
            )
        if self._meta("search") != SEARCH_INDEX_VERSION:
            self._db.execute("BEGIN IMMEDIATE")
            search = self._meta("search")  # another process may have done it meanwhile
            if search is None:
                # Written before the search index existed: index every stored name, once.
                self._db.execute(_INDEX_NAMES.format(nodes=_NAMED_LABELS), (0,))
                _name_words.cache_clear()
            elif search != SEARCH_INDEX_VERSION:
                # An index of another version: built again from its rows, once.
                self._db.execute("DROP TABLE search_index")
                self._db.execute(_SEARCH_INDEX)
                self._db.execute("INSERT INTO search_index (search_index) VALUES ('rebuild')")
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('search', ?)", (SEARCH_INDEX_VERSION,)
            )
            self._db.execute("COMMIT")

    # -- snapshots -----------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        """The value of ``key`` in ``meta``, ``None`` if absent."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _start_from_snapshot(self) -> None:
        """Start memory from the data directory's snapshot, if one can be used.

        Afterwards ``_load_seq`` is the snapshot's, so the first :meth:`sync` replays the
        writes committed after it. When the store holds rows but the snapshot cannot be
        used (none, damaged, another code version or store, newer than the record, or
        more rows changed since it than :data:`REPLAY_MAX_SHARE` of its own), memory stays
        empty, to be rebuilt from every row, and one line says why (a warning, or, when
        there is no snapshot, an info line).
        """
        committed = int(self._meta("load_seq") or 0)
        if not committed:
            return  # nothing stored: nothing to say
        try:
            found = snapshot.read_stamp(self.data_dir)
            stamp = found.stamp
            if stamp.store_id != self._meta("store_id"):
                raise snapshot.SnapshotRejected("it is of another store")
            if stamp.load_seq > committed:
                raise snapshot.SnapshotRejected(
                    f"it is of load {stamp.load_seq}, newer than the record's {committed}"
                )
            bound = int(stamp.rows * REPLAY_MAX_SHARE) + 1
            (changed,) = self._db.execute(_COUNT_CHANGED, (stamp.load_seq, bound) * 4).fetchone()
            if changed >= bound:
                raise snapshot.SnapshotRejected(
                    f"{changed} or more rows changed since it (load {stamp.load_seq}; "
                    f"of {stamp.rows}): rebuilding costs less than replaying"
                )
            with bulk_allocation():
                self._memory.restore(*snapshot.read_state(self.data_dir, found))
        except snapshot.SnapshotRejected as exc:
            # None is no anomaly (a store written through the API, or before snapshots).
            logger.log(
                logging.INFO if isinstance(exc, snapshot.SnapshotMissing) else logging.WARNING,
                "%s: rebuilding the graph from the record, not starting from the snapshot: %s",
                self.data_dir, exc,
            )  # fmt: skip
            self.snapshot_unused = str(exc)
            return
        self._fields = self._memory.fields
        self._load_seq = stamp.load_seq

    def snapshot_current(self) -> bool:
        """Whether the data directory's snapshot is whole and of every committed write.

        Its header names this store, this code (:func:`.snapshot.fingerprint`) and the
        record's ``load_seq`` (a load that changes nothing commits none), and its payload
        passes its checksum: writing it again would write the same graph. ``False`` when
        there is none, or it is of another store, version or load, or damaged.
        """
        try:
            found = snapshot.read_stamp(self.data_dir)
            stamp = found.stamp
            if (stamp.store_id != self._meta("store_id")
                    or stamp.load_seq != int(self._meta("load_seq") or 0)):  # fmt: skip
                return False
            snapshot.read_payload(self.data_dir, found)  # its checksum: only when current
        except snapshot.SnapshotRejected:
            return False
        return True

    def save_snapshot(self) -> FsPath:
        """Write the in-memory graph, caught up with every committed write, as the snapshot.

        Stamped with the ``load_seq`` it is in step with (:mod:`.snapshot`). O(V + E);
        the first time after opening a store without a usable snapshot, this builds the
        graph from the record first.

        Returns
        -------
        Path
            The snapshot file.

        Raises
        ------
        StoreUnavailableError
            If the record cannot be read or the snapshot cannot be written (the previous
            one, if any, is left in place).
        """
        self.sync(in_transaction=False)
        store_id = self._meta("store_id")
        if store_id is None:
            raise StoreUnavailableError(f"{self.data_dir / DB_FILE} has no store id")
        stamp = snapshot.Stamp(
            store_id, self._load_seq, self._memory.size(), snapshot.fingerprint()
        )
        try:
            written = snapshot.write(self.data_dir, stamp, *self._memory.snapshot_state())
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
            # What pickling raises for an object it cannot pickle varies with the object.
            raise StoreUnavailableError(
                f"cannot write the snapshot in {self.data_dir}: {exc}"
            ) from exc
        self.snapshot_unused = None
        return written

    # -- loading -------------------------------------------------------------------------

    def sync(self, *, in_transaction: bool) -> bool:
        """Read the loads other connections committed since the last sync.

        Reads in one transaction (a consistent snapshot); ``in_transaction`` says the caller
        already holds one. Returns whether anything was read.

        Raises
        ------
        StoreUnavailableError
            If SQLite fails, or a row read is damaged (see :meth:`_read_since`).
        """
        try:
            if not in_transaction:
                self._db.execute("BEGIN")
            try:
                (version,) = self._db.execute("PRAGMA data_version").fetchone()
                if version == self._data_version:
                    return False
                (seq,) = self._db.execute(
                    "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'load_seq'"
                ).fetchone()
                for kind, position, name in self._db.execute(
                    "SELECT kind, position, name FROM fields ORDER BY kind, position"
                ):
                    fields = self._fields[kind]
                    if position == len(fields.names):
                        fields.add(name)
                    fields.committed = len(fields.names)
                changed = seq != self._load_seq
                if changed:
                    self._read_since(self._load_seq)
                self._data_version, self._load_seq = version, seq
                return changed
            finally:
                if not in_transaction:
                    self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"cannot read {self.data_dir / DB_FILE}: {exc}") from exc

    def _read_since(self, load_seq: int) -> None:
        """Apply the rows written by loads after ``load_seq``; they hold complete properties.

        Rows come from SQLite in chunks of :data:`READ_CHUNK`, each applied before the next
        is fetched, so no list of all rows is ever held. The rows of this store's own first
        load, kept as it wrote them (:meth:`write`), are applied from memory instead
        (:meth:`FirstLoad.build <.firstload.FirstLoad.build>`, the graph :meth:`_read_all`
        would build of them), then what other connections committed after it.

        Raises
        ------
        StoreUnavailableError
            If a row's properties do not decode, or a relationship's end node is not stored
            (the file is damaged).
        """
        kept, self._kept = self._kept, None
        try:
            with bulk_allocation():
                if kept is not None and not load_seq and kept.known():
                    kept.build(self._memory, READ_CHUNK)
                    load_seq = kept.seq
                if load_seq:
                    self._read_changes(load_seq)
                else:
                    self._read_all()
        finally:
            self._memory.settle()

    def _read_all(self) -> None:
        """Opening: read every node and relationship, one label or endpoint kind at a time.

        One query per label and per ``(type, start label, end label)`` the model allows
        (:data:`~graph_service.model.RELATIONSHIP_SPECS` endpoints, which every load is
        checked against), each a range of the table's primary key: rows come in key order
        without their constant columns, which halves the cost of fetching a relationship.

        Raises
        ------
        StoreUnavailableError
            If the tables hold rows of another label, type or endpoint kind (written by
            another version of the service), which this read would leave out.
        """
        read = 0
        for label in NODE_SPECS:
            for chunk in self._chunks(_SELECT_NODES_OF, (label,)):
                ids, blobs = zip(*chunk, strict=True)
                self._apply_nodes(label, ids, blobs, new=True)
                read += len(ids)
        for rel_type, spec in RELATIONSHIP_SPECS.items():
            for start_label, end_label in spec.endpoints:
                for chunk in self._chunks(_SELECT_RELS_OF, (rel_type, start_label, end_label)):
                    start_ids, end_ids, blobs = zip(*chunk, strict=True)
                    self._apply_rels(rel_type, start_label, end_label, start_ids, end_ids, blobs)
                    read += len(start_ids)
        (stored,) = self._db.execute(
            "SELECT (SELECT count(*) FROM nodes) + (SELECT count(*) FROM relationships)"
        ).fetchone()  # O(pages): SQLite counts the cells of each page without reading them
        if stored != read:
            raise StoreUnavailableError(
                f"{self.data_dir / DB_FILE}: {stored - read} of {stored} rows have a label, "
                "relationship type or endpoint kind this service does not know; reload the "
                "data with this version"
            )

    def _read_changes(self, load_seq: int) -> None:
        """Refresh: read the rows of loads after ``load_seq`` through the ``load_seq`` indexes.

        A key lookup per row, but only for the rows changed. Tombstones first (a key
        deleted, then written again, has both: the rows hold what it is now), then rows,
        applied in runs of one label, or of one relationship type and endpoint labels
        (within which every ``(start, end)`` pair is distinct).
        """
        memory = self._memory
        for chunk in self._chunks(_SELECT_DELETED_RELS_SINCE, (load_seq,)):
            for (rel_type, start, end), rel_run in groupby(chunk, key=itemgetter(0, 1, 3)):
                memory.remove_rels(rel_type, start, end, ((r[2], r[4]) for r in rel_run))
        for chunk in self._chunks(_SELECT_DELETED_NODES_SINCE, (load_seq,)):
            for label, node_run in groupby(chunk, key=itemgetter(0)):
                memory.remove_nodes(label, (row[1] for row in node_run))
        for chunk in self._chunks(_SELECT_NODES_SINCE, (load_seq,)):
            for label, node_run in groupby(chunk, key=itemgetter(0)):
                _, ids, blobs = zip(*node_run, strict=True)
                self._apply_nodes(label, ids, blobs, new=False)
        for chunk in self._chunks(_SELECT_RELS_SINCE, (load_seq,)):
            for (rel_type, start, end), rel_run in groupby(chunk, key=itemgetter(0, 1, 3)):
                _, _, start_ids, _, end_ids, rel_blobs = zip(*rel_run, strict=True)
                self._apply_rels(rel_type, start, end, start_ids, end_ids, rel_blobs)

    def _apply_nodes(
        self, label: str, ids: Sequence[str], blobs: Sequence[bytes], *, new: bool
    ) -> None:
        """Decode a chunk of node rows (columns) and apply it to memory."""
        try:
            values = list(map(marshal.loads, blobs))
        except _BAD_BLOB as exc:
            raise self._damaged([f"{label} {i!r}" for i in ids], blobs) from exc
        self._memory.apply_nodes(label, ids, values, new=new)

    def _apply_rels(
        self,
        rel_type: str,
        start_label: str,
        end_label: str,
        start_ids: Sequence[str],
        end_ids: Sequence[str],
        blobs: Sequence[bytes | None],
    ) -> None:
        """Decode a chunk of relationship rows (columns) and apply it to memory."""
        loads = marshal.loads
        try:
            values = [() if blob is None else loads(blob) for blob in blobs]
        except _BAD_BLOB as exc:
            rows = [f"{rel_type} relationship from {start_label} {s!r} to {end_label} {e!r}"
                    for s, e in zip(start_ids, end_ids, strict=True)]
            raise self._damaged(rows, blobs) from exc
        try:
            self._memory.apply_rels(rel_type, start_label, end_label, start_ids, end_ids, values)
        except KeyError as exc:
            pairs = zip(start_ids, end_ids, strict=True)
            raise self._dangling(rel_type, (start_label, end_label), pairs) from exc

    def _chunks(self, select: str, params: tuple[Any, ...]) -> Iterator[list[Any]]:
        """Rows of ``select``, :data:`READ_CHUNK` at a time."""
        cursor = self._db.execute(select, params)
        while chunk := cursor.fetchmany(READ_CHUNK):
            yield chunk

    def refresh(self) -> bool:
        """Pick up what other processes committed since this store was opened or refreshed.

        Cheap when nothing changed (one ``PRAGMA data_version``); otherwise reads the rows
        the unseen loads wrote, O(rows changed) through the ``load_seq`` indexes. Reads
        nothing while a group of this store's :meth:`commit` awaits its ``fsync`` (those
        rows would be read too).

        Returns
        -------
        bool
            Whether anything was read.

        Raises
        ------
        StoreUnavailableError
            If the database file is gone or cannot be read.
        """
        if not (self.data_dir / DB_FILE).is_file():
            raise StoreUnavailableError(f"the store file {self.data_dir / DB_FILE} is gone")
        if not self._durable:
            return False  # the rows read would include a group not yet durable
        return self.sync(in_transaction=False)

    def write(
        self, batch: GraphBatch, prepare: Callable[[Adjacency], None] | None = None
    ) -> LoadReport:
        """Write ``batch`` in one SQLite transaction, then make it visible in memory.

        Deletions first (a node with its relationships; absent keys are no error), then
        upserts: node rows merge their properties into an existing node (later rows win). A
        relationship row whose start or end node is neither stored (and not deleted) nor in
        ``batch.nodes`` is rejected (listed in the report with file, line and reason) and
        not written.

        Returns
        -------
        LoadReport
            Rows loaded and rejected per file, and every reject.

        Raises
        ------
        StoreUnavailableError
            If SQLite fails; the transaction is rolled back and memory is left unchanged.
        InvalidInputError
            A deletion outside the model (:meth:`GraphBatch.check_deletions
            <graph_service.records.GraphBatch.check_deletions>`), or what a lazy batch raises
            while its rows are read; rolled back likewise.
        ConflictError
            If a node is not as ``batch.expected`` requires, checked inside the
            transaction (atomic across processes); nothing is written.

        Notes
        -----
        O(rows) time. Rows stream from the batch into SQLite, encoded as they go, checked
        by :class:`~graph_service.records.UpsertCheck` (which keeps only the node ids
        seen); a row whose key is already stored, by an earlier load or earlier in this
        one, is merged into it by SQLite (``ON CONFLICT``, :func:`_merge_values`). Memory
        catches up on the next read the way a refresh does (reading the rows of this load
        back), so a process that only loads never builds the graph. A first load into an
        empty store instead reads all its rows into columns (:class:`FirstLoad
        <.firstload.FirstLoad>`), then writes them in primary-key order, merged (the tables
        an upsert in row order would hold), and memory is built from those columns; it
        writes through a rollback journal (:meth:`_journal_for_load`).
        Committed with ``synchronous=FULL`` (SQLite's default: the write-ahead log is
        ``fsync``'d by ``COMMIT``), on the calling thread; :meth:`commit` groups writes.

        With ``prepare`` (what a load that writes the snapshot passes), a first load forks
        the process that writes the snapshot of the graph it leaves
        (:class:`~.forked.ForkedSnapshot`, ``prepare`` run on that graph before it is
        encoded) once its rows are read, so that it is written while SQLite writes them;
        :meth:`forked_snapshot` waits for it.
        """
        batch.check_deletions()
        first = FirstLoad()
        try:
            with self._journal_for_load():
                (outcome,) = self._write_group(
                    [batch], fsync_after=False, first=first, prepare=prepare
                )
        except BaseException:
            self._abandon_forked()
            raise
        self._data_version = _BEHIND  # our own commit does not change PRAGMA data_version
        if isinstance(outcome, GraphServiceError):
            self._abandon_forked()
            raise outcome
        if first.seq:
            self._kept = first
        return outcome

    def forked_snapshot(self) -> FsPath | None:
        """The snapshot a first load's forked process wrote, once it is in place.

        Waits for the process :meth:`write` forked (:class:`~.forked.ForkedSnapshot`) to
        end. ``None`` when there is none, or it did not put the snapshot in place (it
        failed, or the load changed nothing): :meth:`save_snapshot` then writes it.
        """
        forked, self._forked = self._forked, None
        if forked is None or not forked.finish(self._kept.seq if self._kept else 0):
            return None
        self.snapshot_unused = None
        return self.data_dir / snapshot.SNAPSHOT_FILE

    def _abandon_forked(self) -> None:
        """Stop the process forked to write the snapshot, if any (nothing was committed)."""
        forked, self._forked = self._forked, None
        if forked is not None:
            forked.abandon()

    async def commit(self, batch: GraphBatch) -> LoadReport:
        """Write ``batch`` as :meth:`write` does, grouped with the writes arriving meanwhile.

        Group commit: the writes that arrive while a group is being committed wait, and
        are then written together, in arrival order, in one SQLite transaction with one
        ``fsync``. Each is still checked on its own (its ``expected`` preconditions
        against the committed graph, its rows by :class:`~graph_service.records.UpsertCheck`)
        inside a savepoint, so one refused write is undone alone and answers its own error
        while the others of its group are committed: the answers are those of the writes
        run one after the other. A write that touches a node or relationship an earlier
        write of the group writes or deletes waits for the next group (it is then checked
        against what that one committed).

        Returns
        -------
        LoadReport
            Once the write is durable and visible in memory.

        Raises
        ------
        StoreUnavailableError, InvalidInputError, ConflictError
            As :meth:`write`. A failure of SQLite or of the ``fsync`` fails every write of
            the group (a group whose ``fsync`` failed is in the file but was not known
            durable: its writes are answered with this error).

        Notes
        -----
        Durability: a write is answered only once its transaction is on disk, as with
        ``synchronous=FULL``. The group's transaction commits with
        ``synchronous=NORMAL`` (SQLite writes the write-ahead log but does not ``fsync``
        it; in WAL mode that keeps the file consistent, and loses at most the last
        transactions on a power failure, https://sqlite.org/pragma.html#pragma_synchronous),
        then this method syncs the write-ahead log itself (``fdatasync``, and its directory
        once per log file, as SQLite's ``unixSync`` does for a new log), in a worker thread so
        the event loop keeps serving meanwhile (and the audit trail's writer thread syncs the
        records of the groups before meanwhile); that is the sync ``synchronous=FULL`` would
        do in ``COMMIT``. Only then is the group applied to the in-memory graph (in commit order:
        one group at a time) and its writes answered, so a reader of this process never
        sees a write before it is durable in the graph. What reads the file itself may see
        a group from its ``COMMIT``, up to one sync before it is durable against a power
        failure: another process, and :meth:`search` for the names the group writes (the
        commands write no names); a process killed meanwhile loses nothing, the log being
        in the OS's cache.
        One group is in flight at a time, on the event loop that runs the writes (the
        graph is only ever read and changed there: :mod:`graph_service.api.execution`).
        """
        batch.check_deletions()
        loop = asyncio.get_running_loop()
        if self._group_loop is not loop:  # a loop's writes all end before it does
            self._group_loop, self._queue = loop, []
        done: asyncio.Future[LoadReport] = loop.create_future()
        self._queue.append((batch, done))
        if self._committer is None or self._committer.done():
            self._committer = loop.create_task(self._commit_queued())
        return await done

    async def _commit_queued(self) -> None:
        """Commit the queued writes, a group at a time, until none is left."""
        loop = asyncio.get_running_loop()
        await asyncio.sleep(0)  # the writes ready in this step of the loop join the group
        while self._queue:
            group, self._queue = _next_group(self._queue)
            outcomes: list[LoadReport | Exception]
            try:
                outcomes = [*self._write_group([batch for batch, _ in group], fsync_after=True)]
            except Exception as exc:  # every write of the group answers it
                outcomes = [exc] * len(group)
            written = sum(isinstance(o, LoadReport) for o in outcomes)
            if written:
                self._durable = False
                try:
                    await loop.run_in_executor(None, self._fsync_log)
                    self.counts = CommitCounts(self.counts.commits + 1,
                                               self.counts.writes + written)
                except OSError as exc:
                    logger.error("cannot fsync the write-ahead log of %s: %s", self.data_dir, exc)
                    error = StoreUnavailableError(
                        f"cannot write {self.data_dir / DB_FILE}: its fsync failed ({exc})")
                    outcomes = [error if isinstance(o, LoadReport) else o for o in outcomes]
                finally:
                    self._durable = True
                    self._data_version = _BEHIND  # caught up with on the next read
                self._checkpoint_later(loop)
            for (_, done), outcome in zip(group, outcomes, strict=True):
                if done.done():
                    continue  # its caller stopped waiting (cancelled)
                if isinstance(outcome, LoadReport):
                    done.set_result(outcome)
                else:
                    done.set_exception(outcome)

    def _checkpoint_later(self, loop: asyncio.AbstractEventLoop) -> None:
        """Copy the write-ahead log into the database file in a worker thread, one at a time.

        SQLite's automatic checkpoint (every 1,000 pages of the log) runs inside the
        ``COMMIT`` that passes it, on the event loop, with an ``fsync`` of the database
        file: a stall of 100 to 600 ms for every request queued meanwhile, every second
        or so at 200 mutations a second (benchmarks/README.md, "Beside a stated query
        rate, and spikes"). The group commit turns it off on its connection and runs a
        ``PASSIVE`` checkpoint (which waits for no reader or writer) on a connection of its
        own in a worker thread after a group is durable, at most every
        :data:`CHECKPOINT_EVERY_S`, one at a time.
        """
        if self._checkpointing is not None and not self._checkpointing.done():
            return
        if time.monotonic() - self._checkpointed < CHECKPOINT_EVERY_S:
            return
        self._checkpointed = time.monotonic()
        if self._checkpointer is None:
            self._db.execute("PRAGMA wal_autocheckpoint = 0")
            self._checkpointer = sqlite3.connect(self.data_dir / DB_FILE,
                                                 check_same_thread=False)  # fmt: skip
        self._checkpointing = loop.run_in_executor(None, self._checkpoint)

    def _checkpoint(self) -> None:
        """A ``PASSIVE`` checkpoint of the write-ahead log (in a worker thread)."""
        assert self._checkpointer is not None
        try:
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # the next group tries again; the log only grows
            logger.warning("cannot checkpoint %s: %s", self.data_dir / DB_FILE, exc)

    def _fsync_log(self) -> None:
        """``fdatasync`` the write-ahead log; and its directory the first time for a new log.

        What SQLite's unix VFS does at ``COMMIT`` with ``synchronous=FULL`` in WAL mode
        (``fdatasync`` where the OS has it; a new log's directory entry synced once, with
        its first sync).

        Raises
        ------
        OSError
            If the log cannot be opened or synced.
        """
        fd = os.open(self.data_dir / (DB_FILE + "-wal"), os.O_RDONLY)
        try:
            os.fdatasync(fd)
            inode = os.fstat(fd).st_ino
        finally:
            os.close(fd)
        if inode != self._synced_log:
            directory = os.open(self.data_dir, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
            self._synced_log = inode

    def _write_group(
        self,
        batches: Sequence[GraphBatch],
        *,
        fsync_after: bool,
        first: FirstLoad | None = None,
        prepare: Callable[[Adjacency], None] | None = None,
    ) -> list[LoadReport | GraphServiceError]:
        """Write ``batches`` in one transaction, each in a savepoint; commit what succeeded.

        Returns each batch's report, or the :class:`GraphServiceError` that refused it (its
        savepoint rolled back; if every batch is refused, the transaction is). With
        ``fsync_after`` the transaction commits with ``synchronous=NORMAL`` and the caller
        ``fsync``'s the log (:meth:`commit`); else with ``synchronous=FULL``. Memory is not
        caught up (the caller marks it behind once the commit is durable). With ``first``,
        if the group is one batch, the store holds no row and memory never held a node,
        the rows are read into ``first`` and written from it in key order
        (:meth:`_write_kept`), and its ``seq`` is set once they are committed; with
        ``prepare`` too, the snapshot's process is forked once they are read (:meth:`write`).

        Raises
        ------
        StoreUnavailableError
            If SQLite fails; the transaction is rolled back.
        BaseException
            What interrupts the write (a signal), rolled back likewise, unless it arrives
            during ``COMMIT``: the write is then done and its outcomes are returned.
        """
        committing = False
        written = 0  # the load_seq committed, if the write changes anything
        outcomes: list[LoadReport | GraphServiceError] = []
        try:
            self._db.execute(f"PRAGMA synchronous = {'NORMAL' if fsync_after else 'FULL'}")
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"cannot write {self.data_dir / DB_FILE}: {exc}") from exc
        try:
            self.sync(in_transaction=True)  # validate against what is committed now
            changes = self._db.total_changes
            seq = self._load_seq + 1
            self._db.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
            first_load = self._db.execute("SELECT 1 FROM nodes LIMIT 1").fetchone() is None
            if first_load:  # build the load_seq indexes once, after the rows
                self._db.execute("DROP INDEX nodes_by_load")
                self._db.execute("DROP INDEX relationships_by_load")
            kept = first if first_load and len(batches) == 1 and not self._memory.ids else None
            outcomes = [self._write_one(batch, seq, kept, prepare) for batch in batches]
            if not any(isinstance(o, LoadReport) for o in outcomes):
                self._db.execute("ROLLBACK")
                for fields in self._fields.values():
                    fields.truncate()
                return outcomes
            if first_load:
                for statement in _LOAD_INDEXES:
                    self._db.execute(statement)
            for kind, fields in self._fields.items():
                self._db.executemany(
                    "INSERT INTO fields VALUES (?, ?, ?)",
                    [(kind, i, n) for i, n in enumerate(fields.names)][fields.committed :],
                )
            nodes = _NAMED_LABELS if first_load else _WRITTEN
            self._db.execute(_INDEX_NAMES.format(nodes=nodes), (seq,))
            _name_words.cache_clear()
            if self._db.total_changes != changes:  # a write that changes nothing writes nothing
                self._db.execute(
                    "UPDATE meta SET value = ? WHERE key = 'load_seq'", (str(seq),)
                )
                written = seq
            # Stores made before snapshots lack one (new ones get it in _check_schema).
            self._db.execute(_ADD_STORE_ID, (uuid.uuid4().hex,))
            committing = True
            self._db.execute("COMMIT")
        except BaseException as exc:
            if self._db.in_transaction:  # SQLite rolls back by itself on some errors (full disk)
                self._db.execute("ROLLBACK")
            elif committing and isinstance(exc, KeyboardInterrupt):
                # A signal during COMMIT is raised once COMMIT has returned: the write is
                # done, and is reported as written rather than as interrupted.
                return self._committed(outcomes, kept, written)
            for fields in self._fields.values():
                fields.truncate()
            if isinstance(exc, sqlite3.Error):
                raise StoreUnavailableError(
                    f"cannot write {self.data_dir / DB_FILE}: {exc}"
                ) from exc
            raise
        finally:
            self._db.execute(f"PRAGMA cache_size = -{READ_CACHE_KIB}")
        return self._committed(outcomes, kept, written)

    def _committed(
        self, outcomes: list[LoadReport | GraphServiceError], kept: FirstLoad | None, seq: int
    ) -> list[LoadReport | GraphServiceError]:
        """Note what is committed; return ``outcomes``.

        The field names written, and ``kept``'s rows, as load ``seq`` (0: the write
        changed nothing, and the record's ``load_seq`` is as it was).
        """
        for fields in self._fields.values():
            fields.committed = len(fields.names)
        if kept is not None:
            kept.seq = seq
        return outcomes

    def _write_one(
        self,
        batch: GraphBatch,
        seq: int,
        kept: FirstLoad | None,
        prepare: Callable[[Adjacency], None] | None = None,
    ) -> LoadReport | GraphServiceError:
        """Check and write one batch of a group in a savepoint; its report, or its refusal.

        With ``kept``, the rows are read into it first, then written from it
        (:meth:`_keep`, :meth:`_write_kept`); otherwise streamed into SQLite as read. With
        ``prepare`` too, the snapshot's process is forked in between (:meth:`_fork`).

        A :class:`GraphServiceError` (a precondition not met, a lazy batch's bad row) rolls
        the savepoint back and is returned; a failure of SQLite propagates (the group fails).
        """
        self._db.execute("SAVEPOINT write")
        try:
            for key, expected in batch.expected.items():
                (node,) = self._memory.get_nodes(key[0], [key[1]])
                expected.check(key, None if node is None else node.props)
            check = UpsertCheck(batch, self._memory.stored_keys())
            self._delete(batch, seq)
            with bulk_allocation():
                if kept is None:
                    self._write_rows(_WRITE_NODE, _NODE_VALUES, self._node_rows(check.nodes(), seq))
                    self._write_rows(
                        _WRITE_REL, _REL_VALUES, self._rel_rows(check.relationships(), seq)
                    )
                else:
                    self._keep(check, kept)
                    if prepare is not None:
                        self._fork(kept, seq, prepare)
                    self._write_kept(kept, seq)
            report = check.report()
        except GraphServiceError as exc:
            self._db.execute("ROLLBACK TO write")
            self._db.execute("RELEASE write")
            return exc
        self._db.execute("RELEASE write")
        return report

    @contextmanager
    def _journal_for_load(self) -> Iterator[None]:
        """Write the block through a rollback journal when the store is empty and unshared.

        In WAL mode every page a load writes is written twice: to the write-ahead log, then
        to the database file by the checkpoint (measured on the 1M-person benchmark bank,
        see benchmarks/README.md#tuning-constants). A rollback journal holds only the pages
        a transaction changes, and an empty database has almost none, so the first load
        writes its pages once and is just as atomic (a killed load is rolled back from the
        journal by the next opener). Only possible when no other connection has the file
        open (SQLite leaves WAL mode only then): otherwise, or if the store holds rows, the
        block runs in WAL mode as any load. WAL mode is restored afterwards; if a reader opened
        meanwhile, its own open restores it.
        """
        empty = self._db.execute("SELECT 1 FROM nodes LIMIT 1").fetchone() is None
        switched = False
        if empty:
            self._db.execute("PRAGMA busy_timeout = 0")  # another connection: stay in WAL
            try:
                (mode,) = self._db.execute("PRAGMA journal_mode = DELETE").fetchone()
                switched = mode == "delete"
            except sqlite3.OperationalError:
                pass
            finally:
                self._db.execute(f"PRAGMA busy_timeout = {int(LOCK_TIMEOUT_S * 1000)}")
        try:
            yield
        finally:
            if switched:
                self._db.execute("PRAGMA journal_mode = WAL")

    def _delete(self, batch: GraphBatch, seq: int) -> None:
        """Delete the batch's nodes (with their relationships) and relationships; tombstone them.

        Inside the write's transaction, with memory in step with what is committed: the
        relationships of a deleted node are those memory holds. Absent keys are skipped
        (no tombstone). O(deleted nodes' degrees + deleted relationships).
        """
        memory = self._memory
        rels = [
            (t, start, end)
            for t, start, end in dict.fromkeys(batch.deleted_relationships)
            if memory.has_relationship(t, start, end)
        ]
        nodes = [key for key in dict.fromkeys(batch.deleted_nodes) if memory.find(key) is not None]
        if not rels and not nodes:
            return
        gone = {rel: None for key in nodes for rel in memory.relationships_at(key)}
        gone.update(dict.fromkeys(rels))
        self._db.executemany(_DELETE_REL, [(t, *s, *e) for t, s, e in gone])
        self._db.executemany(_TOMBSTONE_REL, [(t, *s, *e, seq) for t, s, e in rels])
        self._db.executemany(_DELETE_NODE, nodes)
        self._db.executemany(_UNINDEX_NAME, nodes)
        self._db.executemany(_TOMBSTONE_NODE, [(*key, seq) for key in nodes])

    def _write_rows(
        self,
        statement: str,
        placeholders: str,
        rows: Iterable[tuple[Any, ...]],
        count: int | None = None,
    ) -> None:
        """Execute ``statement`` for every row, :data:`ROWS_PER_STATEMENT` rows at a time.

        ``statement`` has a ``{rows}`` field for the ``VALUES`` rows, each written
        ``placeholders``. What iterating ``rows`` raises propagates. Given their ``count``,
        the rows' values are cut into statements in C (``zip`` of one iterator over them
        all), without a Python step per statement (0.13 s instead of 0.5 s for 2,000,000
        rows).
        """
        many = statement.format(rows=", ".join([placeholders] * ROWS_PER_STATEMENT))
        last: list[tuple[Any, ...]] = []
        if count is None:
            rows = iter(rows)

            def full_chunks() -> Iterator[tuple[Any, ...]]:
                while len(chunk := list(islice(rows, ROWS_PER_STATEMENT))) == ROWS_PER_STATEMENT:
                    yield tuple(chain.from_iterable(chunk))
                last.extend(chunk)

            self._db.executemany(many, full_chunks())
            rest, left = tuple(chain.from_iterable(last)), len(last)
        else:
            values = chain.from_iterable(rows)
            width = placeholders.count("?") * ROWS_PER_STATEMENT
            full = count // ROWS_PER_STATEMENT
            self._db.executemany(many, islice(zip(*[values] * width, strict=True), full))
            rest, left = tuple(values), count - full * ROWS_PER_STATEMENT
        if left:
            self._db.execute(statement.format(rows=", ".join([placeholders] * left)), rest)

    # Blobs are bound as bytearray and a relationship's absent properties as 0 (NULL in the
    # table: nullif in _WRITE_REL): the sqlite3 module binds str, int, float and bytearray
    # directly, but looks up an adapter for bytes and None (raising and discarding an
    # AttributeError each time), which costs more than the copy (see
    # benchmarks/README.md#tuning-constants).

    def _node_rows(
        self, rows: Iterable[NodeRow], seq: int
    ) -> Iterator[tuple[str, str, bytearray, int]]:
        """SQL rows of node rows: their properties encoded."""
        dumps, fields = marshal.dumps, self._fields
        for label, node_id, props, _, _ in rows:
            yield label, node_id, bytearray(dumps(fields[label].encode(props))), seq

    def _rel_rows(
        self, rows: Iterable[RelationshipRow], seq: int
    ) -> Iterator[tuple[str, str, str, str, str, bytearray | int, int]]:
        """SQL rows of relationship rows, likewise (0 for no properties)."""
        dumps, fields = marshal.dumps, self._fields
        for rel_type, (sl, si), (el, ei), props, _, _, _ in rows:
            blob = bytearray(dumps(fields[rel_type].encode(props))) if props else 0
            yield rel_type, sl, si, el, ei, blob, seq

    def _keep(self, check: UpsertCheck, kept: FirstLoad) -> None:
        """Read the checked rows into ``kept``'s columns, their properties encoded.

        A relationship without properties is kept with the values ``()``.
        """
        fields = self._fields
        last: object = None
        for label, node_id, props, _, _ in check.nodes():
            if label != last:
                ids, kept_values = kept.nodes_of(label)
                keep_id, keep_values, last = ids.append, kept_values.append, label
                encode = fields[label].encode
            keep_id(node_id)
            keep_values(encode(props))
        for rel_type, (sl, si), (el, ei), props, _, _, _ in check.relationships():
            if (rel_type, sl, el) != last:
                starts, ends, rel_values = kept.relationships_of(rel_type, sl, el)
                keep_start, keep_end = starts.append, ends.append
                keep_rel_values, last = rel_values.append, (rel_type, sl, el)
            keep_start(si)
            keep_end(ei)
            keep_rel_values(fields[rel_type].encode(props) if props else ())

    def _fork(self, kept: FirstLoad, seq: int, prepare: Callable[[Adjacency], None]) -> None:
        """Fork the process writing the snapshot of ``kept``'s graph as load ``seq``.

        Not when a row is outside the model (:meth:`FirstLoad.known
        <.firstload.FirstLoad.known>`: left to the rebuild) or the record has no store id
        yet (made before snapshots: it gets one as this write commits).
        """
        store_id = self._meta("store_id")
        if store_id is None or not kept.known():
            return
        kept.order()
        self._forked = ForkedSnapshot.start(
            self.data_dir, kept, self._memory, seq, store_id, prepare, READ_CHUNK
        )

    def _write_kept(self, kept: FirstLoad, seq: int) -> None:
        """Write ``kept``'s rows in primary-key order, as :meth:`_node_rows` would encode them.

        Put in order by :meth:`FirstLoad.order <.firstload.FirstLoad.order>`; each run's SQL
        rows are zipped from its columns in C, without a Python step per row.
        """
        dumps = marshal.dumps
        kept.order()
        for label, ids, values in kept.node_runs():
            blobs = map(bytearray, map(dumps, values))
            self._write_rows(_WRITE_NODE, _NODE_VALUES,
                             zip(repeat(label), ids, blobs, repeat(seq)), len(ids))  # fmt: skip
        for (rel_type, sl, el), starts, ends, rel_values in kept.relationship_runs():
            rel_blobs: Iterator[bytearray | int] = (
                map(bytearray, map(dumps, rel_values)) if all(rel_values)
                else (bytearray(dumps(v)) if v else 0 for v in rel_values)
            )  # fmt: skip
            self._write_rows(
                _WRITE_REL, _REL_VALUES,
                zip(repeat(rel_type), repeat(sl), starts, repeat(el), ends, rel_blobs, repeat(seq)),
                len(starts),
            )  # fmt: skip

    def search(
        self, labels: Sequence[str], query: Sequence[str], limit: int, refuse_at: int
    ) -> list[tuple[str, str, str]] | None:
        """Nodes of ``labels`` whose name has a word starting with each of ``query``.

        Parameters
        ----------
        labels : sequence of str
            The labels searched (one full-text query for them all).
        query : sequence of str
            Search words (:func:`graph_service.search_text.words`), at least one.
        limit : int
            Most nodes answered, in all.
        refuse_at : int
            Answer ``None`` when at least this many nodes of ``labels`` match.

        Returns
        -------
        list of tuple of str, or None
            ``(label, id, words)``, ``words`` the name's as indexed
            (:func:`graph_service.search_text.indexed`), in no particular order; exactly the
            matching nodes, up to ``limit`` (an FTS5 prefix query per word, ``"word"*``, all
            of them), of those the graph in memory holds. ``None`` when ``refuse_at`` of
            them match, told from the index's rowids (O(``refuse_at``), no name read): when
            every label with names (the ``fields`` named ``name``) is searched, the matches
            of every label decide; otherwise those of ``labels`` are counted.

        Raises
        ------
        StoreUnavailableError
            If SQLite fails.

        Notes
        -----
        The file may be ahead of the graph in memory: another process committed since the
        last :meth:`sync`, or a group of :meth:`commit` awaits its ``fsync``. Only then are
        the rows checked against the graph (a look-up each), and those it holds counted;
        ``PRAGMA data_version`` read after the query tells the first case, as :meth:`sync`
        reads it.
        """
        expression = _fts_query(query)
        marks = ", ".join("?" * len(labels))
        rows: list[tuple[str, str, str]] | None = None
        try:
            current = self._durable
            if current:
                rows = self._matching(expression, labels, marks, limit, refuse_at)
                (version,) = self._db.execute("PRAGMA data_version").fetchone()
                current = version == self._data_version
            if not current:  # the file is ahead of memory
                find = self._memory.find
                every = self._db.execute(_SEARCH.format(labels=marks), (expression, *labels, -1))
                held = list(islice((row for row in every if find(row[:2]) is not None),
                                   refuse_at))  # fmt: skip
                rows = None if len(held) >= refuse_at else held
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"cannot read {self.data_dir / DB_FILE}: {exc}") from exc
        return None if rows is None else rows[:limit]

    def _matching(
        self, expression: str, labels: Sequence[str], marks: str, limit: int, refuse_at: int
    ) -> list[tuple[str, str, str]] | None:
        """:meth:`search`'s rows as the file holds them (``marks``: a ``?`` per label)."""
        statement = _FIND.format(labels=marks)
        rows = self._db.execute(statement, (expression, refuse_at, *labels)).fetchall()
        if not rows or rows[0][0] is not None:
            return rows
        # Every label's matches reach the bound: they decide when every label with names is
        # searched; otherwise the rows of the labels searched are counted.
        if {kind for (kind,) in self._db.execute(_NAMED_KINDS)} <= set(labels):
            return None
        counted = (expression, *labels, refuse_at)
        (found,) = self._db.execute(_COUNT.format(labels=marks), counted).fetchone()
        if found >= refuse_at:
            return None
        statement = _SEARCH.format(labels=marks)
        return self._db.execute(statement, (expression, *labels, limit)).fetchall()

    def current(self) -> None:
        """Catch up with this store's own last load before a read (O(1) when current)."""
        if self._data_version == _BEHIND:
            self.sync(in_transaction=False)

    def close(self) -> None:
        """Close the SQLite connections (the checkpoint's once its checkpoint ends).

        A process forked to write the snapshot and not waited for is stopped.
        """
        self._abandon_forked()
        if self._checkpointer is not None:
            if self._checkpointing is not None and not self._checkpointing.done():
                self._checkpointing.add_done_callback(lambda _: self._close_checkpointer())
            else:
                self._close_checkpointer()
        self._db.close()

    def _close_checkpointer(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None

    # -- damaged files -------------------------------------------------------------------

    def _damaged(
        self, rows: Sequence[str], blobs: Sequence[bytes | None]
    ) -> StoreUnavailableError:
        """The error for a chunk of rows one of whose properties blobs does not decode.

        Run only once decoding the chunk failed: finds the first bad row and names it by
        its description in ``rows`` (aligned with ``blobs``).
        """
        for row, blob in zip(rows, blobs, strict=True):
            try:
                if blob is not None:
                    marshal.loads(blob)
            except _BAD_BLOB as exc:
                return StoreUnavailableError(
                    f"{self.data_dir / DB_FILE}: the properties of {row}"
                    f" cannot be decoded ({exc}); the file is damaged: reload the data into a "
                    "new data directory"
                )
        raise AssertionError("no properties blob of the chunk fails to decode")

    def _dangling(
        self, rel_type: str, labels: tuple[str, str], pairs: Iterable[tuple[str, str]]
    ) -> StoreUnavailableError:
        """The error for a chunk of relationship rows one of which has an end node not stored.

        Run only once looking the chunk's endpoints up failed: finds the first such row of
        ``pairs`` (``(start id, end id)``) between nodes of ``labels`` (start, end).
        """
        start_label, end_label = labels
        find = self._memory.find
        for start_id, end_id in pairs:
            missing = (
                "start" if find((start_label, start_id)) is None
                else "end" if find((end_label, end_id)) is None
                else ""
            )  # fmt: skip
            if missing:
                return StoreUnavailableError(
                    f"{self.data_dir / DB_FILE}: the {rel_type} relationship from {start_label} "
                    f"{start_id!r} to {end_label} {end_id!r}: its {missing} node is not stored; "
                    "the file is damaged: reload the data into a new data directory"
                )
        raise AssertionError("every endpoint of the chunk is stored")
