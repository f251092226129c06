"""The node budget of a GraphQL operation, estimated before it runs (GitHub's node limit).

A document small enough for the depth, alias and token limits can still ask for millions of
nodes: ``employees(first: 1000) { edges { node { employers(first: 1000) { ... }}}}``
multiplies. :func:`estimate_nodes` bounds what an operation can return from its text alone,
so that :class:`~graph_service.api.extensions.ExecutionChecks` can refuse it before any resolver
runs.

The rule
--------
- A **connection field** (its type has ``edges`` and ``pageInfo``; it takes ``first``) can
  return ``first`` nodes: the argument's value, or the variable's, or the variable's default,
  or ``Settings.default_page_size`` when omitted, clamped to ``0..Settings.max_page_size``
  (a larger value is refused at run time anyway). Everything selected inside it is
  multiplied by that ``first``.
- The **linkage fields** (generated from the question registry,
  :func:`graph_service.api.questions.costed_fields`) are priced by their question's
  ``cost`` (:class:`graph_service.linkage.question.Cost`, in each question's module).
  ``Query.clientNetwork`` can return ``Settings.max_network_nodes`` nodes (its budget);
  ``Query.linkagePaths`` ``limit`` paths of up to ``maxHops + 1`` nodes each (arguments or
  their defaults, clamped to ``Settings.max_paths`` and ``Settings.max_path_hops``).
- The linkage fields also cost a *base* for the graph they read besides the nodes they
  return (``executivesWithoutPrivateBanking(first: 0) { totalCount }`` returns no node but
  scans the book), on top of what they return:

  * ``executivesWithoutPrivateBanking`` without ``enterpriseId`` (absent, ``null``, or a
    variable sent ``null`` or not sent and without a default): :data:`BOOK_SCAN_COST`,
    10,000, a whole-book scan;
  * ``executivesWithoutPrivateBanking(enterpriseId:)``, ``uncoveredEmployees``,
    ``Query.payrollCoverage`` and ``Enterprise.payrollCoverage``: :data:`ENTERPRISE_COST`,
    100, one enterprise's staff;
  * ``clientNetwork``: ``Settings.max_network_nodes * depth`` (``depth`` clamped to
    ``1..Settings.max_network_depth``), the breadth-first expansion;
  * ``linkagePaths``: :data:`PATH_SEARCH_COST`, 1,000, a bounded breadth-first search.

  A base is multiplied, like the nodes, by the ``first`` of the connections enclosing the
  field: ``Enterprise.payrollCoverage`` under ``employers(first: 4)`` costs 4 * 100.
- A **mutation field** (``Mutation.createReferral``, ...) costs 1: the one record it writes
  and returns.
- Other fields cost nothing themselves but carry the multiplier of their enclosing
  connections to what they select.
- The estimate is the sum over every such field, each times the product of the ``first``
  of the connections enclosing it. Aliases and fragment spreads count once per occurrence.

Examples: ``enterprise(id:) { employees(first: 50) { edges { node { accounts(first: 10)
{ ... } } } } }`` costs ``50 + 50 * 10 = 550``; the same with both ``first`` omitted
``100 + 100 * 100 = 10,100``; three nested connections of 1,000 cost ``1,001,001,000``.
``executivesWithoutPrivateBanking(first: 0) { totalCount }`` costs 10,000, so six aliases of
it (60,000) exceed the default budget of 50,000; ``clientNetwork(depth: 3)`` costs
``500 * 3 + 500 = 2,000`` with the default settings, so 26 aliases of it are refused;
``linkagePaths(maxHops: 6, limit: 1)`` costs ``1,000 + 1 * 7 = 1,007``, 50 of them 50,350.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    ValueNode,
    VariableNode,
    get_named_type,
    get_variable_values,
    value_from_ast_untyped,
)
from graphql.type.definition import GraphQLInterfaceType
from graphql.utilities import get_default_value_ast

from graph_service.api.questions import CostedField, costed_fields
from graph_service.config import Settings
from graph_service.linkage.question import (
    BOOK_SCAN_COST,
    ENTERPRISE_COST,
    PATH_SEARCH_COST,
    Cost,
)

_QUESTION_FIELDS: dict[tuple[str, str], CostedField] = costed_fields()
"""The linkage fields, by ``(parent type, field)``, with the question that prices them."""


@dataclass(frozen=True, slots=True)
class FieldCost:
    """What one occurrence of a field can return, and the work it does besides.

    Attributes
    ----------
    nodes : int
        Nodes the field itself can return (0 for a plain field).
    multiplier : int
        Factor applied to everything selected inside the field (1 for a plain field).
    base : int
        The field's base cost: the graph it reads besides the nodes it returns (0 for a
        plain field; see the module's table).
    """

    nodes: int = 0
    multiplier: int = 1
    base: int = 0


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


@dataclass(frozen=True, slots=True)
class _Arguments:
    """The arguments of a linkage field occurrence, as its question's ``cost`` reads them.

    A :class:`graph_service.linkage.question.CostArguments`: arguments by Python name.
    """

    estimator: _Estimator
    node: FieldNode
    definition: GraphQLField
    costed: CostedField

    def given(self, name: str) -> bool:
        """Whether argument ``name`` is given non-null (a node field's subject always is)."""
        if name == self.costed.subject:
            return True
        return self.estimator.given(self.node, self.costed.names[name])

    def integer(self, name: str) -> int | None:
        """The integer value of argument ``name``, or its default."""
        return self.estimator.argument(self.node, self.definition, self.costed.names[name])

    def value(self, name: str) -> Any:
        """The value of argument ``name`` as given, variables resolved; ``None`` if absent."""
        published = self.costed.names[name]
        for argument in self.node.arguments or ():
            if argument.name.value == published:
                return self.estimator.value(argument.value)
        return None


MUTATION_TYPE = "Mutation"
"""The root mutation type: each of its fields costs the one record it writes."""

@dataclass
class _Estimator:
    """Walks one operation; fragment costs are memoised (a cost is linear in the multiplier)."""

    schema: GraphQLSchema
    settings: Settings
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    """Each variable's value: as sent, else the operation's default for it."""
    _fragment_costs: dict[str, int] = field(default_factory=dict)
    _in_progress: set[str] = field(default_factory=set)

    def int_value(self, node: ValueNode) -> int | None:
        """The integer a literal or variable stands for; ``None`` when absent or not an int."""
        value = self.value(node)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def value(self, node: ValueNode) -> Any:
        """The value a literal or variable stands for; ``None`` when absent.

        Input objects as dicts, lists as lists; a variable not sent takes the operation's
        default.
        """
        found = value_from_ast_untyped(node, self.variables)
        return None if found is Undefined else found

    def argument(self, node: FieldNode, definition: GraphQLField, name: str) -> int | None:
        """The integer value of argument ``name`` of a field occurrence, or its default."""
        for argument in node.arguments or ():
            if argument.name.value == name:
                return self.int_value(argument.value)
        arg = definition.args.get(name)
        literal = None if arg is None else get_default_value_ast(arg)
        default = None if literal is None else value_from_ast_untyped(literal)
        return default if isinstance(default, int) and not isinstance(default, bool) else None

    def given(self, node: FieldNode, name: str) -> bool:
        """Whether argument ``name`` of a field occurrence is given a non-null value.

        A variable counts as given when the request sends it non-null, or, when it does not
        send it, when the operation declares a non-null default for it.
        """
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, NullValueNode):
                return False
            if isinstance(value, VariableNode):
                return self.variables.get(value.name.value) is not None
            return True
        return False

    def field_cost(
        self, parent: GraphQLNamedType, node: FieldNode, definition: GraphQLField
    ) -> FieldCost:
        """The :class:`FieldCost` of one field occurrence (see the module's rule)."""
        settings = self.settings
        named = get_named_type(definition.type)
        if parent.name == MUTATION_TYPE:
            return FieldCost(nodes=1, multiplier=1)
        costed = _QUESTION_FIELDS.get((parent.name, node.name.value))
        priced = Cost() if costed is None else costed.question.cost(
            _Arguments(self, node, definition, costed), settings
        )
        if (
            isinstance(named, GraphQLObjectType)
            and "edges" in named.fields
            and "pageInfo" in named.fields
            and "first" in definition.args
        ):
            first = self.argument(node, definition, "first")
            size = settings.default_page_size if first is None else first
            size = _clamp(size, 0, settings.max_page_size)
            return FieldCost(nodes=size, multiplier=size, base=priced.base)
        return FieldCost(nodes=priced.nodes, multiplier=priced.multiplier, base=priced.base)

    def selection_cost(self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None
                       ) -> int:
        """Nodes a selection set on ``parent`` can return, with multiplier 1."""
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                fields = getattr(parent, "fields", None)
                definition = None if fields is None else fields.get(selection.name.value)
                if definition is None:  # __typename, or a field validation refuses
                    continue
                cost = self.field_cost(parent, selection, definition)
                inner = self.selection_cost(get_named_type(definition.type),
                                            selection.selection_set)
                total += cost.base + cost.nodes + cost.multiplier * inner
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = parent if condition is None else self.type(condition.name.value)
                total += self.selection_cost(target or parent, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment_cost(selection.name.value)
        return total

    def fragment_cost(self, name: str) -> int:
        """Nodes one spread of fragment ``name`` can return (0 for an unknown or cyclic one)."""
        if name in self._fragment_costs:
            return self._fragment_costs[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._in_progress:
            return 0
        self._in_progress.add(name)
        target = self.type(fragment.type_condition.name.value)
        cost = 0 if target is None else self.selection_cost(target, fragment.selection_set)
        self._in_progress.discard(name)
        self._fragment_costs[name] = cost
        return cost

    def type(self, name: str) -> GraphQLNamedType | None:
        """The schema type called ``name``, if any."""
        return self.schema.get_type(name)


def estimate_nodes(
    schema: GraphQLSchema,
    document: DocumentNode,
    settings: Settings,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> int:
    """Estimate the most nodes an operation can return, by the rule of this module.

    Parameters
    ----------
    schema : GraphQLSchema
        The schema's types (:func:`graph_service.api.extensions.type_schema`).
    document : DocumentNode
        The parsed document; fragments are resolved by name.
    settings : Settings
        Supplies the default and largest page size and the caps of the list fields.
    variables : mapping, optional
        The request's variable values, as sent; they are coerced to their types as execution
        will coerce them (``3.0`` for an ``Int`` counts as 3). A variable that is absent
        takes its default from the operation, else counts as omitted.
    operation_name : str, optional
        The operation to estimate; ``None`` estimates every operation of the document and
        answers the largest.

    Returns
    -------
    int
        The estimate; 0 for an operation that reads no connection, list or linkage field.

    Notes
    -----
    Linear in the size of the document: each fragment is walked once, whatever the number
    of its spreads (the cost of a selection is linear in its multiplier).

    Examples
    --------
    >>> from graphql import parse
    >>> from graph_service.api.extensions import type_schema
    >>> from graph_service.api.schema import schema
    >>> doc = parse('{ enterprise(id: "E1") { employees(first: 50) { edges { node {'
    ...             ' accounts(first: 10) { totalCount } } } } } }')
    >>> estimate_nodes(type_schema(schema), doc, Settings())
    550
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    best = 0
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name is not None and (
            definition.name is None or definition.name.value != operation_name
        ):
            continue
        defaults = {
            vd.variable.name.value: value_from_ast_untyped(vd.default_value)
            for vd in definition.variable_definitions or ()
            if vd.default_value is not None
        }
        root = schema.get_root_type(definition.operation)
        if not isinstance(root, GraphQLObjectType | GraphQLInterfaceType):
            continue
        # Priced by the values execution will see: graphql-core coerces 3.0 sent for an Int
        # to 3. Values that do not coerce are refused before execution (ExecutionChecks);
        # until then the values as sent stand.
        sent = dict(variables or {})
        coerced = get_variable_values(
            schema, definition.variable_definitions or [], sent, max_errors=1
        )
        values: Mapping[str, Any] = sent if isinstance(coerced, list) else coerced.coerced
        estimator = _Estimator(schema, settings, fragments, {**defaults, **values})
        best = max(best, estimator.selection_cost(root, definition.selection_set))
    return best


__all__ = [
    "BOOK_SCAN_COST",
    "ENTERPRISE_COST",
    "PATH_SEARCH_COST",
    "FieldCost",
    "estimate_nodes",
]
