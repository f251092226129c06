"""Lists of enterprises, people and managers, filtered and sorted.

Questions ``enterprises``, ``persons`` and ``managers``.

In the vocabulary of the Neo4j GraphQL Library (version 7): ``where`` holds one filter per
property, each with the operators ``eq``, ``in``, ``contains``, ``startsWith``, ``lt``,
``lte``, ``gt``, ``gte`` (text) or ``eq``, ``in``, ``lt``, ``lte``, ``gt``, ``gte`` (numbers;
``eq`` alone for booleans), all of them to hold, and the Boolean operators ``AND`` and ``OR``
(lists of ``where``) and ``NOT`` (one ``where``). ``sort`` is a list of ``{property:
ASC|DESC}``, one property each, applied in order.

Rule:

- A filter compares the node's stored value (its declared default when absent:
  ``blocked`` is false); an absent value satisfies no operator, as ``null`` in Cypher.
  Text operators are case-sensitive and compare as text (Python's ``str`` order: code
  points); ``in`` with an empty list matches nothing; ``id`` filters the node's id.
- Enterprises may also be sorted by their linkage figures, which that library cannot do:
  ``uncoveredEmployees`` and ``coverageRate`` (:mod:`~graph_service.linkage.coverage`, the
  configured payroll products) and ``executivesWithoutPrivateBanking`` (how many of its
  executives are not private-banking customers, :mod:`~graph_service.linkage.
  private_banking`).
- Sorting: by each ``sort`` entry in turn, values absent (a ``region``, the ``coverageRate``
  of an enterprise without employees) last in either direction, then by id ascending, so
  the order is total and a cursor (which holds the sort key) stays meaningful under every
  order. Without ``sort``: by id.

Generic rule: the label's ids (``list_ids``), their nodes (``get_nodes``), the filter and
the sort in the service; seconds for a page at one million people, so refused for a label
of more than ``Settings.max_book_scan`` nodes. Pushed down by stores
that advertise the list (:class:`Pushdown`): the embedded store filters and sorts over
columns of the label's values and keeps each sort's order
(:mod:`graph_service.stores.embedded.lists`), and the items and sort keys of a page are read
from it. Cost: :data:`~graph_service.linkage.question.BOOK_SCAN_COST` (a scan of the
label) for each test of ``where`` that runs over every distinct value of its property
(:func:`scanning_tests`; at least one scan), plus :data:`FIGURES_COST` when ``sort`` may ask
for linkage figures (enterprises).
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import repeat
from typing import Annotated, Any, Protocol, TypeVar, cast

import numpy as np
import numpy.typing as npt

from graph_service.config import Settings
from graph_service.errors import InvalidInputError
from graph_service.linkage import coverage, private_banking
from graph_service.linkage.question import (
    BOOK_SCAN_COST,
    Cost,
    CostArguments,
    Doc,
    Each,
    Id,
    KeyPart,
    Lazy,
    Order,
    Question,
    Ranked,
    Ranking,
    answer_existing,
    check_book_scan,
)
from graph_service.model import NODE_DEFAULTS, PERSONAL_FIELDS, NodeKey, NodeLabel, camel_case
from graph_service.stores.base import (
    AllOf,
    AnyOf,
    GraphStore,
    Keep,
    Listed,
    Node,
    NotOf,
    PropertyTest,
    SortBy,
)

A = TypeVar("A")

FIGURES_COST = 2 * BOOK_SCAN_COST
"""Added to an ``enterprises`` field whose ``sort`` is given: the figures read every listed
enterprise's staff and their accounts."""
MAX_WHERE_CONDITIONS = 20
"""Most tests one ``where`` may make (:func:`_conditions`: each filter's operators, at least
one per filter, and each entry of ``AND``, ``OR`` and ``NOT``): each tests every node of the
label (the generic rule) or every distinct value of a property (the embedded store: a
million ids at one million people), so a larger filter is refused with ``BAD_USER_INPUT``
rather than holding the service for minutes; within it, each test that scans (not ``eq`` or
``in``) costs a scan of the label in the node budget (:func:`list_cost`)."""
MAX_IN_VALUES = 1_000
"""Most values of one ``in`` (a page of ids: ``first`` is capped at 1,000 too)."""
MAX_SORT_ENTRIES = 10
"""Most entries of ``sort`` (each adds to every node's sort key)."""


class SortDirection(StrEnum):
    """Direction of one sort entry."""

    ASC = "ASC"
    DESC = "DESC"


# -- filters -------------------------------------------------------------------------------

_In = Doc(name="in", description="One of these values.")


@dataclass(frozen=True, slots=True)
class StringFilter:
    """Operators on a text property (case-sensitive)."""

    eq: Annotated[str | None, Doc("Equal to.")] = None
    in_: Annotated[tuple[str, ...] | None, _In] = None
    contains: Annotated[str | None, Doc("Holds this text.")] = None
    starts_with: Annotated[str | None, Doc("Begins with this text.")] = None
    lt: Annotated[str | None, Doc("Before, as text.")] = None
    lte: Annotated[str | None, Doc("Before or equal, as text.")] = None
    gt: Annotated[str | None, Doc("After, as text.")] = None
    gte: Annotated[str | None, Doc("After or equal, as text.")] = None


@dataclass(frozen=True, slots=True)
class IdFilter(StringFilter):
    """Operators on a node's id (text; ``eq`` and ``in`` take IDs)."""

    eq: Annotated[Id | None, Doc("Equal to.")] = None
    in_: Annotated[tuple[Id, ...] | None, _In] = None


@dataclass(frozen=True, slots=True)
class BooleanFilter:
    """Operator on a boolean property."""

    eq: Annotated[bool | None, Doc("Equal to.")] = None


Filter = StringFilter | IdFilter | BooleanFilter

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "contains": operator.contains,  # wanted in value
    "starts_with": str.startswith,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}
"""Each operator but ``eq`` and ``in`` (sets): ``test(stored value, operand)``, for a stored
value that is present; built-in functions, so that :func:`map` runs them over a million
values at C speed."""

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    """The field names of a filter or ``where`` class, read once.

    ``dataclasses.fields`` on every test was half the time of a filter (a dict rather than
    :func:`functools.cache`, which mypy refuses dataclass types for, as unhashable).
    """
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names


def _test(condition: Filter) -> PropertyTest:
    """``condition`` as a test of one value (its property's name left empty).

    Every operator given must hold; an absent value (``None``) satisfies none, so it passes
    only a filter without operators. ``eq`` and ``in`` test set membership. The test's
    ``candidates`` are the values ``eq`` and ``in`` allow, when given: no other value can
    pass, so a store looks those up instead of testing every value of the property; its
    ``test_many`` tests a list of present values an operator at a time (:data:`_OPERATORS`).
    """
    allowed: frozenset[Any] | None = None
    others: list[tuple[Callable[[Any, Any], bool], Any]] = []
    for name in _field_names(type(condition)):
        wanted = getattr(condition, name)
        if wanted is None:
            continue
        if name in ("eq", "in_"):
            values = frozenset([wanted] if name == "eq" else wanted)
            allowed = values if allowed is None else allowed & values
        else:
            others.append((_OPERATORS[name], wanted))
    operators = len(others) + (allowed is not None)

    def test(value: Any) -> bool:
        if value is None:
            return not operators
        return (allowed is None or value in allowed) and all(
            check(value, wanted) for check, wanted in others)

    def test_many(values: Sequence[Any]) -> npt.NDArray[np.bool_]:
        found = np.ones(len(values), np.bool_)
        if allowed is not None:
            found &= np.fromiter(map(allowed.__contains__, values), np.bool_, len(values))
        for check, wanted in others:
            found &= np.fromiter(map(check, values, repeat(wanted)), np.bool_, len(values))
        return found

    candidates = None if allowed is None else frozenset(v for v in allowed if test(v))
    return PropertyTest("", test, candidates, test_many)


# -- where and sort, per label ---------------------------------------------------------------

_AND = Doc("Every one of these holds.")
_OR = Doc("At least one of these holds.")
_NOT = Doc("This does not hold.")


@dataclass(frozen=True, slots=True)
class EnterpriseWhere:
    """Filters on enterprises: every one given holds."""

    id: IdFilter | None = None
    name: StringFilter | None = None
    industry: StringFilter | None = None
    region: StringFilter | None = None
    blocked: BooleanFilter | None = None
    AND: Annotated[tuple[EnterpriseWhere, ...] | None, _AND] = None
    OR: Annotated[tuple[EnterpriseWhere, ...] | None, _OR] = None
    NOT: Annotated[EnterpriseWhere | None, _NOT] = None


@dataclass(frozen=True, slots=True)
class PersonWhere:
    """Filters on people: every one given holds."""

    id: IdFilter | None = None
    name: StringFilter | None = None
    segment: StringFilter | None = None
    blocked: BooleanFilter | None = None
    AND: Annotated[tuple[PersonWhere, ...] | None, _AND] = None
    OR: Annotated[tuple[PersonWhere, ...] | None, _OR] = None
    NOT: Annotated[PersonWhere | None, _NOT] = None


@dataclass(frozen=True, slots=True)
class ManagerWhere:
    """Filters on account managers: every one given holds."""

    id: IdFilter | None = None
    name: StringFilter | None = None
    kind: StringFilter | None = None
    branch: StringFilter | None = None
    AND: Annotated[tuple[ManagerWhere, ...] | None, _AND] = None
    OR: Annotated[tuple[ManagerWhere, ...] | None, _OR] = None
    NOT: Annotated[ManagerWhere | None, _NOT] = None


Where = EnterpriseWhere | PersonWhere | ManagerWhere
_BOOLEAN = ("AND", "OR", "NOT")


def passes(keep: Keep, node: Node) -> bool:
    """Whether ``node`` passes ``keep`` (:func:`keep_of` of a ``where``): the generic rule."""
    if isinstance(keep, PropertyTest):
        name = keep.name
        value = node.id if name == "id" else node.props.get(
            name, NODE_DEFAULTS.get(node.label, {}).get(name))
        return keep.test(value)
    if isinstance(keep, NotOf):
        return not passes(keep.part, node)
    if isinstance(keep, AllOf):
        return all(passes(part, node) for part in keep.parts)
    return any(passes(part, node) for part in keep.parts)


@dataclass(frozen=True, slots=True)
class EnterpriseSort:
    """One sort entry of ``enterprises``: set exactly one field."""

    id: SortDirection | None = None
    name: SortDirection | None = None
    industry: SortDirection | None = None
    region: SortDirection | None = None
    blocked: SortDirection | None = None
    uncovered_employees: Annotated[
        SortDirection | None, Doc("Employees without a payroll product (payrollCoverage).")
    ] = None
    coverage_rate: Annotated[
        SortDirection | None, Doc("payrollCoverage.rate; enterprises without employees last.")
    ] = None
    executives_without_private_banking: Annotated[
        SortDirection | None, Doc("How many executives are not private-banking customers.")
    ] = None


@dataclass(frozen=True, slots=True)
class PersonSort:
    """One sort entry of ``persons``: set exactly one field."""

    id: SortDirection | None = None
    name: SortDirection | None = None
    segment: SortDirection | None = None
    blocked: SortDirection | None = None


@dataclass(frozen=True, slots=True)
class ManagerSort:
    """One sort entry of ``managers``: set exactly one field."""

    id: SortDirection | None = None
    name: SortDirection | None = None
    kind: SortDirection | None = None
    branch: SortDirection | None = None


Sort = EnterpriseSort | PersonSort | ManagerSort

FIGURES: frozenset[str] = frozenset(
    {"uncovered_employees", "coverage_rate", "executives_without_private_banking"}
)
"""The sort fields that are linkage figures, not properties."""


# -- arguments ---------------------------------------------------------------------------------

_WHERE = Doc("Keep the nodes that satisfy it.")
_SORTS = Doc("Sort entries, applied in order, then by id; by id when omitted.")


@dataclass(frozen=True, slots=True)
class EnterpriseListArgs:
    """Arguments of ``enterprises``."""

    where: Annotated[EnterpriseWhere | None, _WHERE] = None
    sort: Annotated[tuple[EnterpriseSort, ...] | None, _SORTS] = None


@dataclass(frozen=True, slots=True)
class PersonListArgs:
    """Arguments of ``persons``."""

    where: Annotated[PersonWhere | None, _WHERE] = None
    sort: Annotated[tuple[PersonSort, ...] | None, _SORTS] = None


@dataclass(frozen=True, slots=True)
class ManagerListArgs:
    """Arguments of ``managers``."""

    where: Annotated[ManagerWhere | None, _WHERE] = None
    sort: Annotated[tuple[ManagerSort, ...] | None, _SORTS] = None


Args = EnterpriseListArgs | PersonListArgs | ManagerListArgs


def entries(args: Args) -> list[tuple[str, SortDirection]]:
    """The ``(field, direction)`` of each sort entry, in order.

    Raises
    ------
    InvalidInputError
        If an entry sets no field or several (naming the argument ``sort`` and its index).
    """
    found = []
    sort: tuple[Sort, ...] = args.sort or ()
    for i, entry in enumerate(sort):
        given = [(f.name, getattr(entry, f.name)) for f in dataclasses.fields(entry)
                 if getattr(entry, f.name) is not None]  # fmt: skip
        if len(given) != 1:
            names = ", ".join(camel_case(name) for name, _ in given) or "none"
            raise InvalidInputError(
                f"sort[{i}] must set exactly one field, got {names}"
            )
        found.append(given[0])
    return found


def _conditions(where: Where) -> int:
    """The tests ``where`` makes of a node: its filters' operators and its Boolean entries.

    A filter counts its operators, and at least 1 (one without any is still a test of the
    property); each entry of ``AND`` and ``OR``, and ``NOT``, counts 1 and what it holds.

    Raises
    ------
    InvalidInputError
        If an ``in`` holds more than :data:`MAX_IN_VALUES` values.
    """
    count = 0
    for name in _field_names(type(where)):
        given = getattr(where, name)
        if given is None or name in _BOOLEAN:
            continue
        operators = 0
        for kind in _field_names(type(given)):
            wanted = getattr(given, kind)
            if wanted is None:
                continue
            operators += 1
            if kind == "in_" and len(wanted) > MAX_IN_VALUES:
                raise InvalidInputError(
                    f"where.{camel_case(name)}.in holds {len(wanted):,} values; at most "
                    f"{MAX_IN_VALUES:,}"
                )
        count += max(1, operators)
    inner = [*(where.AND or ()), *(where.OR or ()), *([where.NOT] if where.NOT else [])]
    return count + sum(1 + _conditions(w) for w in inner)


def validate(args: A, settings: Settings) -> A:
    """Check the sort entries (:func:`entries`) and the size of ``where`` and ``sort``.

    Raises
    ------
    InvalidInputError
        If ``where`` makes more than :data:`MAX_WHERE_CONDITIONS` tests (:func:`_conditions`)
        or an ``in`` holds more than :data:`MAX_IN_VALUES` values, or ``sort`` has more than
        :data:`MAX_SORT_ENTRIES` entries (each costs a test of every node of the label).
    """
    sort = getattr(args, "sort", None) or ()
    if len(sort) > MAX_SORT_ENTRIES:
        raise InvalidInputError(
            f"sort has {len(sort):,} entries; at most {MAX_SORT_ENTRIES}"
        )
    entries(args)  # type: ignore[arg-type]
    where = getattr(args, "where", None)
    if where is not None and (count := _conditions(where)) > MAX_WHERE_CONDITIONS:
        raise InvalidInputError(
            f"where gives {count:,} conditions (each filter's operators, at least one per "
            f"filter, and each entry of AND, OR and NOT); at most {MAX_WHERE_CONDITIONS}: "
            "each tests every node of the list"
        )
    return args


def _fields_named(value: Any) -> set[str]:
    """The field names set anywhere in a ``where`` or sort entries, nesting included.

    ``AND``/``OR``/``NOT`` are walked; each name is given as stored and camel-cased.
    """
    if isinstance(value, tuple | list):
        return set().union(*(_fields_named(v) for v in value))
    if not dataclasses.is_dataclass(value):
        return set()
    found: set[str] = set()
    for field in dataclasses.fields(value):
        inner = getattr(value, field.name)
        if inner is not None:
            found |= {field.name, camel_case(field.name)} | _fields_named(inner)
    return found


_GUARDED_FIGURES = frozenset({"executives_without_private_banking"})
"""Figures an enterprise is sorted by that its question answers only within the caller's
scope (``executivesWithoutPrivateBanking`` is ``FORBIDDEN`` outside a manager's portfolio):
the cursor holds the figure, so such a list keeps the enterprises the caller sees."""


def personal_match(args: Args, key: NodeKey) -> bool:
    """Whether the list filters or sorts by a personal field of ``key``'s label.

    The personal fields are ``model.PERSONAL_FIELDS`` (a name, a segment), and for
    enterprises the figures of :data:`_GUARDED_FIGURES`.
    """
    personal = PERSONAL_FIELDS.get(key[0], frozenset())
    named = _fields_named(args.where) | _fields_named(args.sort)
    return bool(personal & named) or (key[0] == _ENTERPRISE and bool(_GUARDED_FIGURES & named))


def order(args: Args) -> Order:
    """The order of a list: per sort entry an absent flag and a value, then the id.

    Named after the entries (``uncoveredEmployees-desc.id``); the value parts of ``str``,
    ``int`` or ``float`` by the property's kind.
    """
    parts: list[type] = []
    descending: list[bool] = []
    names = []
    for name, direction in entries(args):
        parts += [int, _PART_TYPES.get(name, str)]
        descending += [False, direction is SortDirection.DESC]
        names.append(f"{camel_case(name)}-{direction.value.lower()}")
    return Order(".".join([*names, "id"]), (*parts, str), (*descending, False))


_PART_TYPES: dict[str, type] = {
    "blocked": int,
    "uncovered_employees": int,
    "coverage_rate": float,
    "executives_without_private_banking": int,
}
"""Sort fields whose values are not text."""
_ABSENT: dict[type, KeyPart] = {str: "", int: 0, float: 0.0}


async def _figures(
    store: GraphStore, settings: Settings, ids: Sequence[str], wanted: set[str]
) -> dict[str, dict[str, Any]]:
    """The linkage figures ``wanted`` of each enterprise (``ids``, read from ``store``).

    Through their questions' batch forms (:func:`~graph_service.linkage.question.
    answer_existing`).
    """
    figures: dict[str, dict[str, Any]] = {e: {} for e in ids}
    if wanted & {"uncovered_employees", "coverage_rate"}:
        products = settings.rules().payroll(None)  # what coverage.validate resolves
        many = [coverage.PayrollArgs(Id(e), products) for e in ids]
        for cov in await answer_existing(coverage.QUESTION, store, settings, many):
            figures[cov.enterprise_id] |= {"uncovered_employees": cov.uncovered,
                                           "coverage_rate": cov.rate}  # fmt: skip
    if "executives_without_private_banking" in wanted:
        executives = [private_banking.ExecutivesArgs(Id(e)) for e in ids]
        answers = await answer_existing(private_banking.QUESTION, store, settings, executives)
        for e, found in zip(ids, answers, strict=True):
            figures[e]["executives_without_private_banking"] = len(found.ids)
    return figures


def _part(value: Any, kind: type) -> tuple[int, KeyPart]:
    """``(absent flag, value)`` of one sort value: absent last, its value a placeholder."""
    if value is None:
        return (1, _ABSENT[kind])
    return (0, kind(value))


def _sort_key(node: Node, sorting: Sequence[tuple[str, SortDirection]],
              figures: Mapping[str, Mapping[str, Any]]) -> tuple[KeyPart, ...]:
    """The sort key of ``node``: per sort entry ``(absent flag, value)``, then its id.

    Values are the node's properties (their label's default when absent), or its
    ``figures`` by name.
    """
    defaults = NODE_DEFAULTS.get(node.label, {})
    key: list[KeyPart] = []
    for name, _ in sorting:
        if name in FIGURES:
            value = figures[node.id][name]
        elif name == "id":
            value = node.id
        else:
            value = node.props.get(camel_case(name), defaults.get(camel_case(name)))
        key += _part(value, _PART_TYPES.get(name, str))
    key.append(node.id)
    return tuple(key)


def lister(label: str) -> Callable[[GraphStore, Settings, Sequence[Any]], Any]:
    """The generic rule of the list of ``label`` (see the module's rule).

    Refused (``InvalidInputError``) for a label of more than ``Settings.max_book_scan``
    nodes: it reads every one.
    """

    async def one(store: GraphStore, settings: Settings, args: Args) -> Ranked:
        sorting = entries(args)
        await check_book_scan(store, settings, label, _NAMES[label])
        ids = await store.list_ids(label)
        nodes = [n for n in await store.get_nodes(label, ids) if n is not None]
        keep = None if args.where is None else keep_of(args.where)
        kept = [n for n in nodes if keep is None or passes(keep, n)]
        wanted = {name for name, _ in sorting} & FIGURES
        figures = await _figures(store, settings, [n.id for n in kept], wanted) if wanted else {}
        the_order = order(args)
        keyed = []
        for node in kept:
            key = _sort_key(node, sorting, figures)
            keyed.append((the_order.comparable(key), key, node.key))
        keyed.sort(key=lambda item: item[0])
        return Ranked(items=[k for _, _, k in keyed], sort_keys=[s for _, s, _ in keyed])

    async def batch(store: GraphStore, settings: Settings, many: Sequence[Any]) -> list[Ranked]:
        return [await one(store, settings, args) for args in many]

    return batch


class Pushdown(Protocol):
    """The optional method of a store advertising the lists (``enterprises``...)."""

    async def list_nodes(self, label: str, keep: Keep | None, sort: Sequence[SortBy],
                         defaults: Mapping[str, Any]) -> Listed:  # fmt: skip
        """The nodes of ``label`` that pass ``keep``, ordered by ``sort``, then by id.

        ``defaults``: each property's value for a node without one
        (:data:`~graph_service.model.NODE_DEFAULTS`). The order and the nodes kept are
        those of the module's rule.
        """
        ...


def keep_of(where: Where) -> Keep:
    """``where`` as a tree of property tests (:class:`~graph_service.stores.base.Keep`).

    Built once per list: the generic rule tests each node with it (:func:`passes`), a store
    that answers the list itself each distinct value (or the candidates) of a property.
    """
    parts: list[Keep] = []
    for name in _field_names(type(where)):
        given = getattr(where, name)
        if given is not None and name not in _BOOLEAN:
            parts.append(dataclasses.replace(_test(given), name=camel_case(name)))
    if where.AND is not None:
        parts.append(AllOf(tuple(keep_of(w) for w in where.AND)))
    if where.OR is not None:
        parts.append(AnyOf(tuple(keep_of(w) for w in where.OR)))
    if where.NOT is not None:
        parts.append(NotOf(keep_of(where.NOT)))
    return AllOf(tuple(parts))


def pushdown_of(label: str) -> Callable[[GraphStore, Settings, Sequence[Any]], Any]:
    """The list of ``label`` from the store's own ``list_nodes`` (:class:`Pushdown`).

    The store filters and orders; the items and their sort keys are read from it when
    asked, so a page reads a page of nodes, not the label's million. Figures to sort by are
    computed for the nodes that pass the filter and handed to the store.
    """
    defaults: Mapping[str, Any] = NODE_DEFAULTS.get(label, {})

    async def one(own: Pushdown, store: GraphStore, settings: Settings, args: Args) -> Ranked:
        sorting = entries(args)
        keep = None if args.where is None else keep_of(args.where)
        wanted = {name for name, _ in sorting} & FIGURES
        figures: dict[str, dict[str, Any]] = {}
        if wanted:
            passing = (await own.list_nodes(label, keep, (), defaults)).ids()
            figures = await _figures(store, settings, passing, wanted)
        sort = [
            SortBy(camel_case(name), direction is SortDirection.DESC, _PART_TYPES.get(name, str),
                   {e: f[name] for e, f in figures.items()} if name in FIGURES else None)
            for name, direction in sorting
        ]
        listed = await own.list_nodes(label, keep, sort, defaults)
        size, node = listed.size, listed.node
        keys = Each(size, lambda i: node(i).key, lambda: zip(repeat(label), listed.ids()),
                    lambda wanted: listed.find([i for lab, i in wanted if lab == label]))
        return Ranked(Lazy(keys, keys.__getitem__),
                      Each(size, lambda i: _sort_key(node(i), sorting, figures)))

    async def batch(store: GraphStore, settings: Settings, many: Sequence[Any]) -> list[Ranked]:
        own = cast(Pushdown, store)
        return [await one(own, store, settings, args) for args in many]

    return batch


def no_subjects(args: Any) -> tuple[NodeKey, ...]:
    """No node must exist beforehand."""
    return ()


SCANNING_OPERATORS = frozenset({"contains", "startsWith", "lt", "lte", "gt", "gte"})
"""A filter's operators that test every distinct value of its property (``eq`` and ``in``
look their values up instead): at one million people, about 0.1 s each over the persons'
ids or names (benchmarks/README.md, "Lists at scale")."""


def scanning_tests(where: Any) -> int:
    """The :data:`SCANNING_OPERATORS` given in a ``where`` value as sent.

    ``AND``, ``OR`` and ``NOT`` entries included; anything else counts nothing (validation
    refuses it).
    """
    if not isinstance(where, Mapping):
        return 0
    count = 0
    for name, value in where.items():
        if name in ("AND", "OR") and isinstance(value, list):
            count += sum(scanning_tests(entry) for entry in value)
        elif name == "NOT":
            count += scanning_tests(value)
        elif isinstance(value, Mapping):
            count += sum(1 for op, operand in value.items()
                         if op in SCANNING_OPERATORS and operand is not None)  # fmt: skip
    return count


def list_cost(arguments: CostArguments, settings: Settings) -> Cost:
    """A scan of the label per scanning test of ``where``, at least one.

    :data:`~graph_service.linkage.question.BOOK_SCAN_COST` times :func:`scanning_tests`.
    """
    return Cost(base=BOOK_SCAN_COST * max(1, scanning_tests(arguments.value("where"))))


def enterprise_cost(arguments: CostArguments, settings: Settings) -> Cost:
    """:func:`list_cost`, plus :data:`FIGURES_COST` when ``sort`` is given.

    A sort may ask for the linkage figures of every listed enterprise.
    """
    extra = FIGURES_COST if arguments.given("sort") else 0
    return Cost(base=list_cost(arguments, settings).base + extra)


_ENTERPRISE, _PERSON, _MANAGER = (
    NodeLabel.ENTERPRISE.value, NodeLabel.PERSON.value, NodeLabel.MANAGER.value
)

_NAMES = {_ENTERPRISE: "enterprises", _PERSON: "persons", _MANAGER: "managers"}


def _list(label: str, arguments: type, what: str, cost: Any = list_cost) -> Question[Any, Any]:
    """The list question of ``label`` (``enterprises``...), its arguments ``arguments``."""
    name = _NAMES[label]
    return Question(
        name=name,
        description=f"{what} satisfying `where`, sorted by `sort`, then by id.",
        arguments=arguments,
        answer=Ranked,
        lists=label,
        subjects=no_subjects,
        batch=lister(label),
        pushdown=pushdown_of(label),
        cost=cost,
        validate=validate,
        ranking=Ranking(order=order, personal_match=personal_match),
    )


ENTERPRISES = _list(
    _ENTERPRISE, EnterpriseListArgs, "Enterprises (sorted also by the linkage figures "
    "uncoveredEmployees, coverageRate, executivesWithoutPrivateBanking)", enterprise_cost,
)
"""``enterprises``."""
PERSONS = _list(_PERSON, PersonListArgs, "People")
"""``persons``."""
MANAGERS = _list(_MANAGER, ManagerListArgs, "Account managers")
"""``managers``."""

QUESTIONS: tuple[Question[Any, Any], ...] = (ENTERPRISES, PERSONS, MANAGERS)
"""The three lists, in registration order."""
