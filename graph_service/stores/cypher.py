"""The Cypher store: one :class:`~graph_service.stores.base.GraphStore` for Neo4j and FalkorDB.

:class:`CypherStore` speaks to the database only through a
:class:`~graph_service.stores.connections.CypherConnection`, which runs the statement files of
``queries/cypher`` by name (:mod:`graph_service.stores.statements`). Its answers are the
embedded store's, value for value and in the same order (the ordering contract of
:mod:`graph_service.stores.base`):

- The linkage rules (uncovered employees, executives without private banking, payroll
  coverage) run in the database, one statement each, with the rules as parameters; the ids
  they answer are sorted in Python (sorting as text is Python's ``str`` order).
- The traversals (``client_network``, ``shortest_paths``) run breadth-first in Python with
  the embedded store's algorithms (for paths, its bidirectional search): visiting order,
  truncation, shortest-path enumeration order and parallel relationships as distinct paths
  are therefore identical. Each level is one round trip (the ``links`` reads of its labels
  sent together) reading neighbour keys only; properties are read at the end, for the
  answer's nodes and relationships only. (Cypher's ``allShortestPaths``
  cannot take ``maxHops`` as a parameter, nor labels, and FalkorDB has no undirected
  ``allShortestPaths``; ``queries/cypher/README.md``.)
- Properties are stored as the embedded store stores them (text, booleans, integers,
  floats; date-times as ISO-8601 text) in node and relationship properties; a node's key is
  its label and its ``id`` property, which reads leave out of ``props``. On FalkorDB, whose
  answers round doubles to 15 significant digits, the model's float properties
  (:data:`~graph_service.model.NODE_SPECS`, :data:`~graph_service.model.RELATIONSHIP_SPECS`)
  are stored as their exact decimal text (``repr``) and read back as floats.

Loads (:meth:`CypherStore.upsert`) are not one transaction: each ``UNWIND`` batch of
``Settings.write_batch_size`` rows is, and a lost connection reports how far the load got.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from graph_service.config import Settings
from graph_service.errors import StoreUnavailableError
from graph_service.ingest.batch import GraphBatch, LoadReport, PlannedBatch, plan_batch
from graph_service.model import (
    NODE_SPECS,
    RELATIONSHIP_SPECS,
    ElementSpec,
    NodeKey,
    NodeLabel,
    RelationshipType,
)
from graph_service.rules import LinkageRules
from graph_service.stores.base import (
    Coverage,
    Direction,
    Node,
    Path,
    Relationship,
    Subgraph,
    admit_level,
)
from graph_service.stores.connections import CypherConnection, connect

LABELS: tuple[str, ...] = tuple(label.value for label in NodeLabel)
REL_ORDER = {t.value: i for i, t in enumerate(RelationshipType)}
"""Relationship types in declaration order: the tie-break of paths and subgraphs."""
READ_CHUNK = 1_000
"""Ids per read statement (``$ids`` lists), so that no parameter list grows unbounded."""

Link = tuple[NodeKey, Relationship]
"""A neighbour through one relationship, as :meth:`CypherStore._links` lists it."""


def schema_statements() -> list[str]:
    """Names of the schema statements run at start: one id constraint (index) per label."""
    return [f"node_key_constraint.{label}" for label in LABELS]


def node_upsert_statement(label: str) -> str:
    """Name of the ``UNWIND`` upsert of ``label`` nodes."""
    return f"node_upsert.{label}"


def relationship_upsert_statement(rel_type: str, start_label: str, end_label: str) -> str:
    """Name of the ``UNWIND`` upsert of ``rel_type`` relationships between two labels."""
    return f"relationship_upsert.{rel_type}.{start_label}.{end_label}"


def statement_names() -> set[str]:
    """Every statement name the Cypher store can run (the files must match exactly)."""
    names = set(schema_statements()) | {
        "counts", "uncovered_employees", "executives_without_private_banking",
        "all_executives_without_private_banking", "payroll_coverage", "clear",
    }  # fmt: skip
    for label in LABELS:
        names |= {node_upsert_statement(label), f"nodes_by_id.{label}", f"node_ids.{label}",
                  f"links.{label}"}  # fmt: skip
    for rel_type, spec in RELATIONSHIP_SPECS.items():
        names |= {relationship_upsert_statement(rel_type, s, e) for s, e in spec.endpoints}
    return names


def _float_names(spec: ElementSpec) -> frozenset[str]:
    return frozenset(p.name for p in spec.properties if p.kind == "float")


FLOAT_PROPERTIES: dict[str, frozenset[str]] = {
    name: _float_names(spec) for name, spec in {**NODE_SPECS, **RELATIONSHIP_SPECS}.items()
}
"""The float properties of each label and relationship type (the model's ``float`` kind)."""


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _by_label(keys: Iterable[NodeKey]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for label, node_id in dict.fromkeys(keys):
        grouped[label].append(node_id)
    return grouped


class CypherStore:
    """A :class:`~graph_service.stores.base.GraphStore` over Neo4j or FalkorDB.

    Parameters
    ----------
    settings : Settings
        ``backend`` picks the database (``neo4j`` or ``falkordb``) and its connection
        settings; ``write_batch_size`` is the rows per ``UNWIND`` write.
    connection : CypherConnection, optional
        The adapter to use; by default the one ``settings.backend`` names.

    Notes
    -----
    Nothing is connected on construction: the first call connects and runs the schema
    statements (one uniqueness constraint per label key on Neo4j, one index on FalkorDB),
    and every call after a failure tries again, so a server that comes back is used again.
    :meth:`refresh` costs nothing: every read sees the live database.
    """

    pushdowns: frozenset[str] = frozenset(
        {"uncovered_employees", "executives_without_private_banking", "payroll_coverage"}
    )
    """Linkage questions this store answers itself (:mod:`graph_service.linkage.question`)."""

    def __init__(self, settings: Settings, connection: CypherConnection | None = None) -> None:
        self.connection = connection or connect(settings)
        self.batch_size = settings.write_batch_size
        self._schema_ready = False
        self._floats_as_text = self.connection.floats_as_text

    def _encode(self, props: dict[str, Any]) -> dict[str, Any]:
        """Properties as written: floats as exact text where the database rounds them."""
        if not self._floats_as_text:
            return props
        return {k: repr(v) if isinstance(v, float) else v for k, v in props.items()}

    def _decode(self, element: str, props: Mapping[str, Any]) -> dict[str, Any]:
        """Properties as read (without the key ``id``): the model's floats back as floats."""
        floats = FLOAT_PROPERTIES.get(element, frozenset()) if self._floats_as_text else ()
        return {
            k: float(v) if k in floats and isinstance(v, str) else v
            for k, v in props.items()
            if k != "id"
        }

    async def _run(self, name: str, **params: Any) -> list[list[Any]]:
        """Run a read statement, creating the schema first if not done yet."""
        await self.start()
        return await self.connection.run(name, params)

    async def start(self) -> None:
        """Connect and create the schema (idempotent; cheap once done).

        Raises
        ------
        StoreUnavailableError
            If the database is unreachable or refuses the credentials.
        """
        if not self._schema_ready:
            await self.connection.ensure_schema(schema_statements())
            self._schema_ready = True

    # -- loading -------------------------------------------------------------------------

    async def _stored(self, keys: Iterable[NodeKey]) -> set[NodeKey]:
        """Which of ``keys`` the database holds."""
        found: set[NodeKey] = set()
        for label, ids in _by_label(keys).items():
            for chunk in _chunks(ids, READ_CHUNK):
                rows = await self._run(f"nodes_by_id.{label}", ids=list(chunk))
                found.update((label, row[0]) for row in rows)
        return found

    async def upsert(self, batch: GraphBatch) -> LoadReport:
        """Write ``batch`` in ``UNWIND`` batches: nodes per label, then relationships per type.

        Same rule and report as the embedded store (:func:`~graph_service.ingest.batch.
        plan_batch`): node rows merge their properties (later rows win), relationship rows
        whose start or end node is neither stored nor in the batch are rejected with file,
        line and reason. Loading the same batch twice changes nothing (``MERGE``).

        Returns
        -------
        LoadReport

        Raises
        ------
        StoreUnavailableError
            If the database is unreachable, or the connection is lost during the load: the
            message says how many node and relationship rows were acknowledged by then
            (each ``UNWIND`` batch is one transaction, so the server holds those, and
            possibly the batch in flight, committed but not acknowledged).
        InvalidInputError
            What a lazy batch raises while its rows are read: every row is read before the
            first write (``GraphBatch.materialized``), so the database is left untouched.
        """
        batch = batch.materialized()  # batches are not one transaction here: read all first
        await self.start()
        in_batch = {row.key for row in batch.nodes}
        ends = (k for rel in batch.relationships for k in (rel.start, rel.end))
        stored = await self._stored(k for k in ends if k not in in_batch)
        plan = plan_batch(batch, stored)
        await self._write(plan)
        return plan.report

    async def _write(self, plan: PlannedBatch) -> None:
        node_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for (label, node_id), props in plan.nodes.items():
            node_rows[node_upsert_statement(label)].append(
                {"id": node_id, "props": self._encode(props)}
            )
        rel_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for (rel_type, (sl, si), (el, ei)), props in plan.relationships.items():
            name = relationship_upsert_statement(rel_type, sl, el)
            rel_rows[name].append({"start": si, "end": ei, "props": self._encode(props)})
        total_nodes, total_rels = len(plan.nodes), len(plan.relationships)
        written = {"node": 0, "relationship": 0}
        try:
            for kind, groups in (("node", node_rows), ("relationship", rel_rows)):
                for name, rows in groups.items():
                    for chunk in _chunks(rows, self.batch_size):
                        await self.connection.run(name, {"rows": list(chunk)}, write=True)
                        written[kind] += len(chunk)
        except StoreUnavailableError as exc:
            raise StoreUnavailableError(
                f"{str(exc).rstrip('.')}; wrote at least {written['node']:,} of "
                f"{total_nodes:,} node rows and {written['relationship']:,} of {total_rels:,} "
                "relationship rows before the connection was lost (the batch in flight may "
                "also have been written; loading the same input again completes it)"
            ) from None

    async def refresh(self) -> bool:
        """Nothing to pick up: every read sees the live database. Answers ``False``."""
        return False

    # -- lookups -------------------------------------------------------------------------

    async def _props(self, label: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Stored properties (without ``id``) of the ``label`` nodes among ``ids``."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(dict.fromkeys(ids)), READ_CHUNK):
            for node_id, props in await self._run(f"nodes_by_id.{label}", ids=list(chunk)):
                found[node_id] = self._decode(label, props)
        return found

    async def _nodes(self, keys: Iterable[NodeKey]) -> dict[NodeKey, Node]:
        """The nodes among ``keys`` that exist, by key."""
        nodes: dict[NodeKey, Node] = {}
        for label, ids in _by_label(keys).items():
            for node_id, props in (await self._props(label, ids)).items():
                nodes[(label, node_id)] = Node(label, node_id, props)
        return nodes

    async def get_nodes(self, label: str, ids: Sequence[str]) -> list[Node | None]:
        """Nodes by id, aligned with ``ids``; ``None`` where absent. One read per 1,000 ids."""
        found = await self._props(label, ids)
        return [Node(label, i, found[i]) if i in found else None for i in ids]

    async def list_ids(self, label: str) -> list[str]:
        """Every id of ``label``, sorted as text."""
        return sorted(row[0] for row in await self._run(f"node_ids.{label}"))

    async def _links(
        self,
        keys: Sequence[NodeKey],
        rel_types: Sequence[str],
        *,
        props: bool = True,
        others: Mapping[NodeKey, AbstractSet[NodeKey]] | None = None,
    ) -> dict[NodeKey, list[Link]]:
        """Each node's relationships of ``rel_types`` in either direction, with the other end.

        Each relationship is listed once, a relationship from a node to itself too.

        Parameters
        ----------
        keys : sequence of NodeKey
            The nodes; every one gets an entry (empty when it has no such relationship).
        rel_types : sequence of str
            Relationship types to follow.
        props : bool
            ``False`` reads keys only: the relationships' ``props`` are then empty.
        others : mapping of NodeKey to set of NodeKey, optional
            Keep, for each node, only the relationships to these nodes (filtered in the
            database, so that a hub's other relationships are not sent).

        Notes
        -----
        One ``links.LABEL`` read per label and 1,000 ids, all sent at once (one round trip).
        """
        await self.start()  # before the concurrent reads, which would each create the schema
        links: dict[NodeKey, list[Link]] = {key: [] for key in keys}
        reads = []
        for label, ids in _by_label(keys).items():
            for chunk in _chunks(ids, READ_CHUNK):
                wanted = None
                if others is not None:
                    wanted = sorted({o[1] for i in chunk for o in others[(label, i)]})
                params = {"ids": list(chunk), "types": list(rel_types), "props": props,
                          "others": wanted}  # fmt: skip
                reads.append((label, self._run(f"links.{label}", **params)))
        answers = await asyncio.gather(*(read for _, read in reads))
        loops: set[tuple[NodeKey, str]] = set()
        for (label, _), rows in zip(reads, answers, strict=True):
            for node_id, rel_type, outgoing, other_label, other_id, values in rows:
                key, other = (label, node_id), (other_label, other_id)
                if others is not None and other not in others[key]:
                    continue  # the same id under another label
                start, end = (key, other) if outgoing else (other, key)
                rel = Relationship(rel_type, start, end, self._decode(rel_type, values or {}))
                if key == other:
                    # A relationship from a node to itself leaves and reaches it: the
                    # database may answer it from both ends; it is listed once.
                    if (key, rel_type) in loops:
                        continue
                    loops.add((key, rel_type))
                links[key].append((other, rel))
        return links

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
        keys = [(label, i) for i in ids]
        links = await self._links(keys, [rel_type])
        outgoing = direction is Direction.OUTGOING
        chosen = {  # one relationship of a type per ordered pair: keyed by the other end
            key: sorted(
                {o: r for o, r in found if (r.start if outgoing else r.end) == key}.items()
            )
            for key, found in links.items()
        }
        nodes = await self._nodes(other for found in chosen.values() for other, _ in found)
        return [[(rel, nodes[other]) for other, rel in chosen[key]] for key in keys]

    # -- linkage questions ---------------------------------------------------------------

    @staticmethod
    def _rule_params(rules: LinkageRules) -> dict[str, Any]:
        return {"active_status": rules.active_status}

    async def uncovered_employees(
        self, enterprise_id: str, product_types: Sequence[str], rules: LinkageRules
    ) -> list[str]:
        """Sorted ids of employees of the enterprise owning no active ``product_types``."""
        rows = await self._run(
            "uncovered_employees",
            enterprise=enterprise_id,
            products=list(product_types),
            **self._rule_params(rules),
        )
        return sorted(row[0] for row in rows)

    async def executives_without_private_banking(
        self, enterprise_id: str | None, rules: LinkageRules
    ) -> list[str]:
        """Sorted distinct executive ids who are not private-banking customers.

        With ``enterprise_id=None``, executives of every enterprise, each person once.
        """
        params = {
            "products": list(rules.private_banking_products),
            "executive_role": rules.executive_role,
            "private_segment": rules.private_segment,
            **self._rule_params(rules),
        }
        if enterprise_id is None:
            rows = await self._run("all_executives_without_private_banking", **params)
        else:
            rows = await self._run(
                "executives_without_private_banking", enterprise=enterprise_id, **params
            )
        return sorted(row[0] for row in rows)

    async def payroll_coverage(
        self, enterprise_ids: Sequence[str], rules: LinkageRules
    ) -> list[Coverage]:
        """Coverage per enterprise, aligned with ``enterprise_ids`` (zeros when absent)."""
        found: dict[str, tuple[int, int]] = {}
        for chunk in _chunks(list(dict.fromkeys(enterprise_ids)), READ_CHUNK):
            rows = await self._run(
                "payroll_coverage",
                enterprises=list(chunk),
                products=list(rules.payroll_products),
                **self._rule_params(rules),
            )
            found.update({row[0]: (row[1], row[2]) for row in rows})
        return [Coverage(e, *found.get(e, (0, 0))) for e in enterprise_ids]

    # -- traversals ----------------------------------------------------------------------

    async def client_network(
        self, start: NodeKey, depth: int, rel_types: Sequence[str], max_nodes: int
    ) -> Subgraph:
        """Breadth-first ego graph of ``start`` up to ``depth`` hops, at most ``max_nodes``.

        The embedded store's walk: neighbours visited in ``(label, id)`` order, so a
        truncated answer is the same. The walk reads neighbour keys only (one ``links``
        round trip per hop); then one round trip reads the relationships among the nodes
        kept, with properties, filtered in the database (a hub's other relationships are not
        sent), and one the nodes. Empty when ``start`` is absent.
        """
        if not await self._nodes([start]):
            return Subgraph()
        seen = {start: 0}
        order = [start]
        frontier = [start]
        truncated = False
        links: dict[NodeKey, list[Link]] = {}

        def candidates(node: NodeKey) -> list[NodeKey]:
            return sorted({o for o, _ in links[node]} - seen.keys())

        for hop in range(1, depth + 1):
            links = await self._links(frontier, rel_types, props=False)
            frontier, truncated = admit_level(
                frontier, candidates, seen, order, hop, max_nodes
            )
            if truncated or not frontier:
                break
        kept = set(order)
        among = await self._links(order, rel_types, others=dict.fromkeys(order, kept))
        rels = [rel for node in order for _, rel in among[node] if rel.start == node]
        rels.sort(key=lambda r: (r.start, r.end, REL_ORDER.get(r.type, 99)))
        nodes = await self._nodes(order)
        return Subgraph([nodes[k] for k in order], rels, truncated)

    async def _distances(
        self, start: NodeKey, end: NodeKey, rel_types: Sequence[str], max_hops: int
    ) -> tuple[dict[NodeKey, int], dict[NodeKey, list[Link]]] | None:
        """Distance from ``start`` of every node on a shortest path to ``end``, and links.

        Bidirectional breadth-first search over neighbour keys (no properties), the side
        with the fewer frontier nodes growing by one level (one ``links`` round trip) until
        the two meet; then the nodes on shortest paths are collected walking back from the
        meeting nodes through the recorded parents. The same nodes as the embedded store's
        search finds (which also tests frontiers against each other to spare reading hubs'
        neighbours, a saving that round trips would eat here).

        Returns
        -------
        tuple of (dict of NodeKey to int, dict of NodeKey to list of Link) or None
            The distances, and the links (keys only) of every node expanded: each
            relationship of a shortest path is among the links of one of its ends.
            ``None`` when ``end`` is farther than ``max_hops``.
        """
        sides = ({start: 0}, {end: 0})
        fronts: list[list[NodeKey]] = [[start], [end]]
        parents: tuple[dict[NodeKey, set[NodeKey]], ...] = (defaultdict(set), defaultdict(set))
        reach = [0, 0]
        links: dict[NodeKey, list[Link]] = {}
        meeting: list[NodeKey] = []
        while not meeting and reach[0] + reach[1] < max_hops:
            if not fronts[0] or not fronts[1]:
                return None
            grow = 0 if len(fronts[0]) <= len(fronts[1]) else 1
            seen, other_seen, parent = sides[grow], sides[1 - grow], parents[grow]
            level = reach[grow] + 1
            links.update(await self._links(fronts[grow], rel_types, props=False))
            following: dict[NodeKey, None] = {}
            for node in fronts[grow]:
                for other, _ in links[node]:
                    if other not in seen:
                        seen[other] = level
                        following[other] = None
                    if seen[other] == level:
                        parent[other].add(node)
            fronts[grow], reach[grow] = list(following), level
            meeting = [k for k in following if k in other_seen]
        if not meeting:
            return None
        length = reach[0] + reach[1]
        dist = dict.fromkeys(meeting, reach[0])
        for side, offset, sign in ((0, 0, 1), (1, length, -1)):
            queue = deque(meeting)
            while queue:
                for other in parents[side].get(queue.popleft(), ()):
                    if other not in dist:
                        dist[other] = offset + sign * sides[side][other]
                        queue.append(other)
        return dist, links

    async def shortest_paths(
        self,
        start: NodeKey,
        end: NodeKey,
        rel_types: Sequence[str],
        max_hops: int,
        limit: int,
    ) -> list[Path]:
        """Up to ``limit`` shortest paths from ``start`` to ``end`` ignoring direction.

        The embedded store's algorithm: bidirectional breadth-first search over neighbour
        keys (:meth:`_distances`), then the shortest-path DAG enumerated in order of node
        keys, then relationship types; parallel relationships are distinct paths (as
        Cypher's ``allShortestPaths``). Properties are read for the paths' nodes and
        relationships only.
        """
        ends = await self._nodes([start, end])
        if start not in ends or end not in ends:
            return []
        if start == end:
            return [Path((ends[start],), ())]
        found = await self._distances(start, end, rel_types, max_hops)
        if found is None:
            return []
        dist, links = found
        step_links: dict[NodeKey, dict[tuple[str, NodeKey, NodeKey], Link]] = defaultdict(dict)
        for node, node_links in links.items():
            if node not in dist:
                continue
            for other, rel in node_links:
                ident = (rel.type, rel.start, rel.end)
                if dist.get(other) == dist[node] + 1:
                    step_links[node][ident] = (other, rel)
                elif dist.get(other) == dist[node] - 1:
                    step_links[other][ident] = (node, rel)

        def steps(node: NodeKey) -> list[Link]:
            found = list(step_links[node].values())
            found.sort(key=lambda s: (s[0], REL_ORDER.get(s[1].type, 99), s[1].start))
            return found

        found_paths: list[tuple[list[NodeKey], list[Relationship]]] = []
        stack: list[tuple[list[NodeKey], list[Relationship]]] = [([start], [])]
        # Depth-first, children pushed in reverse so they are popped in sorted order.
        while stack and len(found_paths) < limit:
            keys, rels = stack.pop()
            if keys[-1] == end:
                found_paths.append((keys, rels))
                continue
            for other, rel in reversed(steps(keys[-1])):
                stack.append((keys + [other], rels + [rel]))
        return await self._with_props(found_paths, rel_types)

    async def _with_props(
        self, paths: Sequence[tuple[list[NodeKey], list[Relationship]]], rel_types: Sequence[str]
    ) -> list[Path]:
        """The paths of keys and key-only relationships, with their stored properties.

        Two round trips: the nodes, and the relationships (each read from its start node,
        filtered in the database to the path's other ends).
        """
        joined: dict[NodeKey, set[NodeKey]] = defaultdict(set)
        for _, rels in paths:
            for rel in rels:
                joined[rel.start].add(rel.end)
        among = await self._links(list(joined), rel_types, others=joined)
        stored = {
            (rel.type, rel.start, rel.end): rel for found in among.values() for _, rel in found
        }
        nodes = await self._nodes(k for keys, _ in paths for k in keys)
        return [
            Path(
                tuple(nodes[k] for k in keys),
                tuple(stored[(r.type, r.start, r.end)] for r in rels),
            )
            for keys, rels in paths
        ]

    async def counts(self) -> dict[str, int]:
        """Node count per label and relationship count per type (absent ones as 0).

        Labels and types outside the model, which FalkorDB's statistics may list, are left
        out. One read, O(1) on both databases (their count stores).
        """
        answer = dict.fromkeys([*LABELS, *(t.value for t in RelationshipType)], 0)
        rows = await self._run("counts")
        answer.update({name: count for name, count in rows if name in answer})
        return answer

    async def close(self) -> None:
        """Close the connection."""
        await self.connection.close()
