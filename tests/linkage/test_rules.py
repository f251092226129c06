"""Each linkage rule on the small bank, against answers worked out by hand (tests/conftest.py)."""

from __future__ import annotations

import asyncio

import pytest

from graph_service.errors import InvalidInputError, NotFoundError
from graph_service.linkage.coverage import payroll_coverage, uncovered_employees
from graph_service.linkage.private_banking import executives_without_private_banking
from graph_service.rules import LinkageRules
from graph_service.stores.base import GraphStore

RULES = LinkageRules()


def test_uncovered_employees_any_role(bank: GraphStore) -> None:
    # Bob's debit card is blocked, Dan owns nothing; Alice and Carol hold active debit cards.
    assert asyncio.run(uncovered_employees(bank, RULES, "E1")) == ["P2", "P4"]
    assert asyncio.run(uncovered_employees(bank, RULES, "E2")) == ["P4", "P5", "P6", "P8"]


def test_uncovered_employees_product_override(bank: GraphStore) -> None:
    # Frank's active credit card counts once credit cards count as payroll products.
    answer = asyncio.run(uncovered_employees(bank, RULES, "E2", ["credit card"]))
    assert answer == ["P4", "P5", "P8"]


def test_configured_payroll_products(bank: GraphStore) -> None:
    rules = LinkageRules(payroll_products=("debit card", "credit card"))
    assert asyncio.run(uncovered_employees(bank, rules, "E2")) == ["P4", "P5", "P8"]


def test_uncovered_employees_errors(bank: GraphStore) -> None:
    with pytest.raises(NotFoundError, match="Enterprise 'nope' not found"):
        asyncio.run(uncovered_employees(bank, RULES, "nope"))
    with pytest.raises(InvalidInputError, match="productTypes"):
        asyncio.run(uncovered_employees(bank, RULES, "E1", []))
    # A person id is not an enterprise id: keys are per label.
    with pytest.raises(NotFoundError):
        asyncio.run(uncovered_employees(bank, RULES, "P1"))


def test_payroll_coverage(bank: GraphStore) -> None:
    e1, e2, e3 = asyncio.run(payroll_coverage(bank, RULES, ["E1", "E2", "E3"]))
    assert (e1.employees, e1.covered, e1.uncovered, e1.rate) == (4, 2, 2, 0.5)
    assert (e2.employees, e2.covered, e2.uncovered, e2.rate) == (4, 0, 4, 0.0)
    assert (e3.employees, e3.covered, e3.rate) == (0, 0, None)
    with pytest.raises(NotFoundError, match="'E9'"):
        asyncio.run(payroll_coverage(bank, RULES, ["E1", "E9"]))


def test_executives_without_private_banking(bank: GraphStore) -> None:
    # Carol holds an active trust account; Eve is in the private segment; Hank's trust
    # account is dormant, so it does not count.
    assert asyncio.run(executives_without_private_banking(bank, RULES, "E1")) == ["P4"]
    assert asyncio.run(executives_without_private_banking(bank, RULES, "E2")) == [
        "P4",
        "P8",
    ]
    # Across all enterprises Dan sits on two boards and counts once.
    assert asyncio.run(executives_without_private_banking(bank, RULES)) == ["P4", "P8"]
    with pytest.raises(NotFoundError):
        asyncio.run(executives_without_private_banking(bank, RULES, "E9"))


def test_private_banking_products_configurable(bank: GraphStore) -> None:
    rules = LinkageRules(private_banking_products=("trust account", "credit card"))
    # Nothing changes for executives (Frank, the credit-card holder, is an employee) ...
    assert asyncio.run(executives_without_private_banking(bank, rules)) == ["P4", "P8"]
    # ... but with no private-banking product at all, Carol becomes a prospect.
    rules = LinkageRules(private_banking_products=("wealth mandate",))
    assert asyncio.run(executives_without_private_banking(bank, rules)) == [
        "P3",
        "P4",
        "P8",
    ]
