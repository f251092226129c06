"""Payroll coverage: which employees of a client enterprise hold no payroll product.

Rule (see :mod:`graph_service.rules`): an employee of enterprise E is a person with an
``EMPLOYED_BY`` relationship to E, any role; they are *covered* when they own an active
account whose type is a payroll product (default ``"debit card"``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from graph_service.errors import NotFoundError
from graph_service.linkage.lookup import get_node
from graph_service.model import NodeLabel
from graph_service.rules import LinkageRules
from graph_service.stores.base import Coverage, GraphStore

_ENTERPRISE = NodeLabel.ENTERPRISE.value


async def uncovered_employees(
    store: GraphStore,
    rules: LinkageRules,
    enterprise_id: str,
    product_types: Sequence[str] | None = None,
) -> list[str]:
    """Employees of an enterprise not covered by a payroll product.

    Parameters
    ----------
    store : GraphStore
    rules : LinkageRules
    enterprise_id : str
    product_types : sequence of str, optional
        Account types that count as payroll products for this question; ``None`` uses
        ``rules.payroll_products``.

    Returns
    -------
    list of str
        Person ids, sorted as text, each once.

    Raises
    ------
    NotFoundError
        If the enterprise does not exist.
    InvalidInputError
        If ``product_types`` is empty or holds a blank type.

    Examples
    --------
    >>> await uncovered_employees(store, LinkageRules(), "423")  # doctest: +SKIP
    ['1490', '755']
    """
    products = rules.payroll(product_types)
    await get_node(store, (_ENTERPRISE, enterprise_id))
    return await store.uncovered_employees(enterprise_id, products, rules)


async def payroll_coverage(
    store: GraphStore,
    rules: LinkageRules,
    enterprise_ids: Sequence[str],
    product_types: Sequence[str] | None = None,
) -> list[Coverage]:
    """Payroll coverage (employees, covered, uncovered, rate) of each enterprise.

    Parameters
    ----------
    store : GraphStore
    rules : LinkageRules
    enterprise_ids : sequence of str
        Enterprises to measure; the bulk path passes many at once.
    product_types : sequence of str, optional
        Account types that count as payroll products for this question, by the same rule
        as :func:`uncovered_employees` (``rules.payroll(product_types)``); ``None`` uses
        ``rules.payroll_products``. A rate and its uncovered list agree when given the same
        ``product_types``.

    Returns
    -------
    list of Coverage
        Aligned with ``enterprise_ids``. ``rate`` is ``covered / employees`` in [0, 1], or
        ``None`` for an enterprise without employees.

    Raises
    ------
    NotFoundError
        If any enterprise does not exist (the first missing one is named).
    InvalidInputError
        If ``product_types`` is empty or holds a blank type.

    Examples
    --------
    >>> [c.rate for c in await payroll_coverage(store, LinkageRules(), ["E1", "E2"])]
    ... # doctest: +SKIP
    [0.5, 0.0]
    >>> [c.rate for c in await payroll_coverage(store, LinkageRules(), ["E2"], ["credit card"])]
    ... # doctest: +SKIP
    [0.25]
    """
    products = rules.payroll(product_types)
    if product_types is not None:
        rules = dataclasses.replace(rules, payroll_products=products)
    nodes = await store.get_nodes(_ENTERPRISE, enterprise_ids)
    for enterprise_id, node in zip(enterprise_ids, nodes, strict=True):
        if node is None:
            raise NotFoundError(_ENTERPRISE, enterprise_id)
    return await store.payroll_coverage(enterprise_ids, rules)
