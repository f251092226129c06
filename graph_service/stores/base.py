"""The ``GraphStore`` protocol and the records it answers with.

Domain queries (:mod:`graph_service.linkage`) call only this protocol, never a driver. Each
linkage question is one method, so that a Cypher store can answer it in one round trip; every
implementation applies the same :class:`~graph_service.rules.LinkageRules`.

Ordering contract (all stores): lists of ids are sorted by id as text; neighbour lists are
sorted by the neighbour's ``(label, id)``; paths are compared hop by hop from the start, each
hop by the next node's key, then the relationship's type, then its start node's key (its
direction). Pagination cursors rely on it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeVar, runtime_checkable

from graph_service.model import NodeKey
from graph_service.records import GraphBatch, LoadReport
from graph_service.rules import LinkageRules


@dataclass(frozen=True, slots=True)
class Node:
    """A node as read from a store.

    Attributes
    ----------
    label, id : str
        Identity.
    props : mapping
        Stored properties (see :data:`graph_service.model.NODE_SPECS`), read-only by contract.
    """

    label: str
    id: str
    props: Mapping[str, Any]

    @property
    def key(self) -> NodeKey:
        """``(label, id)``."""
        return (self.label, self.id)


@dataclass(frozen=True, slots=True)
class Relationship:
    """A relationship as read from a store, in its stored direction ``start -> end``."""

    type: str
    start: NodeKey
    end: NodeKey
    props: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Path:
    """A path of ``length`` hops: ``len(nodes) == length + 1 == len(relationships) + 1``.

    ``relationships[i]`` joins ``nodes[i]`` and ``nodes[i + 1]`` in either direction.
    """

    nodes: tuple[Node, ...]
    relationships: tuple[Relationship, ...]

    @property
    def length(self) -> int:
        """Number of hops."""
        return len(self.relationships)


@dataclass(slots=True)
class Subgraph:
    """A bounded neighbourhood: nodes in breadth-first order, relationships among them.

    Attributes
    ----------
    nodes : list of Node
        The start node first, then by hop distance, ties by ``(label, id)``.
    relationships : list of Relationship
        Every relationship of an allowed type whose endpoints are both in ``nodes``.
    truncated : bool
        ``True`` when the node budget cut the neighbourhood short.
    """

    nodes: list[Node] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class Coverage:
    """Payroll coverage of one enterprise.

    Attributes
    ----------
    enterprise_id : str
    employees : int
        Distinct people with an ``EMPLOYED_BY`` relationship to the enterprise (any role).
    covered : int
        Those of them who own an active payroll product.
    """

    enterprise_id: str
    employees: int
    covered: int

    @property
    def uncovered(self) -> int:
        """``employees - covered``."""
        return self.employees - self.covered

    @property
    def rate(self) -> float | None:
        """Coverage rate ``covered / employees`` in [0, 1]; ``None`` with no employees."""
        return self.covered / self.employees if self.employees else None


class Direction(StrEnum):
    """Which relationships of a node to follow."""

    OUTGOING = "OUTGOING"
    INCOMING = "INCOMING"


K = TypeVar("K", bound=Hashable)


def admit_level(
    frontier: Iterable[K],
    candidates: Callable[[K], Iterable[K]],
    seen: dict[K, int],
    order: list[K],
    hop: int,
    max_nodes: int,
) -> tuple[list[K], bool]:
    """Admit one breadth-first level of a ``client_network`` walk, within the node budget.

    The walk every store shares (so that a truncated answer is the same everywhere): for
    each frontier node in order, its not yet seen neighbours in ``(label, id)`` order are
    admitted (recorded in ``seen`` at distance ``hop`` and appended to ``order``) until
    ``order`` holds ``max_nodes`` nodes.

    Parameters
    ----------
    frontier : iterable of node
        The nodes admitted at ``hop - 1``, in admission order.
    candidates : callable
        ``candidates(node)``: the node's neighbours not in ``seen``, in ``(label, id)``
        order. Called for each frontier node after the previous ones' admissions.
    seen, order : dict and list
        Updated in place.

    Returns
    -------
    (list of node, bool)
        The nodes admitted at ``hop``, and whether the budget cut the level short.
    """
    admitted: list[K] = []
    for node in frontier:
        for other in candidates(node):
            if len(order) >= max_nodes:
                return admitted, True
            seen[other] = hop
            order.append(other)
            admitted.append(other)
    return admitted, False


@runtime_checkable
class GraphStore(Protocol):
    """What every graph store offers. All methods are coroutines.

    Errors: a store raises :class:`~graph_service.errors.StoreUnavailableError` when it
    cannot be reached, :class:`~graph_service.errors.InvalidInputError` for a batch that
    breaks the model; it never raises for unknown ids (it answers ``None`` or empty), the
    domain layer decides what is "not found".
    """

    async def write(self, batch: GraphBatch) -> LoadReport:
        """Apply a batch: its deletions, then its upserts; the one write path.

        Loads and domain commands (mutations) both write through it. Deleting a node
        deletes its relationships; deleting what is absent is no error. Upserted rows
        follow the rule and report of :class:`~graph_service.records.UpsertCheck`: rows
        pointing at missing nodes are rejected. The batch's rows may be lazy iterators (read
        once, nodes first) that raise ``InvalidInputError`` part way: the store then leaves
        its data as it was, either undoing the write (the embedded store writes all or
        nothing) or reading every row before writing one.

        Durability: the embedded store commits a write to SQLite before it is visible, all
        or nothing, and other processes see it on their next :meth:`refresh`. A Cypher store
        writes a batch of up to ``write_batch_size`` rows in one transaction, a larger one
        (a load) in transactions of that many rows.
        """
        ...

    async def upsert(self, batch: GraphBatch) -> LoadReport:
        """The loaders' name of :meth:`write` (the same method on every store)."""
        ...

    async def get_nodes(self, label: str, ids: Sequence[str]) -> list[Node | None]:
        """Nodes by id, aligned with ``ids`` (``None`` where absent)."""
        ...

    async def list_ids(self, label: str) -> list[str]:
        """Every id of ``label``, sorted as text."""
        ...

    async def neighbors(
        self, label: str, ids: Sequence[str], rel_type: str, direction: Direction
    ) -> list[list[tuple[Relationship, Node]]]:
        """List each node's ``rel_type`` relationships in ``direction``, with the other end.

        Aligned with ``ids``; each list sorted by the other node's ``(label, id)``.
        """
        ...

    async def uncovered_employees(
        self, enterprise_id: str, product_types: Sequence[str], rules: LinkageRules
    ) -> list[str]:
        """Sorted ids of the enterprise's employees owning no active ``product_types``."""
        ...

    async def executives_without_private_banking(
        self, enterprise_id: str | None, rules: LinkageRules
    ) -> list[str]:
        """Sorted distinct ids of executives (of one or all enterprises) not in private banking."""
        ...

    async def payroll_coverage(
        self, enterprise_ids: Sequence[str], rules: LinkageRules
    ) -> list[Coverage]:
        """Coverage of each enterprise, aligned with ``enterprise_ids``."""
        ...

    async def client_network(
        self, start: NodeKey, depth: int, rel_types: Sequence[str], max_nodes: int
    ) -> Subgraph:
        """The ego graph of ``start`` up to ``depth`` hops (ignoring direction)."""
        ...

    async def shortest_paths(
        self,
        start: NodeKey,
        end: NodeKey,
        rel_types: Sequence[str],
        max_hops: int,
        limit: int,
    ) -> list[Path]:
        """Up to ``limit`` shortest paths of at most ``max_hops``, ignoring direction."""
        ...

    async def refresh(self) -> bool:
        """Pick up writes committed by other processes; answer whether anything changed.

        Called before each request is served; a store that always reads the live database
        answers ``False`` at no cost.
        """
        ...

    async def counts(self) -> dict[str, int]:
        """Node count per label and relationship count per type."""
        ...

    async def close(self) -> None:
        """Release connections and files."""
        ...
