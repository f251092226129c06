"""The Cypher store: one :class:`~graph_service.stores.base.GraphStore` for Neo4j and FalkorDB.

:class:`CypherStore` speaks to the database only through a
:class:`~graph_service.stores.connections.CypherConnection`, which runs the statement files of
``queries/cypher`` by name (:mod:`graph_service.stores.statements`). Its answers are the
embedded store's, value for value and in the same order (the ordering contract of
:mod:`graph_service.stores.base`):

- The linkage rules (uncovered employees, executives without private banking, payroll
  coverage) run in the database, one statement each, with the rules as parameters; the ids
  they answer are sorted in Python (sorting as text is Python's ``str`` order).
- The traversals (:mod:`graph_service.linkage.traversal`, the same searches for every
  store) call this store's traversal primitives, whose handles are node keys: each
  primitive is one round trip (the ``links`` reads of its labels sent together) reading
  neighbour keys only; properties are read at the end, for the answer's nodes and
  relationships only. (Cypher's ``allShortestPaths`` cannot take ``maxHops`` as a
  parameter, nor labels, and FalkorDB has no undirected ``allShortestPaths``;
  ``queries/cypher/README.md``.)
- Properties are stored as the embedded store stores them (text, booleans, integers,
  floats; date-times as ISO-8601 text) in node and relationship properties; a node's key is
  its label and its ``id`` property, which reads leave out of ``props``. On FalkorDB, whose
  answers round doubles to 15 significant digits, the model's float properties
  (:data:`~graph_service.model.NODE_SPECS`, :data:`~graph_service.model.RELATIONSHIP_SPECS`)
  are stored as their exact decimal text (``repr``) and read back as floats.

Writes (:meth:`CypherStore.write`) run the one ``write`` statement: a small write (up to
``Settings.write_batch_size`` rows) is one transaction; a load is not, each statement of that
many rows is, and a lost connection reports how far the load got.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from graph_service.config import Settings
from graph_service.errors import StoreTimeoutError, StoreUnavailableError
from graph_service.model import (
    NODE_SPECS,
    RELATIONSHIP_SPECS,
    ElementSpec,
    NodeKey,
    NodeLabel,
    RelationshipType,
)
from graph_service.records import GraphBatch, LoadReport, PlannedBatch, plan_batch
from graph_service.rules import LinkageRules
from graph_service.search_text import (
    MAX_TERM_CHARS,
    NAMED_LABELS,
    SEARCH_PROPERTY,
    index_terms,
    indexed,
    query_term,
)
from graph_service.stores.base import REL_ORDER, Coverage, Direction, Link, Node, Relationship
from graph_service.stores.connections import CypherConnection, connect

LABELS: tuple[str, ...] = tuple(label.value for label in NodeLabel)
INDEX_POLL_S = 0.02
"""Seconds between two looks at the indexes being built, at start."""
READ_CHUNK = 1_000
"""Ids per read statement (``$ids`` and ``$others`` lists), so that no parameter list grows
unbounded; a longer ``$others`` is applied in Python instead."""

Neighbour = tuple[NodeKey, Relationship]
"""A neighbour through one relationship, as :meth:`CypherStore._links` lists it."""


def schema_statements() -> list[str]:
    """Names of the schema statements run at start.

    One id constraint (index) per label, one full-text index of the names' search terms per
    label with a name.
    """
    return [
        *(f"node_key_constraint.{label}" for label in LABELS),
        *(f"search_index.{label}" for label in NAMED_LABELS),
    ]


WRITE_SECTIONS: tuple[tuple[str, str], ...] = (
    *(
        ("relationship deletion", f"delete_{rel_type}_{start}_{end}")
        for rel_type, spec in RELATIONSHIP_SPECS.items()
        for start, end in spec.endpoints
    ),
    *(("node deletion", f"delete_{label}") for label in LABELS),
    *(("node", f"upsert_{label}") for label in LABELS),
    *(
        ("relationship", f"upsert_{rel_type}_{start}_{end}")
        for rel_type, spec in RELATIONSHIP_SPECS.items()
        for start, end in spec.endpoints
    ),
)
"""The list parameters of the ``write`` statement in its order, each with its kind of row:
deletions of relationships (per type and end labels), of nodes (per label), upserts of
nodes, then of relationships."""


def statement_names() -> set[str]:
    """Every statement name the Cypher store can run (the files must match exactly)."""
    names = set(schema_statements()) | {
        "counts", "uncovered_employees", "executives_without_private_banking",
        "all_executives_without_private_banking", "payroll_coverage", "clear", "write",
        "as_of", "indexes_pending",
    }  # fmt: skip
    for label in LABELS:
        names |= {f"nodes_by_id.{label}", f"node_ids.{label}", f"links.{label}"}
    names |= {f"relationships.{rel_type.value}" for rel_type in RelationshipType}
    return names | {f"search.{label}" for label in NAMED_LABELS}


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
        self.index_wait_s = settings.query_timeout_s
        self._schema_ready = False
        self._floats_as_text = self.connection.floats_as_text

    def _encode(self, props: dict[str, Any]) -> dict[str, Any]:
        """Properties as written.

        Floats as exact text where the database rounds them; with a ``name``, its search
        terms (``searchText``, :func:`~graph_service.search_text.index_terms`) for the
        full-text index.
        """
        if self._floats_as_text:
            props = {k: repr(v) if isinstance(v, float) else v for k, v in props.items()}
        if "name" in props:
            props = {**props, SEARCH_PROPERTY: index_terms(str(props["name"]))}
        return props

    def _decode(self, element: str, props: Mapping[str, Any]) -> dict[str, Any]:
        """Properties as read, without the key ``id`` and the search terms.

        The model's floats back as floats.
        """
        floats = FLOAT_PROPERTIES.get(element, frozenset()) if self._floats_as_text else ()
        return {
            k: float(v) if k in floats and isinstance(v, str) else v
            for k, v in props.items()
            if k != "id" and k != SEARCH_PROPERTY
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
            await self._indexes_built()
            self._schema_ready = True

    async def _indexes_built(self) -> None:
        """Wait until no index is being built (``indexes_pending``), ``index_wait_s`` at most.

        FalkorDB builds an index in the background, even on an empty graph: a node written
        meanwhile may be missing from it. Past the wait (an index over a large graph), or if
        listing the indexes times out, the store goes on: searches may miss nodes until the
        index is built.
        """
        deadline = time.monotonic() + self.index_wait_s
        try:
            while (await self.connection.run("indexes_pending", {}))[0][0]:
                if time.monotonic() > deadline:
                    return
                await asyncio.sleep(INDEX_POLL_S)
        except StoreTimeoutError:
            return  # a database too slow to list its indexes: the next read says so

    # -- loading -------------------------------------------------------------------------

    async def _stored(self, keys: Iterable[NodeKey]) -> set[NodeKey]:
        """Which of ``keys`` the database holds."""
        found: set[NodeKey] = set()
        for label, ids in _by_label(keys).items():
            for chunk in _chunks(ids, READ_CHUNK):
                rows = await self._run(f"nodes_by_id.{label}", ids=list(chunk))
                found.update((label, row[0]) for row in rows)
        return found

    async def write(self, batch: GraphBatch) -> LoadReport:
        """Apply ``batch``: deletions, then upserts, with the ``write`` statement.

        Same rule and report as the embedded store (:func:`~graph_service.records.
        plan_batch`): node rows merge their properties (later rows win), relationship rows
        whose start or end node is neither stored (and not deleted by the batch) nor in the
        batch are rejected with file, line and reason. Writing the same batch twice changes
        nothing (``MERGE``). Deleting a node deletes its relationships (``DETACH DELETE``).

        A batch of at most ``write_batch_size`` rows (deletions included) is one statement,
        so one transaction: all or nothing. A larger one (a load) is written in statements
        of that many rows each, in order, each its own transaction.

        Returns
        -------
        LoadReport

        Raises
        ------
        StoreUnavailableError
            If the database is unreachable, refuses a value, or the connection is lost
            during the write: the message says how many node and relationship rows were
            acknowledged by then (the server holds those, and possibly the statement in
            flight, committed but not acknowledged).
        InvalidInputError
            For a deletion outside the model (:meth:`GraphBatch.check_deletions`), or what
            a lazy batch raises while its rows are read: every row is read before the first
            write (``GraphBatch.materialized``), so the database is left untouched.
        ConflictError
            If a node is not as ``batch.expected`` requires, read just before the write: a
            command's preconditions are atomic within one serving process (its commands
            run one at a time, :mod:`graph_service.linkage.commands`), not across processes
            writing the same graph.
        """
        batch.check_deletions()
        batch = batch.materialized()  # statements are not one transaction: read all first
        await self.start()
        in_batch = {row.key for row in batch.nodes}
        ends = (k for rel in batch.relationships for k in (rel.start, rel.end))
        stored = await self._stored(k for k in ends if k not in in_batch)
        if batch.expected:
            found = await self._nodes(batch.expected)
            for key, expected in batch.expected.items():
                node = found.get(key)
                expected.check(key, None if node is None else node.props)
        plan = plan_batch(batch, stored)
        await self._write(plan)
        return plan.report

    def _write_rows(self, plan: PlannedBatch) -> Iterator[tuple[str, Any]]:
        """``(parameter, row)`` of every row of ``plan``, in :data:`WRITE_SECTIONS` order."""
        for rel_type, (sl, si), (el, ei) in plan.deleted_relationships:
            yield f"delete_{rel_type}_{sl}_{el}", {"start": si, "end": ei}
        for label, node_id in plan.deleted_nodes:
            yield f"delete_{label}", node_id
        for (label, node_id), props in plan.nodes.items():
            yield f"upsert_{label}", {"id": node_id, "props": self._encode(props)}
        for (rel_type, (sl, si), (el, ei)), props in plan.relationships.items():
            params = {"start": si, "end": ei, "props": self._encode(props)}
            yield f"upsert_{rel_type}_{sl}_{el}", params

    async def _write(self, plan: PlannedBatch) -> None:
        """Run ``write`` statements of at most ``batch_size`` rows until ``plan`` is written."""
        kinds = {name: kind for kind, name in WRITE_SECTIONS}
        order = {name: i for i, (_, name) in enumerate(WRITE_SECTIONS)}
        rows = sorted(self._write_rows(plan), key=lambda row: order[row[0]])
        totals = {"node": len(plan.nodes), "relationship": len(plan.relationships)}
        written = {kind: 0 for kind, _ in WRITE_SECTIONS}
        try:
            for chunk in _chunks(rows, self.batch_size):
                params: dict[str, list[Any]] = {name: [] for _, name in WRITE_SECTIONS}
                for name, row in chunk:
                    params[name].append(row)
                await self.connection.run("write", params, write=True)
                for name, _ in chunk:
                    written[kinds[name]] += 1
        except StoreUnavailableError as exc:
            raise StoreUnavailableError(
                f"{str(exc).rstrip('.')}; wrote at least {written['node']:,} of "
                f"{totals['node']:,} node rows and {written['relationship']:,} of "
                f"{totals['relationship']:,} relationship rows before the connection was lost "
                "(the batch in flight may also have been written; loading the same input "
                "again completes it)"
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

    async def search_names(
        self, labels: Sequence[str], words: Sequence[str], limit: int, refuse_at: int
    ) -> list[tuple[str, str, str]] | None:
        """The nodes of ``labels`` whose ``searchText`` holds the term of each of ``words``.

        One ``search.Label`` read per label, for what the bound leaves: an exact-term query
        of the label's full-text index per word (its first
        :data:`~graph_service.search_text.MAX_TERM_CHARS` characters), the ids of the nodes
        found by all of them; then those nodes' names (:meth:`get_nodes`). ``None`` when
        ``refuse_at`` ids are found, before any name is read. A word longer than
        :data:`~graph_service.search_text.MAX_TERM_CHARS` may find nodes it does not prefix,
        which the service drops: its ids are then read to ``limit``, and never refused here.
        A label without names has no index: no nodes.
        """
        terms = sorted({query_term(word) for word in words})
        exact = all(len(word) <= MAX_TERM_CHARS for word in words)
        bound = min(limit, refuse_at) if exact else limit
        ids: dict[str, list[str]] = {}
        found = 0
        for label in labels:
            if label in NAMED_LABELS and found < bound:
                rows = await self._run(f"search.{label}", terms=terms, limit=bound - found)
                ids[label] = [row[0] for row in rows]
                found += len(rows)
        if exact and found >= refuse_at:
            return None
        return [(label, node.id, indexed(str(node.props.get("name", ""))))
                for label, some in ids.items()
                for node in await self.get_nodes(label, some) if node is not None]  # fmt: skip

    async def _links(
        self,
        keys: Sequence[NodeKey],
        rel_types: Sequence[str],
        *,
        props: bool = True,
        others: AbstractSet[NodeKey] | None = None,
    ) -> dict[NodeKey, list[Neighbour]]:
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
        others : set of NodeKey, optional
            Keep only the relationships to these nodes (filtered in the database when they
            are at most :data:`READ_CHUNK`, so that a hub's other relationships are not
            sent).

        Notes
        -----
        One ``links.LABEL`` read per label and 1,000 ids, all sent at once (one round trip).
        """
        await self.start()  # before the concurrent reads, which would each create the schema
        links: dict[NodeKey, list[Neighbour]] = {key: [] for key in keys}
        wanted = None
        if others is not None and len(others) <= READ_CHUNK:
            wanted = sorted({o[1] for o in others})
        reads = []
        for label, ids in _by_label(keys).items():
            for chunk in _chunks(ids, READ_CHUNK):
                params = {"ids": list(chunk), "types": list(rel_types), "props": props,
                          "others": wanted}  # fmt: skip
                reads.append((label, self._run(f"links.{label}", **params)))
        answers = await asyncio.gather(*(read for _, read in reads))
        loops: set[tuple[NodeKey, str]] = set()
        for (label, _), rows in zip(reads, answers, strict=True):
            for node_id, rel_type, outgoing, other_label, other_id, values in rows:
                key, other = (label, node_id), (other_label, other_id)
                if others is not None and other not in others:
                    continue  # the same id under another label, or not filtered yet
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

    # -- traversal primitives: see GraphStore; handles are node keys ----------------------

    async def handles(self, keys: Sequence[NodeKey]) -> list[NodeKey | None]:
        """``keys``, with ``None`` for those not stored. One read per label."""
        stored = await self._stored(keys)
        return [key if key in stored else None for key in keys]

    async def nodes(self, handles: Sequence[NodeKey]) -> list[Node]:
        """The nodes of ``handles`` (keys), aligned. One read per label."""
        found = await self._nodes(handles)
        return [found[key] for key in handles]

    async def degrees(self, handles: Sequence[NodeKey]) -> list[int]:
        """1 for each node: not read, since reading costs the round trip it would save.

        The searches then choose between their two sides by frontier size alone.
        """
        return [1] * len(handles)

    async def neighbourhood(
        self, handles: Iterable[NodeKey], rel_types: frozenset[str]
    ) -> set[NodeKey]:
        """Every neighbour of any of ``handles``. One ``links`` round trip, keys only."""
        links = await self._links(list(handles), sorted(rel_types), props=False)
        return {other for found in links.values() for other, _ in found}

    async def touching(
        self, handles: Iterable[NodeKey], others: AbstractSet[NodeKey], rel_types: frozenset[str]
    ) -> set[NodeKey]:
        """The members of ``others`` that neighbour any of ``handles``. One round trip."""
        links = await self._links(list(handles), sorted(rel_types), props=False, others=others)
        return {other for found in links.values() for other, _ in found}

    async def first_neighbours(
        self,
        handles: Sequence[NodeKey],
        rel_types: frozenset[str],
        exclude: AbstractSet[NodeKey],
        limit: int,
    ) -> list[list[NodeKey]]:
        """Each node's first ``limit - len(exclude)`` neighbours not in ``exclude``, sorted.

        One ``links`` round trip for all of ``handles`` (keys only); sorted in Python.
        """
        links = await self._links(handles, sorted(rel_types), props=False)
        room = limit - len(exclude)
        return [sorted({o for o, _ in links[key]}.difference(exclude))[:room] for key in handles]

    async def links(
        self, handle: NodeKey, others: AbstractSet[NodeKey], rel_types: frozenset[str]
    ) -> list[Link]:
        """The relationships joining ``handle`` to members of ``others``, in path-hop order.

        One ``links`` round trip, keys only, filtered to ``others`` in the database.
        """
        links = await self._links([handle], sorted(rel_types), props=False, others=others)
        found = [(other, rel.type, rel.start, rel.end) for other, rel in links[handle]]
        found.sort(key=lambda f: (f[0], REL_ORDER.get(f[1], 99), f[2]))
        return found

    async def relationships(
        self, rels: Sequence[tuple[str, NodeKey, NodeKey]]
    ) -> list[Relationship]:
        """The relationships ``(type, start, end)`` with their properties, aligned.

        One round trip: each read from its start node, filtered in the database to the
        relationships' end nodes.
        """
        starts = list(dict.fromkeys(start for _, start, _ in rels))
        types = sorted({rel_type for rel_type, _, _ in rels})
        among = await self._links(starts, types, others={end for _, _, end in rels})
        stored = {
            (rel.type, rel.start, rel.end): rel for found in among.values() for _, rel in found
        }
        return [stored[rel] for rel in rels]

    async def relationships_among(
        self, handles: Sequence[NodeKey], rel_types: frozenset[str]
    ) -> list[Relationship]:
        """Every relationship between two of ``handles``, with properties, in contract order.

        One round trip, filtered in the database (a hub's other relationships are not sent).
        """
        among = await self._links(handles, sorted(rel_types), others=set(handles))
        rels = [rel for node in handles for _, rel in among[node] if rel.start == node]
        rels.sort(key=lambda r: (r.start, r.end, REL_ORDER.get(r.type, 99)))
        return rels

    async def relationships_of_types(self, rel_types: frozenset[str]) -> list[Relationship]:
        """Every relationship of one of ``rel_types``, with properties, in contract order.

        One ``relationships.TYPE`` read per type (the whole-book subgraph of the analytics
        questions, fetched for networkx to run on here); sorted in Python.
        """
        found: list[Relationship] = []
        for rel_type in sorted(rel_types & set(REL_ORDER)):
            rows = await self._run(f"relationships.{rel_type}")
            found += [
                Relationship(rel_type, (start_label, start), (end_label, end),
                             self._decode(rel_type, props or {}))
                for start_label, start, end_label, end, props in rows
            ]  # fmt: skip
        found.sort(key=lambda r: (r.start, r.end, REL_ORDER[r.type]))
        return found

    async def as_of(self) -> str | None:
        """The latest ``Account.lastActivityAt`` held (``as_of`` statement); ``None`` if none."""
        rows = await self._run("as_of")
        return rows[0][0] if rows else None

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
