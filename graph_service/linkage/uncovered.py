"""Uncovered employees: which employees of a client enterprise hold no payroll product.

Rule (see :mod:`graph_service.rules`): the employees of :mod:`.coverage` who are not covered
by a payroll product (the configured ones, or the ``productTypes`` of the request).

Question ``uncoveredEmployees(enterpriseId, productTypes)``, a connection of people.
Pushed down by stores that advertise it (:class:`Pushdown`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, cast

from graph_service.config import Settings
from graph_service.linkage.coverage import PayrollArgs, covered_staff, enterprise, validate
from graph_service.linkage.question import (
    ENTERPRISE_COST,
    IdList,
    Question,
    each,
    fixed_cost,
)
from graph_service.model import NodeLabel
from graph_service.rules import LinkageRules
from graph_service.stores.base import GraphStore

_PERSON = NodeLabel.PERSON.value


async def generic(
    store: GraphStore, settings: Settings, many: Sequence[PayrollArgs]
) -> list[IdList]:
    """Each enterprise's uncovered employees by the rule, over the store primitives."""
    found = await covered_staff(store, settings, many)
    return [IdList(_PERSON, sorted(employees - covered)) for employees, covered in found]


class Pushdown(Protocol):
    """The optional method of a store advertising ``uncovered_employees``."""

    async def uncovered_employees(
        self, enterprise_id: str, product_types: Sequence[str], rules: LinkageRules
    ) -> list[str]:
        """Sorted ids of the enterprise's employees owning no active ``product_types``."""
        ...


async def pushdown(
    store: GraphStore, settings: Settings, many: Sequence[PayrollArgs]
) -> list[IdList]:
    """Each enterprise's uncovered employees from the store's own ``uncovered_employees``."""
    rules = settings.rules()
    own = cast(Pushdown, store)
    found = await each([
        own.uncovered_employees(args.enterprise_id, args.product_types or (), rules)
        for args in many
    ])
    return [IdList(_PERSON, ids) for ids in found]


QUESTION = Question(
    name="uncovered_employees",
    description="Employees (any role) of the enterprise who own no active payroll product "
    "(productTypes overrides the configured list), by id.",
    arguments=PayrollArgs,
    answer=IdList,
    lists=_PERSON,
    validate=validate,
    subjects=enterprise,
    batch=generic,
    pushdown=pushdown,
    cost=fixed_cost(ENTERPRISE_COST),
    personal_arguments=frozenset({"product_types"}),
)
"""``uncoveredEmployees``: person ids sorted as text, each once."""
