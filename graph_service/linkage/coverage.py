"""Payroll coverage: how many of an enterprise's employees hold a payroll product.

Rule (see :mod:`graph_service.rules`): an employee of enterprise E is a person with an
``EMPLOYED_BY`` relationship to E, any role; they are *covered* when they own an active
account whose type is a payroll product (default ``"debit card"``, or the ``productTypes``
of the request).

Question ``payrollCoverage(enterpriseId, productTypes)``, also the field
``Enterprise.payrollCoverage(productTypes)``. Pushed down by stores that advertise it
(:class:`Pushdown`: one call per distinct
product list, whatever the number of enterprises, so a whole-book batch is one call).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Protocol, cast

from graph_service.config import Settings
from graph_service.errors import GraphServiceError
from graph_service.linkage.holdings import holders, staff
from graph_service.linkage.question import (
    ENTERPRISE_COST,
    Doc,
    Id,
    NodeField,
    Outside,
    Question,
    answer_many,
    fixed_cost,
)
from graph_service.model import NodeKey, NodeLabel
from graph_service.rules import LinkageRules
from graph_service.stores.base import Coverage, GraphStore

ProductTypes = Annotated[
    tuple[str, ...] | None,
    Doc(
        "Account types that count as payroll products; the configured list "
        "(`GRAPH_SERVICE_PAYROLL_PRODUCTS`) when omitted."
    ),
]
"""The ``productTypes`` argument of the payroll questions."""


@dataclass(frozen=True, slots=True)
class PayrollArgs:
    """Arguments of the payroll questions.

    Attributes
    ----------
    enterprise_id : str
        The enterprise.
    product_types : tuple of str, optional
        Account types that count as payroll products; ``None`` for the configured ones.
    """

    enterprise_id: Id
    product_types: ProductTypes = None


def validate(args: PayrollArgs, settings: Settings) -> PayrollArgs:
    """``args`` with ``product_types`` resolved (``LinkageRules.payroll``).

    Raises
    ------
    InvalidInputError
        If ``product_types`` is empty or holds a blank type.
    """
    products = settings.rules().payroll(args.product_types)
    # The constructor rather than dataclasses.replace, which inspects the fields on each
    # call: a report validates one argument set per enterprise.
    return PayrollArgs(args.enterprise_id, products)


def enterprise(args: PayrollArgs) -> tuple[NodeKey, ...]:
    """The subject of a payroll question: its enterprise."""
    return ((NodeLabel.ENTERPRISE.value, args.enterprise_id),)


def by_products(many: Sequence[PayrollArgs]) -> dict[tuple[str, ...], list[int]]:
    """Positions of validated argument sets, grouped by their product list."""
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, args in enumerate(many):
        assert args.product_types is not None, "validated arguments"
        groups[args.product_types].append(i)
    return groups


async def covered_staff(
    store: GraphStore, settings: Settings, many: Sequence[PayrollArgs]
) -> list[tuple[set[str], set[str]]]:
    """Each enterprise's employees and those of them covered, from the store primitives.

    One ``EMPLOYED_BY`` read and one ``OWNS`` read per distinct product list.

    Returns
    -------
    list of (set of str, set of str)
        Aligned with ``many``: employee ids, covered employee ids.
    """
    rules = settings.rules()
    answers: list[tuple[set[str], set[str]]] = [(set(), set())] * len(many)
    for products, positions in by_products(many).items():
        staffs = await staff(store, [many[i].enterprise_id for i in positions])
        people = [[person.id for _, person in found] for found in staffs]
        covered = await holders(store, [p for ids in people for p in ids], products, rules)
        for i, ids in zip(positions, people, strict=True):
            employees = set(ids)
            answers[i] = (employees, employees & covered)
    return answers


async def generic(
    store: GraphStore, settings: Settings, many: Sequence[PayrollArgs]
) -> list[Coverage]:
    """Coverage of each enterprise by the rule, over the store primitives."""
    found = await covered_staff(store, settings, many)
    return [
        Coverage(args.enterprise_id, len(employees), len(covered))
        for args, (employees, covered) in zip(many, found, strict=True)
    ]


class Pushdown(Protocol):
    """The optional method of a store advertising ``payroll_coverage``."""

    async def payroll_coverage(
        self, enterprise_ids: Sequence[str], rules: LinkageRules
    ) -> list[Coverage]:
        """Coverage of each enterprise, aligned with ``enterprise_ids``."""
        ...


async def pushdown(
    store: GraphStore, settings: Settings, many: Sequence[PayrollArgs]
) -> list[Coverage]:
    """Coverage of each enterprise from the store's own ``payroll_coverage``."""
    rules = settings.rules()
    own = cast(Pushdown, store)
    answers: list[Coverage] = [Coverage("", 0, 0)] * len(many)
    for products, positions in by_products(many).items():
        ids = [many[i].enterprise_id for i in positions]
        found = await own.payroll_coverage(
            ids, dataclasses.replace(rules, payroll_products=products)
        )
        for i, coverage in zip(positions, found, strict=True):
            answers[i] = coverage
    return answers


QUESTION = Question(
    name="payroll_coverage",
    description="Payroll coverage of an enterprise's employees (productTypes overrides the "
    "configured payroll products, as in uncoveredEmployees).",
    arguments=PayrollArgs,
    answer=Coverage,
    validate=validate,
    subjects=enterprise,
    batch=generic,
    pushdown=pushdown,
    outside=Outside.AGGREGATE,
    cost=fixed_cost(ENTERPRISE_COST),
    personal_arguments=frozenset({"product_types"}),
    node_fields=(
        NodeField(
            label=NodeLabel.ENTERPRISE.value,
            name="payroll_coverage",
            subject="enterprise_id",
            description="Payroll coverage of the enterprise's employees (productTypes "
            "overrides the configured payroll products, as in uncoveredEmployees).",
        ),
    ),
)
"""``payrollCoverage``: rate is ``covered / employees`` in [0, 1], ``None`` without employees."""


async def payroll_coverage(
    store: GraphStore,
    settings: Settings,
    enterprise_ids: Sequence[str],
    product_types: Sequence[str] | None = None,
) -> list[Coverage]:
    """Payroll coverage of many enterprises at once (a whole-book report's form).

    Parameters
    ----------
    store : GraphStore
    settings : Settings
        Supplies the configured payroll products.
    enterprise_ids : sequence of str
    product_types : sequence of str, optional
        Overrides the configured payroll products.

    Returns
    -------
    list of Coverage
        Aligned with ``enterprise_ids``.

    Raises
    ------
    NotFoundError
        If an enterprise does not exist (the first missing one is named).
    InvalidInputError
        If ``product_types`` is empty or holds a blank type.

    Examples
    --------
    >>> [c.rate for c in await payroll_coverage(store, Settings(), ["E1", "E2"])]
    ... # doctest: +SKIP
    [0.5, 0.0]
    """
    products = None if product_types is None else tuple(product_types)
    many = [PayrollArgs(Id(e), products) for e in enterprise_ids]
    answers = await answer_many(QUESTION, store, settings, many)
    for found in answers:
        if isinstance(found, GraphServiceError):
            raise found
    return [found for found in answers if isinstance(found, Coverage)]
