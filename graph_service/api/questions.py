"""GraphQL fields generated from the question registry (:mod:`graph_service.linkage.registry`).

For each :class:`~graph_service.linkage.question.Question`, with strawberry's public API
(``strawberry.field(resolver=...)``, ``strawberry.argument``, ``strawberry.type``,
``strawberry.lazy``):

- a root field (:func:`root_fields`, on ``Query``): its name the camelCase of the question's,
  its arguments those of the question's argument dataclass, plus ``first`` and ``after``
  when it lists nodes (:class:`~graph_service.linkage.question.IdList`, answered as a
  connection of their label);
- the node-type fields it declares (:func:`node_fields`, on ``Enterprise``, ``Person``...),
  the node being the question's subject; a field marked personal
  (:data:`graph_service.model.PERSONAL_FIELDS`) is nullable and ``null`` on a masked node;
- the node budget's entry of each of these fields (:func:`costed_fields`).

A question with a :class:`~graph_service.linkage.question.Ranking` answers a
:class:`~graph_service.linkage.question.Ranked` list, paged by versioned cursors holding
each item's sort key (:class:`~graph_service.api.pagination.CursorOrder` named after the
root field and the ranking's order). Its items are nodes, published as the connection
``Question.lists`` names (``SearchConnection``, ``EnterpriseConnection``), or instances
of the ranking's item dataclass, published as the connection generated for it
(:func:`item_connection`: ``<Item>Connection`` of ``<Item>Edge``, each edge its cursor and
the item's fields).

Every field is answered through the request's DataLoader of its question
(:meth:`graph_service.api.context.Context.answers`), that is through the question's batch
form, which applies the caller's scope (:mod:`graph_service.access`); every root field
carries the permission :class:`~graph_service.api.permissions.ReadsGraph`. A question added
to the registry is therefore covered by the access rules without more code.

Argument types map as: ``Id`` to ``ID``; ``NodeKey`` to the input ``NodeRef``;
tuples to lists; ``X | None`` to a nullable argument; an ``Enum`` to a GraphQL enum of the
same name; a dataclass to a generated input type. Answer types map as:
``Annotated[Node, NodeOf(label)]`` to that node type (``Party`` for enterprises and
people); ``Coverage`` to
``PayrollCoverage``, ``Subgraph`` to ``ClientNetwork``, ``Path`` to ``LinkagePath``, a plain
``Node`` (any label) to ``GraphNode`` and ``Relationship`` to ``GraphRelationship`` (types
of :mod:`graph_service.api.types`, each with an ``of`` constructor); any other dataclass to a
generated object type of the same name and fields, its description the first line of its
docstring, its fields' descriptions from their :class:`~graph_service.linkage.question.Doc`.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import importlib
import inspect
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import (
    Annotated,
    Any,
    Optional,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

import strawberry
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from graph_service.access import MaskedNode
from graph_service.api.context import when_loaded
from graph_service.api.pagination import CursorOrder, PageArgs
from graph_service.api.permissions import ReadsGraph
from graph_service.api.trail import note_read
from graph_service.errors import ForbiddenError
from graph_service.linkage.question import (
    Doc,
    Id,
    IdList,
    Lazy,
    NodeField,
    NodeOf,
    Order,
    Personal,
    Question,
    Ranked,
)
from graph_service.linkage.registry import QUESTIONS
from graph_service.model import PERSONAL_FIELDS, NodeKey
from graph_service.stores.base import Coverage, Node, Path, Relationship, Subgraph

T = TypeVar("T", bound=type)

_TYPES_MODULE = "graph_service.api.types"
_KNOWN_ANSWERS: dict[type, str] = {
    Coverage: "PayrollCoverage",
    Subgraph: "ClientNetwork",
    Path: "LinkagePath",
    Node: "GraphNode",
    Relationship: "GraphRelationship",
}
"""Domain answer types published as a hand-written type of :mod:`graph_service.api.types`."""


@functools.cache
def _api_types() -> Any:
    """:mod:`graph_service.api.types`, imported when first needed (it imports this module)."""
    return importlib.import_module(_TYPES_MODULE)


def _lazy(name: str) -> Any:
    """The annotation of type ``name`` of :mod:`graph_service.api.types`, resolved lazily."""
    return Annotated[name, strawberry.lazy(_TYPES_MODULE)]


def _split(annotation: Any) -> tuple[Any, Doc | None]:
    """``(type, Doc)`` of ``Annotated[type, Doc(...)]``; ``(annotation, None)`` otherwise."""
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        return base, next((m for m in meta if isinstance(m, Doc)), None)
    return annotation, None


def _node_of(annotation: Any) -> NodeOf | None:
    """The :class:`NodeOf` of ``Annotated[Node, NodeOf(...)]``; ``None`` otherwise."""
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        if base is Node:
            return next((m for m in meta if isinstance(m, NodeOf)), None)
    return None


@functools.cache
def _enum(cls: type[enum.Enum]) -> Any:
    """The GraphQL enum of a domain enum (registered once)."""
    first_line = next(iter((cls.__doc__ or "").strip().splitlines()), None)
    return strawberry.enum(cls, description=first_line)


def _graphql(annotation: Any, inputs: bool = False) -> Any:
    """The strawberry annotation of a domain type (see the module's mapping).

    With ``inputs``, a dataclass maps to a generated input type (:func:`input_type`).
    """
    node_of = _node_of(annotation)
    if node_of is not None:
        (label,) = node_of.labels if len(node_of.labels) == 1 else ("Party",)
        return _lazy(label)
    annotation, _ = _split(annotation)
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        (member,) = members
        return Optional[_graphql(member, inputs)]  # noqa: UP045 - built at run time
    if annotation is Id:
        return strawberry.ID
    if annotation == NodeKey:
        return _lazy("NodeRef")
    if origin in (tuple, list):
        item, *rest = get_args(annotation)
        assert origin is list or rest == [Ellipsis], f"not a sequence type: {annotation}"
        return list[_graphql(item, inputs)]  # type: ignore[misc]
    if isinstance(annotation, type) and annotation in _KNOWN_ANSWERS:
        return _lazy(_KNOWN_ANSWERS[annotation])
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _enum(annotation)
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return input_type(annotation) if inputs else answer_type(annotation)
    return annotation


_INPUTS: dict[type, Any] = {}
"""Generated input type of each domain argument dataclass (module attributes too, by name)."""
_DOMAIN: dict[type, type] = {}
"""The domain dataclass of each generated input type."""


def input_type(cls: type) -> Any:
    """The input type generated for a domain argument dataclass (one per class).

    Its fields are the dataclass's, optional with their defaults, described and named by
    their :class:`~graph_service.linkage.question.Doc`. A dataclass that refers to itself
    (``AND: tuple[EnterpriseWhere, ...]``) refers to its input type by name, resolved
    lazily from this module, where the generated type is kept.
    """
    if cls in _INPUTS:
        return _INPUTS[cls]
    _INPUTS[cls] = _lazy_input(cls.__name__)
    fields, summary = _generated(cls, inputs=True)
    generated = strawberry.input(fields, description=summary)
    globals()[cls.__name__] = generated
    _INPUTS[cls] = generated
    _DOMAIN[generated] = cls
    return generated


def _lazy_input(name: str) -> Any:
    """The annotation of generated input type ``name``, resolved lazily from this module."""
    return Annotated[name, strawberry.lazy(__name__)]


@functools.cache
def answer_type(cls: type) -> Any:
    """The object type generated for a domain answer dataclass (one per class).

    Parameters
    ----------
    cls : type
        A dataclass; fields may be ``Annotated[type, Doc(description)]``.
    """
    fields, summary = _generated(cls, inputs=False)
    return strawberry.type(fields, description=summary)


def _generated(cls: type, inputs: bool, name: str | None = None,
               extra: Mapping[str, tuple[Any, str]] | None = None) -> tuple[type, str | None]:
    """A class of the fields of dataclass ``cls`` for strawberry, and its description.

    Named ``name`` (the dataclass's name by default); the fields ``extra`` (name to
    annotation and description) first, then each of the dataclass's, typed by
    :func:`_graphql`, described and named by its ``Doc``; input fields keep their dataclass
    default. The description is the first line of the docstring.
    """
    hints = get_type_hints(cls, include_extras=True)
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations, "__module__": __name__,
                                 "__doc__": cls.__doc__}  # fmt: skip
    for field_name, (annotation, text) in (extra or {}).items():
        annotations[field_name] = annotation
        namespace[field_name] = strawberry.field(description=text)
    for field in dataclasses.fields(cls):
        _, doc = _split(hints[field.name])
        annotations[field.name] = _graphql(hints[field.name], inputs)
        description, published = (None, None) if doc is None else (doc.description, doc.name)
        if inputs:
            default = None if field.default is dataclasses.MISSING else field.default
            namespace[field.name] = strawberry.field(default=default, description=description,
                                                     name=published)  # fmt: skip
        elif doc is not None:
            namespace[field.name] = strawberry.field(description=description, name=published)
    summary = next(iter((cls.__doc__ or "").strip().splitlines()), None)
    return type(name or cls.__name__, (), namespace), summary


@functools.cache
def item_connection(item: type, order: str) -> Any:
    """The connection type generated for ranked items of dataclass ``item`` (one per class).

    ``<Item>Connection``: ``totalCount``, ``edges`` (``<Item>Edge``: ``cursor`` and the
    item's fields) and ``pageInfo``; its description names the ``order``.
    """
    fields, summary = _generated(item, inputs=False, name=f"{item.__name__}Edge",
                                 extra={"cursor": (str, "Where this edge sits, for `after`.")})
    edge = strawberry.type(fields, description=summary)
    hints = get_type_hints(item, include_extras=True)
    converts = {f.name: _convert(hints[f.name]) for f in dataclasses.fields(item)}
    personal = any(isinstance(extra, Personal)
                   for f in dataclasses.fields(item) for extra in get_args(hints[f.name])[1:])

    @classmethod  # type: ignore[misc]
    def of_ranked(cls: Any, info: Info, ranked: Ranked[Any], order: Order,
                  cursors: CursorOrder, page: PageArgs) -> Any:
        """One page of ranked items, with versioned cursors of their order."""
        window = page.positions(ranked.sort_keys, order.comparable)
        marks = [cursors.encode(ranked.sort_keys[i]) for i in window.items]
        edges = [
            edge(cursor=cursor, **{n: c(getattr(ranked.items[i], n)) for n, c in converts.items()})
            for cursor, i in zip(marks, window.items, strict=True)
        ]
        if personal:  # an unmasked item's personal fields (a lead's signal): read, for the trail
            for i in window.items:
                node = getattr(ranked.items[i], "node", None)
                if isinstance(node, Node) and not isinstance(node, MaskedNode):
                    note_read(node.id)
        info_ = _api_types().PageInfo(
            has_next_page=window.has_next, has_previous_page=window.has_previous,
            start_cursor=marks[0] if marks else None, end_cursor=marks[-1] if marks else None,
        )  # fmt: skip
        return cls(total_count=window.total, edges=edges, page_info=info_)

    return strawberry.type(
        type(f"{item.__name__}Connection", (), {
            "__annotations__": {"total_count": int, "edges": list[edge],  # type: ignore[valid-type]
                                "page_info": _lazy("PageInfo")},
            "__module__": __name__,
            "total_count": strawberry.field(description="Length of the whole list."),
            "of_ranked": of_ranked,
        }),
        description=f"A page of {item.__name__} edges, in the order {order}.",
    )  # fmt: skip


def _convert(annotation: Any) -> Callable[[Any], Any]:
    """Turns a domain answer of type ``annotation`` into its GraphQL value."""
    if _node_of(annotation) is not None:
        return lambda node: _api_types().as_type(node)
    annotation, _ = _split(annotation)
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        each = _convert(item)
        return lambda values: [each(v) for v in values]
    if isinstance(annotation, type) and annotation in _KNOWN_ANSWERS:
        name = _KNOWN_ANSWERS[annotation]
        return lambda value: getattr(_api_types(), name).of(value)
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        generated = answer_type(annotation)
        names = [f.name for f in dataclasses.fields(annotation)]
        return lambda value: generated(**{n: getattr(value, n) for n in names})
    return lambda value: value


def _domain_value(value: Any) -> Any:
    """An argument's value as the domain takes it.

    Lists as tuples, a NodeRef as its key, a generated input as its domain dataclass.
    """
    if isinstance(value, list):
        return tuple(_domain_value(v) for v in value)
    if isinstance(value, _api_types().NodeRef):
        return value.key
    domain = _DOMAIN.get(type(value))
    if domain is not None:
        return domain(**{f.name: _domain_value(getattr(value, f.name))
                         for f in dataclasses.fields(domain)})  # fmt: skip
    return value


@dataclass(frozen=True, slots=True)
class _Argument:
    """One argument of a question: Python name, published name, signature parameter."""

    name: str
    graphql_name: str
    parameter: inspect.Parameter


def arguments(question: Question[Any, Any]) -> list[_Argument]:
    """The published arguments of a question, in the order of its dataclass fields."""
    hints = get_type_hints(question.arguments, include_extras=True)
    found = []
    for field in dataclasses.fields(question.arguments):
        annotation, doc = _split(hints[field.name])
        graphql = _graphql(annotation, inputs=True)
        if doc is not None:
            graphql = Annotated[
                graphql, strawberry.argument(description=doc.description, name=doc.name)
            ]
        default = inspect.Parameter.empty if field.default is dataclasses.MISSING else (
            field.default
        )
        parameter = inspect.Parameter(
            field.name, inspect.Parameter.KEYWORD_ONLY, annotation=graphql, default=default
        )
        name = doc.name if doc is not None and doc.name else to_camel_case(field.name)
        found.append(_Argument(field.name, name, parameter))
    return found


def _parameter(name: str, annotation: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation)


def _root_field(question: Question[Any, Any]) -> Any:
    """The root field of ``question``."""
    params = [a.parameter for a in arguments(question)]
    build = question.arguments

    if question.answer is IdList:
        api = _api_types()
        connection = getattr(api, f"{question.lists}Connection")
        label = question.lists

        def resolve_page(info: Info, **kwargs: Any) -> Any:
            ctx = info.context
            page = PageArgs.parse(kwargs.pop("first"), kwargs.pop("after"), ctx.settings,
                                  connection.labels)  # fmt: skip
            args = build(**{k: _domain_value(v) for k, v in kwargs.items()})
            return when_loaded(ctx.answers(question).load(args),
                               lambda found: connection.of_ids(info, label, found.ids, page))

        resolve_page.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [_parameter("info", Info), *params, *_page_params()], return_annotation=connection
        )
        resolve_page.__name__ = question.name
        return strawberry.field(resolver=resolve_page, description=question.description,
                                permission_classes=[ReadsGraph])  # fmt: skip

    if question.answer is Ranked:
        return _ranked_field(question, params)

    convert = _convert(question.answer)

    def resolve(info: Info, **kwargs: Any) -> Any:
        args = build(**{k: _domain_value(v) for k, v in kwargs.items()})

        def answered(found: Any) -> Any:
            note_subjects(question, args)
            return convert(found)

        return when_loaded(info.context.answers(question).load(args), answered)

    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_parameter("info", Info), *params], return_annotation=_graphql(question.answer)
    )
    resolve.__name__ = question.name
    return strawberry.field(resolver=resolve, description=question.description,
                            permission_classes=[ReadsGraph])  # fmt: skip


def note_subjects(question: Question[Any, Any], args: Any) -> None:
    """Note the subjects of an answered root field as read, for the audit trail.

    What the answer is about (:func:`~graph_service.api.trail.note_read`), whatever the
    query selects of it; the set-oriented bulk plan (:mod:`graph_service.bulk.plan`) notes
    them as the root field does.
    """
    for _, node_id in question.subjects(args):
        note_read(node_id)


def answer_converter(question: Question[Any, Any]) -> Callable[[Any], Any]:
    """How a root field of ``question`` turns its domain answer into its GraphQL object."""
    return _convert(question.answer)


def _page_params() -> list[inspect.Parameter]:
    """The ``first`` and ``after`` parameters of a connection field."""
    api = _api_types()
    return [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                          default=None)  # fmt: skip
        for name, annotation in (("first", api.First), ("after", api.After))
    ]


def _ranked_field(question: Question[Any, Any], params: list[inspect.Parameter],
                  node_field: NodeField[Any, Any] | None = None) -> Any:
    """The field of a question answering :class:`Ranked`: a connection, versioned cursors.

    Of nodes, the connection ``Question.lists`` names (``SearchConnection``); of items, the
    one generated for the item type (:func:`item_connection`). The arguments are validated
    and ``after`` decoded by the question's order (:class:`~graph_service.api.pagination.
    CursorOrder` named after the root field, for its node fields too) before the question
    runs, so a bad argument or a cursor of another order costs no work. A root field, or
    with ``node_field`` that field of a node type, the node being its subject.
    """
    ranking = question.ranking
    assert ranking is not None, f"{question.name} answers Ranked without a ranking"
    if ranking.item is None:
        connection = getattr(_api_types(), f"{question.lists}Connection")
    else:
        assert isinstance(ranking.order, Order), "ranked items have one order"
        connection = item_connection(ranking.item, ranking.order.name)
    build, name = question.arguments, to_camel_case(question.name)

    def resolve_ranked(info: Info, root: Any = None, **kwargs: Any) -> Any:
        ctx = info.context
        first, after = kwargs.pop("first"), kwargs.pop("after")
        values = {k: _domain_value(v) for k, v in kwargs.items()}
        if node_field is not None:
            values[node_field.subject] = _subject(question, node_field, root)
        args = question.validate(build(**values), ctx.settings)
        order = ranking.order_of(args)
        cursors = CursorOrder(name, order.name, order.parts)
        page = PageArgs.parse(first, after, ctx.settings, order=cursors)
        if ranking.personal_match is None:
            return when_loaded(ctx.answers(question).load(args), lambda ranked:
                               connection.of_ranked(info, ranked, order, cursors, page))
        return _visible(ctx, question, args,
                        lambda ranked: connection.of_ranked(info, ranked, order, cursors, page))

    head = [_parameter("info", Info)] if node_field is None else [
        _parameter("root"), _parameter("info", Info)]
    resolve_ranked.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [*head, *params, *_page_params()], return_annotation=connection
    )
    if node_field is not None:
        resolve_ranked.__name__ = node_field.name
        return strawberry.field(resolver=resolve_ranked, description=node_field.description)
    resolve_ranked.__name__ = question.name
    return strawberry.field(resolver=resolve_ranked, description=question.description,
                            permission_classes=[ReadsGraph])  # fmt: skip


def _subject(question: Question[Any, Any], node_field: NodeField[Any, Any], root: Any) -> Any:
    """The value of a node field's subject argument: the node's key, or its id."""
    hints = get_type_hints(question.arguments, include_extras=True)
    annotation, _ = _split(hints[node_field.subject])
    return root.key if annotation == NodeKey else str(root.id)


async def _visible(ctx: Any, question: Question[Any, Any], args: Any,
                   then: Callable[[Ranked[NodeKey]], Any]) -> Any:
    """``then`` of the ranked answer of nodes, less the nodes listed by personal data unseen.

    Leaves out the nodes listed or placed by personal data (``Ranking.personal_match``)
    that the caller may not see unmasked (:meth:`~graph_service.access.Scope.sees`). A
    list of one label's nodes is matched once, for all of them.

    Raises
    ------
    ForbiddenError
        If the question lists the nodes of one label, filters or sorts them by personal
        data, and the caller sees no node of that label unmasked (an analyst's persons by
        name): the answer would be empty whatever the data, so it is refused instead.
    """
    scope = await ctx.scope()
    assert question.ranking is not None and question.ranking.personal_match is not None
    matched = question.ranking.personal_match
    label = question.lists or ""
    if label in PERSONAL_FIELDS and scope.masks_every(label) and matched(args, (label, "")):
        role = scope.caller.role.value if scope.caller else "anonymous"
        raise ForbiddenError(
            f"{to_camel_case(question.name)} filters or sorts {label} nodes by personal data "
            f"({', '.join(sorted(PERSONAL_FIELDS[label]))}), which the {role} role does not read"
        )
    ranked: Ranked[NodeKey] = await ctx.answers(question).load(args)  # after the refusal
    items = ranked.items.nodes if isinstance(ranked.items, Lazy) else ranked.items
    if scope.unrestricted:
        kept = None
    elif label in PERSONAL_FIELDS:  # a list of one label: matched for all its nodes or none
        mine, find = scope.portfolio_of(label), getattr(items, "find", None)
        if not matched(args, (label, "")):
            kept = None
        elif mine is not None and find is not None:  # a manager's few, placed in the list
            kept = find(mine)
        else:
            kept = scope.seen(items)
    else:
        kept = [i for i, key in enumerate(items) if scope.sees(key) or not matched(args, key)]
    if kept is not None and len(kept) < len(items):
        ranked = ranked.select(kept, [ranked.sort_keys[i] for i in kept])
    result = then(ranked)
    page = await result if inspect.isawaitable(result) else result
    for edge in getattr(page, "edges", ()):  # placed by personal data: read, for the trail
        node = edge.node
        key = (getattr(type(node), "LABEL", label), str(node.id))
        if not node.masked and matched(args, key):
            note_read(key[1])  # its cursor holds the name or segment it was placed by
    return page


def _node_field(question: Question[Any, Any], node_field: NodeField[Any, Any]) -> Any:
    """The field ``node_field`` of a node type, answered by ``question`` about the node."""
    params = [a.parameter for a in arguments(question) if a.name != node_field.subject]
    if question.answer is Ranked:
        return _ranked_field(question, params, node_field)
    build, subject = question.arguments, node_field.subject
    if node_field.project is None:
        returns, convert = _graphql(question.answer), _convert(question.answer)
    else:
        returns, convert = node_field.type, node_field.project
    personal = to_camel_case(node_field.name) in PERSONAL_FIELDS.get(node_field.label, ())
    if personal:
        returns = Optional[returns]  # noqa: UP045 - built at run time

    def resolve(root: Any, info: Info, **kwargs: Any) -> Any:
        if personal:
            if root.masked:
                return None
            note_read(str(root.id))  # the audit trail's node_ids, whatever the alias
        values = {k: _domain_value(v) for k, v in kwargs.items()}
        args = build(**values, **{subject: str(root.id)})
        return when_loaded(info.context.answers(question).load(args), convert)

    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_parameter("root"), _parameter("info", Info), *params], return_annotation=returns
    )
    resolve.__name__ = node_field.name
    return strawberry.field(resolver=resolve, description=node_field.description)


def root_fields(cls: T) -> T:
    """Class decorator (under ``@strawberry.type``): add every question's root field."""
    for question in QUESTIONS:
        setattr(cls, question.name, _root_field(question))
    return cls


def node_fields(cls: T) -> T:
    """Class decorator (under ``@strawberry.type``) of a node type: add its question fields.

    The fields the questions declare (:class:`NodeField`) on the class's ``LABEL``.
    """
    label = cls.LABEL  # type: ignore[attr-defined]
    for question in QUESTIONS:
        for node_field in question.node_fields:
            if node_field.label == label:
                setattr(cls, node_field.name, _node_field(question, node_field))
    return cls


@dataclass(frozen=True, slots=True)
class CostedField:
    """A generated field, as the node budget sees it.

    Attributes
    ----------
    question : Question
        Its question: ``question.cost`` prices it.
    names : mapping of str to str
        Python argument name to published name.
    subject : str, optional
        For a node-type field, the argument given by the node (counted as given).
    """

    question: Question[Any, Any]
    names: Mapping[str, str]
    subject: str | None = None


def costed_fields() -> dict[tuple[str, str], CostedField]:
    """Every generated field, by ``(parent type, published field name)``."""
    table: dict[tuple[str, str], CostedField] = {}
    for question in QUESTIONS:
        names = {a.name: a.graphql_name for a in arguments(question)}
        table[("Query", to_camel_case(question.name))] = CostedField(question, names)
        for node_field in question.node_fields:
            key = (node_field.label, to_camel_case(node_field.name))
            table[key] = CostedField(question, names, node_field.subject)
    return table


__all__ = ["CostedField", "answer_converter", "answer_type", "costed_fields", "item_connection",
           "node_fields", "note_subjects", "root_fields"]  # fmt: skip
