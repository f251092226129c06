"""Who may see what: the roles' read rights, a manager's portfolio, masking personal data.

The one place read access is decided (issue 10, item 2). The transport applies it at the
edge of the scope: the request's context (:class:`graph_service.api.context.Context`) masks
every node its loaders hand to a resolver and checks every linkage question asked through
it (:meth:`Scope.check`); permission classes (:mod:`graph_service.api.permissions`) refuse
the roles that may not read the graph, or call a mutation, at all (the role sets below).
The domain rules and aggregates are computed on the whole graph, as for anyone: only what
leaves the service is masked.

Roles (:class:`~graph_service.auth.caller.Role`):

- ``admin``, and a run without a caller (in-process, tests): everything unmasked.
- ``analyst`` and ``app``: every node; ``Person``, ``Account``, ``Referral`` and
  ``Contact`` nodes masked.
- ``manager`` (claim ``manager_id`` = M): the nodes of M's portfolio (:func:`portfolio`)
  and every ``Manager`` node unmasked, every other node masked.
- ``staff``: no reads of the graph (``FORBIDDEN``) but the referrals they created
  (``referral(id:)``, and what ``createReferral`` answers); were another node to reach
  them, masked.

Whoever recorded a referral or a contact (its ``referredBy`` or ``loggedBy`` is the
caller's subject) sees it unmasked (:meth:`Scope.view`): it holds what they wrote.

Who may write (the mutations, :mod:`graph_service.linkage.commands`), by role:
:data:`REFERRERS`, :data:`CONTACT_LOGGERS`, :data:`REFERRAL_MOVERS`, :data:`ASSIGNERS`.

A *masked* node (:class:`MaskedNode`) keeps its label, its id and its properties that are
not personal (:func:`graph_service.model.personal_property`); its personal fields
(:data:`graph_service.model.PERSONAL_FIELDS`) answer ``null`` and its ``masked`` field
``true``. ``Manager`` nodes are never masked. A relationship with a masked end loses its
personal properties (:data:`graph_service.model.PERSONAL_RELATIONSHIP_FIELDS`: transfer
amounts and the like) the same way (:meth:`Scope.view_relationship`). The same rule holds
on every store: the portfolio is read with the :class:`~graph_service.stores.base.GraphStore`
primitives only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

from graph_service.auth.caller import Caller, Role
from graph_service.errors import ForbiddenError, shorten
from graph_service.linkage.question import Lazy, Outside, Personal, Question, Ranked
from graph_service.model import (
    NodeKey,
    NodeLabel,
    RelationshipType,
    personal_property,
    personal_relationship_property,
)
from graph_service.stores.base import Direction, GraphStore, Node, Relationship

_ENTERPRISE, _PERSON, _ACCOUNT, _MANAGER, _REFERRAL, _CONTACT, _LOAN = (
    NodeLabel.ENTERPRISE.value, NodeLabel.PERSON.value, NodeLabel.ACCOUNT.value,
    NodeLabel.MANAGER.value, NodeLabel.REFERRAL.value, NodeLabel.CONTACT.value,
    NodeLabel.LOAN.value,
)
_PLAIN = (str, int, float, type(None))  # values of an answer that hold no node: kept as they are

GRAPH_READERS = frozenset({Role.ADMIN, Role.ANALYST, Role.APP, Role.MANAGER})
"""The roles that may read the graph (every role but ``staff``)."""
REFERRAL_READERS = GRAPH_READERS | {Role.STAFF}
"""The roles that may look referrals up (staff: the ones they created only)."""
REFERRERS = frozenset({Role.ADMIN, Role.MANAGER, Role.STAFF})
"""The roles that may create referrals (issue 10): staff of any party, a manager of a party
of their portfolio to another manager."""
CONTACT_LOGGERS = frozenset({Role.ADMIN, Role.MANAGER})
"""The roles that may log contacts: a manager with a party of their portfolio."""
REFERRAL_MOVERS = frozenset({Role.ADMIN, Role.MANAGER})
"""The roles that may move a referral on: a manager only the referrals made to them."""
ASSIGNERS = frozenset({Role.ADMIN})
"""The roles that may assign clients to managers and unassign them (``MANAGES``)."""
MASKED_FOR_READERS = frozenset({_PERSON, _ACCOUNT, _LOAN, _REFERRAL, _CONTACT})
"""Labels masked for ``analyst`` and ``app``: persons, their accounts (balances) and loans
(amounts, balances), and the referrals and contacts about them (notes)."""
PORTFOLIO_REFERRAL_STATUSES = frozenset({"OPEN", "CONTACTED", "CONVERTED"})
"""The statuses of a referral that put its party in the portfolio of the manager it is
referred to (:func:`referred_to`)."""
RECORDED_BY = {_REFERRAL: "referredBy", _CONTACT: "loggedBy"}
"""The property naming who recorded a node of these labels (a token subject)."""


class MaskedProperties(Mapping[str, Any]):
    """Read-only view of a node's properties without its personal ones.

    A view, not a copy: masking a node costs nothing until its properties are read, and a
    page of masked nodes whose answer asks for ids alone reads none.

    Parameters
    ----------
    label : str
        The node's label, for :func:`graph_service.model.personal_property`.
    props : Mapping
        The node's stored properties.
    """

    __slots__ = ("_label", "_props")

    def __init__(self, label: str, props: Mapping[str, Any]) -> None:
        self._label = label
        self._props = props

    def __getitem__(self, name: str) -> Any:
        if personal_property(self._label, name):
            raise KeyError(name)
        return self._props[name]

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._props if not personal_property(self._label, name))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"MaskedProperties({dict(self)!r})"


@dataclass(frozen=True, slots=True)
class MaskedNode(Node):
    """A node as a caller who may not see its personal data gets it.

    Its ``props`` (a :class:`MaskedProperties`) hold only its properties that are not
    personal (:func:`graph_service.model.personal_property`).
    """


def mask(node: Node) -> MaskedNode:
    """``node`` without its personal properties.

    Parameters
    ----------
    node : Node

    Returns
    -------
    MaskedNode
        Same label and id; ``props`` without the names of
        :data:`~graph_service.model.PERSONAL_FIELDS` and without undeclared properties.
    """
    if isinstance(node, MaskedNode):
        return node
    return MaskedNode(node.label, node.id, MaskedProperties(node.label, node.props))


async def _referrals(store: GraphStore, manager_id: str) -> tuple[set[NodeKey], set[NodeKey]]:
    """The referrals made to manager ``manager_id``, and the parties they put in the portfolio.

    Two reads: the ``Referral`` nodes ``REFERRED_TO`` the manager, then the party each of
    those in a status of :data:`PORTFOLIO_REFERRAL_STATUSES` ``REFERS`` to.
    """
    (received,) = await store.neighbors(_MANAGER, [manager_id], RelationshipType.REFERRED_TO.value,
                                        Direction.INCOMING)  # fmt: skip
    live = sorted(node.id for _, node in received
                  if node.props.get("status") in PORTFOLIO_REFERRAL_STATUSES)  # fmt: skip
    parties = await _neighbours(store, _REFERRAL, live, RelationshipType.REFERS,
                                Direction.OUTGOING)  # fmt: skip
    return {node.key for _, node in received}, parties


async def referred_to(store: GraphStore, manager_id: str) -> set[NodeKey]:
    """The parties referred to manager ``manager_id``: part of their portfolio.

    Rule (issue 10: "a referral adds its party to the receiving manager's portfolio"): the
    persons and enterprises a ``Referral`` ``REFERS`` to, when it is ``REFERRED_TO`` the
    manager and its status is ``OPEN``, ``CONTACTED`` or ``CONVERTED``
    (:data:`PORTFOLIO_REFERRAL_STATUSES`): the manager is to contact them, is working
    with them, or won them. A ``DECLINED`` referral no longer does: the party said no,
    and the manager has no further business with their data. A referred enterprise joins
    the portfolio alone, not its staff or shareholders (those come with a ``MANAGES``).

    Parameters
    ----------
    store : GraphStore
        Read with :meth:`~graph_service.stores.base.GraphStore.neighbors` (two reads).
    manager_id : str
        The ``Manager`` node's id; an unknown id has no referrals.

    Returns
    -------
    set of (str, str)
        Keys of ``Person`` and ``Enterprise`` nodes.
    """
    return (await _referrals(store, manager_id))[1]


async def _neighbours(store: GraphStore, label: str, ids: Sequence[str],
                      rel_type: RelationshipType, direction: Direction) -> set[NodeKey]:
    """The keys of every ``rel_type`` neighbour of the ``label`` nodes ``ids``."""
    if not ids:
        return set()
    found = await store.neighbors(label, ids, rel_type.value, direction)
    return {node.key for pairs in found for _, node in pairs}


def _ids(keys: Iterable[NodeKey], label: str) -> list[str]:
    return sorted(node_id for node_label, node_id in keys if node_label == label)


async def portfolio(store: GraphStore, manager_id: str) -> frozenset[NodeKey]:
    """The portfolio of manager ``manager_id``: the nodes they see unmasked.

    Rule (issue 10, item 2): the enterprises and persons the manager ``MANAGES``; for each
    managed enterprise, its employees and executives (``EMPLOYED_BY``, any role) and its
    shareholders (``SHAREHOLDER_OF``, persons or enterprises); the persons and enterprises
    referred to the manager (:func:`referred_to`); the accounts any of them ``OWNS``. And
    the records of the bank about them: the referrals (``REFERS``) and contacts
    (``CONTACTED``) of any of these parties, every referral made to the manager
    (``REFERRED_TO``, whatever its status) and every contact they logged (``LOGGED_BY``).

    Parameters
    ----------
    store : GraphStore
        Read with :meth:`~graph_service.stores.base.GraphStore.neighbors` only (eleven
        reads at most, in four rounds, the same on every store).
    manager_id : str
        The ``Manager`` node's id; an unknown id has an empty portfolio.

    Returns
    -------
    frozenset of (str, str)
        Node keys ``(label, id)``.
    """
    managed = await _neighbours(store, _MANAGER, [manager_id], RelationshipType.MANAGES,
                                Direction.OUTGOING)  # fmt: skip
    enterprises = _ids(managed, _ENTERPRISE)
    staff, holders, (received, referred), logged = await asyncio.gather(
        _neighbours(store, _ENTERPRISE, enterprises, RelationshipType.EMPLOYED_BY,
                    Direction.INCOMING),
        _neighbours(store, _ENTERPRISE, enterprises, RelationshipType.SHAREHOLDER_OF,
                    Direction.INCOMING),
        _referrals(store, manager_id),
        _neighbours(store, _MANAGER, [manager_id], RelationshipType.LOGGED_BY,
                    Direction.INCOMING),
    )
    parties = managed | staff | holders | referred
    reads = [
        _neighbours(store, label, _ids(parties, label), rel_type, direction)
        for label in (_PERSON, _ENTERPRISE)
        for rel_type, direction in ((RelationshipType.OWNS, Direction.OUTGOING),
                                    (RelationshipType.REFERS, Direction.INCOMING),
                                    (RelationshipType.CONTACTED, Direction.INCOMING))
    ]
    around = set().union(*await asyncio.gather(*reads))
    return frozenset(parties | around | received | logged)


@dataclass(frozen=True, slots=True)
class Scope:
    """What one caller may see: the masking rule of a request.

    Build it with :meth:`of` (which reads a manager's portfolio).

    Attributes
    ----------
    caller : Caller or None
        ``None``: in-process, unrestricted.
    portfolio : frozenset of (str, str), optional
        A manager's portfolio (:func:`portfolio`); ``None`` for other roles.
    masked_ids, shown_ids : set of str
        The ids of the nodes answered masked, and unmasked, so far (:meth:`view`,
        :meth:`note_listed`; kept for a restricted caller only): the audit trail tells
        from them which of the ids an answer returns it returned unmasked
        (:func:`graph_service.audit.returned_ids`).
    """

    caller: Caller | None
    portfolio: frozenset[NodeKey] | None = None
    masked_ids: set[str] = dataclasses.field(default_factory=set, compare=False, repr=False)
    shown_ids: set[str] = dataclasses.field(default_factory=set, compare=False, repr=False)

    @classmethod
    def known(cls, caller: Caller | None) -> Scope | None:
        """The scope of ``caller`` when it needs no store read; ``None`` for a manager."""
        if caller is not None and caller.role is Role.MANAGER:
            return None
        return cls(caller)

    @classmethod
    async def of(cls, caller: Caller | None, store: GraphStore) -> Scope:
        """The scope of ``caller`` (a manager's portfolio read from ``store``)."""
        scope = cls.known(caller)
        if scope is not None:
            return scope
        assert caller is not None and caller.manager_id is not None
        return cls(caller, await portfolio(store, caller.manager_id))

    @property
    def unrestricted(self) -> bool:
        """Whether nothing is masked for this caller (``admin``, or no caller)."""
        return self.caller is None or self.caller.role is Role.ADMIN

    def sees(self, key: NodeKey) -> bool:
        """Whether the caller sees the node ``key`` unmasked (see the module's rules)."""
        label = key[0]
        if self.unrestricted or label == _MANAGER:
            return True
        assert self.caller is not None
        role = self.caller.role
        if role in (Role.ANALYST, Role.APP):
            return label not in MASKED_FOR_READERS
        if role is Role.MANAGER and self.portfolio is not None:
            return key in self.portfolio
        return False

    def visibility(self) -> Callable[[NodeKey], bool]:
        """:meth:`sees` as one predicate for many keys, what it reads of the caller read once.

        A manager's view depends on the id (their portfolio, read once); any other caller's
        on the label alone (:meth:`sees` asked once per label).
        """
        if self.caller is not None and self.caller.role is Role.MANAGER:
            mine = self.portfolio or frozenset()
            return lambda key: key in mine or key[0] == _MANAGER
        by_label: dict[str, bool] = {}

        def sees(key: NodeKey) -> bool:
            found = by_label.get(key[0])
            if found is None:
                found = by_label[key[0]] = self.sees(key)
            return found

        return sees

    def seen(self, keys: Iterable[NodeKey]) -> list[int]:
        """The positions in ``keys`` of the nodes the caller sees unmasked (:meth:`sees`).

        One pass with :meth:`visibility`: a list of a million people is read in a tenth of
        the time of :meth:`sees` on each.
        """
        visible = self.visibility()
        return [i for i, key in enumerate(keys) if visible(key)]

    def portfolio_of(self, label: str) -> frozenset[NodeKey] | None:
        """The nodes of ``label`` a manager sees unmasked; ``None`` for any other caller."""
        if self.caller is None or self.caller.role is not Role.MANAGER:
            return None
        return frozenset(key for key in self.portfolio or () if key[0] == label)

    def masks_every(self, label: str) -> bool:
        """Whether every node of ``label`` is masked for this caller, whatever its id.

        Only a manager's view of a label depends on the id (their portfolio); for any other
        caller :meth:`sees` of one node of ``label`` answers for all of them.
        """
        manager = self.caller is not None and self.caller.role is Role.MANAGER
        return not manager and not self.sees((label, ""))

    def recorded(self, node: Node) -> bool:
        """Whether the caller recorded ``node`` (its :data:`RECORDED_BY` property is theirs)."""
        author = RECORDED_BY.get(node.label)
        return (author is not None and self.caller is not None
                and node.props.get(author) == self.caller.subject)  # fmt: skip

    def view(self, node: Node) -> Node:
        """``node`` as the caller gets it: itself, or :func:`mask` of it.

        Itself when the caller :meth:`sees` it, or :meth:`recorded` it. Its id is noted in
        :attr:`masked_ids` or :attr:`shown_ids` (for a restricted caller).
        """
        if self.sees(node.key) or self.recorded(node):
            if not self.unrestricted:
                self.shown_ids.add(node.id)
            return node
        self.masked_ids.add(node.id)
        return mask(node)

    def note_listed(self, label: str, ids: Iterable[str]) -> None:
        """Note the ids of ``label`` nodes answered without being read (their ids only).

        Each goes to :attr:`masked_ids` when the caller does not see it unmasked, else to
        :attr:`shown_ids`; a label whose nodes the caller may have recorded
        (:data:`RECORDED_BY`) goes to :attr:`shown_ids` (the audit then counts them as
        returned unmasked rather than leave out one that was).
        """
        if self.unrestricted:
            return
        if label in RECORDED_BY:
            self.shown_ids.update(ids)
        elif self.masks_every(label):
            self.masked_ids.update(ids)
        else:
            for node_id in ids:
                (self.shown_ids if self.sees((label, node_id)) else self.masked_ids).add(node_id)

    def view_all(self, nodes: Sequence[Node | None]) -> list[Node | None]:
        """:meth:`view` of each node (``None`` kept), aligned."""
        if self.unrestricted:
            return list(nodes)
        return [None if node is None else self.view(node) for node in nodes]

    def view_relationship(self, rel: Relationship) -> Relationship:
        """``rel`` as the caller gets it.

        Without its personal properties (:func:`graph_service.model.
        personal_relationship_property`: the amounts, counts and times of money moved and
        sign-ins, and undeclared properties) when the caller may not see one of its ends
        unmasked: a transfer is personal data of both accounts' owners. Its type, its ends
        and its other declared properties are kept.
        """
        if self.unrestricted or (self.sees(rel.start) and self.sees(rel.end)):
            return rel
        kept = {k: v for k, v in rel.props.items()
                if not personal_relationship_property(rel.type, k)}  # fmt: skip
        return rel if len(kept) == len(rel.props) else dataclasses.replace(
            rel, props=MappingProxyType(kept))

    def view_answer(self, value: Any) -> Any:
        """A linkage answer with every :class:`~graph_service.stores.base.Node` in it viewed.

        Walks dataclasses (``Subgraph``, ``Path``, a question's own answer), lists and
        tuples; relationships are viewed by :meth:`view_relationship`; other values (ids,
        counts, errors) are returned as they are. A dataclass whose ``node`` ends masked
        has its :class:`~graph_service.linkage.question.Personal` fields set to ``None``.
        The items of a :class:`~graph_service.linkage.question.Lazy` list are viewed as
        they are built; a :class:`~graph_service.linkage.question.Ranked` answer's sort
        keys (plain values) are kept as they are.
        """
        if self.unrestricted or isinstance(value, _PLAIN):
            return value
        if isinstance(value, Lazy):
            return value.map(self.view_answer)
        if isinstance(value, Ranked):
            return Ranked(self.view_answer(value.items), value.sort_keys)
        if isinstance(value, Node):
            return self.view(value)
        if isinstance(value, Relationship):
            return self.view_relationship(value)
        if isinstance(value, list | tuple):
            if all(isinstance(item, _PLAIN) for item in value):  # ids, counts: nothing to view
                return value
            return type(value)(self.view_answer(item) for item in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            if _plain_dataclass(type(value)):  # e.g. IdList: its fields hold no node
                return value
            changes = {f.name: self.view_answer(getattr(value, f.name))
                       for f in dataclasses.fields(value) if f.init}  # fmt: skip
            if isinstance(changes.get("node"), MaskedNode):
                changes.update(dict.fromkeys(_personal_fields(type(value))))
            return dataclasses.replace(value, **changes)
        return value

    def masked_items(self, items: Sequence[Any]) -> list[bool]:
        """Whether the ``node`` of each item of viewed ``items`` is masked, aligned.

        ``items`` are a ranked answer's, after :meth:`view_answer`. The items of a
        :class:`~graph_service.linkage.question.Lazy` list whose nodes' labels have no
        :data:`RECORDED_BY` property are told by their nodes' keys, without building them
        (:meth:`visibility`; one answer for a whole label the caller sees alike,
        :meth:`masks_every`); any other by its viewed node (a :class:`MaskedNode` or not).
        """
        nodes = items.nodes if isinstance(items, Lazy) else None
        labels = {key[0] for key in nodes} if nodes is not None else set()
        if nodes is None or not labels.isdisjoint(RECORDED_BY):
            return [isinstance(getattr(item, "node", None), MaskedNode) for item in items]
        if len(labels) == 1 and self.masks_every(*labels):
            return [True] * len(nodes)
        visible = self.visibility()
        return [not visible(key) for key in nodes]

    def _sees_people_of(self, subjects: Sequence[NodeKey]) -> bool:
        """Whether the caller sees unmasked the people of every one of ``subjects``.

        A manager sees a portfolio enterprise's employees, executives and shareholders (its
        :func:`portfolio`); any other caller sees people as :meth:`sees` sees a person (an
        analyst or an application: none).
        """
        if self.caller is not None and self.caller.role is Role.MANAGER:
            return all(self.sees(key) for key in subjects)
        return self.sees((_PERSON, ""))

    def refuses_role(self, question: Question[Any, Any]) -> ForbiddenError | None:
        """The error refusing ``question`` to this caller's role, if its ``roles`` leave it out.

        ``question.roles`` names the roles besides ``admin`` that may ask it (the analytics
        questions: analysts); ``None``, every role. Applied to every argument set
        (:meth:`check`) and to every report (:func:`graph_service.reports.planning.
        shown_rows`).

        Returns
        -------
        ForbiddenError or None
        """
        if self.unrestricted or question.roles is None:
            return None
        assert self.caller is not None
        if self.caller.role.value in question.roles:
            return None
        return ForbiddenError(
            f"{_published(question.name)} is for the roles "
            f"{', '.join(sorted({*question.roles, 'admin'}))}, not {self.caller.role.value}"
        )

    def check(self, question: Question[Any, Any], args: Any) -> ForbiddenError | None:
        """The error refusing ``question`` about ``args`` for this caller, if any.

        A question whose ``outside`` is :attr:`~graph_service.linkage.question.Outside.
        FORBIDDEN` is refused when one of its subjects (``question.subjects(args)``) is a
        node the caller may not see unmasked; one whose ``outside`` is
        :attr:`~graph_service.linkage.question.Outside.OWN_PORTFOLIO`, when the caller is a
        manager and a subject another manager; any question whose ``roles`` leave out the
        caller's role (the analytics questions, for analysts and admins); the others are
        answered (their nodes masked by :meth:`view_answer`).

        Returns
        -------
        ForbiddenError or None
        """
        if self.unrestricted:
            return None
        assert self.caller is not None
        refused = self.refuses_role(question)
        if refused is not None:
            return refused
        given = [name for name in sorted(question.personal_arguments)
                 if getattr(args, name, None) is not None]  # fmt: skip
        if given and not self._sees_people_of(question.subjects(args)):
            return ForbiddenError(
                f"{_published(question.name)}'s {_published(given[0])} tells which products "
                "the people of its subject hold: given, it is for admins, and for a manager "
                "about their own portfolio; omit it to count the payroll products"
            )
        if question.outside is Outside.OWN_PORTFOLIO:
            if self.caller.role is not Role.MANAGER:
                return None
            for label, node_id in question.subjects(args):
                if label == _MANAGER and node_id != self.caller.manager_id:
                    return ForbiddenError(
                        f"{label} {shorten(node_id)!r} is not the caller: a manager asks "
                        "about their own portfolio only"
                    )
            return None
        if question.outside is not Outside.FORBIDDEN:
            return None
        for key in question.subjects(args):
            if not self.sees(key):
                return ForbiddenError(
                    f"{key[0]} {shorten(key[1])!r} is outside the caller's scope (a "
                    "manager's portfolio; no person for analysts and applications)"
                )
        return None


__all__ = ["ASSIGNERS", "CONTACT_LOGGERS", "GRAPH_READERS", "MASKED_FOR_READERS",
           "PORTFOLIO_REFERRAL_STATUSES", "RECORDED_BY", "REFERRAL_MOVERS", "REFERRAL_READERS",
           "REFERRERS", "MaskedNode", "Scope", "mask", "portfolio", "referred_to"]  # fmt: skip


def _plain_type(hint: Any) -> bool:
    """Whether values of type ``hint`` can hold no node.

    Text, numbers, enums, and lists, tuples, unions or annotations of those; ``Any`` and
    anything else may hold one.
    """
    if hint in _PLAIN or (isinstance(hint, type) and issubclass(hint, enum.Enum)):
        return True
    origin = get_origin(hint)
    if origin in (list, tuple, Sequence, Union, UnionType, Annotated):
        parts = get_args(hint)[:1] if origin is Annotated else get_args(hint)
        return all(part is Ellipsis or _plain_type(part) for part in parts)
    return False


@functools.cache
def _plain_dataclass(cls: type) -> bool:
    """Whether no field of dataclass ``cls`` can hold a node (:func:`_plain_type`).

    ``False`` when its annotations do not resolve: its values are then walked.
    """
    try:
        hints = get_type_hints(cls)
    except (NameError, TypeError):
        return False
    return all(_plain_type(hint) for hint in hints.values())


@functools.cache
def _personal_fields(cls: type) -> list[str]:
    """The fields of dataclass ``cls`` marked :class:`~graph_service.linkage.question.Personal`."""
    hints = get_type_hints(cls, include_extras=True)
    return [name for name, hint in hints.items()
            if any(isinstance(extra, Personal) for extra in get_args(hint)[1:])]  # fmt: skip


def _published(name: str) -> str:
    """A question's published (camelCase) name: ``guarantee_circles`` -> ``guaranteeCircles``."""
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)
