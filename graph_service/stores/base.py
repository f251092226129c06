"""The ``GraphStore`` protocol and the records it answers with.

Domain queries (:mod:`graph_service.linkage`) call only this protocol, never a driver. It
holds primitives: nodes by key, neighbours by relationship type and direction (batched per
frontier), the traversal primitives over each store's opaque node handles (the graph
searches are written once, in :mod:`graph_service.linkage.traversal`), the one write path,
refresh, counts and close. Each linkage question's rule is written once, in its module of
:mod:`graph_service.linkage`, against these primitives; a store may answer a whole question
itself instead (a pushdown, see :attr:`GraphStore.pushdowns`).

Ordering contract (all stores): lists of ids are sorted by id as text; neighbour lists are
sorted by the neighbour's ``(label, id)``; paths are compared hop by hop from the start, each
hop by the next node's key, then the relationship's type, then its start node's key (its
direction). Pagination cursors rely on it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeAlias, TypeVar, runtime_checkable

from graph_service.model import NodeKey, RelationshipType
from graph_service.records import GraphBatch, LoadReport

T = TypeVar("T")


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
class LeadFacts:
    """What the lead rules read of one person (:mod:`graph_service.linkage.prospecting`).

    Attributes
    ----------
    employed : bool
        Has an ``EMPLOYED_BY`` relationship (any role).
    payroll : bool
        Owns an active payroll product.
    private : bool
        In the private segment or owning an active private-banking product.
    executive : bool
        Employed in the executive role by some enterprise.
    shareholder : bool
        Has a ``SHAREHOLDER_OF`` relationship.
    shareholding : float
        Largest ``SHAREHOLDER_OF.ratio``, 0 to 1 (0 without shares).
    transfer_amount : float
        Sum of the ``totalAmount`` of the ``TRANSFERRED_TO`` relationships leaving or
        reaching the accounts the person owns, each relationship once.
    """

    employed: bool
    payroll: bool
    private: bool
    executive: bool
    shareholder: bool
    shareholding: float
    transfer_amount: float


@dataclass(frozen=True, slots=True)
class Reached(Generic[T]):
    """The people a store's own ``managerLeads`` search kept, hop by hop, read on demand.

    Attributes
    ----------
    counts : list of int
        People kept at each hop, from hop 0 (the clients) to the farthest searched.
    person : callable
        ``person(hop, i)``: the id of the ``i``-th person kept at ``hop`` (0 to
        ``counts[hop] - 1``) and what the question's ``keep`` answered of their
        :class:`LeadFacts`; a hop's people in the order of ``rank`` of those answers, then
        of their ids. Only the people of a page are read, not the hundreds of thousands
        a search reaches.
    people : callable
        ``people(hop)``: the ids and answers of every person kept at ``hop``, in that
        order, as two lists (what ``person`` reads one at a time, for reading them all).
    path : callable
        ``path(hop, i)``: the shortest path from a client to that person, by the
        relationships the search walked; its nodes as read when it is built.
    """

    counts: list[int]
    person: Callable[[int, int], tuple[str, T]]
    people: Callable[[int], tuple[list[str], list[T]]]
    path: Callable[[int, int], Path]


@dataclass(frozen=True, slots=True)
class PropertyTest:
    """One test of a list's filter: ``test(value)`` of each node's property ``name``.

    ``value`` is the stored value, else the label's declared default
    (:data:`~graph_service.model.NODE_DEFAULTS`), else ``None``; ``name`` ``"id"`` tests the
    node's id. ``test`` depends on the value alone, so a store may call it once per distinct
    value. ``candidates``, when given, holds every value that passes (a filter's ``eq`` or
    ``in``): a store may look those up rather than test each value. ``test_many(values)``,
    when given, answers ``test`` of each of many present values at once (an array-like of
    booleans), faster than a call per value.
    """

    name: str
    test: Callable[[Any], bool]
    candidates: frozenset[Any] | None = None
    test_many: Callable[[Sequence[Any]], Any] | None = None


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every part holds (none given: true)."""

    parts: tuple[Keep, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one part holds (none given: false)."""

    parts: tuple[Keep, ...]


@dataclass(frozen=True, slots=True)
class NotOf:
    """The part does not hold."""

    part: Keep


Keep: TypeAlias = PropertyTest | AllOf | AnyOf | NotOf
"""Which nodes a list keeps, as a tree of property tests (a list's ``where``)."""


@dataclass(frozen=True, slots=True)
class SortBy:
    """One entry of a list's order.

    Attributes
    ----------
    name : str
        The property (as :class:`PropertyTest` reads it), or a figure given in ``given``.
    descending : bool
    kind : type
        ``str``, ``int`` or ``float``: values are compared as ``kind(value)``.
    given : mapping, optional
        The values by node id (a figure the store does not hold, an enterprise's uncovered
        employees); ``None``: the property ``name``.

    Nodes without a value come last in either direction; ties go to the next entry, then
    to the id ascending.
    """

    name: str
    descending: bool
    kind: type
    given: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Listed:
    """The nodes of a store's own list, in order, read on demand.

    Attributes
    ----------
    size : int
    node : callable
        ``node(i)``: the ``i``-th node (0 to ``size - 1``).
    ids : callable
        ``ids()``: every node's id, in order (what ``node`` reads one at a time).
    find : callable
        ``find(ids)``: the positions of those of ``ids`` that are listed, ascending.
    """

    size: int
    node: Callable[[int], Node]
    ids: Callable[[], list[str]]
    find: Callable[[Collection[str]], list[int]]


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


REL_ORDER: Mapping[str, int] = {t.value: i for i, t in enumerate(RelationshipType)}
"""Each relationship type's position in declaration order
(:class:`~graph_service.model.RelationshipType`): the ordering contract's tie-break between
relationship types."""

Handle: TypeAlias = Any
"""A store's own reference to a node, opaque to its callers (:mod:`graph_service.linkage.
traversal`): hashable, equal for the same node, valid until the store changes. The embedded
store's node numbers, the Cypher store's ``(label, id)`` keys."""

Link = tuple[Handle, str, Handle, Handle]
"""``(other, type, start, end)``: a relationship of a node, with the node at its other end."""


@runtime_checkable
class GraphStore(Protocol):
    """What every graph store offers. All methods are coroutines.

    Errors: a store raises :class:`~graph_service.errors.StoreUnavailableError` when it
    cannot be reached, :class:`~graph_service.errors.InvalidInputError` for a batch that
    breaks the model; it never raises for unknown ids (it answers ``None`` or empty), the
    domain layer decides what is "not found".

    Pushdowns: a store may answer whole linkage questions itself (one Cypher statement, its
    own code or counters), where the benchmark shows it pays. It names them in
    :attr:`pushdowns` and implements, for each name, an optional coroutine method of that
    name: the question module's ``pushdown`` (:class:`~graph_service.linkage.question.
    Question`) calls it, with the signature that module declares, instead of the generic
    rule. A pushed-down answer equals the generic one (the differential tests prove it).
    """

    pushdowns: frozenset[str]
    """Names of the linkage questions this store answers itself (empty: none)."""

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
        or nothing, and other processes see it on their next :meth:`refresh`; the writes of
        commands arriving together share one transaction and one sync (group commit, each
        still checked and answered on its own: :meth:`Record.commit
        <graph_service.stores.embedded.record.Record.commit>`). A Cypher store writes a
        batch of up to ``write_batch_size`` rows in one transaction, a larger one (a load)
        in transactions of that many rows; it does not group writes: each command's write
        is its own transaction, committed by the database.

        Preconditions: a node not as ``batch.expected`` requires raises
        :class:`~graph_service.errors.ConflictError` and nothing is written (checked in the
        transaction on the embedded store, just before the write on a Cypher store).
        """
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

    async def search_names(
        self, labels: Sequence[str], words: Sequence[str], limit: int, refuse_at: int
    ) -> list[tuple[str, str, str]] | None:
        """Nodes of ``labels`` whose name has, for each of ``words``, a word starting with it.

        The candidates of ``search`` (:mod:`graph_service.linkage.search`), found with the
        store's own full-text index of the names' words (:mod:`graph_service.search_text`):
        every such node, possibly with others (the service checks each one's name), at most
        ``limit`` in all, in no particular order, each as ``(label, id, name)`` with its
        name's words space-separated (:func:`~graph_service.search_text.indexed`). Labels
        without names have no candidates. ``words`` holds at least one word, each of letters
        and digits only.

        ``None`` when at least ``refuse_at`` nodes of ``labels`` match: what ``search``
        refuses a text matching too many nodes by, told before any name is read (O(``refuse_at``)
        at most). A store that cannot tell without reading the names answers the candidates
        (``search`` then counts the matches).
        """
        ...

    # -- traversal primitives: what graph_service.linkage.traversal's searches call --------
    #
    # ``rel_types`` is a frozenset of relationship types; neighbours are through any of them
    # in either direction, each neighbour once however many relationships join it.

    async def handles(self, keys: Sequence[NodeKey]) -> list[Handle | None]:
        """The handle of each node, aligned with ``keys``; ``None`` where absent."""
        ...

    async def nodes(self, handles: Sequence[Handle]) -> list[Node]:
        """The nodes of ``handles``, aligned."""
        ...

    async def degrees(self, handles: Sequence[Handle]) -> list[int]:
        """An estimate of each node's neighbours, aligned: only the searches' costs use it."""
        ...

    async def neighbourhood(
        self, handles: Iterable[Handle], rel_types: frozenset[str]
    ) -> set[Handle]:
        """Every neighbour of any of ``handles`` (expands a search frontier)."""
        ...

    async def touching(
        self, handles: Iterable[Handle], others: AbstractSet[Handle], rel_types: frozenset[str]
    ) -> set[Handle]:
        """The members of ``others`` that neighbour any of ``handles``."""
        ...

    async def first_neighbours(
        self,
        handles: Sequence[Handle],
        rel_types: frozenset[str],
        exclude: AbstractSet[Handle],
        limit: int,
    ) -> Iterable[list[Handle]]:
        """Each node's neighbours not in ``exclude``, in ``(label, id)`` order, aligned.

        At least the first ``limit - len(exclude)`` of them (all when fewer). Entries may
        be computed as the answer is iterated, against ``exclude`` as it is then: the
        caller may add to ``exclude``, between entries, nodes of the entries it has read.
        """
        ...

    async def links(
        self, handle: Handle, others: AbstractSet[Handle], rel_types: frozenset[str]
    ) -> list[Link]:
        """The relationships joining a node to members of ``others``, in path-hop order.

        Ordered by the other node's ``(label, id)``, then the relationship type's
        declaration order, then the start node's ``(label, id)``; each relationship once.
        """
        ...

    async def relationships(
        self, rels: Sequence[tuple[str, Handle, Handle]]
    ) -> list[Relationship]:
        """The stored relationships ``(type, start, end)``, with their properties, aligned."""
        ...

    async def relationships_among(
        self, handles: Sequence[Handle], rel_types: frozenset[str]
    ) -> list[Relationship]:
        """Every relationship between two of ``handles``, with properties.

        Ordered by start node's ``(label, id)``, end node's, then the type's declaration
        order.
        """
        ...

    async def relationships_of_types(self, rel_types: frozenset[str]) -> list[Relationship]:
        """Every relationship of one of ``rel_types`` in the store, with its properties.

        The whole-book subgraph the analytics questions (:mod:`graph_service.linkage.
        analytics`) hand to networkx: O(relationships of those types), read once per
        question batch. Ordered as :meth:`relationships_among`: by start node's
        ``(label, id)``, end node's, then the type's declaration order.
        """
        ...

    async def as_of(self) -> str | None:
        """The store's as-of time: the latest ``Account.lastActivityAt`` it holds.

        ISO-8601 text as stored, the greatest as text (chronological for times written
        alike, as every loader writes them); ``None`` when no account has one. What
        "inactive for N days" is measured against (issue 14).
        """
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
