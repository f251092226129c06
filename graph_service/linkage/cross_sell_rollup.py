"""Cross-sell rollup: the catalogue products held by an enterprise's employees, in sum.

Rule (``queries/cross-sell-gaps.md``, "Per enterprise"): over the enterprise's employees
(``EMPLOYED_BY``, any role), each person's ``crossSellGaps.held`` (:mod:`.cross_sell`):
``productsPerEmployee`` is the number of catalogue products held, summed over the employees,
divided by their number; the ``penetration`` of a catalogue product is the share of the
employees holding it, for each product of the catalogue in catalogue order. Both ``null``
without employees.

A sibling question rather than a field of ``crossSellGaps``, whose subject is a person:
``crossSellRollup(enterpriseId)``, also the field ``Enterprise.crossSellRollup``. Generic
rule only: one ``EMPLOYED_BY`` read, then the three of
:func:`~graph_service.linkage.holdings.products_held`, for the whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from graph_service.config import Settings
from graph_service.linkage.holdings import products_held, staff
from graph_service.linkage.question import (
    ENTERPRISE_COST,
    Doc,
    Id,
    NodeField,
    Outside,
    Question,
    fixed_cost,
)
from graph_service.model import NodeKey, NodeLabel
from graph_service.stores.base import GraphStore


@dataclass(frozen=True, slots=True)
class CrossSellArgs:
    """Arguments of ``crossSellRollup``.

    Attributes
    ----------
    enterprise_id : str
    """

    enterprise_id: Id


@dataclass(frozen=True, slots=True)
class ProductPenetration:
    """How many of an enterprise's employees hold one catalogue product."""

    product: Annotated[str, Doc("The catalogue product type.")]
    holders: Annotated[int, Doc("Employees holding it in at least one active account.")]
    rate: Annotated[float | None, Doc("holders / employees, 0 to 1; null without employees.")]


@dataclass(frozen=True, slots=True)
class CrossSellRollup:
    """The catalogue products held by an enterprise's employees, in sum."""

    employees: Annotated[int, Doc("People employed, any role.")]
    products_per_employee: Annotated[
        float | None,
        Doc("Catalogue products held, summed over the employees, per employee; null without "
            "employees."),  # fmt: skip
    ]
    penetration: Annotated[
        list[ProductPenetration], Doc("Each catalogue product, in catalogue order.")
    ]


def enterprise(args: CrossSellArgs) -> tuple[NodeKey, ...]:
    """The subject: the enterprise."""
    return ((NodeLabel.ENTERPRISE.value, args.enterprise_id),)


async def generic(
    store: GraphStore, settings: Settings, many: Sequence[CrossSellArgs]
) -> list[CrossSellRollup]:
    """Each enterprise's rollup: one ``EMPLOYED_BY`` read, then :func:`products_held`'s."""
    staffs = await staff(store, [args.enterprise_id for args in many])
    people = [[person.id for _, person in found] for found in staffs]
    held = await products_held(store, [p for ids in people for p in ids], settings.rules())
    catalogue = settings.product_catalogue
    answers = []
    for ids in people:
        counts = [sum(product in held[p] for p in ids) for product in catalogue]
        n = len(ids)
        answers.append(CrossSellRollup(
            employees=n,
            products_per_employee=sum(counts) / n if n else None,
            penetration=[
                ProductPenetration(product, count, count / n if n else None)
                for product, count in zip(catalogue, counts, strict=True)
            ],
        ))
    return answers


_DESCRIPTION = (
    "Catalogue products (GRAPH_SERVICE_PRODUCT_CATALOGUE) held by the enterprise's "
    "employees: products per employee and each product's penetration."
)

QUESTION = Question(
    name="cross_sell_rollup",
    description=_DESCRIPTION + " NOT_FOUND error if no such enterprise.",
    arguments=CrossSellArgs,
    answer=CrossSellRollup,
    subjects=enterprise,
    outside=Outside.AGGREGATE,
    batch=generic,
    cost=fixed_cost(ENTERPRISE_COST),
    node_fields=(
        NodeField(
            label=NodeLabel.ENTERPRISE.value,
            name="cross_sell_rollup",
            subject="enterprise_id",
            description=_DESCRIPTION,
        ),
    ),
)
"""``crossSellRollup``."""
