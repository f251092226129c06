"""What a report of a linkage question is: the argument sets it answers and its columns.

A report answers one registered question (:data:`graph_service.linkage.registry.QUESTIONS`)
for a whole set at once, through the question's batch form
(:func:`~graph_service.linkage.question.answer_many`, so through the store's pushdown where
it advertises one), and writes one row per item. Nothing here names a question: every
registered question whose answer can be rows is a report, found from its argument and
answer dataclasses, so a question registered later is a report without a change here.

The set: a question whose arguments name one node by id (an ``Id`` argument, such as
``enterpriseId``) is answered for every node of that label, or for those ``--where``
selects; an optional one (``executivesWithoutPrivateBanking``'s ``enterpriseId``) only when
``--by`` names it, the question being asked once for the whole book otherwise. ``--by`` may
instead name a value of an enum argument (``coverageRollup --by branch``). Error messages
name ``arg``, ``by`` and ``where`` without dashes: the command's options and the query
parameters of ``GET /reports`` alike; they repeat a value given at most 100 characters long
(:func:`~graph_service.errors.shorten`). A report takes at most 20 ``where`` conditions
(each tests every subject) and 20 ``arg`` values, as a list's ``where`` over GraphQL
(:data:`~graph_service.linkage.lists.MAX_WHERE_CONDITIONS`).

The rows (:class:`Column` describes each column, in order):

- an :class:`~graph_service.linkage.question.IdList` answer: one row per listed node, its id
  in the column ``<label>Id`` (``personId``);
- a list of dataclasses: one row per element;
- a dataclass: one row;
- a :class:`~graph_service.linkage.question.Ranked` answer whose ranking lists its ``item``
  dataclasses as rows (:attr:`~graph_service.linkage.question.Ranking.rows`: the analytics
  questions): one row per item, in rank order. Other ranked answers are no reports: node
  keys (search, the lists), or items their connection masks caller by caller.

A row of a set's question starts with its subject's id (``enterpriseId``), unless the
answer holds it already. A dataclass's fields and public properties become columns under
their published (camelCase) names, a nested dataclass's as dotted names
(``enterprise.id``); a column holds a text, integer, float or boolean, or a list of them; a
nested member of another kind (the path that explains a lead) is one column of JSON text.
A node of an item is its label and id, never its properties: the columns ``<member>.label``
and ``<member>.id`` (``node.label``, ``node.id``), the label left out when its
:class:`~graph_service.linkage.question.NodeOf` names one; a list of nodes of one label is
one list column of their ids under the member's name (``members``). An answer whose items
hold relationships, or lists of nodes of several labels (``clientNetwork``'s subgraph,
``linkagePaths``' paths), or :class:`~graph_service.linkage.question.Personal` data (masked
caller by caller) is no report.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import operator
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin, get_type_hints

from graph_service.access import Scope
from graph_service.auth.caller import Caller
from graph_service.config import Settings
from graph_service.errors import ForbiddenError, InvalidInputError, shorten
from graph_service.linkage.lists import MAX_WHERE_CONDITIONS
from graph_service.linkage.question import (
    Doc,
    Id,
    IdList,
    NodeOf,
    Outside,
    Personal,
    Question,
    Ranked,
)
from graph_service.linkage.registry import QUESTIONS
from graph_service.model import NODE_SPECS, NodeLabel, camel_case
from graph_service.stores.base import Node, Relationship

SCALARS: tuple[type, ...] = (str, int, float, bool)
"""The value types of a column (a list column holds values of one of them)."""

Row = tuple[Any, ...]
"""One output row: a value per column, aligned with :attr:`Report.columns`."""
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a report.

    Attributes
    ----------
    name : str
        Published name (``enterpriseId``, ``rate``, ``enterprise.id``).
    kind : type
        ``str``, ``int``, ``float`` or ``bool``: of the value, or of a list's items.
    is_list : bool
        Whether a cell holds a list of ``kind``.
    """

    name: str
    kind: type
    is_list: bool = False


@dataclass(frozen=True, slots=True)
class _Leaf:
    """A column and where it is in one item of the answer.

    ``path`` is the attributes leading to the value from the item (empty: the item itself);
    ``convert`` turns a non-null value into the column's (``None``: as it is).
    """

    column: Column
    path: tuple[str, ...]
    convert: Callable[[Any], Any] | None = None

    def read(self, item: Any) -> Any:
        """The value of the column in ``item``; ``None`` when an object on the way is."""
        value = item
        for name in self.path:
            if value is None:
                return None
            value = getattr(value, name)
        if value is None or self.convert is None:
            return value
        return self.convert(value)


def _strip(annotation: Any) -> Any:
    """The type of an annotation, ``Annotated``, ``X | None`` and ``NewType`` removed."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) != 1:
            raise TypeError(f"a union is no column: {annotation}")
        annotation = members[0]
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
    while hasattr(annotation, "__supertype__"):  # a NewType such as Id
        annotation = annotation.__supertype__
    return annotation


def _enum_value(member: enum.Enum) -> Any:
    return member.value


def _scalar(annotation: Any) -> tuple[type, Callable[[Any], Any] | None]:
    """The column kind of a scalar type and how to turn a value into it (``None``: as is)."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return str, _enum_value
    if annotation in SCALARS:
        return annotation, None
    raise TypeError(f"no column holds {annotation!r}")


def _members(cls: type) -> list[tuple[str, Any]]:
    """``(name, annotation)`` of a dataclass's fields, then of its public properties."""
    hints = get_type_hints(cls, include_extras=True)
    found = [(f.name, hints[f.name]) for f in dataclasses.fields(cls)]
    for name, member in vars(cls).items():
        if isinstance(member, property) and member.fget and not name.startswith("_"):
            found.append((name, get_type_hints(member.fget).get("return", Any)))
    return found


def _plain(value: Any) -> Any:
    """``value`` as JSON's types: dataclasses and mappings as objects, sequences as arrays."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {camel_case(f.name): _plain(getattr(value, f.name))
                for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _json_text(value: Any) -> str:
    """A member no column holds as such (a path, a node), as JSON text."""
    return json.dumps(_plain(value), ensure_ascii=False)


def _graph_element(annotation: Any) -> bool:
    """Whether a member holds nodes or relationships (alone or in a list)."""
    if get_origin(annotation) in (list, tuple):
        annotation = _strip(get_args(annotation)[0])
    return annotation in (Node, Relationship)


def _metadata(annotation: Any, kind: type[T]) -> T | None:
    """The ``Annotated`` metadata of ``annotation`` of type ``kind``, if any."""
    return next((m for m in getattr(annotation, "__metadata__", ()) if isinstance(m, kind)),
                None)


def _node_ids(nodes: Sequence[Node]) -> list[str]:
    return [node.id for node in nodes]


def _node_leaves(cls: type, name: str, annotation: Any) -> list[_Leaf]:
    """The columns of a member of ``cls`` holding nodes: their labels and ids, nothing else.

    A node: ``<member>.label`` and ``<member>.id``, the label left out when the member's
    :class:`~graph_service.linkage.question.NodeOf` names one. A list of nodes of one label:
    one list column of their ids, under the member's name.

    Raises
    ------
    TypeError
        If the member holds relationships, or a list of nodes of several labels (their ids
        alone would not tell them apart).
    """
    column_name, base = camel_case(name), _strip(annotation)
    listed = get_origin(base) in (list, tuple)
    element = get_args(base)[0] if listed else annotation
    node_of = _metadata(element, NodeOf)
    single = node_of is not None and len(node_of.labels) == 1
    if _strip(element) is not Node or (listed and not single):
        raise TypeError(f"{cls.__name__} holds graph elements ({name}): no rows")
    if listed:
        return [_Leaf(Column(column_name, str, is_list=True), (name,), _node_ids)]
    label = [] if single else [_Leaf(Column(column_name + ".label", str), (name, "label"))]
    return [*label, _Leaf(Column(column_name + ".id", str), (name, "id"))]


def _leaves(cls: type, prefix: str = "", path: tuple[str, ...] = ()) -> list[_Leaf]:
    """The columns of a dataclass, its nested dataclasses' flattened.

    A member holding nodes is their labels and ids (:func:`_node_leaves`); a nested member
    no column holds as such (a path, nodes) is one column of JSON text.

    Raises
    ------
    TypeError
        If the dataclass (not a nested one) holds relationships or lists of nodes of several
        labels itself (its items are graph elements: a subgraph, a path, not rows), or
        :class:`~graph_service.linkage.question.Personal` data, which a reader sees or not
        by the item's node.
    """
    leaves: list[_Leaf] = []
    for name, annotation in _members(cls):
        base = _strip(annotation)
        column_name, where = prefix + camel_case(name), (*path, name)
        if not path and _metadata(annotation, Personal) is not None:
            raise TypeError(f"{cls.__name__}.{name} is personal data, masked per caller: no rows")
        if _graph_element(base):
            if not path:
                leaves.extend(_node_leaves(cls, name, annotation))
                continue
            leaves.append(_Leaf(Column(column_name, str), where, _json_text))
        elif dataclasses.is_dataclass(base) and isinstance(base, type):
            leaves.extend(_leaves(base, column_name + ".", where))
        elif get_origin(base) in (list, tuple):
            try:
                kind, convert = _scalar(_strip(get_args(base)[0]))
            except TypeError:
                leaves.append(_Leaf(Column(column_name, str), where, _json_text))
                continue

            def as_list(values: Any, convert: Callable[[Any], Any] | None = convert) -> Any:
                return [convert(v) for v in values] if convert else list(values)

            leaves.append(_Leaf(Column(column_name, kind, is_list=True), where, as_list))
        else:
            try:
                kind, convert = _scalar(base)
            except TypeError:
                kind, convert = str, _json_text
            leaves.append(_Leaf(Column(column_name, kind), where, convert))
    return leaves


def _row_reader(leaves: Sequence[_Leaf]) -> Callable[[Any], tuple[Any, ...]]:
    """A function of an item to its cells, aligned with ``leaves``.

    Members read as they are (one attribute, no conversion) are read at once with
    :func:`operator.attrgetter`; the rest leaf by leaf.
    """
    if leaves and all(len(leaf.path) == 1 and leaf.convert is None for leaf in leaves):
        get = operator.attrgetter(*(leaf.path[0] for leaf in leaves))
        if len(leaves) > 1:
            return get  # type: ignore[return-value]  # a tuple of the attributes
        return lambda item: (get(item),)
    return lambda item: tuple(leaf.read(item) for leaf in leaves)


@dataclass(frozen=True, slots=True)
class _Shape:
    """How a question's answer becomes rows: the items of one answer, and their cells."""

    items: Callable[[Any], Sequence[Any]]
    leaves: list[_Leaf]
    cells: Callable[[Any], tuple[Any, ...]]

    @classmethod
    def of(cls, items: Callable[[Any], Sequence[Any]], leaves: list[_Leaf]) -> _Shape:
        return cls(items, leaves, _row_reader(leaves))


def _shape(question: Question[Any, Any]) -> _Shape:
    """The row shape of a question's answer.

    Raises
    ------
    TypeError
        If the answer cannot be rows (nodes, paths, subgraphs).
    """
    answer = question.answer
    if answer is IdList:
        label = question.lists or "node"
        column = Column(label[0].lower() + label[1:] + "Id", str)
        return _Shape(lambda found: found.ids, [_Leaf(column, ())], lambda node_id: (node_id,))
    if get_origin(answer) is list:
        (item,) = get_args(answer)
        if not (dataclasses.is_dataclass(item) and isinstance(item, type)):
            raise TypeError(f"a list of {item!r} is no rows")
        return _Shape.of(lambda found: found, _leaves(item))
    if answer is Ranked:
        ranking = question.ranking
        if ranking is None or ranking.item is None or not ranking.rows:
            # Node keys (search, the lists): rows of keys would skip what their field
            # applies per caller (Question.personal_match); items their connection masks
            # caller by caller, unless the question says they need not be (Ranking.rows).
            raise TypeError(f"{report_name(question)}'s ranking is no rows")
        return _Shape.of(lambda found: found.items, _leaves(ranking.item))
    if dataclasses.is_dataclass(answer) and isinstance(answer, type):
        return _Shape.of(lambda found: (found,), _leaves(answer))
    raise TypeError(f"{answer!r} is no rows")


def report_name(question: Question[Any, Any]) -> str:
    """A question's published name (its root field's), which names its report."""
    return camel_case(question.name)


def _reportable(question: Question[Any, Any]) -> bool:
    try:
        _shape(question)
    except TypeError:
        return False
    return True


def report_questions() -> dict[str, Question[Any, Any]]:
    """Every registered question that can be a report, by published name, in registry order."""
    return {report_name(q): q for q in QUESTIONS if _reportable(q)}


@dataclass(frozen=True, slots=True)
class _Argument:
    """One argument of a question, as a report sees it."""

    name: str
    published: str
    base: Any
    required: bool


def _arguments(question: Question[Any, Any]) -> list[_Argument]:
    hints = get_type_hints(question.arguments, include_extras=True)
    found = []
    for field in dataclasses.fields(question.arguments):
        annotation = hints[field.name]
        doc = next((m for m in getattr(annotation, "__metadata__", ()) if isinstance(m, Doc)),
                   None)
        published = (doc.name if doc else None) or camel_case(field.name)
        base = Id if _is_id(annotation) else _strip(annotation)
        required = (field.default is dataclasses.MISSING
                    and field.default_factory is dataclasses.MISSING)
        found.append(_Argument(field.name, published, base, required))
    return found


def _is_id(annotation: Any) -> bool:
    """Whether an argument's annotation is ``Id`` or ``Id | None`` (a node's id)."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        return Id in get_args(annotation)
    return annotation is Id


def _subject_label(question: Question[Any, Any], argument: str,
                   values: Mapping[str, Any]) -> str | None:
    """The label of the node an ``Id`` argument names, found from the question's subjects."""
    marker = "\x00report-subject"
    try:
        args = question.arguments(**{**values, argument: marker})
        subjects = question.subjects(args)
    except (TypeError, ValueError):
        return None
    return next((label for label, node_id in subjects if node_id == marker), None)


_KINDS: dict[Any, str] = {Id: "an id", str: "text", int: "an integer", float: "a number",
                          bool: "true or false"}
"""How an argument's type is named in a refusal."""


def _kind(base: Any) -> str:
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return f"one of {', '.join(m.name for m in base)}"
    return _KINDS.get(base, getattr(base, "__name__", str(base)))


def _coerce(argument: _Argument, text: str) -> Any:
    """The value of ``--arg NAME=TEXT`` for ``argument``, checked against its type.

    ``TEXT`` is read as JSON where it parses, else as text. As GraphQL coerces a variable
    (https://spec.graphql.org/October2021/#sec-Input-Coercion), a list argument takes a JSON
    array, each item of the list's type, or one value, a list of one; a text or id argument
    takes a JSON string, or ``TEXT`` as typed when it is a bare JSON number, boolean or
    null (``--arg product=2024``: a command line has no other spelling), never an array or
    an object; an id in an array may be an integer, as GraphQL's ``ID`` accepts.

    Raises
    ------
    InvalidInputError
        If the value is not of the argument's type (``productTypes=[1]``,
        ``productTypes={"a": 1}``), or is JSON nested too deeply for Python's parser (about
        1,000 levels: ``RecursionError``, which was an HTTP 500); the message names the
        argument.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise InvalidInputError(
            f"arg {argument.published}: the JSON is nested too deeply") from None
    except ValueError:
        value = text
    base = argument.base
    if get_origin(base) not in (list, tuple):
        try:
            return _coerce_scalar(base, value, text)
        except ValueError as exc:
            raise InvalidInputError(f"arg {argument.published}: {exc}") from None
    item = _strip(get_args(base)[0])
    if not isinstance(value, list):
        try:
            return (_coerce_scalar(item, value, text),)
        except ValueError:
            raise InvalidInputError(
                f"arg {argument.published}: expected a list of {_kind(item)} "
                f"(or one such value), got {shorten(text)!r}"
            ) from None
    found = []
    for number, member in enumerate(value, start=1):
        try:
            found.append(_coerce_scalar(item, member, None))
        except ValueError as exc:
            raise InvalidInputError(
                f"arg {argument.published}: expected a list of {_kind(item)}, "
                f"got {shorten(text)!r} (item {number}: {exc})"
            ) from None
    return tuple(found)


def _coerce_scalar(base: Any, value: Any, text: str | None) -> Any:
    """``value`` (parsed JSON) as a value of ``base``.

    ``text`` is what was typed; ``None`` for an item of a JSON array.

    Raises
    ------
    ValueError
        If ``value`` is not of ``base`` (see :func:`_coerce`).
    """
    bare = value is None or isinstance(value, int | float)  # bool is an int
    if base is Id or base is str:
        if isinstance(value, str):
            return Id(value)
        if text is not None and bare:
            return Id(text)
        if base is Id and isinstance(value, int) and not isinstance(value, bool):
            return Id(str(value))
    elif isinstance(base, type) and issubclass(base, enum.Enum):
        if isinstance(value, str):
            return _enum_member(base, value)
    elif base is bool and isinstance(value, bool):
        return value
    elif base is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    elif base is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    shown = (repr(shorten(text)) if text is not None
             else shorten(json.dumps(value, ensure_ascii=False)))
    raise ValueError(f"expected {_kind(base)}, got {shown}")


def _enum_member(cls: type[enum.Enum], text: str) -> enum.Enum:
    wanted = text.strip().lower()
    for member in cls:
        if wanted in (member.name.lower(), str(member.value).lower()):
            return member
    known = ", ".join(m.name for m in cls)
    raise ValueError(f"{shorten(text)!r} is not one of {known}")


@dataclass(frozen=True, slots=True)
class Filter:
    """A ``--where PROPERTY=VALUE`` condition on a report's subjects.

    A subject passes when its property (or ``id``) spelled as text equals ``value``
    (``true``/``false`` for booleans); a property it does not store is its label's default
    where there is one (:meth:`passes`), else it never passes. The property is one
    its label declares (:data:`graph_service.model.NODE_SPECS`) or one loaded from an extra
    CSV column (``loaders/canonical-csv.md``): a property no node of the label has, declared
    or loaded, is refused (:meth:`Report.check_filters`), not answered with no rows.
    """

    prop: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Filter:
        """Read ``PROPERTY=VALUE``.

        Raises
        ------
        InvalidInputError
            If there is no ``=`` or no property name.
        """
        prop, sep, value = text.partition("=")
        if not sep or not prop.strip():
            raise InvalidInputError(f"where must be PROPERTY=VALUE, got {shorten(text)!r}")
        return cls(prop.strip(), value)

    def passes(self, node_id: str, props: Mapping[str, Any],
               defaults: Mapping[str, Any] = MappingProxyType({})) -> bool:  # fmt: skip
        """Whether a node of id ``node_id`` and properties ``props`` passes.

        A property the node does not store is read as its label's default (``defaults``,
        :data:`graph_service.model.NODE_DEFAULTS`: ``blocked`` is ``false``), as every
        reader answers it; without one, the node does not pass.
        """
        if self.prop == "id":
            return node_id == self.value
        value = props.get(self.prop, defaults.get(self.prop))
        if value is None:
            return False
        shown = json.dumps(value) if isinstance(value, bool) else str(value)
        return shown == self.value


@dataclass(frozen=True, slots=True)
class Report:
    """A planned report: one question, the argument values it fixes, and its columns.

    Build it with :func:`plan`; :func:`graph_service.reports.run.report_rows` runs it.

    Attributes
    ----------
    name : str
        The question's published name (``payrollCoverage``).
    question : Question
    values : mapping
        Argument values every argument set shares (Python names).
    subject : str or None
        The ``Id`` argument answered for each node of :attr:`label`; ``None`` for a question
        asked once.
    label : str or None
        The label of the subjects.
    filters : tuple of Filter
        Conditions on the subjects (``--where``).
    columns : tuple of Column
    shape, subject_column
        How an answer becomes rows, and whether they start with the subject's id.
    """

    name: str
    question: Question[Any, Any]
    values: Mapping[str, Any]
    subject: str | None
    label: str | None
    filters: tuple[Filter, ...]
    columns: tuple[Column, ...]
    shape: _Shape
    subject_column: bool

    def undeclared_filters(self) -> list[str]:
        """The properties :attr:`filters` test that :attr:`label` does not declare.

        Such a property may still be loaded, from an extra CSV column: whether any subject
        has it is known only from the nodes (:meth:`check_filters`).
        """
        spec = NODE_SPECS.get(self.label or "")
        declared = spec.by_name if spec is not None else {}
        return [f.prop for f in self.filters if f.prop != "id" and f.prop not in declared]

    def check_filters(self, present: set[str]) -> None:
        """Refuse a filter on a property that no node of :attr:`label` has.

        Parameters
        ----------
        present : set of str
            Every property of the label's nodes (gathered by
            :func:`~graph_service.reports.run.subjects` when
            :meth:`undeclared_filters` is not empty).

        Raises
        ------
        InvalidInputError
            If a filter's property is neither declared by the label nor held by any of its
            nodes (a misspelt name): named, with the label's declared properties and those
            loaded from extra columns.
        """
        missing = [name for name in self.undeclared_filters() if name not in present]
        if not missing:
            return
        spec = NODE_SPECS.get(self.label or "")
        declared = ["id", *(spec.by_name if spec is not None else ())]
        extras = sorted(present - set(declared))
        loaded = (f"; loaded from extra columns: {', '.join(extras)}" if extras
                  else "; no extra columns loaded")
        raise InvalidInputError(
            f"where {shorten(missing[0])!r}: no {self.label} has that property "
            f"({self.label} declares {', '.join(declared)}{loaded})"
        )

    def check_arguments(self, settings: Settings) -> None:
        """Refuse argument values the question refuses, before any row is computed.

        The question's own check (``Question.validate``, the GraphQL field's) of the argument
        set every answer shares, its subject's id left empty (no check reads an id): a value
        out of range (``maxLength=99``) is refused before a download starts, not after its
        first bytes.

        Raises
        ------
        InvalidInputError
            The question's refusal, which names the argument.
        """
        self.question.validate(self.arguments(), settings)

    def arguments(self, subject_id: str | None = None) -> Any:
        """The argument set of one subject (of the question asked once, without one)."""
        values = dict(self.values)
        if self.subject is not None:
            values[self.subject] = Id(subject_id or "")
        return self.question.arguments(**values)

    def rows(self, subject_id: str | None, answer: Any) -> list[Row]:
        """The rows of one answer (of the subject ``subject_id``)."""
        cells = self.shape.cells
        if self.subject_column:
            return [(subject_id, *cells(item)) for item in self.shape.items(answer)]
        return [cells(item) for item in self.shape.items(answer)]


def plan(
    name: str,
    by: str | None = None,
    where: Sequence[str] = (),
    args: Sequence[str] = (),
) -> Report:
    """Plan the report of the question published as ``name``.

    Parameters
    ----------
    name : str
        The question's published name (``payrollCoverage``) or Python name.
    by : str, optional
        What the rows are per: an ``Id`` argument, by published name (``enterpriseId``) or
        its label (``enterprise``), answered for each node of that label; or a value of an
        enum argument, which that argument is then given (``branch``). Default: the
        question's required ``Id`` argument, if it has one; the whole book otherwise.
    where : sequence of str
        ``PROPERTY=VALUE`` conditions on the subjects (:class:`Filter`), all to hold; at most
        :data:`~graph_service.linkage.lists.MAX_WHERE_CONDITIONS` (20, a list's ``where``
        limit over GraphQL), a repeated one counted each time: each tests every subject.
    args : sequence of str
        ``NAME=VALUE``: an argument (published name) given to every argument set; the value
        is JSON when it parses as JSON (a list: ``["debit card"]``), text otherwise, and
        must be of the argument's type (:func:`_coerce`). At most as many as ``where``.

    Returns
    -------
    Report

    Raises
    ------
    InvalidInputError
        If no report question has that name (the known ones listed), ``where`` or ``args``
        holds more than :data:`~graph_service.linkage.lists.MAX_WHERE_CONDITIONS` entries,
        ``by`` matches no argument, an argument is unknown, repeated or of the wrong type, a
        required argument is left without a value, or ``where`` is given for a question
        asked once. A value the message repeats is cut to 100 characters
        (:func:`~graph_service.errors.shorten`).
    """
    for parameter, given in (("where", where), ("arg", args)):
        if len(given) > MAX_WHERE_CONDITIONS:
            raise InvalidInputError(
                f"{parameter} is given {len(given):,} times; a report takes at most "
                f"{MAX_WHERE_CONDITIONS}"
            )
    questions = report_questions()
    question = questions.get(name) or questions.get(camel_case(name))
    if question is None:
        raise InvalidInputError(
            f"no report question {shorten(name)!r}; reports: {', '.join(questions)}"
        )
    arguments = {a.published: a for a in _arguments(question)}
    values: dict[str, Any] = {}
    for given in args:
        key, sep, text = given.partition("=")
        argument = arguments.get(key.strip())
        if not sep or argument is None:
            known = ", ".join(arguments) or "none"
            raise InvalidInputError(
                f"arg must be NAME=VALUE with NAME an argument of {report_name(question)} "
                f"({known}), got {shorten(given)!r}"
            )
        if argument.name in values:
            raise InvalidInputError(f"arg {argument.published} is given twice")
        values[argument.name] = _coerce(argument, text)
    subject = _by(question, by, arguments, values)
    label = None
    if subject is not None:
        label = _subject_label(question, subject.name, values)
        if label is None:
            raise InvalidInputError(
                f"{report_name(question)}'s argument {subject.published} names no node"
            )
    missing = [a.published for a in arguments.values()
               if a.required and a.name not in values and a is not subject]
    if missing:
        raise InvalidInputError(
            f"{report_name(question)} needs {', '.join(missing)}: give arg NAME=VALUE"
        )
    if where and subject is None:
        raise InvalidInputError(
            f"where selects the nodes a report runs over, and {report_name(question)} is "
            "asked once for the whole book here (give by)"
        )
    shape = _shape(question)
    columns = [leaf.column for leaf in shape.leaves]
    subject_column = subject is not None and subject.published not in {c.name for c in columns}
    if subject is not None and subject_column:
        columns.insert(0, Column(subject.published, str))
    return Report(
        name=report_name(question),
        question=question,
        values=values,
        subject=subject.name if subject else None,
        label=label,
        filters=tuple(Filter.parse(w) for w in where),
        columns=tuple(columns),
        shape=shape,
        subject_column=subject_column,
    )


def _by(question: Question[Any, Any], by: str | None, arguments: Mapping[str, _Argument],
        values: dict[str, Any]) -> _Argument | None:
    """The ``Id`` argument a report iterates over (``None``: asked once); may set an enum.

    Raises
    ------
    InvalidInputError
        If ``by`` names nothing the question has.
    """
    ids = [a for a in arguments.values() if a.base is Id and a.name not in values]
    if by is None:
        required = [a for a in ids if a.required]
        return required[0] if len(required) == 1 else None
    wanted = by.strip().lower()
    labels = {label.value.lower(): label.value for label in NodeLabel}
    for argument in ids:
        if wanted == argument.published.lower():
            return argument
        if wanted in labels and _subject_label(question, argument.name, values) == labels[wanted]:
            return argument
    for argument in arguments.values():
        base = argument.base
        if isinstance(base, type) and issubclass(base, enum.Enum):
            try:
                values[argument.name] = _enum_member(base, by)
            except ValueError:
                continue
            required = [a for a in ids if a.required]
            return required[0] if len(required) == 1 else None
    choices = [a.published for a in ids] + [
        m.name.lower() for a in arguments.values()
        if isinstance(a.base, type) and issubclass(a.base, enum.Enum) for m in a.base
    ]
    raise InvalidInputError(
        f"by {shorten(by)!r}: {report_name(question)} has no such argument or value "
        f"(choices: {', '.join(choices) or 'none'})"
    )


def shown_rows(caller: Caller, report: Report, rows: list[Row]) -> list[Row]:
    """The rows of a report as ``caller`` may see them: every row of every report passes here.

    The one place where a report's rows meet the caller, on the command line
    (:func:`~graph_service.auth.caller.cli_caller`, an admin) and over HTTP (an analyst or an
    admin). A report's rows hold ids and figures, no names. A report is refused to a role
    its question leaves out (``Question.roles``, :meth:`graph_service.access.Scope.
    refuses_role`), as the GraphQL field is; one about nodes whose personal data the caller
    may not see (:meth:`graph_service.access.Scope.sees`: persons and accounts, for an
    analyst) when its question refuses such subjects (``Question.outside``), as the GraphQL
    field does; and one fixing an argument that tells people's own data
    (``Question.personal_arguments``: ``productTypes``) for anyone but an admin. Call it with
    no rows to check before any row is computed.

    Raises
    ------
    ForbiddenError
        If the caller may not read this report's rows.
    """
    scope = Scope(caller)
    refused = scope.refuses_role(report.question)
    if refused is not None:
        raise refused
    label = report.label
    if (label is not None and report.question.outside is Outside.FORBIDDEN
            and not scope.sees((label, ""))):
        raise ForbiddenError(
            f"report {report.name} answers about {label} nodes, whose personal data the "
            f"{caller.role.value} role may not read"
        )
    given = sorted(report.question.personal_arguments & report.values.keys())
    if given and not scope.unrestricted:
        raise ForbiddenError(
            f"report {report.name} with arg {camel_case(given[0])} tells which products "
            f"people hold: for admins, not {caller.role.value}"
        )
    return rows


__all__ = [
    "Column",
    "Filter",
    "Report",
    "Row",
    "plan",
    "report_name",
    "report_questions",
    "shown_rows",
]
