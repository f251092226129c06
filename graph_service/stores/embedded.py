"""The embedded store: networkx in memory for querying, SQLite on disk as the record.

Durability rule: a load commits to SQLite first and only then becomes visible in the
in-memory graph; opening a data directory rebuilds the graph from SQLite. A process killed
during a load leaves the SQLite file at its previous committed state (SQLite's write-ahead
log ignores uncommitted frames), so nothing is half-written.

Several processes may share a data directory: one load writes at a time (SQLite's write
lock), readers are never blocked (WAL), and a serving process picks up what another process
committed on its next request (:meth:`EmbeddedStore.refresh`). Each load is numbered (the
``load_seq`` counter in ``meta``) and every row it writes carries that number, so a refresh
reads only the rows written by loads it has not seen: O(rows changed), not O(graph).

In memory the graph is a :class:`networkx.MultiDiGraph` whose nodes are ``(label, id)``
tuples carrying their properties as the node attribute dict, and whose edges are keyed by
relationship type (at most one relationship of a type from one node to another). Beside it,
an index of ids per label.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path as FsPath
from typing import Any

import networkx as nx

from graph_service.errors import StoreUnavailableError
from graph_service.ingest.batch import GraphBatch, LoadReport, plan_batch
from graph_service.memory import bulk_allocation
from graph_service.model import NodeKey, NodeLabel, RelationshipType
from graph_service.rules import LinkageRules
from graph_service.stores.base import (
    Coverage,
    Direction,
    Node,
    Path,
    Relationship,
    Subgraph,
)

DB_FILE = "graph.sqlite3"
LOCK_TIMEOUT_S = 30.0
"""How long a load waits for another process's load to finish before failing."""
SCHEMA_VERSION = "2"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
    label TEXT NOT NULL, id TEXT NOT NULL, props TEXT NOT NULL,
    load_seq INTEGER NOT NULL,
    PRIMARY KEY (label, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS relationships (
    type TEXT NOT NULL,
    start_label TEXT NOT NULL, start_id TEXT NOT NULL,
    end_label TEXT NOT NULL, end_id TEXT NOT NULL,
    props TEXT NOT NULL,
    load_seq INTEGER NOT NULL,
    PRIMARY KEY (type, start_label, start_id, end_label, end_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nodes_by_load ON nodes (load_seq);
CREATE INDEX IF NOT EXISTS relationships_by_load ON relationships (load_seq);
"""
_UPSERT_NODE = (
    "INSERT INTO nodes (label, id, props, load_seq) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (label, id) DO UPDATE SET "
    "props = json_patch(nodes.props, excluded.props), load_seq = excluded.load_seq"
)
_UPSERT_REL = (
    "INSERT INTO relationships "
    "(type, start_label, start_id, end_label, end_id, props, load_seq) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (type, start_label, start_id, end_label, end_id) DO UPDATE SET "
    "props = json_patch(relationships.props, excluded.props), load_seq = excluded.load_seq"
)
_SELECT_NODES = "SELECT label, id, props FROM nodes WHERE load_seq > ?"
_SELECT_RELS = (
    "SELECT type, start_label, start_id, end_label, end_id, props FROM relationships "
    "WHERE load_seq > ?"
)
_REL_ORDER = {t.value: i for i, t in enumerate(RelationshipType)}
_EMPLOYED_BY = RelationshipType.EMPLOYED_BY.value
_OWNS = RelationshipType.OWNS.value
_ENTERPRISE = NodeLabel.ENTERPRISE.value
_PERSON = NodeLabel.PERSON.value
_ACCOUNT = NodeLabel.ACCOUNT.value


class EmbeddedStore:
    """A :class:`~graph_service.stores.base.GraphStore` in one process, durable in a directory.

    Parameters
    ----------
    data_dir : path
        Directory holding ``graph.sqlite3``.
    create : bool
        Create the directory and an empty store if missing (what a load wants). With
        ``False`` (what serving and querying want), a missing store is an error rather than
        an empty graph served from a mistyped path.

    Raises
    ------
    StoreUnavailableError
        If the store is missing and ``create`` is false, the directory cannot be created, or
        the database cannot be opened or is not a graph-service database.

    Notes
    -----
    Opening reads every row, O(V + E) time and memory. Queries run on the in-memory graph;
    the SQLite connection is used by :meth:`upsert` and :meth:`refresh`.
    """

    def __init__(self, data_dir: str | FsPath, *, create: bool = True) -> None:
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
            if not create and not self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
            ).fetchone():
                self._db.close()
                raise missing  # e.g. an empty file: readers never create a store
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.executescript(_SCHEMA)
            version = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if version is None:
                self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                self._db.execute("INSERT INTO meta VALUES ('load_seq', '0')")
            elif version[0] != SCHEMA_VERSION:
                raise StoreUnavailableError(
                    f"{self.data_dir / DB_FILE}: schema version {version[0]}, "
                    f"this service reads version {SCHEMA_VERSION}"
                )
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailableError(
                f"cannot open the embedded store in {self.data_dir}: {exc}"
            ) from exc
        self._graph = nx.MultiDiGraph()
        self._ids: dict[str, set[str]] = defaultdict(set)
        self._rel_counts: Counter[str] = Counter()
        self._data_version = -1
        self._load_seq = 0
        self._sync(in_transaction=False)

    # -- loading -------------------------------------------------------------------------

    def _sync(self, *, in_transaction: bool) -> bool:
        """Apply to memory the loads other connections committed since the last sync.

        Reads in one transaction (a consistent snapshot); ``in_transaction`` says the caller
        already holds one. Returns whether anything was read.
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
                if seq != self._load_seq:
                    with bulk_allocation():
                        self._read_since(self._load_seq)
                self._data_version, self._load_seq, changed = version, seq, seq != self._load_seq
                return changed
            finally:
                if not in_transaction:
                    self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"cannot read {self.data_dir / DB_FILE}: {exc}") from exc

    def _read_since(self, load_seq: int) -> None:
        """Read the rows written by loads after ``load_seq`` into the in-memory graph.

        Stored properties are the merged, complete ones, so they replace what memory holds.
        """
        nodes = self._db.execute(_SELECT_NODES, (load_seq,))
        self._apply(
            (((label, node_id), json.loads(props)) for label, node_id, props in nodes),
            replace=True,
        )
        rels = self._db.execute(_SELECT_RELS, (load_seq,))
        self._apply(
            rels=(
                ((rel_type, (sl, si), (el, ei)), json.loads(props))
                for rel_type, sl, si, el, ei, props in rels
            ),
            replace=True,
        )

    async def refresh(self) -> bool:
        """Pick up what other processes committed since this store was opened or refreshed.

        Cheap when nothing changed (one ``PRAGMA data_version``); otherwise reads the rows
        the unseen loads wrote, O(rows changed) through the ``load_seq`` indexes.

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
        return self._sync(in_transaction=False)

    async def upsert(self, batch: GraphBatch) -> LoadReport:
        """Write ``batch`` in one SQLite transaction, then apply it to the in-memory graph.

        Node rows merge their properties into an existing node (later rows win). A
        relationship row whose start or end node is neither stored nor in ``batch.nodes`` is
        rejected (listed in the report with file, line and reason) and not written.

        Returns
        -------
        LoadReport
            Rows loaded and rejected per file, and every reject.

        Raises
        ------
        StoreUnavailableError
            If SQLite fails; the transaction is rolled back and memory is left unchanged.
        """
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"cannot write {self.data_dir / DB_FILE}: {exc}") from exc
        try:
            self._sync(in_transaction=True)  # validate against what is committed now
            with bulk_allocation():
                plan = plan_batch(batch, self._graph)
            report, nodes, rels = plan.report, plan.nodes, plan.relationships
            seq = self._load_seq + 1
            self._db.executemany(
                _UPSERT_NODE,
                ((label, nid, json.dumps(props), seq) for (label, nid), props in nodes.items()),
            )
            self._db.executemany(
                _UPSERT_REL,
                (
                    (t, s[0], s[1], e[0], e[1], json.dumps(props), seq)
                    for (t, s, e), props in rels.items()
                ),
            )
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'load_seq'", (str(seq),))
            self._db.execute("COMMIT")
            self._load_seq = seq
        except BaseException as exc:
            self._db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreUnavailableError(
                    f"cannot write {self.data_dir / DB_FILE}: {exc}"
                ) from exc
            raise
        with bulk_allocation():
            self._apply(nodes.items(), rels.items(), replace=False)
        return report

    def _apply(
        self,
        nodes: Iterable[tuple[NodeKey, dict[str, Any]]] = (),
        rels: Iterable[tuple[tuple[str, NodeKey, NodeKey], dict[str, Any]]] = (),
        *,
        replace: bool,
    ) -> None:
        """Put committed rows into the in-memory graph and its indexes.

        With ``replace=False`` the properties merge into what memory holds (the same merge
        as the SQL upsert, for a batch just written); with ``replace=True`` they replace it
        (for rows read back from SQLite, which hold the merged, complete properties).
        """
        graph = self._graph
        for key, props in nodes:
            if key in graph:
                attrs = graph.nodes[key]
                if replace:
                    attrs.clear()
                attrs.update(props)
            else:
                graph.add_node(key, **props)
                self._ids[key[0]].add(key[1])
        for (rel_type, start, end), props in rels:
            edge = graph.get_edge_data(start, end, key=rel_type)
            if edge is None:
                graph.add_edge(start, end, key=rel_type, **props)
                self._rel_counts[rel_type] += 1
            else:
                if replace:
                    edge.clear()
                edge.update(props)

    # -- lookups -------------------------------------------------------------------------

    def _node(self, key: NodeKey) -> Node:
        return Node(key[0], key[1], self._graph.nodes[key])

    async def get_nodes(self, label: str, ids: Sequence[str]) -> list[Node | None]:
        """Nodes by id, aligned with ``ids``; ``None`` where absent. O(len(ids))."""
        graph = self._graph
        return [self._node((label, i)) if (label, i) in graph else None for i in ids]

    async def list_ids(self, label: str) -> list[str]:
        """Every id of ``label``, sorted as text. O(n log n) in the label's size."""
        return sorted(self._ids.get(label, ()))

    async def neighbors(
        self, label: str, ids: Sequence[str], rel_type: str, direction: Direction
    ) -> list[list[tuple[Relationship, Node]]]:
        """Relationships of ``rel_type`` in ``direction`` from each node, with the other end.

        Returns
        -------
        list of list of (Relationship, Node)
            Aligned with ``ids``; each inner list sorted by the other node's ``(label, id)``;
            empty for an absent node.
        """
        graph = self._graph
        outgoing = direction is Direction.OUTGOING
        adjacency = graph.succ if outgoing else graph.pred
        answer: list[list[tuple[Relationship, Node]]] = []
        for node_id in ids:
            key = (label, node_id)
            found: list[tuple[Relationship, Node]] = []
            if key in graph:
                for other in sorted(adjacency[key]):
                    props = adjacency[key][other].get(rel_type)
                    if props is None:
                        continue
                    start, end = (key, other) if outgoing else (other, key)
                    found.append((Relationship(rel_type, start, end, props), self._node(other)))
            answer.append(found)
        return answer

    # -- linkage questions ---------------------------------------------------------------

    def _employees(self, enterprise: NodeKey) -> Iterator[tuple[NodeKey, dict[str, Any]]]:
        """(person key, EMPLOYED_BY properties) for each employee of ``enterprise``."""
        for person, keyed in self._graph.pred[enterprise].items():
            props = keyed.get(_EMPLOYED_BY)
            if props is not None:
                yield person, props

    def _owns_active(self, owner: NodeKey, products: frozenset[str], rules: LinkageRules) -> bool:
        """Whether ``owner`` owns an active account whose type is in ``products``."""
        nodes = self._graph.nodes
        for account, keyed in self._graph.succ[owner].items():
            if _OWNS in keyed:
                props = nodes[account]
                if props.get("status") == rules.active_status and props.get("type") in products:
                    return True
        return False

    async def uncovered_employees(
        self, enterprise_id: str, product_types: Sequence[str], rules: LinkageRules
    ) -> list[str]:
        """Sorted ids of employees of the enterprise owning no active ``product_types``.

        O(sum of employees' out-degrees). An absent enterprise has no employees.
        """
        enterprise = (_ENTERPRISE, enterprise_id)
        if enterprise not in self._graph:
            return []
        products = frozenset(product_types)
        return sorted(
            person[1]
            for person, _ in self._employees(enterprise)
            if not self._owns_active(person, products, rules)
        )

    def _is_private_banking(self, person: NodeKey, rules: LinkageRules) -> bool:
        if self._graph.nodes[person].get("segment") == rules.private_segment:
            return True
        return self._owns_active(person, frozenset(rules.private_banking_products), rules)

    async def executives_without_private_banking(
        self, enterprise_id: str | None, rules: LinkageRules
    ) -> list[str]:
        """Sorted distinct executive ids who are not private-banking customers.

        With ``enterprise_id=None``, executives of every enterprise, each person once.
        O(employees of the enterprises scanned).
        """
        if enterprise_id is None:
            enterprises = [(_ENTERPRISE, e) for e in self._ids.get(_ENTERPRISE, ())]
        else:
            enterprises = [(_ENTERPRISE, enterprise_id)]
        executives: set[NodeKey] = set()
        for enterprise in enterprises:
            if enterprise not in self._graph:
                continue
            for person, props in self._employees(enterprise):
                if props.get("role") == rules.executive_role:
                    executives.add(person)
        return sorted(p[1] for p in executives if not self._is_private_banking(p, rules))

    async def payroll_coverage(
        self, enterprise_ids: Sequence[str], rules: LinkageRules
    ) -> list[Coverage]:
        """Coverage per enterprise, aligned with ``enterprise_ids`` (zeros when absent)."""
        products = frozenset(rules.payroll_products)
        answer = []
        for enterprise_id in enterprise_ids:
            enterprise = (_ENTERPRISE, enterprise_id)
            employees = covered = 0
            if enterprise in self._graph:
                for person, _ in self._employees(enterprise):
                    employees += 1
                    covered += self._owns_active(person, products, rules)
            answer.append(Coverage(enterprise_id, employees, covered))
        return answer

    # -- traversals ----------------------------------------------------------------------

    def _links(
        self, node: NodeKey, rel_types: frozenset[str]
    ) -> Iterator[tuple[NodeKey, Relationship]]:
        """Yield neighbours of ``node`` through ``rel_types``, in either direction.

        Each relationship comes in its stored direction; parallel ones yield separately.
        """
        graph = self._graph
        for other, keyed in graph.succ[node].items():
            for rel_type, props in keyed.items():
                if rel_type in rel_types:
                    yield other, Relationship(rel_type, node, other, props)
        for other, keyed in graph.pred[node].items():
            for rel_type, props in keyed.items():
                if rel_type in rel_types:
                    yield other, Relationship(rel_type, other, node, props)

    async def client_network(
        self, start: NodeKey, depth: int, rel_types: Sequence[str], max_nodes: int
    ) -> Subgraph:
        """Breadth-first ego graph of ``start`` up to ``depth`` hops, at most ``max_nodes``.

        Neighbours are visited in ``(label, id)`` order, so a truncated answer is
        deterministic. Returns an empty subgraph when ``start`` is absent.
        """
        if start not in self._graph:
            return Subgraph()
        allowed = frozenset(rel_types)
        seen = {start: 0}
        order = [start]
        frontier = [start]
        truncated = False
        for hop in range(1, depth + 1):
            following: list[NodeKey] = []
            for node in frontier:
                for other in sorted({o for o, _ in self._links(node, allowed)} - seen.keys()):
                    if len(order) >= max_nodes:
                        truncated = True
                        break
                    seen[other] = hop
                    order.append(other)
                    following.append(other)
                if truncated:
                    break
            frontier = following
            if truncated or not frontier:
                break
        rels = [
            rel
            for node in order
            for other, rel in self._links(node, allowed)
            if rel.start == node and other in seen
        ]
        rels.sort(key=lambda r: (r.start, r.end, _REL_ORDER.get(r.type, 99)))
        return Subgraph([self._node(k) for k in order], rels, truncated)

    async def shortest_paths(
        self,
        start: NodeKey,
        end: NodeKey,
        rel_types: Sequence[str],
        max_hops: int,
        limit: int,
    ) -> list[Path]:
        """Up to ``limit`` shortest paths from ``start`` to ``end`` ignoring direction.

        Breadth-first search to the level where ``end`` is reached (at most ``max_hops``),
        then enumeration of the shortest-path DAG in order of node keys, then relationship
        types; parallel relationships give distinct paths (as Cypher's
        ``allShortestPaths``). O(V + E) within ``max_hops`` of ``start``.
        """
        graph = self._graph
        if start not in graph or end not in graph:
            return []
        if start == end:
            return [Path((self._node(start),), ())]
        allowed = frozenset(rel_types)
        dist = {start: 0}
        frontier = [start]
        while frontier and end not in dist and dist[frontier[0]] < max_hops:
            following = []
            for node in frontier:
                for other, _ in self._links(node, allowed):
                    if other not in dist:
                        dist[other] = dist[node] + 1
                        following.append(other)
            frontier = following
        if end not in dist:
            return []
        # Nodes on some shortest path: walk back from end through strictly lower levels.
        on_path = {end}
        queue = deque([end])
        while queue:
            node = queue.popleft()
            for other, _ in self._links(node, allowed):
                if dist.get(other) == dist[node] - 1 and other not in on_path:
                    on_path.add(other)
                    queue.append(other)

        def steps(node: NodeKey) -> list[tuple[NodeKey, Relationship]]:
            level = dist[node] + 1
            found = [
                (o, r) for o, r in self._links(node, allowed) if o in on_path and dist[o] == level
            ]
            found.sort(key=lambda s: (s[0], _REL_ORDER.get(s[1].type, 99), s[1].start))
            return found

        paths: list[Path] = []
        stack: list[tuple[list[NodeKey], list[Relationship]]] = [([start], [])]
        # Depth-first, children pushed in reverse so they are popped in sorted order.
        while stack and len(paths) < limit:
            nodes, rels = stack.pop()
            last = nodes[-1]
            if last == end:
                paths.append(Path(tuple(self._node(k) for k in nodes), tuple(rels)))
                continue
            for other, rel in reversed(steps(last)):
                stack.append((nodes + [other], rels + [rel]))
        return paths

    async def counts(self) -> dict[str, int]:
        """Node count per label and relationship count per type (absent ones as 0). O(1)."""
        answer = {label.value: len(self._ids.get(label.value, ())) for label in NodeLabel}
        answer.update({t.value: self._rel_counts[t.value] for t in RelationshipType})
        return answer

    async def close(self) -> None:
        """Close the SQLite connection."""
        self._db.close()
