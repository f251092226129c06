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

Every field is answered through the request's DataLoader of its question
(:meth:`graph_service.api.context.Context.answers`), that is through the question's batch
form, which applies the caller's scope (:mod:`graph_service.access`); every root field
carries the permission :class:`~graph_service.api.permissions.ReadsGraph`. A question added
to the registry is therefore covered by the access rules without more code.

Argument types map as: ``Id`` to ``ID``; ``NodeKey`` to the input ``NodeRef``;
tuples to lists; ``X | None`` to a nullable argument. Answer types map as: ``Coverage`` to
``PayrollCoverage``, ``Subgraph`` to ``ClientNetwork``, ``Path`` to ``LinkagePath`` (types
of :mod:`graph_service.api.types`, each with an ``of`` constructor); any other dataclass to a
generated object type of the same name and fields, its description the first line of its
docstring, its fields' descriptions from their :class:`~graph_service.linkage.question.Doc`.
"""

from __future__ import annotations

import dataclasses
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

from graph_service.api.context import when_loaded
from graph_service.api.pagination import CursorOrder, PageArgs
from graph_service.api.permissions import ReadsGraph
from graph_service.linkage.question import Doc, Id, IdList, NodeField, Question, Ranked
from graph_service.linkage.registry import QUESTIONS
from graph_service.model import PERSONAL_FIELDS, NodeKey
from graph_service.stores.base import Coverage, Path, Subgraph

T = TypeVar("T", bound=type)

_TYPES_MODULE = "graph_service.api.types"
_KNOWN_ANSWERS: dict[type, str] = {
    Coverage: "PayrollCoverage",
    Subgraph: "ClientNetwork",
    Path: "LinkagePath",
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


def _graphql(annotation: Any, inputs: bool = False) -> Any:
    """The strawberry annotation of a domain type (see the module's mapping).

    With ``inputs``, a dataclass maps to a generated input type (:func:`input_type`).
    """
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


def _generated(cls: type, inputs: bool) -> tuple[type, str | None]:
    """A class of the fields of dataclass ``cls`` for strawberry, and its description.

    Each field typed by :func:`_graphql`, described and named by its ``Doc``; input fields
    keep their dataclass default. The description is the first line of the docstring.
    """
    hints = get_type_hints(cls, include_extras=True)
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations, "__module__": __name__,
                                 "__doc__": cls.__doc__}  # fmt: skip
    for field in dataclasses.fields(cls):
        base, doc = _split(hints[field.name])
        annotations[field.name] = _graphql(base, inputs)
        description, name = (None, None) if doc is None else (doc.description, doc.name)
        if inputs:
            default = None if field.default is dataclasses.MISSING else field.default
            namespace[field.name] = strawberry.field(default=default, description=description,
                                                     name=name)  # fmt: skip
        elif doc is not None:
            namespace[field.name] = strawberry.field(description=description, name=name)
    summary = next(iter((cls.__doc__ or "").strip().splitlines()), None)
    return type(cls.__name__, (), namespace), summary


def _convert(annotation: Any) -> Callable[[Any], Any]:
    """Turns a domain answer of type ``annotation`` into its GraphQL value."""
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
        return when_loaded(info.context.answers(question).load(args), convert)

    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_parameter("info", Info), *params], return_annotation=_graphql(question.answer)
    )
    resolve.__name__ = question.name
    return strawberry.field(resolver=resolve, description=question.description,
                            permission_classes=[ReadsGraph])  # fmt: skip


def _page_params() -> list[inspect.Parameter]:
    """The ``first`` and ``after`` parameters of a connection field."""
    api = _api_types()
    return [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                          default=None)  # fmt: skip
        for name, annotation in (("first", api.First), ("after", api.After))
    ]


def _ranked_field(question: Question[Any, Any], params: list[inspect.Parameter]) -> Any:
    """The root field of a question answering :class:`Ranked`: a connection, versioned cursors.

    The arguments are validated and ``after`` decoded by the question's order
    (:class:`~graph_service.api.pagination.CursorOrder` named after the field) before the
    question runs, so a bad argument or a cursor of another order costs no work.
    """
    connection = getattr(_api_types(), f"{question.lists}Connection")
    build, name = question.arguments, to_camel_case(question.name)
    assert question.order is not None, f"{question.name} answers Ranked without an order"
    ordered = question.order

    def resolve_ranked(info: Info, **kwargs: Any) -> Any:
        ctx = info.context
        first, after = kwargs.pop("first"), kwargs.pop("after")
        args = question.validate(build(**{k: _domain_value(v) for k, v in kwargs.items()}),
                                 ctx.settings)  # fmt: skip
        order = ordered(args)
        cursors = CursorOrder(name, order.name, order.parts)
        page = PageArgs.parse(first, after, ctx.settings, order=cursors)
        found = ctx.answers(question).load(args)
        if question.personal_match is None:
            return when_loaded(found, lambda ranked: connection.of_ranked(
                info, ranked, order, cursors, page))
        return _visible(ctx, question, args, found,
                        lambda ranked: connection.of_ranked(info, ranked, order, cursors, page))

    resolve_ranked.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_parameter("info", Info), *params, *_page_params()], return_annotation=connection
    )
    resolve_ranked.__name__ = question.name
    return strawberry.field(resolver=resolve_ranked, description=question.description,
                            permission_classes=[ReadsGraph])  # fmt: skip


async def _visible(ctx: Any, question: Question[Any, Any], args: Any, found: Any,
                   then: Callable[[Ranked], Any]) -> Any:
    """``then`` of the ranked answer, less the nodes listed by personal data unseen.

    Leaves out the nodes listed or placed by personal data (``Question.personal_match``)
    that the caller may not see unmasked (:meth:`~graph_service.access.Scope.sees`).
    """
    ranked: Ranked = await found
    scope = await ctx.scope()
    if not scope.unrestricted:
        kept = [i for i, key in enumerate(ranked.keys)
                if scope.sees(key) or not question.personal_match(args, key)]  # type: ignore[misc]
        ranked = Ranked([ranked.keys[i] for i in kept], [ranked.sort_keys[i] for i in kept])
    result = then(ranked)
    return await result if inspect.isawaitable(result) else result


def _node_field(question: Question[Any, Any], node_field: NodeField[Any, Any]) -> Any:
    """The field ``node_field`` of a node type, answered by ``question`` about the node."""
    params = [a.parameter for a in arguments(question) if a.name != node_field.subject]
    build, subject = question.arguments, node_field.subject
    if node_field.project is None:
        returns, convert = _graphql(question.answer), _convert(question.answer)
    else:
        returns, convert = node_field.type, node_field.project
    personal = to_camel_case(node_field.name) in PERSONAL_FIELDS.get(node_field.label, ())
    if personal:
        returns = Optional[returns]  # noqa: UP045 - built at run time

    def resolve(root: Any, info: Info, **kwargs: Any) -> Any:
        if personal and root.masked:
            return None
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


__all__ = ["CostedField", "answer_type", "costed_fields", "node_fields",
           "root_fields"]  # fmt: skip
