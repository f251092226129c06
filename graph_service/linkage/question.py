"""What a linkage question is: its arguments, rule, cost and batch form, and how it is answered.

A linkage question is one module of :mod:`graph_service.linkage` defining one
:class:`Question` value; :data:`graph_service.linkage.registry.QUESTIONS` lists them in
registration order (the order of their root fields in the published schema). The transport
(:mod:`graph_service.api`) generates from it the GraphQL root fields, the node-type fields
(:class:`NodeField`), their DataLoaders and the node budget's table; the bulk path and
whole-book reports call :func:`answer_many`. Nothing here knows GraphQL: arguments and
answers are plain Python types and frozen dataclasses, described with :class:`Doc`.

How a question is answered
--------------------------
1. ``validate(args, settings)`` checks and normalises the arguments
   (:class:`~graph_service.errors.InvalidInputError`).
2. The nodes ``subjects(args)`` names must exist
   (:class:`~graph_service.errors.NotFoundError` for the first missing one).
3. The answer: the store's own (``pushdown``) when the store advertises the question's name
   (:attr:`~graph_service.stores.base.GraphStore.pushdowns`), else the generic rule
   (``batch``), written once against the store primitives
   (:meth:`~graph_service.stores.base.GraphStore.get_nodes`,
   :meth:`~graph_service.stores.base.GraphStore.neighbors` batched per frontier,
   :meth:`~graph_service.stores.base.GraphStore.list_ids`). Both take many argument sets at
   once, so a store may push a whole-book batch down into one call. The differential tests
   prove a pushdown equals the generic rule on every store.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, NewType, Protocol, TypeVar, cast, overload

from graph_service.config import Settings
from graph_service.errors import GraphServiceError, InvalidInputError, NotFoundError
from graph_service.model import NodeKey
from graph_service.stores.base import GraphStore, Node

A = TypeVar("A")
R = TypeVar("R")

Id = NewType("Id", str)
"""A node's id as an argument (GraphQL ``ID``)."""

BOOK_SCAN_COST = 10_000
"""Base cost of a question that scans the whole book (every enterprise's executives)."""
ENTERPRISE_COST = 100
"""Base cost of a question that reads one enterprise's staff and their accounts."""
PATH_SEARCH_COST = 1_000
"""Base cost of one ``linkagePaths`` call: a breadth-first search bounded by ``maxHops``."""


@dataclass(frozen=True, slots=True)
class Doc:
    """Metadata of an argument or answer field, as ``Annotated[type, Doc(...)]``.

    Attributes
    ----------
    description : str
        Published description.
    name : str, optional
        Published name when it is not the camelCase of the Python name (``from``).
    """

    description: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Personal:
    """Marks a field of an answer dataclass as personal data of the answer's ``node``.

    As ``Annotated[X | None, Doc(...), Personal()]``: the field is published nullable and
    answers ``null`` where the dataclass's ``node`` field is masked for the caller
    (:meth:`graph_service.access.Scope.view_answer`), as the fields of
    :data:`graph_service.model.PERSONAL_FIELDS` do on a masked node. A lead's kinds tell the
    products the person lacks and its signal their shareholding and transfer amounts.
    """


@dataclass(frozen=True, slots=True)
class IdList:
    """Answer of a question that lists nodes: their ids, sorted as text, each once.

    The transport pages it as a connection of ``label`` nodes (``first``/``after``).
    """

    label: str
    ids: list[str]


KeyPart = str | int | float
"""One part of a ranked item's sort key."""


@functools.total_ordering
class _Descending:
    """A sort key part compared the other way round (a descending sort)."""

    __slots__ = ("value",)

    def __init__(self, value: KeyPart) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __lt__(self, other: _Descending) -> bool:
        return other.value < self.value  # type: ignore[operator]

    def __hash__(self) -> int:
        return hash(self.value)


@dataclass(frozen=True, slots=True)
class Order:
    """The order a :class:`Ranked` answer lists its items in, as its cursors name it.

    Attributes
    ----------
    name : str
        Named in the cursors (``rank``, ``hop-signal-id``, ``uncoveredEmployees-desc.id``):
        letters, digits, ``_``, ``.`` or ``-``. A cursor of another order is refused.
    parts : tuple of type
        Type of each part of a sort key: ``str``, ``int`` or ``float``.
    descending : tuple of bool
        Aligned with ``parts``: whether that part sorts from largest to smallest
        (all ascending when omitted).
    """

    name: str
    parts: tuple[type, ...]
    descending: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        if not self.descending:
            object.__setattr__(self, "descending", (False,) * len(self.parts))

    def comparable(self, key: Sequence[KeyPart]) -> Any:
        """``key`` as a value whose ascending order is this order (for sorting, bisecting).

        ``key`` itself (as a tuple) when every part is ascending, the common case of a key
        made to sort ascending (:meth:`Ranked.sort`); else a new tuple.
        """
        if not any(self.descending):
            return tuple(key)  # no copy of a tuple
        return tuple(
            _Descending(v) if down else v for v, down in zip(key, self.descending, strict=True)
        )


class NodeOf:
    """Marks a ``Node`` field of an answer with the labels it may hold.

    ``Annotated[Node, NodeOf("Person")]`` is published as the ``Person`` type,
    ``Annotated[Node, NodeOf("Enterprise", "Person")]`` as the ``Party`` union.
    """

    __slots__ = ("labels",)

    def __init__(self, *labels: str) -> None:
        self.labels = frozenset(labels)


class Each(Sequence[R]):
    """``get(i)`` for each position ``i`` below ``size``, as a read-only sequence.

    Each read calls ``get`` (nothing is kept): the sort keys or node keys of a list too
    long to build whole, of which a page reads a few (:class:`Ranked`). Iterating calls
    ``every()`` when given, which yields every item in order at less cost than each
    ``get``. Compares with ``==`` to any sequence, item by item. ``find(items)``, when
    given, answers the positions of those of ``items`` in the sequence, ascending, without
    reading it whole (a manager's portfolio placed in a list of a million people).
    """

    __slots__ = ("every", "find", "get", "size")

    def __init__(self, size: int, get: Callable[[int], R],
                 every: Callable[[], Iterable[R]] | None = None,
                 find: Callable[[Collection[R]], list[int]] | None = None) -> None:  # fmt: skip
        self.size, self.get, self.every, self.find = size, get, every, find

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[R]:
        if self.every is not None:
            return iter(self.every())
        return (self.get(i) for i in range(self.size))

    @overload
    def __getitem__(self, index: int) -> R: ...

    @overload
    def __getitem__(self, index: slice) -> list[R]: ...

    def __getitem__(self, index: int | slice) -> R | list[R]:
        if isinstance(index, slice):
            return [self.get(i) for i in range(*index.indices(self.size))]
        if not -self.size <= index < self.size:
            raise IndexError(f"position {index} of {self.size} items")
        return self.get(index % self.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Each({self.size} items)"


class Lazy(Each[R]):
    """The items of a :class:`Ranked` answer, each built when it is first read.

    A question whose items are costly to build (a lead's shortest path with its nodes and
    relationships) ranks them on their sort keys alone and hands them over in this form:
    the transport reads the items of one page, so only those are built. Each item's
    ``node`` key is known beforehand, so that the caller's scope can place a masked item
    (:meth:`Ranking.viewed`) without building it.

    Parameters
    ----------
    nodes : sequence of NodeKey
        The key of each item's ``node``, in list order.
    build : callable
        ``build(i)``: the item at position ``i`` (0 to ``len(nodes) - 1``), called at most
        once per position.

    Notes
    -----
    Indexing builds (and keeps) the item; iterating, slicing or comparing with ``==`` (to
    another sequence, item by item) builds every item read. :meth:`map` and :meth:`select`
    make new lazy sequences without building anything.
    """

    __slots__ = ("_built", "nodes")

    def __init__(self, nodes: Sequence[NodeKey], build: Callable[[int], R]) -> None:
        built: dict[int, R] = {}

        def read(index: int) -> R:  # not a bound method: held by self, a reference cycle
            """The item at ``index``, built on its first read."""
            if index not in built:
                built[index] = build(index)
            return built[index]

        super().__init__(len(nodes), read)
        self.nodes = nodes
        self._built = built

    def __repr__(self) -> str:
        return f"Lazy({len(self)} items, {len(self._built)} built)"

    def listed(self) -> Lazy[R]:
        """The same items (built once, for both), with their node keys read into a list.

        For a reader of every node key (a masked caller's ranking, :meth:`Ranking.viewed`):
        one pass over :attr:`nodes` (its ``every``, when an :class:`Each`) rather than a
        ``get`` per position, and each read after it a list's.
        """
        if isinstance(self.nodes, list):
            return self
        return Lazy(list(self.nodes), self.get)

    def map(self, change: Callable[[R], R]) -> Lazy[R]:
        """The same items, each passed through ``change`` when built."""
        return Lazy(self.nodes, lambda i: change(self[i]))

    def select(self, positions: Sequence[int]) -> Lazy[R]:
        """The items at ``positions``, in that order."""
        return Lazy([self.nodes[p] for p in positions], lambda i: self[positions[i]])


@dataclass(frozen=True, slots=True)
class Ranked(Generic[R]):
    """Answer of a question with a :class:`Ranking`: its items, in the ranking's order.

    The transport pages it as a connection with versioned cursors holding each item's sort
    key, so a page starts right after its cursor's position however the list changed
    meanwhile.

    Attributes
    ----------
    items : list or Lazy
        The items, in order: node keys ``(label, id)`` for a ranking of nodes, else
        instances of the ranking's ``item`` dataclass, built when read if :class:`Lazy`.
    sort_keys : sequence of tuple
        Each item's sort key, aligned with ``items``, ascending by
        :meth:`Order.comparable`; it ends with an id, so keys are distinct. A list, or a
        sequence computing each key when read (a lead list ranks a hop at a time).
    """

    items: list[R] | Lazy[R]
    sort_keys: Sequence[tuple[KeyPart, ...]]

    @classmethod
    def sort(cls, items: Iterable[R], key: Callable[[R], tuple[KeyPart, ...]]) -> Ranked[R]:
        """``items`` sorted by ``key`` (the key of an all-ascending :class:`Order`)."""
        keyed = sorted(((key(item), i, item) for i, item in enumerate(items)),
                       key=lambda entry: entry[:2])  # fmt: skip
        return cls([item for _, _, item in keyed], [k for k, _, _ in keyed])

    def select(self, positions: Sequence[int],
               sort_keys: Sequence[tuple[KeyPart, ...]]) -> Ranked[R]:
        """The items at ``positions``, in that order, with their (new) ``sort_keys``.

        A :class:`Lazy` list stays lazy (:meth:`Lazy.select`).
        """
        items = self.items
        if isinstance(items, Lazy):
            return Ranked(items.select(positions), sort_keys)
        return Ranked([items[p] for p in positions], sort_keys)


def _never(args: Any) -> bool:
    """No argument set leaves masked items out (:attr:`MaskedRank.left_out`'s default)."""
    return False


@dataclass(frozen=True, slots=True)
class MaskedRank(Generic[A]):
    """Where an item of a :class:`Ranked` answer goes when the caller sees its node masked.

    Its sort key keeps its first ``kept`` parts and its last (the id); the parts between are
    replaced by ``neutral``, which sorts after every unmasked item's parts there. So masked
    items come after the unmasked ones that share their first ``kept`` parts (a lead's
    hop), by id alone: neither their place nor their cursor carries the personal data the
    parts replaced held (a lead's signal, :mod:`graph_service.linkage.prospecting`).

    Attributes
    ----------
    kept : int
        Leading parts of the sort key a masked item keeps (0: after every unmasked item).
    neutral : tuple
        What replaces the parts between them and the id: the same for every masked item,
        above every unmasked value in the (ascending) order.
    left_out : callable
        ``left_out(args)``: whether masked items are left out of the answer to ``args``
        instead, because those arguments chose items by their personal data (a lead's
        ``kinds``, a least transfer amount). Never, by default.
    """

    kept: int = 0
    neutral: tuple[KeyPart, ...] = ()
    left_out: Callable[[A], bool] = _never

    def key(self, key: tuple[KeyPart, ...]) -> tuple[KeyPart, ...]:
        """The sort key of a masked item whose unmasked key is ``key``.

        Examples
        --------
        >>> MaskedRank(kept=1, neutral=(1, 0.0)).key((2, -1, -120.0, "P4"))
        (2, 1, 0.0, 'P4')
        """
        return (*key[:self.kept], *self.neutral, key[-1])

    def positions(self, keys: Sequence[tuple[KeyPart, ...]], masked: Sequence[bool],
                  ids: Sequence[KeyPart]) -> list[int]:
        """The positions of ``keys`` in the order of their keys as a masked caller ranks them.

        In each run of ``keys`` sharing their first :attr:`kept` parts, the unmasked items
        in their order, then the masked ones by id: the order of :meth:`key` of the masked
        ones and the others' own, found without building a key per item (a manager's leads
        run to hundreds of thousands).

        Parameters
        ----------
        keys : sequence of tuple
            Unmasked sort keys, ascending.
        masked : sequence of bool
            Whether the caller sees each item masked, aligned with ``keys``.
        ids : sequence
            Each key's last part (its id), aligned with ``keys``.

        Returns
        -------
        list of int
        """
        heads = [key[:self.kept] for key in keys] if self.kept else None
        order: list[int] = []
        start, size = 0, len(keys)
        while start < size:
            end = size if heads is None else bisect_right(heads, heads[start], start)
            span = range(start, end)
            order += itertools.compress(span, [not m for m in masked[start:end]])
            hidden = list(itertools.compress(span, masked[start:end]))
            hidden.sort(key=ids.__getitem__)
            order += hidden
            start = end
        return order


@dataclass(frozen=True, slots=True)
class Ranking(Generic[A]):
    """How a question's :class:`Ranked` answer is ordered, published and kept private.

    Attributes
    ----------
    order : Order or callable
        The order, or ``order(args) -> Order`` of validated arguments when it depends on
        them (a list's ``sort``): read before the answer, so that a cursor of another order
        is refused without work. The cursors name the root field and the order.
    item : type, optional
        The frozen dataclass of one item: the transport generates ``<Item>Connection`` of
        ``<Item>Edge`` (its cursor and the item's fields). ``None``: the items are node
        keys, published as the connection ``Question.lists`` names.
    personal_match : callable, optional
        For a ranking of nodes, ``personal_match(args, key) -> bool``: whether node ``key``
        is listed, or placed, by its personal data (a name it was found by, a segment it is
        sorted by). The transport leaves such nodes out for a caller who may not see them
        unmasked, so that masked values cannot be guessed through the list (``None``: the
        answer reads no personal data).
    masked : MaskedRank, optional
        For a ranking of ``item`` dataclasses whose sort key holds :class:`Personal` data of
        the item's ``node`` (a lead's transfer amount): how an item whose node is masked for
        the caller is ranked, or left out. The cursors hold the sort keys, so without it a
        masked item's cursor would carry what its nulled fields hide (:meth:`viewed`). The
        order must be all ascending.
    rows : bool
        Whether a report lists the items as its rows, in order (:mod:`graph_service.reports.
        planning`): for ``item`` dataclasses that read the same to every caller who may ask
        the question, their nodes as labels and ids (no :class:`Personal` field, no
        :attr:`masked` rank). A connection masks its items caller by caller and a report's
        rows do not, so a question says so itself; ``False`` by default.
    """

    order: Order | Callable[[A], Order]
    item: type | None = None
    personal_match: Callable[[A, NodeKey], bool] | None = None
    masked: MaskedRank[A] | None = None
    rows: bool = False

    def order_of(self, args: A) -> Order:
        """The order of the answer to validated ``args``."""
        return self.order if isinstance(self.order, Order) else self.order(args)

    def viewed(self, args: A, ranked: Ranked[R], masked: Sequence[bool]) -> Ranked[R]:
        """``ranked`` as a caller gets it for whom the items at positions ``masked`` are masked.

        Each such item is ranked by :attr:`masked` (:meth:`MaskedRank.positions`), or left
        out when its ``left_out`` says so, so that neither its place nor its cursor tells
        its personal data; the sort keys of the answer are read when asked. Unchanged
        without :attr:`masked` or a masked item; a :class:`Lazy` list stays lazy.

        Raises
        ------
        ValueError
            If the order of ``args`` has a descending part (a masked item's place is only
            defined in an ascending one).
        """
        rule = self.masked
        if rule is None or not any(masked):
            return ranked
        if any(self.order_of(args).descending):
            raise ValueError("a masked item is placed in an ascending order only")
        keys = ranked.sort_keys
        if rule.left_out(args):
            kept = list(itertools.compress(range(len(keys)), [not m for m in masked]))
            return ranked.select(kept, Each(len(kept), lambda j: keys[kept[j]]))
        listed = list(keys)
        order = rule.positions(listed, masked, [key[-1] for key in listed])
        return ranked.select(order, Each(len(order), lambda j: (
            rule.key(listed[order[j]]) if masked[order[j]] else listed[order[j]])))


@dataclass(frozen=True, slots=True)
class Cost:
    """What one occurrence of a question's field costs the node budget.

    Attributes
    ----------
    base : int
        The graph it reads besides the nodes it returns.
    nodes : int
        Nodes it returns (a connection's are counted by the ``first`` rule instead).
    multiplier : int
        Factor on everything selected inside it.
    """

    base: int = 0
    nodes: int = 0
    multiplier: int = 1


class CostArguments(Protocol):
    """What a cost function can read of a field occurrence's arguments, by Python name."""

    def given(self, name: str) -> bool:
        """Whether the argument is given a non-null value (variables resolved)."""
        ...

    def integer(self, name: str) -> int | None:
        """The argument's integer value, or its default; ``None`` if neither."""
        ...

    def value(self, name: str) -> Any:
        """The argument's value as given, or ``None`` when not given.

        Variables resolved; an input object as a dict by its GraphQL field names, a list as
        a list.
        """
        ...


NodeReader = Callable[[str, Sequence[str]], Awaitable[Sequence[Node | None]]]
"""Reads nodes of one label by id, as :meth:`~graph_service.stores.base.GraphStore.get_nodes`."""

Batch = Callable[[GraphStore, Settings, Sequence[A]], Awaitable[list[R]]]
"""A batch form: answers aligned with validated argument sets whose subjects exist."""


def accept(args: A, settings: Settings) -> A:
    """Validation of arguments with nothing to check (any id is looked up): ``args``."""
    return args


def fixed_cost(base: int) -> Callable[[CostArguments, Settings], Cost]:
    """The cost function of a question that reads a bounded part of the graph: ``base``."""

    def cost(arguments: CostArguments, settings: Settings) -> Cost:
        return Cost(base=base)

    return cost


class Outside(StrEnum):
    """What a question answers about a subject whose personal data the caller may not see.

    A subject is such a node for a manager outside their portfolio, for an analyst or an
    application a person (:class:`graph_service.access.Scope`); the access rule applies this
    in one place (:meth:`graph_service.access.Scope.check`), for every registered question.

    - ``FORBIDDEN`` (the default, the safe one): refused with code ``FORBIDDEN``; for lists
      of nodes (``uncoveredEmployees`` of an enterprise outside the portfolio) and answers
      that are a person's own data (``crossSellGaps``).
    - ``MASKED``: answered, every node of the answer whose data the caller may not see
      masked to its label and id (paths and networks).
    - ``AGGREGATE``: answered as it is, a count or rate over many people (payroll coverage).
    - ``OWN_PORTFOLIO``: answered masked as ``MASKED``, about a ``Manager`` subject; a
      manager may ask it only about themselves (another manager's id is refused
      ``FORBIDDEN``): the answer lists what lies around that manager's portfolio
      (``managerLeads``).
    """

    FORBIDDEN = "forbidden"
    MASKED = "masked"
    AGGREGATE = "aggregate"
    OWN_PORTFOLIO = "own_portfolio"


@dataclass(frozen=True, slots=True)
class NodeField(Generic[A, R]):
    """A field of a node type answered by a question, the node being its subject.

    Attributes
    ----------
    label : str
        The node type's label (``Enterprise``).
    name : str
        Python name of the field (``payroll_coverage``; published in camelCase).
    subject : str
        The argument bound to the node's id; the others are the field's arguments.
    description : str
    project : callable, optional
        The field's value from the question's answer (``None``: the answer itself).
    type : type, optional
        The projected value's type (needed with ``project``).
    """

    label: str
    name: str
    subject: str
    description: str
    project: Callable[[R], Any] | None = None
    type: type | None = None


@dataclass(frozen=True, slots=True)
class Question(Generic[A, R]):
    """One linkage question.

    Attributes
    ----------
    name : str
        Python name (``payroll_coverage``); the root field is its camelCase.
    description : str
        Published description of the root field.
    arguments : type
        A frozen dataclass; its fields (``Annotated[type, Doc(...)]``, defaults) are the
        arguments. Sequences are tuples, so that argument sets are hashable.
    answer : type
        A frozen dataclass, ``list`` of one, or :class:`IdList`.
    subjects : callable
        ``subjects(args)``: the node keys that must exist, checked in order.
    batch : Batch
        The generic rule, in batch form.
    cost : callable
        ``cost(arguments, settings) -> Cost`` of one field occurrence
        (:func:`fixed_cost` for a constant one).
    validate : callable
        ``validate(args, settings) -> args``, normalised; raises ``InvalidInputError``.
        :func:`accept` (nothing to check) by default.
    pushdown : Batch, optional
        The same answer from a store that advertises ``name`` in ``store.pushdowns``.
    node_fields : tuple of NodeField
        Fields of node types answered by this question.
    lists : str, optional
        For an :class:`IdList` answer, the label of the listed nodes; for a
        :class:`Ranked` answer of nodes, the name of its connection type without
        ``Connection`` (``Search``, ``Enterprise``).
    ranking : Ranking, optional
        For a :class:`Ranked` answer: its order, item type and personal matches.
    outside : Outside
        What it answers about a subject the caller may not see unmasked
        (:attr:`Outside.FORBIDDEN` unless the question says otherwise).
    roles : frozenset of str, optional
        The roles (:class:`~graph_service.auth.caller.Role` values) besides ``admin`` that
        may ask it; another is refused ``FORBIDDEN`` (:meth:`graph_service.access.Scope.
        check`). ``None``: every role that reads the graph.
    personal_arguments : frozenset of str
        Arguments (Python names) that, given, make the answer tell its subject's people's own
        data: ``productTypes`` of the payroll questions, which otherwise count the bank's
        payroll products only, tells who holds any product named. Given (not ``None``), the
        question is answered only to a caller who sees those people unmasked
        (:meth:`graph_service.access.Scope.check`; a report fixing one, to an admin).
    """

    name: str
    description: str
    arguments: type[A]
    answer: Any
    subjects: Callable[[A], Sequence[NodeKey]]
    batch: Batch[A, R]
    cost: Callable[[CostArguments, Settings], Cost]
    validate: Callable[[A, Settings], A] = accept
    pushdown: Batch[A, R] | None = None
    node_fields: tuple[NodeField[A, R], ...] = ()
    lists: str | None = None
    ranking: Ranking[A] | None = None
    outside: Outside = Outside.FORBIDDEN
    roles: frozenset[str] | None = None
    personal_arguments: frozenset[str] = frozenset()


_OWN_ERRORS = (InvalidInputError, NotFoundError)
"""The errors an argument set answers alone (bad input, an absent node), whichever batch
holds it: :func:`each` answers them in its place, as :func:`answer_many` does."""


async def each(answers: Sequence[Awaitable[R]]) -> list[R]:
    """Await ``answers`` concurrently, in order (a lone one directly: no task to schedule).

    An answer that raises one of :data:`_OWN_ERRORS` has that error in its place, so the
    other argument sets of the batch (a bulk run's lines, a request's aliases) keep their
    answers (:func:`answer_many`'s contract); any other error fails the batch.
    """
    if len(answers) == 1:
        try:
            return [await answers[0]]
        except _OWN_ERRORS as error:
            return [cast(R, error)]
    found = await asyncio.gather(*answers, return_exceptions=True)
    for answer in found:
        if isinstance(answer, BaseException) and not isinstance(answer, _OWN_ERRORS):
            raise answer
    return cast(list[R], found)


def one_by_one(rule: Callable[[GraphStore, Settings, A], Awaitable[R]]) -> Batch[A, R]:
    """The batch form of a rule that answers one argument set: each, concurrently."""

    async def batch(store: GraphStore, settings: Settings, many: Sequence[A]) -> list[R]:
        return await each([rule(store, settings, args) for args in many])

    return batch


def pushes_down(store: GraphStore, question: Question[Any, Any]) -> bool:
    """Whether ``store`` answers ``question`` itself (its ``pushdowns`` names it)."""
    return question.pushdown is not None and question.name in store.pushdowns


async def check_book_scan(store: GraphStore, settings: Settings, label: str, name: str) -> None:
    """Refuse a generic rule that would read every node of ``label`` past the book scan bound.

    Parameters
    ----------
    store : GraphStore
    settings : Settings
        Gives ``max_book_scan``.
    label : str
        The label the rule reads whole.
    name : str
        The question, as published (``persons``), for the message.

    Raises
    ------
    InvalidInputError
        If ``store`` holds more than ``settings.max_book_scan`` nodes of ``label``.
    """
    size = (await store.counts()).get(label, 0)
    if size > settings.max_book_scan:
        raise InvalidInputError(
            f"{name} would read all {size:,} {label} nodes of this store, which reads at most "
            f"{settings.max_book_scan:,} for one question (GRAPH_SERVICE_MAX_BOOK_SCAN)"
        )


def _batch(store: GraphStore, question: Question[A, R]) -> Batch[A, R]:
    """The batch form ``store`` answers ``question`` by: its pushdown, or the generic rule."""
    if question.pushdown is not None and pushes_down(store, question):
        return question.pushdown
    return question.batch


async def answer_existing(
    question: Question[A, R], store: GraphStore, settings: Settings, many: Sequence[A]
) -> list[R]:
    """Answers of validated argument sets (``question.validate``'s) about existing subjects.

    The batch form alone (the store's pushdown where it has one), for subjects just read
    from ``store``: none of :func:`answer_many`'s per-set validation and subject reads,
    which for every enterprise of the book (a list sorted by a linkage figure) cost more
    than the answers.
    """
    return await _batch(store, question)(store, settings, list(many))


async def answer_many(
    question: Question[A, R],
    store: GraphStore,
    settings: Settings,
    many: Sequence[A],
    *,
    generic: bool = False,
    nodes: NodeReader | None = None,
) -> list[R | GraphServiceError]:
    """Answer many argument sets of one question: the DataLoaders', bulk's and reports' form.

    Parameters
    ----------
    question : Question
    store : GraphStore
    settings : Settings
    many : sequence of argument sets
        Instances of ``question.arguments``.
    generic : bool
        Use the generic rule even where the store has a pushdown (the differential tests).
    nodes : callable, optional
        ``nodes(label, ids)`` reads the subjects, aligned with ``ids`` (``None`` where
        absent): a request passes its node DataLoaders. Without it, only their existence is
        checked, by the store's :meth:`~graph_service.stores.base.GraphStore.handles` (a
        report over every enterprise reads no node).

    Returns
    -------
    list
        Aligned with ``many``: each answer, or the domain error of its argument set
        (``InvalidInputError``, ``NotFoundError``). Subjects are checked with one call per
        label; the answers read with one batch call.
    """
    results: list[Any] = [None] * len(many)
    valid: dict[int, A] = {}
    for i, args in enumerate(many):
        try:
            valid[i] = question.validate(args, settings)
        except GraphServiceError as error:
            results[i] = error
    subjects = {i: question.subjects(args) for i, args in valid.items()}
    wanted: dict[str, set[str]] = defaultdict(set)
    for keys in subjects.values():
        for label, node_id in keys:
            wanted[label].add(node_id)
    missing: set[NodeKey] = set()
    for label, ids in wanted.items():
        ordered = sorted(ids)
        if nodes is None:  # their existence alone: the store's handles, no node read
            found: Sequence[object] = await store.handles([(label, i) for i in ordered])
        else:
            found = await nodes(label, ordered)
        missing.update((label, i) for i, node in zip(ordered, found, strict=True) if node is None)
    for i in list(valid):
        absent = next((key for key in subjects[i] if key in missing), None)
        if absent is not None:
            results[i] = NotFoundError(*absent)
            del valid[i]
    if valid:
        batch = question.batch if generic else _batch(store, question)
        answers = await batch(store, settings, list(valid.values()))
        for i, answer in zip(valid, answers, strict=True):
            results[i] = answer
    return results


async def answer(
    question: Question[A, R],
    store: GraphStore,
    settings: Settings,
    args: A,
    *,
    generic: bool = False,
) -> R:
    """Answer one argument set of ``question`` (see :func:`answer_many`).

    Raises
    ------
    InvalidInputError
        If the arguments are refused.
    NotFoundError
        If a subject does not exist.
    """
    (result,) = await answer_many(question, store, settings, [args], generic=generic)
    if isinstance(result, GraphServiceError):
        raise result
    return result


__all__ = [
    "BOOK_SCAN_COST",
    "ENTERPRISE_COST",
    "PATH_SEARCH_COST",
    "Batch",
    "Cost",
    "CostArguments",
    "Doc",
    "Id",
    "IdList",
    "KeyPart",
    "Lazy",
    "NodeField",
    "NodeOf",
    "NodeReader",
    "Order",
    "Outside",
    "Question",
    "Ranked",
    "Ranking",
    "accept",
    "answer",
    "answer_many",
    "each",
    "fixed_cost",
    "one_by_one",
    "pushes_down",
]
