"""GraphQL types: node types, their paginated relationships, the linkage answers.

Resolvers stay one line deep: nested fields read the graph through the request's
DataLoaders (:mod:`graph_service.api.context`) and page it with
:mod:`graph_service.api.pagination`; no linkage rule lives here. Connections are generic
(:class:`Connection` over an :class:`Edge` type), specialised once per name.

Dates are GraphQL ``DateTime`` values (ISO-8601 text on the wire), as stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from graph_service.access import MaskedNode
from graph_service.api.context import Context, when_loaded
from graph_service.api.pagination import CursorOrder, PageArgs, Window, encode_cursor
from graph_service.api.questions import node_fields
from graph_service.api.trail import note_read
from graph_service.linkage.conversion import ConversionGroupBy
from graph_service.linkage.question import Order, Ranked
from graph_service.model import (
    NODE_DEFAULTS,
    ContactKind,
    NodeKey,
    NodeLabel,
    ReferralStatus,
    RelationshipType,
    camel_case,
)
from graph_service.stores.base import (
    Coverage,
    Direction,
    Node,
    Path,
    Relationship,
    Subgraph,
)

strawberry.enum(NodeLabel, description="Node labels of the linkage graph.")
strawberry.enum(RelationshipType, description="Relationship types of the linkage graph.")
strawberry.enum(ReferralStatus, description="A referral's status: OPEN -> CONTACTED -> "
                "CONVERTED or DECLINED.")
strawberry.enum(ContactKind, description="How a party was contacted.")
strawberry.enum(ConversionGroupBy, description="What referralConversion groups by.")

GraphInfo = Info[Context, None]
"""The ``info`` argument of every resolver."""

MASKED_DESCRIPTION = (
    "True when the caller may not see this node's personal data (outside a manager's "
    "portfolio; persons, accounts, referrals and contacts for analysts and applications): "
    "its personal fields are null. Never true for a Manager, nor for a referral or contact "
    "the caller recorded."
)

First = Annotated[
    int | None,
    strawberry.argument(
        description="Page size: default `GRAPH_SERVICE_DEFAULT_PAGE_SIZE` (100), "
        "0 to `GRAPH_SERVICE_MAX_PAGE_SIZE` (1000)."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(description="Return the edges after this cursor (`endCursor`)."),
]

N = TypeVar("N")
E = TypeVar("E")
T = TypeVar("T")

_ENTERPRISE, _PERSON, _ACCOUNT, _MANAGER, _REFERRAL, _CONTACT = (
    label.value for label in (NodeLabel.ENTERPRISE, NodeLabel.PERSON, NodeLabel.ACCOUNT,
                              NodeLabel.MANAGER, NodeLabel.REFERRAL, NodeLabel.CONTACT)
)
_IN, _OUT = Direction.INCOMING, Direction.OUTGOING
_EMPLOYED_BY, _SHAREHOLDER_OF, _OWNS, _MANAGES, _GUARANTEES, _TRANSFERRED_TO = (
    RelationshipType.EMPLOYED_BY, RelationshipType.SHAREHOLDER_OF, RelationshipType.OWNS,
    RelationshipType.MANAGES, RelationshipType.GUARANTEES, RelationshipType.TRANSFERRED_TO,
)
_REFERS, _REFERRED_TO, _CONTACTED, _LOGGED_BY = (
    RelationshipType.REFERS, RelationshipType.REFERRED_TO, RelationshipType.CONTACTED,
    RelationshipType.LOGGED_BY,
)


@functools.cache
def _prop_fields(cls: type) -> tuple[tuple[str, str, bool, Any], ...]:
    """``(field, stored property, is a datetime, default)`` per field of a type.

    A field named ``at`` or ``*_at`` holds a datetime.

    Init fields of a strawberry type. The default is the node label's declared one
    (:data:`NODE_DEFAULTS`, e.g. ``blocked`` is false), else ``None``. Computed once per
    class: building a page of 100 edges reads it 200 times.
    """
    defaults = NODE_DEFAULTS.get(getattr(cls, "LABEL", ""), {})
    return tuple(
        (f.name, key, f.name == "at" or f.name.endswith("_at"), defaults.get(key))
        for f in dataclasses.fields(cast(Any, cls))
        if f.init
        for key in (camel_case(f.name),)
    )


def _prop_value(props: Mapping[str, Any], key: str, is_date: bool, default: Any) -> Any:
    """The stored property ``key`` as a field value (``default`` if absent; ``*_at`` parsed)."""
    raw = props.get(key, default)
    if is_date and raw is not None:
        raw = dt.datetime.fromisoformat(str(raw))
    return raw


def _from_props(cls: type[T], props: Mapping[str, Any], **given: Any) -> T:
    """Instantiate a strawberry type: ``given`` fields, the rest read from ``props``.

    A field ``snake_case`` reads the stored property ``snakeCase``; the texts of ``at`` and
    ``*_at`` fields become datetimes.
    """
    for name, key, is_date, default in _prop_fields(cast(type, cls)):
        if name not in given:
            given[name] = _prop_value(props, key, is_date, default)
    return cls(**given)


@functools.cache
def _lazy_fields(cls: type) -> dict[str, tuple[str, bool, Any]]:
    """``field: (stored property, is a *_at datetime, default)`` of a node type, but ``id``."""
    return {name: (key, is_date, default)
            for name, key, is_date, default in _prop_fields(cls) if name != "id"}


class _GraphNode:
    """Mixin of the node types: their label and how to build them from a store node.

    A node type built by :meth:`from_node` holds its ``id``, ``masked`` and a reference to
    the store node's properties; each other field is read from them the first time it is
    asked for (``__getattr__``), so a page of 100 people answering ``node { id }`` reads no
    property. A masked node (:class:`~graph_service.access.MaskedNode`, outside the caller's
    scope) has no personal property, so its personal fields answer ``null``.
    """

    LABEL: ClassVar[str]
    id: strawberry.ID

    @property
    def key(self) -> NodeKey:
        """``(label, id)`` of the node."""
        return (self.LABEL, str(self.id))

    @classmethod
    def from_node(cls, node: Node) -> Self:
        """Build the GraphQL object of a store node of this label (fields read on demand)."""
        obj = cls.__new__(cls)
        fields = obj.__dict__  # set item by item: cheaper than update() with keywords
        fields["id"] = node.id  # a str is an ID
        fields["masked"] = isinstance(node, MaskedNode)
        fields["_props"] = node.props
        return obj

    def __getattr__(self, name: str) -> Any:
        """A field not read yet: read it from the stored properties, then keep it.

        Raises
        ------
        AttributeError
            If ``name`` is not a field of the type, or the object was not built by
            :meth:`from_node`.
        """
        spec = _lazy_fields(cast(type, type(self))).get(name)
        props = self.__dict__.get("_props")
        if spec is None or props is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        if not self.__dict__["masked"]:
            note_read(self.__dict__["id"])  # the audit trail's node_ids, whatever the alias
        value = self.__dict__[name] = _prop_value(props, *spec)
        return value


def related(
    connection: str,
    rel_type: RelationshipType,
    direction: Direction,
    description: str,
    role: Callable[[Context], str] | None = None,
) -> Any:
    """Declare a paginated relationship field of a node type.

    Parameters
    ----------
    connection : str
        Name of the connection type answered (defined further down this module).
    rel_type : RelationshipType
    direction : Direction
        Relationships leaving the node (``OUTGOING``) or reaching it (``INCOMING``).
    description : str
        The field's description in the schema.
    role : callable, optional
        Keeps only the relationships whose ``role`` property is ``role(context)``.

    Returns
    -------
    StrawberryField
        A field with arguments ``first`` and ``after``, resolved by
        :meth:`Connection.related` through the neighbour DataLoader.
    """

    async def resolve(root: _GraphNode, info: GraphInfo, first: First = None,
                      after: After = None) -> Any:
        keep = None
        if role is not None:
            wanted = role(info.context)
            keep = lambda rel: rel.props.get("role") == wanted  # noqa: E731
        cls: type[Connection[Any]] = globals()[connection]
        return await cls.related(info, root.key, rel_type, direction, first, after, keep)

    resolve.__annotations__["return"] = connection
    return strawberry.field(resolver=resolve, description=description)


@strawberry.type(description="A corporate client or prospect.")
@node_fields
class Enterprise(_GraphNode):
    """GraphQL ``Enterprise``: a node labelled ``Enterprise`` and its relationships.

    Also the fields of the linkage questions about an enterprise (:func:`node_fields`).
    """

    LABEL: ClassVar[str] = _ENTERPRISE
    id: strawberry.ID
    masked: bool = strawberry.field(description=MASKED_DESCRIPTION)
    name: str | None = strawberry.field(description="The name; null when masked.")
    industry: str | None
    region: str | None
    blocked: bool
    created_at: dt.datetime | None
    employees = related("EmployeeConnection", _EMPLOYED_BY, _IN,
                        "People employed by the enterprise (any role), by id.")
    executives = related("EmployeeConnection", _EMPLOYED_BY, _IN,
                         "Employees whose EMPLOYED_BY role is executive, by id.",
                         role=lambda context: context.rules.executive_role)
    shareholders = related("ShareholderConnection", _SHAREHOLDER_OF, _IN,
                           "People and enterprises holding shares of this enterprise.")
    investments = related("ShareholdingConnection", _SHAREHOLDER_OF, _OUT,
                          "Enterprises this enterprise holds shares of.")
    accounts = related("AccountConnection", _OWNS, _OUT, "Accounts the enterprise owns.")
    managers = related("ManagerConnection", _MANAGES, _IN,
                       "Account managers who manage the enterprise.")
    guarantees = related("EnterpriseConnection", _GUARANTEES, _OUT,
                         "Enterprises this enterprise guarantees.")
    guarantors = related("EnterpriseConnection", _GUARANTEES, _IN,
                         "Enterprises that guarantee this enterprise.")
    referrals = related("ReferralConnection", _REFERS, _IN,
                        "Referrals of the enterprise to account managers, by id.")
    contacts = related("ContactConnection", _CONTACTED, _IN,
                       "Contacts logged with the enterprise, by id.")


@strawberry.type(description="A retail client or prospect.")
@node_fields
class Person(_GraphNode):
    """GraphQL ``Person``: a node labelled ``Person`` and its relationships.

    Also the fields of the linkage questions about a person (:func:`node_fields`).
    """

    LABEL: ClassVar[str] = _PERSON
    id: strawberry.ID
    masked: bool = strawberry.field(description=MASKED_DESCRIPTION)
    name: str | None = strawberry.field(description="The name; null when masked.")
    segment: str | None = strawberry.field(
        description="mass, affluent or private; null when masked."
    )
    blocked: bool
    created_at: dt.datetime | None
    employers = related("EmployerConnection", _EMPLOYED_BY, _OUT,
                        "Enterprises employing the person, with role and title.")
    accounts = related("AccountConnection", _OWNS, _OUT, "Accounts the person owns.")
    managers = related("ManagerConnection", _MANAGES, _IN,
                       "Account managers who manage the person.")
    shareholdings = related("ShareholdingConnection", _SHAREHOLDER_OF, _OUT,
                            "Enterprises the person holds shares of.")
    guarantees = related("PersonConnection", _GUARANTEES, _OUT, "People this person guarantees.")
    guarantors = related("PersonConnection", _GUARANTEES, _IN, "People who guarantee this person.")
    referrals = related("ReferralConnection", _REFERS, _IN,
                        "Referrals of the person to account managers, by id.")
    contacts = related("ContactConnection", _CONTACTED, _IN,
                       "Contacts logged with the person, by id.")


@strawberry.type(description="A bank account (any product).")
@node_fields
class Account(_GraphNode):
    """GraphQL ``Account``: a node labelled ``Account`` and its relationships."""

    LABEL: ClassVar[str] = _ACCOUNT
    id: strawberry.ID
    masked: bool = strawberry.field(description=MASKED_DESCRIPTION)
    type: str | None = strawberry.field(
        description="Product type, e.g. `debit card`; null when masked (it tells the "
        "products its owners hold)."
    )
    status: str | None = strawberry.field(
        description="active, blocked or dormant; null when masked."
    )
    opened_at: dt.datetime | None = strawberry.field(description="Null when masked.")
    balance: float | None = strawberry.field(description="The balance; null when masked.")
    last_activity_at: dt.datetime | None = strawberry.field(
        description="Latest transfer or withdrawal in or out, loan repayment from it, loan "
        "deposit to it or e-banking sign-in to it; its opening time without any (null when "
        "the input gave neither, or when masked)."
    )
    owners = related("PartyConnection", _OWNS, _IN, "People and enterprises owning the account.")
    transfers_out = related("TransferConnection", _TRANSFERRED_TO, _OUT,
                            "Transfers from this account, one edge per receiving account.")
    transfers_in = related("TransferConnection", _TRANSFERRED_TO, _IN,
                           "Transfers into this account, one edge per sending account.")


@strawberry.type(description="A bank account manager.")
@node_fields
class Manager(_GraphNode):
    """GraphQL ``Manager``: a node labelled ``Manager`` and its relationships."""

    LABEL: ClassVar[str] = _MANAGER
    id: strawberry.ID
    masked: bool = strawberry.field(description=MASKED_DESCRIPTION)
    name: str | None = strawberry.field(
        description="Never null (managers are bank staff, never masked); nullable as the "
        "`name` of every node type is, so that one selection of `name` spans a union."
    )
    kind: str = strawberry.field(description="corporate, retail or private_banking.")
    branch: str | None
    clients = related("PartyConnection", _MANAGES, _OUT,
                      "Enterprises and people the manager manages.")
    referrals_received = related("ReferralConnection", _REFERRED_TO, _IN,
                                 "Referrals made to the manager, by id.")
    contacts = related("ContactConnection", _LOGGED_BY, _IN,
                       "Contacts the manager logged, by id.")


def _end(rel_type: RelationshipType) -> Any:
    """A field answering the node at the end of the node's one outgoing ``rel_type``."""

    def resolve(root: _GraphNode, info: GraphInfo) -> Any:
        loader = info.context.neighbors(root.LABEL, rel_type.value, _OUT)
        return when_loaded(loader.load(str(root.id)),
                           lambda found: as_type(found[0][1]) if found else None)

    return resolve


@strawberry.type(description="A party referred to an account manager (createReferral).")
class Referral(_GraphNode):
    """GraphQL ``Referral``: a node labelled ``Referral``, its party and its manager."""

    LABEL: ClassVar[str] = _REFERRAL
    id: strawberry.ID
    masked: bool = strawberry.field(description=MASKED_DESCRIPTION)
    status: ReferralStatus
    version: int = strawberry.field(
        description="1 when created, +1 at each status change: updateReferral's "
        "expectedVersion."
    )
    product: str | None = strawberry.field(
        description="The product the party is referred for; null when masked."
    )
    note: str | None = strawberry.field(description="Free text; null when masked.")
    referred_by: str | None = strawberry.field(description="Subject of who referred.")
    created_at: dt.datetime | None
    updated_at: dt.datetime | None

    @strawberry.field(description="The person or enterprise referred.")
    def party(self, info: GraphInfo) -> Party | None:
        """Through the neighbour DataLoader (``REFERS``)."""
        return cast(Any, _end(_REFERS)(self, info))

    @strawberry.field(description="The account manager referred to.")
    def to_manager(self, info: GraphInfo) -> Manager | None:
        """Through the neighbour DataLoader (``REFERRED_TO``)."""
        return cast(Any, _end(_REFERRED_TO)(self, info))


@strawberry.type(description="A visit, call, meeting or message with a party (logContact).")
class Contact(_GraphNode):
    """GraphQL ``Contact``: a node labelled ``Contact``, its party and its manager."""

    LABEL: ClassVar[str] = _CONTACT
    id: strawberry.ID
    masked: bool = strawberry.field(description=MASKED_DESCRIPTION)
    kind: ContactKind
    at: dt.datetime = strawberry.field(description="When the contact took place.")
    outcome: str | None = strawberry.field(description="Free text; null when masked.")
    note: str | None = strawberry.field(description="Free text; null when masked.")
    logged_by: str | None = strawberry.field(description="Subject of who logged it.")
    created_at: dt.datetime | None

    @strawberry.field(description="The person or enterprise contacted.")
    def party(self, info: GraphInfo) -> Party | None:
        """Through the neighbour DataLoader (``CONTACTED``)."""
        return cast(Any, _end(_CONTACTED)(self, info))

    @strawberry.field(description="The manager who logged it; null when logged by an admin.")
    def manager(self, info: GraphInfo) -> Manager | None:
        """Through the neighbour DataLoader (``LOGGED_BY``)."""
        return cast(Any, _end(_LOGGED_BY)(self, info))


Party = Annotated[
    Enterprise | Person,
    strawberry.union("Party", description="A client: an enterprise or a person."),
]

_NODE_TYPES: dict[str, type[_GraphNode]] = {
    cls.LABEL: cls for cls in (Enterprise, Person, Account, Manager, Referral, Contact)
}
for _cls in _NODE_TYPES.values():  # a class attribute would hide a field from __getattr__
    if _shadowed := [name for name in _lazy_fields(cast(type, _cls)) if hasattr(_cls, name)]:
        raise TypeError(f"{_cls.__name__} fields {_shadowed} have a default: they cannot be "
                        "read on demand by _GraphNode.__getattr__")


def as_type(node: Node) -> Any:
    """The GraphQL object (Enterprise, Person, Account, Manager...) of a store node."""
    return _NODE_TYPES[node.label].from_node(node)


# -- connections ---------------------------------------------------------------------------

_ID_FIELDS = frozenset({"id", "__typename"})
_NO_PROPERTIES: Mapping[str, Any] = MappingProxyType({})


def _selected_below(selections: Iterable[Selection], path: tuple[str, ...]) -> Iterator[str]:
    """Names of the fields selected at ``path`` below ``selections``, fragments entered.

    A ``*`` in ``path`` matches any field name.
    """
    for selection in selections:
        if not isinstance(selection, SelectedField):  # a fragment spread or inline fragment
            yield from _selected_below(selection.selections, path)
        elif not path:
            yield selection.name
        elif path[0] in ("*", selection.name):
            yield from _selected_below(selection.selections, path[1:])


def _asks_ids_only(info: GraphInfo) -> bool:
    """Whether a connection field asks nothing of its nodes but ``id`` (and ``__typename``).

    Read from strawberry's ``Info.selected_fields``; ``@skip``/``@include`` are not
    evaluated, so a field they would leave out still counts as asked.
    """
    # info.selected_fields: the connection field itself (once per merged occurrence)
    below = _selected_below(info.selected_fields, ("*", "edges", "node"))
    return all(name in _ID_FIELDS for name in below)


async def _page_nodes(info: GraphInfo, label: str, ids: Sequence[str], ids_only: bool
                      ) -> list[Node | None]:  # fmt: skip
    """The nodes of a page, aligned with ``ids``, read as the caller may see them.

    When the page asks ``ids_only`` (:func:`_asks_ids_only`), none is read: each is a node
    of its id alone, the ids noted for the audit
    (:meth:`~graph_service.access.Scope.note_listed`).
    """
    if ids_only:
        (await info.context.scope()).note_listed(label, ids)
        return [Node(label, node_id, _NO_PROPERTIES) for node_id in ids]
    return await info.context.read_nodes(label, ids)


@strawberry.type(description="Relay page information.")
class PageInfo:
    """Where a page sits in the whole list."""

    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[N]):
    """A node of a connection and its cursor; subclasses add relationship properties."""

    cursor: str
    node: N

    @classmethod
    def from_neighbour(cls, cursor: str, rel: Relationship | None, node: Node) -> Self:
        """Build an edge; the fields beyond ``cursor`` and ``node`` come from ``rel``."""
        props = {} if rel is None else rel.props
        return _from_props(cls, props, cursor=cursor, node=as_type(node))

    @classmethod
    def of_key(cls, key: Any, node: Node, encode: Callable[[Any], str] = encode_cursor
               ) -> Self:
        """Build an edge of only ``cursor`` and ``node``, its cursor ``encode(key)``.

        The cursor is encoded when first read (:class:`_KeyCursor`): a page asking for
        ``edges { node { id } }`` encodes none. By default ``key`` is the node's key and
        the cursor its node cursor.
        """
        keyed = _key_cursor_class(cast(type, cls))
        edge = cast(Self, keyed.__new__(keyed))
        fields = edge.__dict__
        fields["node"] = as_type(node)
        fields["_key"] = key
        fields["_encode"] = encode
        return edge


class _KeyCursor:
    """Mixin of the edges :meth:`Edge.of_key` builds: ``cursor`` is ``_encode(_key)``, once read.

    A cached property rather than ``__getattr__``: graphql-core asks every value it
    completes for ``__await__``, which a Python ``__getattr__`` would answer by raising.
    """

    _key: Any
    _encode: Callable[[Any], str]

    @functools.cached_property
    def cursor(self) -> str:
        """The cursor of ``_key``, e.g. its node cursor (:func:`~.pagination.encode_cursor`)."""
        return self._encode(self._key)


@functools.cache
def _key_cursor_class(edge_type: type[Edge[Any]]) -> type[Edge[Any]]:
    """``edge_type`` with :class:`_KeyCursor`'s ``cursor`` (the same GraphQL type)."""
    return type(edge_type.__name__, (_KeyCursor, edge_type), {})


@strawberry.type
class EmploymentEdge(Edge[N]):
    """An edge carrying the ``EMPLOYED_BY`` properties."""

    role: str = strawberry.field(description="employee or executive.")
    title: str | None
    source: str | None = strawberry.field(description="Where the link comes from, e.g. payroll.")


@strawberry.type
class ShareholdingEdge(Edge[N]):
    """An edge carrying the ``SHAREHOLDER_OF`` ratio."""

    ratio: float = strawberry.field(description="Share held, 0 to 1.")


@strawberry.type
class TransferEdge(Edge[Account]):
    """An edge carrying the ``TRANSFERRED_TO`` aggregates."""

    count: int | None = strawberry.field(
        description="Number of transfers; null when either account is masked for the caller."
    )
    total_amount: float | None = strawberry.field(
        description="Sum of the transfers' amounts; null when either account is masked for "
        "the caller."
    )


@strawberry.type
class Connection(Generic[E]):
    """A Relay connection: one page of a sorted list (see :mod:`.pagination`)."""

    edge_type: ClassVar[type[Edge[Any]]] = Edge
    labels: ClassVar[frozenset[str]] = frozenset()
    """Labels of the nodes listed; an ``after`` cursor of another label is refused."""
    total_count: int = strawberry.field(description="Length of the whole list.")
    edges: list[E]
    page_info: PageInfo

    @classmethod
    def build(cls, window: Window[T], nodes: Sequence[Node],
              rels: Sequence[Relationship | None], keys: Sequence[Any] | None = None,
              encode: Callable[[Any], str] = encode_cursor) -> Self:
        """Assemble the connection of a window (nodes and relationships aligned with it).

        The edges' cursors are ``encode`` of ``keys`` (by default the window's keys, whose
        node cursors they are), encoded when read (:meth:`Edge.of_key`) if the edges have
        no relationship fields.
        """
        edge_type = cls.edge_type
        keys = window.keys if keys is None else keys
        edges: list[Any]
        if len(_prop_fields(cast(type, edge_type))) == 2:
            # only cursor and node: no relationship read, no cursor yet
            edges = [edge_type.of_key(k, n, encode)
                     for k, _, n in zip(keys, rels, nodes, strict=True)]
            start, end = (encode(keys[0]), encode(keys[-1])) if keys else (None, None)
        else:
            cursors = [encode(key) for key in keys]
            edges = [edge_type.from_neighbour(c, r, n)
                     for c, r, n in zip(cursors, rels, nodes, strict=True)]
            start, end = (cursors[0], cursors[-1]) if cursors else (None, None)
        info = PageInfo(
            has_next_page=window.has_next,
            has_previous_page=window.has_previous,
            start_cursor=start,
            end_cursor=end,
        )
        return cls(total_count=window.total, edges=cast(list[E], edges), page_info=info)

    @classmethod
    async def related(
        cls,
        info: GraphInfo,
        key: NodeKey,
        rel_type: RelationshipType,
        direction: Direction,
        first: int | None,
        after: str | None,
        keep: Callable[[Relationship], bool] | None = None,
    ) -> Self:
        """One page of a node's relationships, read through the neighbour DataLoader.

        Parameters
        ----------
        info : Info
        key : (str, str)
            The node whose relationships are listed.
        rel_type : RelationshipType
        direction : Direction
        first, after
            Connection arguments (see :class:`~graph_service.api.pagination.PageArgs`).
        keep : callable, optional
            Keeps only the relationships it answers ``True`` for.
        """
        page = PageArgs.parse(first, after, info.context.settings, cls.labels)
        label, node_id = key
        loader = info.context.neighbors(label, rel_type.value, direction)
        found = await loader.load(node_id)
        if keep is not None:
            found = [(rel, node) for rel, node in found if keep(rel)]
        window = page.window(found, key=lambda pair: pair[1].key)
        return cls.build(window, [n for _, n in window.items], [r for r, _ in window.items])

    @classmethod
    async def of_ids(cls, info: GraphInfo, label: str, ids: Sequence[str], page: PageArgs
                     ) -> Self:
        """One page of a sorted id list (a domain query's answer), nodes read in one store call.

        The page is read with one :meth:`~graph_service.api.context.Context.read_nodes` call
        (masked outside the caller's scope) rather than through the node DataLoader: the
        ids are already one batch, and a loader future per node would cost more than the
        read (a page of 100 people).

        Parameters
        ----------
        info : Info
        label : str
            Label of the listed nodes.
        ids : sequence of str
            Sorted as text (the stores' contract).
        page : PageArgs
            Validated connection arguments (parsed with ``labels`` of this class).
        """
        window = page.window(ids, key=lambda node_id: (label, node_id))
        loaded = await _page_nodes(info, label, window.items, _asks_ids_only(info))
        nodes = [node for node in loaded if node is not None]
        return cls.build(window, nodes, [None] * len(nodes))


    @classmethod
    async def of_ranked(cls, info: GraphInfo, ranked: Ranked[NodeKey], order: Order,
                        cursors: CursorOrder, page: PageArgs) -> Self:
        """One page of a ranked answer, with versioned cursors of its order.

        Parameters
        ----------
        info : Info
        ranked : Ranked
            The question's answer: node keys and their sort keys, in ``order``.
        order : Order
            Compares sort keys (descending parts included).
        cursors : CursorOrder
            Encodes the edges' cursors; ``page.after`` was decoded with it.
        page : PageArgs
            Validated connection arguments.

        Notes
        -----
        The page starts after the first position whose sort key follows the cursor's, by
        bisection; its nodes are read as the caller may see them, one
        :meth:`~graph_service.api.context.Context.read_nodes` call per label, or not read
        when nothing of them but their ids is asked (as :meth:`of_ids`).
        """
        window = page.positions(ranked.sort_keys, order.comparable)
        keys = [ranked.items[i] for i in window.items]
        by_label: dict[str, list[str]] = {}
        for label, node_id in keys:
            by_label.setdefault(label, []).append(node_id)
        found: dict[NodeKey, Node] = {}
        ids_only = _asks_ids_only(info)
        for label, ids in by_label.items():
            for node in await _page_nodes(info, label, ids, ids_only):
                if node is not None:
                    found[node.key] = node
        shown = [i for i, key in zip(window.items, keys, strict=True) if key in found]
        return cls.build(
            window,
            [found[ranked.items[i]] for i in shown],
            [None] * len(shown),
            [ranked.sort_keys[i] for i in shown],
            cursors.encode,
        )


@strawberry.type(description="A page of people.")
class PersonConnection(Connection[Edge[Person]]):
    """Connection of ``Person`` nodes."""

    labels = frozenset({_PERSON})


@strawberry.type(description="A page of enterprises.")
class EnterpriseConnection(Connection[Edge[Enterprise]]):
    """Connection of ``Enterprise`` nodes."""

    labels = frozenset({_ENTERPRISE})


@strawberry.type(description="A page of accounts.")
class AccountConnection(Connection[Edge[Account]]):
    """Connection of ``Account`` nodes."""

    labels = frozenset({_ACCOUNT})


@strawberry.type(description="A page of account managers.")
class ManagerConnection(Connection[Edge[Manager]]):
    """Connection of ``Manager`` nodes."""

    labels = frozenset({_MANAGER})


@strawberry.type(description="A page of referrals.")
class ReferralConnection(Connection[Edge[Referral]]):
    """Connection of ``Referral`` nodes."""

    labels = frozenset({_REFERRAL})


@strawberry.type(description="A page of contacts.")
class ContactConnection(Connection[Edge[Contact]]):
    """Connection of ``Contact`` nodes."""

    labels = frozenset({_CONTACT})


@strawberry.type(description="A page of clients (enterprises and people).")
class PartyConnection(Connection[Edge[Party]]):
    """Connection of ``Enterprise`` and ``Person`` nodes."""

    labels = frozenset({_ENTERPRISE, _PERSON})


SearchResult = Annotated[
    Enterprise | Person | Account | Manager | Referral | Contact,
    strawberry.union("SearchResult", description="A node found by search."),
]


@strawberry.type(description="A page of search results: exact matches first, then by label "
                             "and id.")
class SearchConnection(Connection[Edge[SearchResult]]):
    """Connection of the nodes ``search`` finds, with versioned cursors of its rank order."""

    labels = frozenset(label.value for label in NodeLabel)


@strawberry.type(description="A page of employees, with their EMPLOYED_BY properties.")
class EmployeeConnection(Connection[EmploymentEdge[Person]]):
    """Connection of the people employed by an enterprise."""

    labels = frozenset({_PERSON})
    edge_type = EmploymentEdge


@strawberry.type(description="A page of employers, with the EMPLOYED_BY properties.")
class EmployerConnection(Connection[EmploymentEdge[Enterprise]]):
    """Connection of the enterprises employing a person."""

    labels = frozenset({_ENTERPRISE})
    edge_type = EmploymentEdge


@strawberry.type(description="A page of shareholders (people and enterprises), with ratios.")
class ShareholderConnection(Connection[ShareholdingEdge[Party]]):
    """Connection of the holders of an enterprise's shares."""

    labels = frozenset({_ENTERPRISE, _PERSON})
    edge_type = ShareholdingEdge


@strawberry.type(description="A page of enterprises held, with ratios.")
class ShareholdingConnection(Connection[ShareholdingEdge[Enterprise]]):
    """Connection of the enterprises a person or enterprise holds shares of."""

    labels = frozenset({_ENTERPRISE})
    edge_type = ShareholdingEdge


@strawberry.type(description="A page of transfer aggregates between accounts.")
class TransferConnection(Connection[TransferEdge]):
    """Connection of the accounts an account sent money to or received money from."""

    labels = frozenset({_ACCOUNT})
    edge_type = TransferEdge


# -- linkage answers -----------------------------------------------------------------------


def _measured_enterprise(node: Node | None) -> Enterprise:
    assert node is not None, "coverage of a missing enterprise"
    return Enterprise.from_node(node)


@strawberry.type(description="Payroll coverage of one enterprise's employees.")
class PayrollCoverage:
    """How many of an enterprise's employees own an active payroll product."""

    enterprise_id: strawberry.Private[str]
    employees: int = strawberry.field(description="People employed, any role.")
    covered: int = strawberry.field(description="Employees owning an active payroll product.")
    uncovered: int = strawberry.field(description="employees - covered.")
    rate: float | None = strawberry.field(
        description="covered / employees, 0 to 1; null without employees."
    )

    @classmethod
    def of(cls, coverage: Coverage) -> PayrollCoverage:
        """Build from a :class:`~graph_service.stores.base.Coverage`."""
        return cls(
            enterprise_id=coverage.enterprise_id,
            employees=coverage.employees,
            covered=coverage.covered,
            uncovered=coverage.uncovered,
            rate=coverage.rate,
        )

    @strawberry.field(description="The enterprise measured.")
    def enterprise(self, info: GraphInfo) -> Enterprise:
        """Loaded through the node DataLoader (at once when loaded: :func:`when_loaded`)."""
        return cast(Enterprise, when_loaded(
            info.context.nodes(_ENTERPRISE).load(self.enterprise_id), _measured_enterprise
        ))


@strawberry.input(description="Names a node by label and id.")
class NodeRef:
    """Input naming one node."""

    label: NodeLabel
    id: strawberry.ID

    @property
    def key(self) -> NodeKey:
        """``(label, id)``."""
        return (self.label.value, str(self.id))


@strawberry.type(name="NodeKey", description="A node's identity: label and id.")
class NodeKeyType:
    """Output counterpart of :class:`NodeRef`."""

    label: NodeLabel
    id: strawberry.ID

    @classmethod
    def of(cls, key: NodeKey) -> NodeKeyType:
        """Build from a ``(label, id)`` pair."""
        return cls(label=_node_label(key[0]), id=strawberry.ID(key[1]))


_node_label = functools.cache(NodeLabel)
"""``NodeLabel(value)``, each member looked up once (a network lists thousands of labels)."""
_relationship_type = functools.cache(RelationshipType)
"""``RelationshipType(value)``, each member looked up once."""


@strawberry.type(description="A node of a subgraph or path, with all its properties.")
class GraphNode:
    """Any node, generically."""

    label: NodeLabel
    id: strawberry.ID
    masked: bool = strawberry.field(description=MASKED_DESCRIPTION)
    name: str | None = strawberry.field(
        description="The name, for nodes that have one; null when masked."
    )
    properties: JSON = strawberry.field(
        description="Every stored property, and the declared default of one not stored "
        "(blocked: false); when masked, only those that are not personal."
    )

    @classmethod
    def of(cls, node: Node) -> GraphNode:
        """Build from a store node (a masked one keeps no personal property).

        ``name`` and ``properties`` are read from ``node`` when first read
        (:class:`_StoredGraphNode`): a network asking for ``nodes { label id }`` copies
        no properties.
        """
        built = _StoredGraphNode.__new__(_StoredGraphNode)
        fields = built.__dict__
        fields["label"] = _node_label(node.label)
        fields["id"] = strawberry.ID(node.id)
        fields["masked"] = isinstance(node, MaskedNode)
        fields["_node"] = node
        return built


class _StoredGraphNode(GraphNode):
    """A :class:`GraphNode` of a store node, built by :meth:`GraphNode.of`.

    ``name`` and ``properties`` are cached properties made from ``_node`` once read (the
    same GraphQL type).
    """

    _node: Node

    @functools.cached_property
    def name(self) -> str | None:  # type: ignore[override]
        """The node's name, if it has one."""
        return self._node.props.get("name")

    @functools.cached_property
    def properties(self) -> JSON:  # type: ignore[override]
        """Every stored property, and the declared defaults of those not stored."""
        node = self._node
        return cast(JSON, NODE_DEFAULTS.get(node.label, {}) | dict(node.props))


@strawberry.type(description="A relationship of a subgraph or path, in its stored direction.")
class GraphRelationship:
    """Any relationship, generically."""

    type: RelationshipType
    start: NodeKeyType
    end: NodeKeyType
    properties: JSON = strawberry.field(
        description="Every stored property; its personal ones (the counts, amounts and times "
        "of money moved and sign-ins, extra columns) left out when either end is masked."
    )

    @classmethod
    def of(cls, rel: Relationship) -> GraphRelationship:
        """Build from a store relationship (its ``properties`` copied once read)."""
        built = _StoredRelationship.__new__(_StoredRelationship)
        fields = built.__dict__
        fields["type"] = _relationship_type(rel.type)
        fields["start"] = NodeKeyType.of(rel.start)
        fields["end"] = NodeKeyType.of(rel.end)
        fields["_rel"] = rel
        return built


class _StoredRelationship(GraphRelationship):
    """A :class:`GraphRelationship` of a store relationship (:meth:`GraphRelationship.of`).

    ``properties`` is a cached property copied from ``_rel`` once read (the same GraphQL
    type).
    """

    _rel: Relationship

    @functools.cached_property
    def properties(self) -> JSON:  # type: ignore[override]
        """Every stored property."""
        return cast(JSON, dict(self._rel.props))


@strawberry.type(description="The neighbourhood of a client, bounded in size.")
class ClientNetwork:
    """Answer of ``clientNetwork``."""

    nodes: list[GraphNode] = strawberry.field(
        description="The start node first, then by hop distance, ties by label and id."
    )
    relationships: list[GraphRelationship] = strawberry.field(
        description="Every relationship of an allowed type among the nodes."
    )
    truncated: bool = strawberry.field(
        description="True when the node budget (GRAPH_SERVICE_MAX_NETWORK_NODES) cut it short."
    )

    @classmethod
    def of(cls, subgraph: Subgraph) -> ClientNetwork:
        """Build from a store :class:`~graph_service.stores.base.Subgraph`."""
        return cls(
            nodes=[GraphNode.of(n) for n in subgraph.nodes],
            relationships=[GraphRelationship.of(r) for r in subgraph.relationships],
            truncated=subgraph.truncated,
        )


@strawberry.type(description="One shortest path between two nodes, ignoring direction.")
class LinkagePath:
    """Answer item of ``linkagePaths``, and a lead's path.

    Its nodes and relationships are converted when selected: a page of 100 leads asking
    for their paths' ``length`` alone converts none of their 500 nodes and relationships.
    """

    length: int = strawberry.field(description="Number of hops.")
    path: strawberry.Private[Path]

    @strawberry.field(description="From the start node to the end.")
    def nodes(self) -> list[GraphNode]:
        """The path's nodes, converted when selected."""
        return [GraphNode.of(n) for n in self.path.nodes]

    @strawberry.field(
        description="relationships[i] joins nodes[i] and nodes[i+1], in either direction."
    )
    def relationships(self) -> list[GraphRelationship]:
        """The path's relationships, converted when selected."""
        return [GraphRelationship.of(r) for r in self.path.relationships]

    @classmethod
    def of(cls, path: Path) -> LinkagePath:
        """Build from a store :class:`~graph_service.stores.base.Path`."""
        return cls(length=path.length, path=path)
