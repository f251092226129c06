"""The fast path: plain attribute fields completed without their resolver.

This is the one module allowed to use private internals of strawberry and graphql-core
(``tests/test_public_api.py`` checks that no other module does). It is used only when
``Settings.fast_path`` is on (``GRAPH_SERVICE_FAST_PATH``, default on): :func:`schema_for`
then answers :func:`fast_schema`, the service's schema executed by
:class:`FastExecutionContext`; off, the stock :data:`graph_service.api.schema.schema`.
Both answer the same, checked by running the API test suite on each (``make test``). The
stock path misses the throughput target (benchmarks/README.md, *Fast path and stock path*,
has the figures and how to measure either).
It relies on strawberry's ``GraphQLCoreConverter.DEFINITION_BACKREF`` and the
``_is_default`` mark of its default resolvers, and on graphql-core's executor methods
(``execute_field``, ``collect_and_execute_subfields``, ``collect_subfields``,
``handle_field_error``), which may change between minor versions.

graphql-core executes every field the same way: it builds a ``GraphQLResolveInfo``, calls
the field's resolver, tests the result for awaitability, then completes it through
``complete_value`` (non-null, list, leaf, abstract or object). For the fields strawberry
calls *basic* (a plain attribute of the Python object: no resolver, no permission classes,
no field extensions), the resolver only reads the attribute, so that ceremony is most of the
cost of a page of a connection: ``edges { cursor node { id name } }`` over 100 people is 400
such fields.

:class:`FastExecutionContext` takes two shortcuts, only where the answer cannot differ from
graphql-core's:

- **Selection plans.** When every field selected on an object is basic, and so on down the
  selection (leaves, objects, and lists of objects), the object is completed by a
  :data:`Plan`: a tuple of ``(response key, attribute, ...)`` steps run by :func:`run_plan`,
  which reads attributes and coerces leaves and nothing else. A plan has no side effect: no
  error is recorded and no resolver runs, so when it meets anything out of the ordinary (a
  ``None`` into a non-null field, a missing attribute, a value that does not coerce, a list
  that is not a Python ``list``, any exception) it gives up and graphql-core completes the
  same object from the start, reporting errors exactly as before. A page of 100 edges
  ``{ totalCount edges { node { id } } }`` is then one plan over the connection.
- **Basic fields one by one.** On an object whose selection cannot be planned (it also
  selects a field with a resolver), each basic field with a value is completed directly: a
  leaf coerced, an object's sub-selection executed. A ``None``, a missing attribute, or a
  coercion that fails or gives no value sends the field to graphql-core's own
  ``execute_field``.

A plan also completes ``__typename`` (the object type's name) and a union field whose
members are plain strawberry types (no ``is_type_of``, no generics): the member is the one
whose definition is the value's ``__strawberry_definition__``, which is how strawberry's
type resolver finds it; a value cast with ``strawberry.cast``, or of no member, gives up.
A ``search`` page of 100 nodes, ``edges { node { __typename ... on Person { id } } }``,
is then one plan. Interfaces, nested lists, ``@defer``/``@stream`` and every field of a
request that installs resolver middleware (a schema extension with a ``resolve`` hook)
always take graphql-core's way; so does a union field completed outside a plan.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import functools
import weakref
from collections.abc import Awaitable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, NamedTuple

import strawberry
from graphql import (
    GraphQLError,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfoHelpers,
    GraphQLSchema,
    GraphQLString,
    GraphQLUnionType,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from graph_service.api.extensions import EXTENSIONS, type_schema
from graph_service.api.pagination import PAGING
from graph_service.api.schema import GraphServiceSchema, Mutation, Query, schema
from graph_service.config import Settings


class PlainField(NamedTuple):
    """How to complete one basic field without its resolver.

    Attributes
    ----------
    attribute : str
        The Python attribute holding the value (the strawberry field's ``python_name``).
    return_type : GraphQLOutputType
        The field's type as declared (possibly non-null, possibly a list).
    named : GraphQLLeafType, GraphQLObjectType or GraphQLUnionType
        The type the value (or each item of a list) is completed as: a leaf is coerced, an
        object's sub-selection executed (a union's, that of the value's member).
    nullable : bool
        Whether the field may be ``null``.
    item_nullable : bool or None
        For a list field, whether an item may be ``null``; ``None`` for a field that is not
        a list.
    members : dict or None
        For a union field, ``id`` of each member's strawberry definition to the member
        (:func:`_members`); ``None`` for any other field. Only a plan completes a union.
    """

    attribute: str
    return_type: GraphQLOutputType
    named: GraphQLLeafType | GraphQLObjectType | GraphQLUnionType
    nullable: bool
    item_nullable: bool | None
    members: dict[int, GraphQLObjectType] | None = None


def _unwrap(type_: GraphQLOutputType) -> tuple[GraphQLOutputType, bool]:
    """``type_`` without its non-null wrapper, and whether it was nullable."""
    if isinstance(type_, GraphQLNonNull):
        return type_.of_type, False
    return type_, True


def _completable(type_: GraphQLOutputType) -> bool:
    """Whether values of ``type_`` are completed without a runtime type check."""
    return isinstance(type_, GraphQLLeafType) or (
        isinstance(type_, GraphQLObjectType) and type_.is_type_of is None
    )


def _members(type_: GraphQLOutputType) -> dict[int, GraphQLObjectType] | None:
    """The members of a union a plan can complete, by ``id`` of their strawberry definition.

    ``None`` unless ``type_`` is a union of plain strawberry types: no ``is_type_of`` and
    no generics, so that strawberry's resolver answers the member whose definition *is* the
    value's (``StrawberryObjectDefinition.is_implemented_by``) and graphql-core checks
    nothing more.
    """
    if not isinstance(type_, GraphQLUnionType):
        return None
    members = {}
    for member in type_.types:
        definition = (member.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if (member.is_type_of is not None
                or not isinstance(definition, StrawberryObjectDefinition)
                or definition.concrete_of is not None or definition.is_graphql_generic):
            return None
        members[id(definition)] = member
    return members


def _plain_field(field: GraphQLField) -> PlainField | None:
    """The :class:`PlainField` of a basic strawberry field; ``None`` for any other field."""
    if not getattr(field.resolve, "_is_default", False):
        return None  # a resolver of ours, or strawberry's wrapper of one
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    attribute = getattr(definition, "python_name", None)
    if not isinstance(attribute, str):
        return None
    named, nullable = _unwrap(field.type)
    item_nullable = None
    if isinstance(named, GraphQLList):
        named, item_nullable = _unwrap(named.of_type)
        if not isinstance(named, GraphQLObjectType | GraphQLUnionType):
            return None  # lists of leaves and nested lists take graphql-core's way
    if _completable(named):
        assert isinstance(named, GraphQLLeafType | GraphQLObjectType)
        return PlainField(attribute, field.type, named, nullable, item_nullable)
    members = _members(named)
    if members is not None:
        assert isinstance(named, GraphQLUnionType)
        return PlainField(attribute, field.type, named, nullable, item_nullable, members)
    return None  # a type whose values need a runtime check


@functools.cache
def plain_fields(schema: GraphQLSchema) -> dict[tuple[str, str], PlainField]:
    """Every field of ``schema`` that :class:`FastExecutionContext` completes directly.

    Parameters
    ----------
    schema : GraphQLSchema
        An executable schema built by strawberry (computed once per schema).

    Returns
    -------
    dict
        ``(object type name, field name)`` to :class:`PlainField`.
    """
    found: dict[tuple[str, str], PlainField] = {}
    for type_name, named_type in schema.type_map.items():
        if isinstance(named_type, GraphQLObjectType) and not type_name.startswith("__"):
            for field_name, field in named_type.fields.items():
                plain = _plain_field(field)
                if plain is not None:
                    found[(type_name, field_name)] = plain
    return found


Step = tuple[str, "str | None", bool, Any, "Plan | dict[int, Plan] | None", bool | None]
"""One step of a :data:`Plan`."""
Plan = tuple[Step, ...]
"""How to complete one object's selection: per response key, in response order,
``(key, attribute, nullable, leaf type or None, sub-plan or None, item_nullable)``; a
leaf step has a leaf type (for a strawberry enum, its :class:`EnumOutput`), an object step
a sub-plan, a list step a sub-plan for its items and ``item_nullable`` not ``None``. A
union's sub-plan is a dict: ``id`` of each member's strawberry definition to the member's
plan. ``__typename`` is ``(key, None, False, the type's name, None, None)``."""


class _GiveUp(Exception):
    """Raised inside :func:`run_plan` when graphql-core must complete the object."""


_NEVER_AWAITABLE = frozenset({str, int, float, bool, dt.datetime, dt.date})
"""Types of leaf values that need no awaitability test (graphql-core would await one)."""
_TEXT_SCALARS = frozenset({GraphQLID, GraphQLString})
"""Scalars whose coercion answers a ``str`` value unchanged (graphql-core's
``serialize_id`` and ``serialize_string``)."""


class EnumOutput(NamedTuple):
    """How a plan completes a leaf of a strawberry enum: each member's name, looked up.

    Attributes
    ----------
    wrapped : type
        The Python enum (``CustomGraphQLEnumType.wrapped_cls``).
    names : dict
        Each member of ``wrapped`` to the name strawberry's ``coerce_output_value`` answers
        for it (the first enum value of the GraphQL type whose value equals the member's).
    """

    wrapped: type
    names: dict[Any, str]


@functools.cache
def enum_output(leaf: GraphQLLeafType) -> EnumOutput | None:
    """The :class:`EnumOutput` of ``leaf`` if it is a strawberry enum (once per type)."""
    if type(leaf) is not CustomGraphQLEnumType:
        return None
    names: dict[Any, str] = {}
    member: Any
    for member in leaf.wrapped_cls:
        name = next((name for name, value in leaf.values.items()
                     if member.value == value.value), None)  # fmt: skip
        if name is not None:
            names[member] = name
    return EnumOutput(leaf.wrapped_cls, names)


def run_plan(plan: Plan, source: Any, is_awaitable: Any) -> dict[str, Any]:
    """Complete ``source`` by ``plan``: read attributes, coerce leaves, recurse.

    Parameters
    ----------
    plan : Plan
    source : object
        The object whose selection ``plan`` completes.
    is_awaitable : callable
        The execution's awaitability test (a leaf value that is awaitable gives up).

    Returns
    -------
    dict
        The completed selection, as graphql-core would complete it.

    Raises
    ------
    Exception
        :class:`_GiveUp`, or whatever reading an attribute or coercing a value raised: in
        every case graphql-core must complete ``source`` instead (nothing was recorded).
    """
    data: dict[str, Any] = {}
    for key, attribute, nullable, leaf, sub, item_nullable in plan:
        if attribute is None:
            data[key] = leaf  # __typename
            continue
        value = getattr(source, attribute)
        if value is None:
            if not nullable:
                raise _GiveUp
        elif leaf is not None:
            if leaf.__class__ is EnumOutput:
                if type(value) is not leaf.wrapped:
                    raise _GiveUp
                value = leaf.names[value]  # (a member strawberry cannot name: KeyError)
            elif type(value) is not str or leaf not in _TEXT_SCALARS:
                if type(value) not in _NEVER_AWAITABLE and is_awaitable(value):
                    raise _GiveUp
                value = leaf.coerce_output_value(value)
                if value is None or value is Undefined:
                    raise _GiveUp
        elif item_nullable is None:
            member = sub if type(sub) is tuple else _member_plan(sub, value)  # type: ignore[arg-type]
            value = run_plan(member, value, is_awaitable)
        elif type(value) is list:
            items: list[Any] = []
            for item in value:
                if item is None:
                    if not item_nullable:
                        raise _GiveUp
                    items.append(None)
                else:
                    member = sub if type(sub) is tuple else _member_plan(sub, item)  # type: ignore[arg-type]
                    items.append(run_plan(member, item, is_awaitable))
            value = items
        else:
            raise _GiveUp
        data[key] = value
    return data


def _member_plan(plans: dict[int, Plan], value: Any) -> Plan:
    """The plan of the union member ``value`` is (see :data:`Step`).

    Raises
    ------
    _GiveUp
        If ``value`` was cast with ``strawberry.cast`` or is of no member of the union.
    """
    if _cast(value):
        raise _GiveUp
    plan = plans.get(id(getattr(value, "__strawberry_definition__", None)))
    if plan is None:
        raise _GiveUp
    return plan


def _cast(value: Any) -> bool:
    """Whether ``strawberry.cast`` marked ``value`` (what strawberry reads with ``getattr``).

    Read from the instance's ``__dict__``, where ``cast`` sets it, when its class has no
    such attribute: ``getattr`` of an attribute missing would call a lazy node type's
    ``__getattr__`` (the node types of :mod:`graph_service.api.types`), which raises.
    """
    state = getattr(value, "__dict__", None)
    if state is not None and not hasattr(type(value), TYPE_CAST_ATTRIBUTE):
        return state.get(TYPE_CAST_ATTRIBUTE) is not None
    return getattr(value, TYPE_CAST_ATTRIBUTE, None) is not None


def _weak_helpers(executor: FastExecutionContext) -> GraphQLResolveInfoHelpers:
    """The helpers graphql-core hands resolvers (``info.async_helpers``), ``executor`` weak.

    graphql-core's own hold its bound methods, and the executor holds them: a reference
    cycle per operation, through which everything the operation built (its context, the
    collected fields, the answers) was freed by the cyclic GC rather than as it ended
    (benchmarks/README.md, tuning constants). The executor is alive while its resolvers
    run; the copies graphql-core makes of it (``build_per_event_executor``, for
    subscriptions, which this schema has none of) share these helpers, as they share
    graphql-core's.
    """
    ref = weakref.ref(executor)

    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        alive = ref()
        assert alive is not None  # see the docstring
        return alive.gather_async_work(values)

    def track(values: Sequence[Any]) -> None:
        alive = ref()
        assert alive is not None
        alive.track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, completing basic fields without their resolver.

    See the module's notes for when the shortcuts are taken; the answers and errors are
    graphql-core's in every case.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self._plain = {} if manager is not None and manager.middlewares else plain_fields(
            self.schema
        )
        self._plans: dict[tuple[str, int], tuple[FieldDetailsList, Plan | None]] = {}
        self.async_helpers = _weak_helpers(self)

    def plan(self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
             ) -> Plan | None:
        """The plan of the selection ``field_details_list`` makes on ``object_type``.

        Returns
        -------
        Plan or None
            ``None`` when some field of the selection, at any depth, is not a basic field
            (or is deferred): that object is completed field by field.
        """
        key = (object_type.name, id(field_details_list))
        cached = self._plans.get(key)
        if cached is not None:
            return cached[1]
        plan = self._build_plan(object_type, field_details_list)
        # Like graphql-core's own memo of sub-fields, keep the list alive with its plan so
        # that its id is not reused during the execution.
        self._plans[key] = (field_details_list, plan)
        return plan

    def _build_plan(self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
                    ) -> Plan | None:
        if not self._plain:
            return None
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            object_type, field_details_list
        )
        if new_defer_usages:
            return None
        steps: list[Step] = []
        for response_key, details in grouped_field_set.items():
            if any(detail.defer_usage is not None for detail in details):
                return None
            name = details[0].node.name.value
            if name == "__typename":
                steps.append((response_key, None, False, object_type.name, None, None))
                continue
            plain = self._plain.get((object_type.name, name))
            if plain is None:
                return None
            named = plain.named
            if plain.members is not None:
                plans = {key: self.plan(member, details) for key, member in plain.members.items()}
                if any(each is None for each in plans.values()):
                    return None
                steps.append((response_key, plain.attribute, plain.nullable, None, plans,  # type: ignore[arg-type]
                              plain.item_nullable))
            elif isinstance(named, GraphQLObjectType):
                sub = self.plan(named, details)
                if sub is None:
                    return None
                steps.append((response_key, plain.attribute, plain.nullable, None, sub,
                              plain.item_nullable))
            else:
                leaf = enum_output(named) or named  # type: ignore[arg-type]
                steps.append((response_key, plain.attribute, plain.nullable, leaf, None, None))
        return tuple(steps)

    def collect_and_execute_subfields(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """Complete an object by its plan when it has one; graphql-core's way otherwise."""
        if position_context is None:
            plan = self.plan(return_type, field_details_list)
            if plan is not None:
                try:
                    return run_plan(plan, result, self.is_awaitable)
                except Exception:  # noqa: BLE001, S110 - graphql-core completes it below
                    pass
        return super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        """Execute a field; a basic field with a value is completed directly."""
        plain = self._plain.get((parent_type.name, field_details_list[0].node.name.value))
        if plain is not None and plain.item_nullable is None and plain.members is None:
            try:
                value = getattr(source, plain.attribute)
            except Exception:  # noqa: BLE001 - graphql-core reports it below
                value = None
            if value is not None:
                named = plain.named
                if isinstance(named, GraphQLObjectType):
                    return self._complete_object(
                        plain, field_details_list, path, value, position_context
                    )
                try:
                    coerced = named.coerce_output_value(value)  # type: ignore[union-attr]
                except Exception:  # noqa: BLE001 - graphql-core reports it below
                    coerced = None
                if coerced is not None and coerced is not Undefined:
                    return coerced
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _complete_object(
        self,
        plain: PlainField,
        field_details_list: FieldDetailsList,
        path: Path,
        value: Any,
        position_context: Any,
    ) -> Any:
        """Execute the sub-selection of an object value, with graphql-core's error handling."""
        assert isinstance(plain.named, GraphQLObjectType)
        try:
            completed = self.collect_and_execute_subfields(
                plain.named, field_details_list, path, value, position_context
            )
        except Exception as raw_error:  # noqa: BLE001 - located and handled as graphql-core does
            self.handle_field_error(raw_error, plain.return_type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return self._await_completed(completed, plain, field_details_list, path)
        return completed

    async def _await_completed(
        self,
        completed: Awaitable[Any],
        plain: PlainField,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:  # noqa: BLE001
            self.handle_field_error(raw_error, plain.return_type, field_details_list, path)
            return None


@functools.cache
def fast_schema() -> strawberry.Schema:
    """The service's schema (same types, extensions and errors) run by the fast path.

    Returns
    -------
    strawberry.Schema
        A :class:`~graph_service.api.schema.GraphServiceSchema` of the same ``Query`` and
        :data:`~graph_service.api.extensions.EXTENSIONS`, executed by
        :class:`FastExecutionContext`; built once, on first use.
    """
    return GraphServiceSchema(
        query=Query, mutation=Mutation, extensions=EXTENSIONS,
        execution_context_class=FastExecutionContext
    )


MERGED_LINES: ContextVar[tuple[Mapping[str, Any], dict[Any, Any] | None] | None] = ContextVar(
    "graph_service_merged_lines", default=None)
"""For a bulk chunk run as one operation (:func:`graph_service.bulk.merge.run_merged`):
each root alias's line (with its ``paging``, its ``context``, once made, and ``failed``) and
the plans kept for the merged document (``None``: none kept)."""


class LineExecutionContext(FastExecutionContext):
    """The fast path's executor for a bulk chunk run as one operation (:data:`MERGED_LINES`).

    Each line's root fields run in a task whose context holds the line's
    :class:`~graph_service.api.pagination.Paging`, so the lists cut short are counted per
    line. An error reaching a line's root field through non-null fields nulls that line's
    answer only (its ``failed`` set), recorded at that field as graphql-core records it at
    the root of an operation of its own. Plans are kept from chunk to chunk: a plan depends
    on the selection alone when no directive of the document reads a variable, and the
    chunks of one size run the same document's nodes, so a plan is keyed by the object type
    and the ids of its field nodes (the document, cached by the merger, keeps them alive).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        merged = MERGED_LINES.get()
        self._lines: Mapping[str, Any] = {} if merged is None else merged[0]
        self._kept: dict[Any, Any] | None = None if merged is None else merged[1]

    def execute_field(self, parent_type: GraphQLObjectType, source: Any,
                      field_details_list: FieldDetailsList, path: Path,
                      position_context: Any = None) -> Any:  # fmt: skip
        """Execute a field; a line's root field in its line's context."""
        line = self._lines.get(path.key) if path.prev is None else None  # type: ignore[arg-type]
        if line is None:
            return super().execute_field(parent_type, source, field_details_list, path,
                                         position_context)
        if line.context is None:
            line.context = contextvars.copy_context()
            line.context.run(PAGING.set, line.paging)
        try:
            result = line.context.run(super().execute_field, parent_type, source,
                                      field_details_list, path, position_context)
        except GraphQLError as error:
            return self._line_failed(line, error, path)
        if self.is_awaitable(result):
            return asyncio.get_running_loop().create_task(
                self._guarded(line, result, path), context=line.context)
        return result

    async def _guarded(self, line: Any, result: Any, path: Path) -> Any:
        try:
            return await result
        except GraphQLError as error:
            return self._line_failed(line, error, path)

    def _line_failed(self, line: Any, error: GraphQLError, path: Path) -> None:
        self.collected_errors.add(error, path)
        line.failed = True

    def plan(self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
             ) -> Plan | None:
        """The plan of ``object_type``'s selection, kept for the next chunks when it may be."""
        kept = self._kept
        if kept is None:
            return super().plan(object_type, field_details_list)
        key = (object_type.name, *(id(d.node) for d in field_details_list))
        try:
            found: Plan | None = kept[key]
        except KeyError:
            found = kept[key] = super().plan(object_type, field_details_list)
        return found


def schema_for(settings: Settings) -> strawberry.Schema:
    """The schema to execute with: :func:`fast_schema` or the stock one, per ``settings``.

    Parameters
    ----------
    settings : Settings
        ``settings.fast_path`` (``GRAPH_SERVICE_FAST_PATH``) chooses.

    Returns
    -------
    strawberry.Schema
        :func:`fast_schema` when ``settings.fast_path``, else
        :data:`graph_service.api.schema.schema`.
    """
    return fast_schema() if settings.fast_path else schema


def prepared_schema(settings: Settings) -> strawberry.Schema:
    """:func:`schema_for` ``settings``, with what requests derive from it built now.

    graphql-core's schema of its SDL (:func:`~graph_service.api.extensions.type_schema`:
    the node budget, variable coercion), otherwise built by the first request. A server
    builds it before it freezes its heap (:func:`graph_service.memory.frozen_heap`), so
    that its 13,000 objects are not rescanned by every full collection while serving (at
    1M people, in process: 3.0 ms a full collection, 0.8 ms once frozen).

    Returns
    -------
    strawberry.Schema
        The schema :func:`schema_for` answers.
    """
    chosen = schema_for(settings)
    type_schema(chosen)
    return chosen


__all__ = ["MERGED_LINES", "EnumOutput", "FastExecutionContext", "LineExecutionContext", "Plan",
           "PlainField", "enum_output", "fast_schema", "plain_fields", "prepared_schema",
           "run_plan", "schema_for"]
