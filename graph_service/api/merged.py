"""Many executions of one query operation as one: the bulk path's merged execution.

Running a document once per variables set pays graphql-core's fixed cost (building an
execution context, coercing variables, collecting fields) and strawberry's (extensions,
result formatting) every time, which is most of the cost of a small operation. A
:class:`MergedOperation` runs ``n`` variable sets in *one* execution instead: the operation's
root fields are copied once per set, under the alias ``_<i>_<response key>``, with every
variable ``$v`` renamed ``$_<i>_v``; the answer is split back per set by alias.

The answers are the same as ``n`` separate executions, because:

- each copy keeps its response key's grouping (aliases are derived from response keys), its
  arguments, directives and sub-selections, and its source locations (copies share the
  original nodes' ``loc``, so error locations are those of the original document);
- the fragments are shared, and only operations whose fragments use no variable are merged;
- a variable set is coerced against the same variable definitions.

What could differ is handled by not answering: a set whose copy has any error gets no
answer here (an error in a non-null root field, which would null the whole ``data`` of a
separate execution, nulls that copy only: :class:`MergedExecutionContext`), and the caller
executes it on its own (so its errors, their codes, masking and logging are
exactly those of a separate execution). Checks made before execution (validation, the node
budget) are the caller's: see :mod:`graph_service.bulk`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any, cast

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLOutputType,
    NameNode,
    Node,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    execute,
    get_nullable_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from strawberry.execution import optimized_is_awaitable

from graph_service.api.execution import FastExecutionContext

_CHILDREN: dict[type, tuple[str, ...]] = {}


def _children(cls: type) -> tuple[str, ...]:
    """The attributes of an AST node class that can hold nodes (all but ``loc``)."""
    names = _CHILDREN.get(cls)
    if names is None:
        names = _CHILDREN[cls] = tuple(
            f.name for f in dataclasses.fields(cls) if f.name != "loc"
        )
    return names


def _find_variables(node: Any, holders: set[int]) -> bool:
    """Whether ``node`` (an AST node or a tuple of them) holds a variable.

    Adds to ``holders`` the ``id`` of every node and tuple at or below ``node`` that holds
    one, so that :func:`_renamed` visits only those.
    """
    if isinstance(node, VariableNode):
        found = True
    elif isinstance(node, tuple | list):
        found = any([_find_variables(item, holders) for item in node])
    elif isinstance(node, Node):
        found = any([_find_variables(getattr(node, key), holders) for key in _children(type(node))])
    else:
        return False
    if found:
        holders.add(id(node))
    return found


def _renamed(node: Any, prefix: str, holders: frozenset[int]) -> Any:
    """``node`` with every variable ``$v`` below it renamed ``$<prefix>v``.

    Only the nodes in ``holders`` (see :func:`_find_variables`) are copied; the others are
    shared. Copies keep ``loc``.
    """
    if id(node) not in holders:
        return node
    if isinstance(node, VariableNode):
        return VariableNode(name=NameNode(value=prefix + node.name.value, loc=node.name.loc),
                            loc=node.loc)
    if isinstance(node, tuple | list):
        return tuple(_renamed(item, prefix, holders) for item in node)
    changes = {
        key: _renamed(value, prefix, holders)
        for key in _children(type(node))
        if id(value := getattr(node, key)) in holders
    }
    return dataclasses.replace(node, **changes)


@dataclass(frozen=True, slots=True)
class MergedOperation:
    """A query operation that many variable sets can run as one execution.

    Build it with :meth:`prepare`. The document must be valid (the caller checks it, e.g.
    by one ordinary execution).

    Attributes
    ----------
    operation : OperationDefinitionNode
        The document's only operation.
    fragments : tuple of FragmentDefinitionNode
        The document's fragments, shared by every copy.
    holders : frozenset of int
        ``id`` of the operation's AST nodes that hold a variable (those copied per set).
    """

    operation: OperationDefinitionNode
    fragments: tuple[FragmentDefinitionNode, ...]
    holders: frozenset[int]

    @classmethod
    def prepare(cls, document: DocumentNode) -> MergedOperation | None:
        """The merged form of ``document``, or ``None`` when it cannot be merged.

        Merged: a document holding exactly one operation, a ``query`` without directives,
        whose root selections are all fields (no fragment at the root) and whose fragments
        use no variable.
        """
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        fragments = tuple(
            d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        )
        if len(operations) != 1 or len(operations) + len(fragments) != len(document.definitions):
            return None
        (operation,) = operations
        if (
            operation.operation is not OperationType.QUERY
            or operation.directives
            or not all(isinstance(s, FieldNode) for s in operation.selection_set.selections)
            or _find_variables(fragments, set())
        ):
            return None
        holders: set[int] = set()
        _find_variables(operation, holders)
        return cls(operation, fragments, frozenset(holders))

    def build(
        self, variables: Sequence[Mapping[str, Any]]
    ) -> tuple[DocumentNode, dict[str, Any], dict[str, tuple[int, str]], dict[str, int]]:
        """The merged document of ``len(variables)`` copies, its variables and its routes.

        Returns
        -------
        document : DocumentNode
        values : dict
            Variable values of the merged operation (``_<i>_v`` for each declared ``v`` that
            set ``i`` gives; a variable it omits stays omitted).
        routes : dict
            Root alias ``_<i>_<key>`` to ``(i, key)``, ``key`` the original response key.
        owners : dict
            Variable name ``_<i>_v`` to ``i``.
        """
        operation = self.operation
        declared = [d.variable.name.value for d in operation.variable_definitions or ()]
        definitions = []
        selections = []
        values: dict[str, Any] = {}
        routes: dict[str, tuple[int, str]] = {}
        owners: dict[str, int] = {}
        for i, given in enumerate(variables):
            prefix = f"_{i}_"
            definitions.extend(_renamed(operation.variable_definitions or (), prefix, self.holders))
            for name in declared:
                owners[prefix + name] = i
                if name in given:
                    values[prefix + name] = given[name]
            for selection in operation.selection_set.selections:
                assert isinstance(selection, FieldNode)
                key = (selection.alias or selection.name).value
                alias = prefix + key
                routes[alias] = (i, key)
                renamed = _renamed(selection, prefix, self.holders)
                selections.append(dataclasses.replace(renamed, alias=NameNode(value=alias)))
        merged = OperationDefinitionNode(
            operation=OperationType.QUERY,
            variable_definitions=tuple(definitions),
            directives=(),
            selection_set=SelectionSetNode(selections=tuple(selections)),
        )
        return DocumentNode(definitions=(merged, *self.fragments)), values, routes, owners


class MergedExecutionContext(FastExecutionContext):
    """The execution context of a merged operation: a failing copy does not null the others.

    In a separate execution, an error in a non-null root field nulls the whole ``data``; in
    the merged one it would null every copy's. Here a root field's error is collected as if
    the field were nullable, so it nulls that copy's field only; that copy is then executed
    on its own (see :func:`execute_merged`), which nulls its ``data`` as usual.
    """

    def handle_field_error(
        self,
        raw_error: Exception,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> None:
        """Collect the error; at the root, never propagate it (see the class notes)."""
        if path.prev is None:
            return_type = cast(GraphQLOutputType, get_nullable_type(return_type))
        super().handle_field_error(raw_error, return_type, field_details_list, path)


async def execute_merged(
    schema: Any, merged: MergedOperation, variables: Sequence[Mapping[str, Any]], context: Any
) -> list[dict[str, Any] | None]:
    """Execute ``merged`` once per variables set, in one execution.

    Parameters
    ----------
    schema : GraphQLSchema
        The executable schema (``strawberry.Schema._schema``).
    merged : MergedOperation
    variables : sequence of mapping
        One variables set per execution.
    context : Context
        The context every copy shares (its DataLoaders batch the copies' store calls).

    Returns
    -------
    list of (dict or None)
        Aligned with ``variables``: the ``data`` of a set whose copy has no error, and
        ``None`` for a set that must be executed on its own: its copy has an error, or a
        value of its variables is refused (the merged operation then runs again without
        it), or an error cannot be told apart by set (then every set).
    """
    answers: list[dict[str, Any] | None] = [None] * len(variables)
    pending = list(range(len(variables)))
    while pending:
        document, values, routes, owners = merged.build([variables[i] for i in pending])
        result = execute(
            schema,
            document,
            variable_values=values,
            context_value=context,
            executor_class=MergedExecutionContext,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            max_coercion_errors=len(owners) + 1,  # every refused value, not the first 50
        )
        if isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        if result.data is None:  # it did not start: set aside the sets of bad variables
            refused = {_owner(error, owners) for error in result.errors or ()} - {None}
            if not refused:
                return answers
            pending = [p for j, p in enumerate(pending) if j not in refused]
            continue
        failed = set()
        for error in result.errors or ():
            route = routes.get(str(error.path[0])) if error.path else None
            if route is None:  # not located in one copy: every set runs on its own
                return answers
            failed.add(route[0])
        lines: list[dict[str, Any]] = [{} for _ in pending]
        for alias, value in result.data.items():
            j, key = routes[alias]
            lines[j][key] = value
        for j, p in enumerate(pending):
            if j not in failed:
                answers[p] = lines[j]
        break
    return answers


def _owner(error: GraphQLError, owners: Mapping[str, int]) -> int | None:
    """The set whose variable value an error of variable coercion refuses, if it names one."""
    node = error.nodes[0] if error.nodes else None
    if isinstance(node, VariableDefinitionNode):
        return owners.get(node.variable.name.value)
    return None


__all__ = ["MergedExecutionContext", "MergedOperation", "execute_merged"]
