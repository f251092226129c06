"""The set-oriented bulk plan: a chunk of lines answered by one batch call per root field.

A merged chunk (:mod:`graph_service.bulk.merge`) still executes GraphQL for every line:
its variables are coerced, its root field's arguments converted, its fields resolved and
completed one by one. For a document whose every root field is a registered linkage
question (:data:`graph_service.linkage.registry.QUESTIONS`) and whose selections only read
what the question's answer holds, :class:`BulkPlan` answers the chunk with one batch per
root field (:meth:`~graph_service.api.context.Context.answer_batch`, what the field's
DataLoader asks, for the chunk's distinct argument sets: the caller's scope checked,
:func:`~graph_service.linkage.question.answer_many` once, the answers viewed through the
scope, the subjects kept in the node loaders) and writes each line's ``data`` and errors as GraphQL
execution would: the same keys in the same order (aliases kept), the same values
(serialised by graphql-core's scalars), personal fields masked by the same node objects
(:mod:`graph_service.api.types`), and for an argument set the batch answers with a
``NotFoundError`` or ``InvalidInputError`` the same error (message, ``locations``,
``path``, ``extensions.code``: graphql-core's :func:`~graphql.located_error` coded by
:class:`~graph_service.api.extensions.ErrorCodes`).

What the plan covers (:meth:`BulkPlan.of`; anything else runs merged, as before):

- a query operation, without directives or fragments anywhere;
- root fields that are questions whose answer is one dataclass (not a list, an
  :class:`~graph_service.linkage.question.IdList` or a
  :class:`~graph_service.linkage.question.Ranked` connection), each response key once;
- arguments given as literals or variables, of GraphQL's own scalar types (``ID``,
  ``String``, ``Int``, ``Float``, ``Boolean``) or lists of them; a variable of the
  argument's type (or its non-null form);
- in the answer's object: fields of those scalars without arguments, ``__typename``, and
  fields of a node type (``enterprise { id name }``), plain or resolved by a resolver that
  takes nothing but ``info`` and reads only ``info.context`` (``PayrollCoverage.
  enterprise``, a node DataLoader read), selecting scalar fields of the node and
  ``__typename``. No list is answered, so nothing can be cut short: every line's
  ``truncated`` is 0.

Each line is checked as before (:func:`~graph_service.api.extensions.checked_variables`:
the number of values, variable coercion, the node budget); a line refused runs alone, as
today. Coercion is graphql-core's ``get_variable_values`` except where
:meth:`BulkPlan.coerce` can tell the answer without it: a variable of type ``ID`` or
``String`` (or a list of them) given a text (or a list of texts), which graphql-core's
``coerce_id``/``coerce_string`` return unchanged, or ``null`` for a nullable one; any other
value, a default value or a missing required variable is left to graphql-core. A line of
texts only whose variable names (its *shape*) already passed the checks in this run passes
them again without them: the number of values, the coercion and the node budget's estimate
(kept by names and types, a text's value left out) depend on the names alone.

A line whose answer the plan cannot tell runs alone (as the merged path's do): one whose
resolver or serialisation fails unexpectedly, whose resolver answers later (a node not read
with the answer), or which answers an error in a document of several root fields (the
order of its errors would be execution's). A caller who may not read the graph
(``ReadsGraph``) gets the merged path, which refuses each field. The chunk's audit
record is the merged chunk's (:func:`~graph_service.bulk.merge.run_merged`): the merged
document, operation name, root fields, the hash of the merged (renamed) variables, the
merged ``data`` (root fields aliased ``l<i>_<key>``), the node ids it returned or read
(:func:`~graph_service.api.trail.note_read`: the subjects of each answer, the nodes whose
properties it read unmasked) up to :data:`~graph_service.audit.MAX_NODE_IDS` per line, the
error codes and the outcome.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_origin

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    FieldNode,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    VariableNode,
    is_non_null_type,
    located_error,
    specified_scalar_types,
    type_from_ast,
    value_from_ast,
)

from graph_service.bulk.merge import Answer, Merger, _prefix
from graph_service.config import Settings
from graph_service.errors import GraphServiceError
from graph_service.linkage.question import IdList, Question, Ranked

_TEXTS = frozenset({"ID", "String"})
"""Scalars whose variable value, a text, graphql-core's coercion returns unchanged."""


_UNCHANGED: dict[str, Callable[[Any], bool]] = {
    "ID": lambda v: v.__class__ is str,
    "String": lambda v: v.__class__ is str,
    "Boolean": lambda v: v.__class__ is bool,
    "Int": lambda v: v.__class__ is int and GRAPHQL_MIN_INT <= v <= GRAPHQL_MAX_INT,
    "Float": lambda v: v.__class__ is float and math.isfinite(v),
}
"""Per specified scalar, the values its ``serialize`` returns as they are (graphql-core's
``serialize_id``, ``serialize_string``, ``serialize_boolean``, ``serialize_int`` within
32 bits, ``serialize_float`` of a finite float)."""


class _Alone(Exception):
    """A line whose answer the plan cannot tell: it runs alone."""


@dataclass(frozen=True, slots=True)
class Leaf:
    """A scalar field of an object, or ``__typename`` (``name`` ``None``).

    Attributes
    ----------
    key : str
        Response key.
    name : str or None
        Python attribute read; ``None`` for ``__typename``.
    serialize : callable
        graphql-core's ``serialize`` of the field's scalar (of ``__typename``: the name).
    non_null : bool
        Whether the field is non-null (a ``None`` then runs the line alone).
    same : callable
        Whether ``serialize`` returns a value as it is (:data:`_UNCHANGED`): then it is
        not called.
    """

    key: str
    name: str | None
    serialize: Callable[[Any], Any]
    non_null: bool
    same: Callable[[Any], bool] = lambda _: False


@dataclass(frozen=True, slots=True)
class Child:
    """A field of an answer's object answering a node object, and what is read of it.

    Attributes
    ----------
    key : str
        Response key.
    name : str
        Python attribute read when there is no ``resolver``.
    resolver : callable or None
        ``resolver(obj, info)``, its value or an awaitable of it.
    non_null : bool
    fields : tuple of Leaf
    """

    key: str
    name: str
    resolver: Callable[[Any, Any], Any] | None
    non_null: bool
    fields: tuple[Leaf, ...]


@dataclass(frozen=True, slots=True)
class Root:
    """A root field of the document: its question, arguments and selection.

    Attributes
    ----------
    key : str
        Response key.
    question : Question
    node : FieldNode
        The field as written (its location, for errors).
    literals : dict
        Argument values written in the document (domain values, by Python name).
    variables : tuple of (str, str)
        ``(Python argument name, variable name)`` of the arguments given by variables.
    defaults : dict
        Domain value of each argument with a GraphQL default, by Python name (taken when
        the argument or its variable is absent, as graphql-core takes it).
    non_null : bool
    convert : callable
        The domain answer to its GraphQL object
        (:func:`~graph_service.api.questions.answer_converter`).
    fields : tuple of Leaf or Child
    """

    key: str
    question: Question[Any, Any]
    node: FieldNode
    literals: dict[str, Any]
    variables: tuple[tuple[str, str], ...]
    defaults: dict[str, Any]
    non_null: bool
    convert: Callable[[Any], Any]
    fields: tuple[Leaf | Child, ...]

    def arguments(self, values: Mapping[str, Any]) -> Any:
        """The question's argument set of one line's coerced variable ``values``."""
        given = dict(self.literals)
        for name, variable in self.variables:
            if variable in values:
                given[name] = _domain(values[variable])
            elif name in self.defaults:
                given[name] = self.defaults[name]
        return self.question.arguments(**given)


def _domain(value: Any) -> Any:
    """A coerced value of a scalar or list argument as the domain takes it (lists as tuples)."""
    if isinstance(value, list):
        return tuple(_domain(v) for v in value)
    return value


def _named(type_: Any) -> tuple[Any, bool]:
    """The type without its non-null wrapper, and whether it had one."""
    if isinstance(type_, GraphQLNonNull):
        return type_.of_type, True
    return type_, False


def _scalar_input(type_: GraphQLInputType) -> bool:
    """Whether an argument type is a specified scalar, or lists of one."""
    inner, _ = _named(type_)
    if isinstance(inner, GraphQLList):
        return _scalar_input(inner.of_type)
    return isinstance(inner, GraphQLScalarType) and inner.name in specified_scalar_types


def _standard_scalar(type_: GraphQLOutputType) -> GraphQLScalarType | None:
    inner, _ = _named(type_)
    if isinstance(inner, GraphQLScalarType) and inner.name in specified_scalar_types:
        return specified_scalar_types[inner.name]
    return None


class _Info:
    """What a planned resolver is given as ``info``: the chunk's context."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


class _Builder:
    """Builds a :class:`BulkPlan`'s roots from the schema; ``None`` for what it does not cover."""

    def __init__(self, schema: Any, types: GraphQLSchema,
                 operation: OperationDefinitionNode) -> None:
        self.schema, self.types, self.operation = schema, types, operation
        self.names = schema.config.name_converter
        self.variables = {d.variable.name.value: d for d in operation.variable_definitions or ()}

    def fields_of(self, type_name: str) -> dict[str, Any]:
        definition = self.schema.get_type_by_name(type_name)
        return {self.names.get_graphql_name(f): f for f in definition.fields}

    @staticmethod
    def plain(node: FieldNode) -> bool:
        return not node.directives and not node.arguments

    def selections(self, selection_set: SelectionSetNode | None) -> list[FieldNode] | None:
        """The fields of a selection set, each response key once; ``None`` otherwise."""
        if selection_set is None:
            return None
        found: list[FieldNode] = []
        keys: set[str] = set()
        for selection in selection_set.selections:
            if not isinstance(selection, FieldNode) or selection.directives:
                return None
            key = (selection.alias or selection.name).value
            if key in keys:
                return None
            keys.add(key)
            found.append(selection)
        return found

    def leaf(self, node: FieldNode, owner: GraphQLObjectType, strawberry_fields: Mapping[str, Any]
             ) -> Leaf | None:
        key = (node.alias or node.name).value
        name = node.name.value
        if name == "__typename" and self.plain(node):
            return Leaf(key, None, lambda _: owner.name, True)
        field = strawberry_fields.get(name)
        graphql = owner.fields.get(name)
        if field is None or graphql is None or not self.plain(node) or node.selection_set:
            return None
        scalar = _standard_scalar(graphql.type)
        if (scalar is None or field.base_resolver is not None or field.permission_classes
                or field.extensions):
            return None
        return Leaf(key, field.python_name, scalar.serialize, is_non_null_type(graphql.type),
                    _UNCHANGED[scalar.name])

    def child(self, node: FieldNode, owner: GraphQLObjectType, strawberry_fields: Mapping[str, Any]
              ) -> Leaf | Child | None:
        if node.selection_set is None:
            return self.leaf(node, owner, strawberry_fields)
        field = strawberry_fields.get(node.name.value)
        graphql = owner.fields.get(node.name.value)
        if field is None or graphql is None or not self.plain(node):
            return None
        inner, non_null = _named(graphql.type)
        if not isinstance(inner, GraphQLObjectType) or field.permission_classes or field.extensions:
            return None
        definition = self.schema.get_type_by_name(inner.name)
        if not hasattr(definition.origin, "LABEL"):  # a node type of graph_service.api.types
            return None
        resolver = None
        if field.base_resolver is not None:
            wrapped = field.base_resolver.wrapped_func
            if (field.base_resolver.arguments
                    or list(inspect.signature(wrapped).parameters) != ["self", "info"]):
                return None
            resolver = wrapped
        selected = self.selections(node.selection_set)
        if selected is None:
            return None
        inner_fields = self.fields_of(inner.name)
        leaves = [self.leaf(n, inner, inner_fields) for n in selected]
        if any(leaf is None for leaf in leaves):
            return None
        return Child((node.alias or node.name).value, field.python_name, resolver, non_null,
                     tuple(leaf for leaf in leaves if leaf is not None))

    def argument_values(self, node: FieldNode, field: Any, graphql: Any
                        ) -> tuple[dict[str, Any], tuple[tuple[str, str], ...],
                                   dict[str, Any]] | None:
        python = {self.names.get_graphql_name(a): a.python_name for a in field.arguments}
        literals: dict[str, Any] = {}
        variables: list[tuple[str, str]] = []
        for argument in node.arguments or ():
            name = argument.name.value
            definition = graphql.args.get(name)
            if definition is None or name not in python or not _scalar_input(definition.type):
                return None
            if isinstance(argument.value, VariableNode):
                variable = self.variables.get(argument.value.name.value)
                if variable is None:
                    return None
                declared = type_from_ast(self.types, variable.type)
                if str(declared) not in (str(definition.type), f"{definition.type}!"):
                    return None
                variables.append((python[name], variable.variable.name.value))
            else:
                value = value_from_ast(argument.value, definition.type)
                if value is Undefined:
                    return None
                literals[python[name]] = _domain(value)
        defaults = {python[name]: _domain(definition.default_value)
                    for name, definition in graphql.args.items()
                    if definition.default_value is not Undefined and name in python}
        if not all(_scalar_input(definition.type) for definition in graphql.args.values()):
            return None
        return literals, tuple(variables), defaults

    def root(self, node: FieldNode, questions: Mapping[str, Question[Any, Any]],
             query_fields: Mapping[str, Any]) -> Root | None:
        from graph_service.api.permissions import ReadsGraph
        from graph_service.api.questions import answer_converter

        field = query_fields.get(node.name.value)
        graphql = self.types.query_type.fields.get(node.name.value)  # type: ignore[union-attr]
        if field is None or graphql is None or node.directives:
            return None
        question = questions.get(field.python_name)
        if question is None or field.permission_classes != [ReadsGraph]:
            return None
        answer = question.answer
        if (answer in (IdList, Ranked) or get_origin(answer) is not None
                or not (isinstance(answer, type) and dataclasses.is_dataclass(answer))):
            return None
        arguments = self.argument_values(node, field, graphql)
        inner, non_null = _named(graphql.type)
        selected = self.selections(node.selection_set)
        if arguments is None or not isinstance(inner, GraphQLObjectType) or selected is None:
            return None
        object_fields = self.fields_of(inner.name)
        fields = [self.child(n, inner, object_fields) for n in selected]
        if any(f is None for f in fields):
            return None
        literals, variables, defaults = arguments
        return Root((node.alias or node.name).value, question, node, literals, variables,
                    defaults, non_null, answer_converter(question),
                    tuple(f for f in fields if f is not None))


@dataclass(frozen=True)
class BulkPlan:
    """A document's lines answered set-wise: build it with :meth:`of`.

    Attributes
    ----------
    merger : Merger
        The run's merger (its document, operation, and merged documents for the audit).
    roots : tuple of Root
        The operation's root fields, in order.
    types : GraphQLSchema
        The schema's types (:func:`~graph_service.api.extensions.type_schema`).
    texts : tuple of (str, bool, bool) or None
        For :meth:`coerce`: each variable's name, whether it is non-null, whether it is a
        list; ``None`` when some variable is not of a text type, or has a default.
    passed : dict
        The shapes of lines of texts that passed :meth:`checked` (settings, operation,
        variable names), and the names their coerced values hold.
    """

    merger: Merger
    roots: tuple[Root, ...]
    types: GraphQLSchema
    texts: tuple[tuple[str, bool, bool], ...] | None
    passed: dict[tuple[Any, ...], tuple[str, ...]] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, merger: Merger | None, settings: Settings) -> BulkPlan | None:
        """The plan of ``merger``'s operation, or ``None`` when the plan does not cover it.

        Parameters
        ----------
        merger : Merger or None
            The run's merger (``None``: lines are not merged, nor planned).
        settings : Settings
            Chooses the schema (:func:`~graph_service.api.fast_path.schema_for`).

        Returns
        -------
        BulkPlan or None
            ``None`` for what the module's list does not cover: its lines run merged.
        """
        from graph_service.api.extensions import type_schema
        from graph_service.api.fast_path import schema_for
        from graph_service.linkage.registry import QUESTIONS

        if merger is None:
            return None
        operation = merger.operation
        if operation.operation != OperationType.QUERY or operation.directives or any(
                not isinstance(d, OperationDefinitionNode) for d in merger.document.definitions):
            return None
        schema = schema_for(settings)
        types = type_schema(schema)
        builder = _Builder(schema, types, operation)
        selected = builder.selections(operation.selection_set)
        if not selected:
            return None
        questions = {q.name: q for q in QUESTIONS}
        query_fields = builder.fields_of("Query")
        roots = [builder.root(node, questions, query_fields) for node in selected]
        if any(root is None for root in roots):
            return None
        return cls(merger, tuple(r for r in roots if r is not None), types,
                   _texts(types, operation))

    def coerce(self, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """One line's variable values coerced, where graphql-core would leave them as they are.

        A text for an ``ID`` or ``String`` variable, a list of texts for a list of them,
        ``null`` for a nullable one, nothing for a nullable one not given (graphql-core's
        ``coerce_id`` and ``coerce_string`` return a text unchanged; a list is coerced item
        by item into a new list). ``None`` for anything else: graphql-core coerces it, and
        reports its errors.
        """
        if self.texts is None:
            return None
        coerced: dict[str, Any] = {}
        for name, non_null, is_list in self.texts:
            if name not in values:
                if non_null:
                    return None
                continue
            value = values[name]
            if value is None:
                if non_null:
                    return None
                coerced[name] = None
            elif not is_list and type(value) is str:
                coerced[name] = value
            elif is_list and type(value) is list and all(type(v) is str for v in value):
                coerced[name] = list(value)
            else:
                return None
        return coerced

    def checked(self, settings: Settings, values: Mapping[str, Any],
                operation_name: str | None) -> dict[str, Any] | None:
        """One line's coerced variable values, or ``None`` when its checks refuse it.

        The checks every operation gets (:func:`~graph_service.api.extensions.
        checked_variables`), with :meth:`coerce` tried first.
        """
        from graph_service.api.extensions import checked_variables

        shape = None
        if self.texts is not None:
            for value in values.values():
                if value.__class__ is not str:
                    break
            else:
                # Texts only: the checks' answer depends on the names alone (the number of
                # values is theirs; coercion returns the texts, :meth:`coerce`; the node
                # budget's estimate is kept by names and types, a text's value left out:
                # graph_service.api.extensions.estimate), so a shape that passed passes again.
                shape = (id(settings), operation_name, *values)
                names = self.passed.get(shape)
                if names is not None:
                    return {name: values[name] for name in names}
                if self.coerce(values) is None:
                    shape = None
        errors, coerced = checked_variables(self.types, self.merger.document, settings, values,
                                            operation_name, self.coerce)
        if errors:
            return None
        if shape is not None:
            self.passed[shape] = tuple(coerced)
        return coerced

    @staticmethod
    def serves(context: Any) -> bool:
        """Whether the chunk's caller may call the root fields (``ReadsGraph``): else merged."""
        from graph_service.api.permissions import ReadsGraph

        return context.caller is None or context.caller.role in ReadsGraph.roles

    async def answer(self, context: Any, lines: Sequence[Mapping[str, Any]],
                     coerced: Sequence[Mapping[str, Any]]) -> list[Answer | None]:
        """Each line's answer, ``None`` for one to run alone; the chunk's audit record.

        Parameters
        ----------
        context : Context
            The chunk's GraphQL context.
        lines : sequence of mapping
            Each line's variable values as sent (for the audit record's hash).
        coerced : sequence of mapping
            Aligned with ``lines``: their coerced values (:meth:`checked`).

        Returns
        -------
        list
            Aligned with ``lines``: ``(data, errors, 0)`` as the line's own execution
            answers it, or ``None`` for a line to run alone (see the module's notes).
        """
        from graph_service.api.trail import LINES, append_record, document_record, reading

        started = time.perf_counter()
        count = len(lines)
        with reading() as read:
            asked = [[_arguments(root, values) for values in coerced] for root in self.roots]
            found = await asyncio.gather(*(_batch(context, root.question, many)
                                           for root, many in zip(self.roots, asked, strict=True)))
            datas, errors = self._complete(context, list(found), asked)
        answers: list[Answer | None] = []
        for data, line_errors in zip(datas, errors, strict=True):
            if data is None:
                answers.append(None)
            elif line_errors and self.roots[0].non_null:  # one root field: nulled
                answers.append((None, line_errors, 0))
            else:
                answers.append((data, line_errors, 0))
        if getattr(context, "audit", None) is not None:
            operation = self.merger.operation
            document, _ = self.merger.merged(count)
            prefixes = [_prefix(i) for i in range(count)]
            variables = {prefix + name: value
                         for prefix, values in zip(prefixes, lines, strict=True)
                         for name, value in values.items()}
            codes = [str(e["extensions"]["code"]) for line in errors for e in line]
            keys = [root.key for root in self.roots]
            merged = {prefix + key: data.get(key) if data else None
                      for prefix, data in zip(prefixes, datas, strict=True) for key in keys}
            token = LINES.set(count)
            try:
                record = document_record(
                    context, started, document,
                    operation.name.value if operation.name else None, variables,
                    data=merged, error_codes=codes, read=read)
            finally:
                LINES.reset(token)
            await append_record(context, record)
        return answers

    def _complete(self, context: Any, found: list[list[Any]], asked: list[list[Any]]
                  ) -> tuple[list[dict[str, Any] | None], list[list[dict[str, Any]]]]:
        """Each line's data (``None`` for one to run alone) and formatted errors.

        Per line, as its execution reads them: each answer's subjects noted read, then its
        fields (a node's properties read unmasked noted by the node object). A line of
        several root fields that answers an error runs alone (the order of its errors
        would be execution's).
        """
        from graph_service.api.extensions import ErrorCodes
        from graph_service.api.questions import note_subjects

        codes = ErrorCodes()
        info = _Info(context)
        roots = list(enumerate(self.roots))
        several = len(roots) > 1
        datas: list[dict[str, Any] | None] = []
        errors: list[list[dict[str, Any]]] = []
        for i in range(len(asked[0])):
            data: dict[str, Any] | None = {}
            failed: list[dict[str, Any]] = []
            try:
                for r, root in roots:
                    answer = found[r][i]
                    if isinstance(answer, GraphServiceError):
                        error = located_error(answer, [root.node], [root.key])
                        failed.append(dict(codes.anonymise_error(error).formatted))
                        data[root.key] = None  # type: ignore[index]
                    elif isinstance(answer, BaseException):
                        raise _Alone
                    else:
                        obj = root.convert(answer)
                        note_subjects(root.question, asked[r][i])
                        data[root.key] = _object(obj, root.fields, info)  # type: ignore[index]
                if failed and several:
                    data = None
            except Exception:  # noqa: BLE001 - the line runs alone, which reports it
                data = None
            datas.append(data)
            errors.append(failed)
        return datas, errors


async def _batch(context: Any, question: Question[Any, Any], many: list[Any]) -> list[Any]:
    """Each argument set's answer or error, as the question's DataLoader would give it.

    One :meth:`~graph_service.api.context.Context.answer_batch` call for the distinct
    argument sets (a DataLoader asks each key once); an error of the whole batch (the
    store down) is each line's, as a DataLoader's failed batch is each of its loads'. An
    item of ``many`` that is an error (its arguments could not be built) stays as it is.
    """
    index: dict[Any, int] = {}
    where = [args if isinstance(args, Exception) else index.setdefault(args, len(index))
             for args in many]
    try:
        answers: list[Any] = await context.answer_batch(question, list(index)) if index else []
    except GraphServiceError as error:
        answers = [error] * len(index)
    return [at if isinstance(at, Exception) else answers[at] for at in where]


def _arguments(root: Root, values: Mapping[str, Any]) -> Any:
    """:meth:`Root.arguments`, or the error building them raised (the line's own)."""
    try:
        return root.arguments(values)
    except Exception as error:  # noqa: BLE001 - answered in the line's place
        return error


def _object(obj: Any, fields: Sequence[Leaf | Child], info: _Info) -> dict[str, Any]:
    """The completed value of ``obj``'s selected ``fields``, as execution completes it.

    Raises
    ------
    _Alone
        Where execution would null a non-null field, or a resolver answers later (an
        awaitable: its node was not read with the answer): the line runs alone. Any error
        of a resolver or a serialisation runs it alone too (the caller catches it).
    """
    data: dict[str, Any] = {}
    for field in fields:
        if field.__class__ is Leaf:
            leaf: Leaf = field  # type: ignore[assignment]
            if leaf.name is None:  # __typename
                data[leaf.key] = leaf.serialize(None)
                continue
            value = getattr(obj, leaf.name)
            if value is None:
                if leaf.non_null:
                    raise _Alone
                data[leaf.key] = None
            else:
                data[leaf.key] = value if leaf.same(value) else leaf.serialize(value)
            continue
        child: Child = field  # type: ignore[assignment]
        if child.resolver is None:
            node = getattr(obj, child.name)
        else:
            node = child.resolver(obj, info)
            if inspect.isawaitable(node):
                if inspect.iscoroutine(node):
                    node.close()
                raise _Alone
        if node is None:
            if child.non_null:
                raise _Alone
            data[child.key] = None
        else:
            data[child.key] = _object(node, child.fields, info)
    return data


def _texts(types: GraphQLSchema, operation: OperationDefinitionNode
           ) -> tuple[tuple[str, bool, bool], ...] | None:
    """:attr:`BulkPlan.texts` of ``operation``'s variable definitions."""
    found: list[tuple[str, bool, bool]] = []
    for definition in operation.variable_definitions or ():
        if definition.default_value is not None:
            return None
        declared, non_null = _named(type_from_ast(types, definition.type))
        is_list = isinstance(declared, GraphQLList)
        if is_list:
            item, item_non_null = _named(declared.of_type)
            if not item_non_null:
                return None
            declared = item
        if not (isinstance(declared, GraphQLScalarType) and declared.name in _TEXTS):
            return None
        found.append((definition.variable.name.value, non_null, is_list))
    return tuple(found)


__all__ = ["BulkPlan", "Child", "Leaf", "Root"]
