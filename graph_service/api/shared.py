"""Many executions of one query operation sharing their fixed cost: the bulk path's executions.

Running a document through ``schema.execute`` once per variables set pays, every time,
strawberry's fixed cost (extensions, the document caches, result formatting) and
graphql-core's (building an executor, collecting the fields of every selection set), which
is most of the cost of a small operation. :class:`SharedOperation` executes one query
operation once per variables set with graphql-core's executor directly, the way graphql-core
runs a subscription's events (``Executor.build_per_event_executor``): every set gets an
executor of its own (its own coerced variables and its own errors, so that one set's error
never touches another set's answer), and the sets share what does not depend on their
values: the parsed operation, its fragments, and the fields collected for every selection
set (graphql-core collects them once per execution; here once per run).

The fields a selection set collects depend on the variables only through the ``if``
arguments of ``@skip`` and ``@include``; sets share collected fields only when the variables
those directives read are equal (:meth:`SharedOperation.executor` keys the collections by
them), so every set executes exactly the fields of its own execution.

What could still differ from ``schema.execute`` is handled by not answering: a set whose
variables are refused, or whose execution has any error, gets no answer here, and the caller
executes it through ``schema.execute`` (so its errors, their codes, masking and logging are
exactly those of a separate execution). Checks made before execution (validation, the node
budget, schema extensions) are the caller's: see :mod:`graph_service.bulk`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    Visitor,
    get_variable_values,
    visit,
)
from graphql.execution.collect_fields import GroupedFieldSet
from strawberry.execution import optimized_is_awaitable

from graph_service.api.execution import FastExecutionContext


def variables_key(names: Sequence[str], variables: Mapping[str, Any]) -> str:
    """A hashable key of the values ``variables`` gives to ``names`` (absent told from null).

    Examples
    --------
    >>> variables_key(["a", "b"], {"a": 1})
    '[[true, 1], [false, null]]'
    >>> variables_key([], {"a": 1})
    ''
    """
    if not names:
        return ""
    return json.dumps([[name in variables, variables.get(name)] for name in names])


class _DirectiveVariables(Visitor):
    """Collects the names of the variables read by the arguments of directives."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.depth = 0

    def enter_directive(self, *_: Any) -> None:
        self.depth += 1

    def leave_directive(self, *_: Any) -> None:
        self.depth -= 1

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        if self.depth:
            self.names.add(node.name.value)


@dataclass(slots=True)
class _Collected:
    """The fields collected by the executions sharing them (see :class:`SharedExecutor`)."""

    root: GroupedFieldSet | None = None
    sub_fields: dict[Any, Any] = field(default_factory=dict)


class SharedExecutor(FastExecutionContext):
    """The executor of one variables set, sharing collected fields with the other sets.

    Parameters
    ----------
    *args, **kwargs
        Those of :class:`~graph_service.api.execution.FastExecutionContext`.
    collected : _Collected
        The root fields and sub-fields collected by the first execution with the same
        directive variables; filled by whichever execution collects them first.
    """

    def __init__(self, *args: Any, collected: _Collected, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._collected = collected
        # graphql-core's memo of collected sub-fields, keyed by the identity of the field
        # lists; shared, it holds those lists alive, so the identities stay unique.
        self._relevant_sub_fields = collected.sub_fields

    def execute_root_grouped_field_set(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: GroupedFieldSet,
        serially: bool,
        position_context: Any,
    ) -> Any:
        """Execute the root fields collected first (the same fields, the same objects)."""
        collected = self._collected
        if collected.root is None:
            collected.root = grouped_field_set
        return super().execute_root_grouped_field_set(
            root_type, root_value, collected.root, serially, position_context
        )


@dataclass(frozen=True, slots=True)
class SharedOperation:
    """A query operation executed once per variables set, sharing collected fields.

    Build it with :meth:`prepare`. The document must be valid (the caller checks it, e.g.
    by one ordinary execution).

    Attributes
    ----------
    schema : GraphQLSchema
        The executable schema (``strawberry.Schema._schema``).
    document : DocumentNode
        A document holding exactly one operation, a ``query``.
    directive_variables : tuple of str
        The variables read by directives' arguments, sorted: sets share collected fields
        when these are equal.
    prototypes : dict
        The first :class:`SharedExecutor` built, by :func:`variables_key` of the directive
        variables.
    """

    schema: GraphQLSchema
    document: DocumentNode
    directive_variables: tuple[str, ...]
    prototypes: dict[str, SharedExecutor] = field(default_factory=dict)

    @classmethod
    def prepare(cls, schema: GraphQLSchema, document: DocumentNode) -> SharedOperation | None:
        """The shared form of ``document``, or ``None`` when it is not one query operation."""
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
            return None
        reads = _DirectiveVariables()
        visit(document, reads)
        return cls(schema, document, tuple(sorted(reads.names)))

    def executor(self, variables: Mapping[str, Any], context: Any) -> SharedExecutor | None:
        """The executor of one variables set; ``None`` if its variables are refused.

        The first set of each value of the directive variables builds an executor
        (graphql-core's ``build``); the next sets copy it, each with fresh per-execution
        state (``create_sub_executor``, as graphql-core's incremental delivery does) and
        its own coerced variables. A copy shares the first executor's memos (collected
        sub-fields, :class:`~graph_service.api.execution.FastExecutionContext`'s plans),
        which depend on the directive variables only.
        """
        key = variables_key(self.directive_variables, variables)
        first = self.prototypes.get(key)
        if first is None:
            built = SharedExecutor.build(
                self.schema,
                self.document,
                context_value=context,
                raw_variable_values=dict(variables),
                is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
                operation_extensions=None,
                collected=_Collected(),
            )
            if not isinstance(built, SharedExecutor):
                return None
            self.prototypes[key] = built
            return built
        values = get_variable_values(
            self.schema, first.operation.variable_definitions or (), dict(variables)
        )
        if isinstance(values, list):
            return None
        executor = cast(SharedExecutor, first.create_sub_executor())
        executor.context_value = context
        executor.variable_values = values
        return executor

    async def execute(
        self, variables: Sequence[Mapping[str, Any]], context: Any
    ) -> list[dict[str, Any] | None]:
        """Execute the operation once per variables set, concurrently.

        Parameters
        ----------
        variables : sequence of mapping
            One variables set per execution.
        context : Context
            The context every execution shares (its DataLoaders batch their store calls).

        Returns
        -------
        list of (dict or None)
            Aligned with ``variables``: the ``data`` of a set executed without error;
            ``None`` for a set whose variables are refused or whose execution has an error
            (the caller executes it on its own).
        """
        answers: list[dict[str, Any] | None] = [None] * len(variables)
        pending: list[tuple[int, Any]] = []
        for i, given in enumerate(variables):
            executor = self.executor(given, context)
            if executor is None:
                continue
            result = executor.execute_operation()
            if optimized_is_awaitable(result):
                pending.append((i, result))
            else:
                answers[i] = _data(result)
        if pending:
            done = await asyncio.gather(*(result for _, result in pending))
            for (i, _), result in zip(pending, done, strict=True):
                answers[i] = _data(result)
        return answers


def _data(result: Any) -> dict[str, Any] | None:
    """The ``data`` of an execution result without errors; ``None`` otherwise."""
    assert isinstance(result, ExecutionResult)
    return None if result.errors else result.data


__all__ = ["SharedExecutor", "SharedOperation", "variables_key"]
