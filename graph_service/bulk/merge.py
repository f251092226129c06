"""Lines of a bulk run executed together: one GraphQL operation per chunk of lines.

A query run once per line pays, per line, what the schema does per operation: its
extensions' hooks, the audit record, the result's formatting. :class:`Merger` writes a
chunk of ``k`` lines as one operation instead: slot ``i`` holds a copy of the operation
whose variables are renamed ``$l<i>_<name>``, whose fragments are renamed ``l<i>_<name>``
and whose root fields are aliased ``l<i>_<response key>`` (root fragment spreads written
out as inline fragments of the fragment's type, their directives kept). The copies keep
the original nodes' locations, so that an error's ``locations`` are those of the document
as written. Each ``k`` is built once a run.

:func:`run_merged` executes it through :func:`chunk_schema`, the service's types with
three extensions: :class:`~graph_service.api.trail.Audit`, :class:`MergedDocument` (the
built document, neither parsed nor validated again) and
:class:`~graph_service.api.extensions.ErrorCodes`. What the service's other extensions check
per operation is checked per line before (:func:`~graph_service.api.extensions.
operation_errors`: variable values, their coercion, the node budget, each line priced as
its own) or per document once (:meth:`Merger.of`: parse, token limit, validation with the
request's rules, a query operation). The merged operation's answer is split back by the
alias of each root field into each line's ``data`` and errors (the error's path starts
with the line's own response key again).

Each line's root fields run in a task of their own whose context holds the line's
:class:`~graph_service.api.pagination.Paging`, so the lists cut short are counted per line
(:class:`~graph_service.api.fast_path.LineExecutionContext`: the fast path's executor, the
one module that may use graphql-core's executor methods; off the fast path, a run's lines
are not merged). An error that would null a line's whole answer (a non-null root
field) nulls that line only: its ``data`` is ``null`` and its errors end with that error,
as when the line runs alone.

Audit: a merged chunk is one operation of the trail, so it is **one record per chunk**:
the operation's name and type, the root fields as named in the document, the hash of the
merged variables (every line's, renamed), the node ids every line of the chunk returned or
read (up to :data:`~graph_service.audit.MAX_NODE_IDS` per line, as the lines' own records
would list: :data:`~graph_service.api.trail.LINES`; the count beyond), the chunk's
error codes and outcome. Lines run alone get their own record, as before: those the
checks refuse, and those whose answer the merged run cannot tell (:func:`run_merged`; the
chunk's record then also counts what the merged run answered for them).
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import (
    BREAK,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    get_operation_ast,
    visit,
)
from strawberry.extensions import SchemaExtension

from graph_service.api.fast_path import MERGED_LINES
from graph_service.api.pagination import Paging
from graph_service.api.trail import LINES
from graph_service.config import Settings

Answer = tuple[Any, list[dict[str, Any]], int]
"""One line's ``data``, its formatted GraphQL errors, and the lists it cut short."""


def _prefix(slot: int) -> str:
    return f"l{slot}_"


class _Rename(Visitor):
    """Rename a slot's variables and fragments (``$id`` -> ``$l3_id``, ``F`` -> ``l3_F``)."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def _name(self, name: NameNode) -> NameNode:
        return NameNode(value=self.prefix + name.value, loc=name.loc)

    def leave_variable(self, node: VariableNode, *_: Any) -> VariableNode:
        return dataclasses.replace(node, name=self._name(node.name))

    def leave_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> FragmentSpreadNode:
        return dataclasses.replace(node, name=self._name(node.name))

    def leave_fragment_definition(self, node: FragmentDefinitionNode, *_: Any
                                  ) -> FragmentDefinitionNode:
        return dataclasses.replace(node, name=self._name(node.name))


@dataclass(frozen=True, slots=True)
class Slot:
    """One line's copy of the operation.

    Attributes
    ----------
    variables : tuple of VariableDefinitionNode
        The operation's variable definitions, renamed.
    selections : tuple of SelectionNode
        Its root selections, renamed and aliased.
    fragments : tuple of FragmentDefinitionNode
        The document's fragments, renamed.
    keys : dict
        Alias of each root field to its response key in the document as written.
    """

    variables: tuple[VariableDefinitionNode, ...]
    selections: tuple[SelectionNode, ...]
    fragments: tuple[FragmentDefinitionNode, ...]
    keys: dict[str, str]


def _aliased(selections: Sequence[SelectionNode], prefix: str,
             fragments: Mapping[str, FragmentDefinitionNode], keys: dict[str, str]
             ) -> tuple[SelectionNode, ...]:
    """Root ``selections`` with each field aliased ``prefix + response key``.

    A fragment spread becomes an inline fragment of the fragment's type (its directives
    kept), so that the fragment itself, spread elsewhere too, keeps its response keys.
    """
    out: list[SelectionNode] = []
    for selection in selections:
        if isinstance(selection, FieldNode):
            key = (selection.alias or selection.name).value
            keys[prefix + key] = key
            out.append(dataclasses.replace(selection, alias=NameNode(value=prefix + key)))
        elif isinstance(selection, InlineFragmentNode):
            inner = _aliased(selection.selection_set.selections, prefix, fragments, keys)
            out.append(dataclasses.replace(
                selection, selection_set=SelectionSetNode(selections=inner)))
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments[selection.name.value]
            inner = _aliased(fragment.selection_set.selections, prefix, fragments, keys)
            out.append(InlineFragmentNode(
                type_condition=NamedTypeNode(name=fragment.type_condition.name),
                directives=selection.directives,
                selection_set=SelectionSetNode(selections=inner),
                loc=selection.loc,
            ))
    return tuple(out)


class _VariableDirective(Visitor):
    """Finds a directive argument that reads a variable (``@include(if: $x)``)."""

    found = False

    def enter_directive(self, node: Any, *_: Any) -> Any:
        for argument in node.arguments or ():
            if isinstance(argument.value, VariableNode):
                self.found = True
                return BREAK
        return None


def _directives_read_variables(document: DocumentNode) -> bool:
    finder = _VariableDirective()
    visit(document, finder)
    return finder.found


@dataclass
class Merger:
    """The chunks of one run's document, as single operations (built once per size).

    Build it with :meth:`of`.

    Attributes
    ----------
    document : DocumentNode
        The document as parsed (the schema's parser cache).
    operation : OperationDefinitionNode
        The operation run.
    plans : dict or None
        The fast path's plans of the merged documents, kept from chunk to chunk
        (:class:`~graph_service.api.fast_path.LineExecutionContext`); ``None`` when a
        directive reads a variable (a plan then
        depends on the line).
    """

    document: DocumentNode
    operation: OperationDefinitionNode
    plans: dict[Any, Any] | None = None
    _slots: list[Slot] = field(default_factory=list)
    _built: dict[int, tuple[DocumentNode, dict[str, tuple[int, str]]]] = field(
        default_factory=dict)

    @classmethod
    def of(cls, document: str, operation_name: str | None, settings: Settings
           ) -> Merger | None:
        """The merger of ``document``, or ``None`` when its lines must run one by one.

        Parameters
        ----------
        document : str
            The run's GraphQL document.
        operation_name : str or None
            The operation to run.
        settings : Settings
            The run's settings (its validation rules:
            :func:`~graph_service.api.extensions.request_rules`).

        Returns
        -------
        Merger or None
            ``None`` when the document does not parse, is not valid (each line then
            answers the document's errors, as before), names no operation to run, or runs
            a mutation or subscription (mutations run in order, each line its own
            operation), or when ``settings.fast_path`` is off: a merged operation runs on
            the fast path's executor (the one module that may use graphql-core's executor
            methods, :mod:`graph_service.api.fast_path`), so the stock path runs each line
            alone.
        """
        from graph_service.api.extensions import parse_document, validate_request
        from graph_service.api.fast_path import schema_for

        if not settings.fast_path:
            return None
        try:
            parsed = parse_document(document)
        except GraphQLError:
            return None
        if validate_request(schema_for(settings), parsed, settings):
            return None
        operation = get_operation_ast(parsed, operation_name)
        if operation is None or operation.operation != OperationType.QUERY:
            return None
        return cls(parsed, operation, None if _directives_read_variables(parsed) else {})

    def _slot(self, slot: int) -> Slot:
        while len(self._slots) <= slot:
            prefix = _prefix(len(self._slots))
            rename = _Rename(prefix)
            fragments = {d.name.value: d for d in self.document.definitions
                         if isinstance(d, FragmentDefinitionNode)}
            operation = visit(self.operation, rename)
            renamed = {name: visit(f, rename) for name, f in fragments.items()}
            keys: dict[str, str] = {}
            selections = _aliased(operation.selection_set.selections, prefix,
                                  {prefix + name: f for name, f in renamed.items()}, keys)
            self._slots.append(Slot(tuple(operation.variable_definitions or ()), selections,
                                    tuple(renamed.values()), keys))
        return self._slots[slot]

    def merged(self, lines: int) -> tuple[DocumentNode, dict[str, tuple[int, str]]]:
        """The operation running ``lines`` lines, and each root alias's line and key.

        Parameters
        ----------
        lines : int
            Lines run together (slots ``0 .. lines - 1``).

        Returns
        -------
        (DocumentNode, dict)
            The document (one operation, the original's name, then every slot's
            fragments), and for each root alias its slot and response key as written.
        """
        built = self._built.get(lines)
        if built is None:
            slots = [self._slot(i) for i in range(lines)]
            operation = OperationDefinitionNode(
                operation=OperationType.QUERY,
                name=self.operation.name,
                variable_definitions=tuple(v for s in slots for v in s.variables),
                directives=self.operation.directives,
                selection_set=SelectionSetNode(
                    selections=tuple(x for s in slots for x in s.selections)),
                loc=self.operation.loc,
            )
            document = DocumentNode(
                definitions=(operation, *(f for s in slots for f in s.fragments)),
                loc=self.document.loc,
            )
            aliases = {alias: (i, key) for i, s in enumerate(slots)
                       for alias, key in s.keys.items()}
            built = self._built[lines] = (document, aliases)
        return built

    def fields(self, slot: int) -> int:
        """The number of root response keys of a line (:meth:`merged`'s slot)."""
        return len(self._slot(slot).keys)


@dataclass
class _Line:
    """A line of a merged chunk while it runs: its paging, its context, whether it failed."""

    paging: Paging
    context: contextvars.Context | None = None
    failed: bool = False


_CHUNK: ContextVar[DocumentNode | None] = ContextVar("graph_service_bulk_chunk", default=None)
"""The merged document running in this task."""


class MergedDocument(SchemaExtension):
    """Give the operation the merged document of :data:`_CHUNK`: no parsing, no validation.

    The document is built from one that was validated with the request's rules
    (:meth:`Merger.of`); the copies add only aliases and renamed variables and fragments.
    """

    def on_operation(self) -> Iterator[None]:
        """Set the document; mark it validated."""
        chunk = _CHUNK.get()
        if chunk is not None:
            self.execution_context.graphql_document = chunk
            self.execution_context.pre_execution_errors = []
        yield


@functools.cache
def chunk_schema() -> strawberry.Schema:
    """The schema merged chunks run with: the service's types, audit and error codes.

    Executed by :class:`~graph_service.api.fast_path.LineExecutionContext` (the fast path's
    executor, running each line's root fields in the line's context); built once.
    """
    from graph_service.api.extensions import ErrorCodes
    from graph_service.api.fast_path import LineExecutionContext
    from graph_service.api.schema import GraphServiceSchema, Mutation, Query
    from graph_service.api.trail import Audit

    return GraphServiceSchema(query=Query, mutation=Mutation,
                              extensions=[Audit, MergedDocument, ErrorCodes],
                              execution_context_class=LineExecutionContext)


async def run_merged(context: Any, merger: Merger, variables: Sequence[Mapping[str, Any]],
                     all_pages: bool) -> list[Answer | None]:
    """Run ``variables``' lines as one operation; each line's answer, ``None`` to run alone.

    Parameters
    ----------
    context : Context
        The chunk's GraphQL context.
    merger : Merger
        The run's document.
    variables : sequence of mapping
        Each line's variable values, already checked
        (:func:`~graph_service.api.extensions.operation_errors` answered none).
    all_pages : bool
        As :class:`~graph_service.api.pagination.Paging` takes it.

    Returns
    -------
    list
        Aligned with ``variables``: each line's ``(data, errors, truncated)`` as its own
        execution answers it, or ``None`` for a line whose answer a merged run cannot tell
        (an error nulled it and it selects several root fields; every line when the merged
        answer has no data or an error outside the lines' fields): run it alone.
    """
    document, aliases = merger.merged(len(variables))
    by_slot = {slot: _Line(Paging(all_pages=all_pages)) for slot, _ in aliases.values()}
    lines = {alias: by_slot[slot] for alias, (slot, _) in aliases.items()}
    merged_values = {_prefix(i) + name: value for i, values in enumerate(variables)
                     for name, value in values.items()}
    token = _CHUNK.set(document)
    merged = MERGED_LINES.set((lines, merger.plans))
    counted = LINES.set(len(variables))
    try:
        result = await chunk_schema().execute(
            None, variable_values=merged_values, context_value=context,
            operation_name=merger.operation.name.value if merger.operation.name else None)
    finally:
        LINES.reset(counted)
        MERGED_LINES.reset(merged)
        _CHUNK.reset(token)
    if not isinstance(result.data, dict):
        return [None] * len(variables)
    datas: list[dict[str, Any]] = [{} for _ in variables]
    for alias, value in result.data.items():
        slot, key = aliases[alias]
        datas[slot][key] = value
    errors: list[list[dict[str, Any]]] = [[] for _ in variables]
    for error in result.errors or ():
        formatted: dict[str, Any] = dict(error.formatted)
        path: list[Any] | None = formatted.get("path")
        if not path or path[0] not in aliases:
            return [None] * len(variables)
        slot, key = aliases[path[0]]
        formatted["path"] = [key, *path[1:]]
        errors[slot].append(formatted)
    answers: list[Answer | None] = []
    for slot in range(len(variables)):
        line = by_slot.get(slot)
        if line is None:  # a line of no root field (all skipped)
            answers.append((datas[slot], errors[slot], 0))
        elif line.failed and merger.fields(slot) > 1:
            answers.append(None)
        else:
            answers.append((None if line.failed else datas[slot], errors[slot],
                            line.paging.truncated))
    return answers


__all__ = ["MergedDocument", "Merger", "Slot", "chunk_schema", "run_merged"]
