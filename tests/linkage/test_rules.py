"""Each linkage rule on the small bank, against answers worked out by hand (tests/conftest.py).

Every rule is asked both ways: as the store answers it itself (its pushdown) and by the
generic rule over the store primitives.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from graph_service.config import Settings
from graph_service.errors import InvalidInputError, NotFoundError
from graph_service.linkage import coverage, private_banking, uncovered
from graph_service.linkage.coverage import PayrollArgs
from graph_service.linkage.private_banking import ExecutivesArgs
from graph_service.linkage.question import Id, Question, answer, pushes_down
from graph_service.stores.base import GraphStore

SETTINGS = Settings()


@pytest.fixture(params=["pushdown", "generic"])
def generic(request: pytest.FixtureRequest, bank: GraphStore) -> bool:
    """Whether to ask by the generic rule; the pushdown is asked of stores that have one."""
    return bool(request.param == "generic")


def ask(question: Question[Any, Any], store: GraphStore, args: Any, generic: bool,
        settings: Settings = SETTINGS) -> Any:
    found = asyncio.run(answer(question, store, settings, args, generic=generic))
    return getattr(found, "ids", found)


def uncovered_ids(store: GraphStore, enterprise: str, generic: bool,
                  products: tuple[str, ...] | None = None, settings: Settings = SETTINGS) -> Any:
    return ask(uncovered.QUESTION, store, PayrollArgs(Id(enterprise), products), generic,
               settings)


def executives(store: GraphStore, enterprise: str | None, generic: bool,
               settings: Settings = SETTINGS) -> Any:
    args = ExecutivesArgs(None if enterprise is None else Id(enterprise))
    return ask(private_banking.QUESTION, store, args, generic, settings)


def test_both_stores_push_the_three_rules_down(bank: GraphStore) -> None:
    for question in (uncovered.QUESTION, private_banking.QUESTION, coverage.QUESTION):
        assert pushes_down(bank, question)


def test_uncovered_employees_any_role(bank: GraphStore, generic: bool) -> None:
    # Bob's debit card is blocked, Dan owns nothing; Alice and Carol hold active debit cards.
    assert uncovered_ids(bank, "E1", generic) == ["P2", "P4"]
    assert uncovered_ids(bank, "E2", generic) == ["P4", "P5", "P6", "P8"]


def test_uncovered_employees_product_override(bank: GraphStore, generic: bool) -> None:
    # Frank's active credit card counts once credit cards count as payroll products.
    assert uncovered_ids(bank, "E2", generic, ("credit card",)) == ["P4", "P5", "P8"]


def test_configured_payroll_products(bank: GraphStore, generic: bool) -> None:
    settings = Settings(payroll_products=["debit card", "credit card"])
    assert uncovered_ids(bank, "E2", generic, settings=settings) == ["P4", "P5", "P8"]


def test_uncovered_employees_errors(bank: GraphStore, generic: bool) -> None:
    with pytest.raises(NotFoundError, match="Enterprise 'nope' not found"):
        uncovered_ids(bank, "nope", generic)
    with pytest.raises(InvalidInputError, match="productTypes"):
        uncovered_ids(bank, "E1", generic, ())
    # A person id is not an enterprise id: keys are per label.
    with pytest.raises(NotFoundError):
        uncovered_ids(bank, "P1", generic)


def test_payroll_coverage(bank: GraphStore, generic: bool) -> None:
    e1, e2, e3 = (ask(coverage.QUESTION, bank, PayrollArgs(Id(e)), generic)
                  for e in ("E1", "E2", "E3"))  # fmt: skip
    assert (e1.employees, e1.covered, e1.uncovered, e1.rate) == (4, 2, 2, 0.5)
    assert (e2.employees, e2.covered, e2.uncovered, e2.rate) == (4, 0, 4, 0.0)
    assert (e3.employees, e3.covered, e3.rate) == (0, 0, None)
    credit = ask(coverage.QUESTION, bank, PayrollArgs(Id("E2"), ("credit card",)), generic)
    assert credit.rate == 0.25


def test_validated_payroll_arguments_keep_every_field() -> None:
    """``coverage.validate`` builds the validated set field by field (a constructor call,
    cheaper than ``dataclasses.replace`` over a whole book): it must name every field, so a
    field added to ``PayrollArgs`` has to be added there too."""
    fields = [f.name for f in dataclasses.fields(PayrollArgs)]
    assert fields == ["enterprise_id", "product_types"], (
        "PayrollArgs changed: update coverage.validate, which passes its fields by position")
    validated = coverage.validate(PayrollArgs(Id("E7"), ("debit card",)), Settings())
    assert validated == PayrollArgs(Id("E7"), ("debit card",))


def test_payroll_coverage_of_many(bank: GraphStore) -> None:
    e1, e2 = asyncio.run(coverage.payroll_coverage(bank, SETTINGS, ["E1", "E2"]))
    assert (e1.enterprise_id, e1.rate, e2.enterprise_id, e2.rate) == ("E1", 0.5, "E2", 0.0)
    with pytest.raises(NotFoundError, match="'E9'"):
        asyncio.run(coverage.payroll_coverage(bank, SETTINGS, ["E1", "E9"]))


def test_executives_without_private_banking(bank: GraphStore, generic: bool) -> None:
    # Carol holds an active trust account; Eve is in the private segment; Hank's trust
    # account is dormant, so it does not count.
    assert executives(bank, "E1", generic) == ["P4"]
    assert executives(bank, "E2", generic) == ["P4", "P8"]
    # Across all enterprises Dan sits on two boards and counts once.
    assert executives(bank, None, generic) == ["P4", "P8"]
    with pytest.raises(NotFoundError):
        executives(bank, "E9", generic)


def test_private_banking_products_configurable(bank: GraphStore, generic: bool) -> None:
    settings = Settings(private_banking_products=["trust account", "credit card"])
    # Nothing changes for executives (Frank, the credit-card holder, is an employee) ...
    assert executives(bank, None, generic, settings) == ["P4", "P8"]
    # ... but with no private-banking product at all, Carol becomes a prospect.
    settings = Settings(private_banking_products=["wealth mandate"])
    assert executives(bank, None, generic, settings) == ["P3", "P4", "P8"]
