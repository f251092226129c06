"""Settings from the environment, and the linkage rules they configure."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import ValidationError

from graph_service.api.context import make_context
from graph_service.api.schema import schema
from graph_service.config import Settings
from graph_service.rules import LinkageRules
from graph_service.stores.embedded import EmbeddedStore


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATA_DIR", "PAYROLL_PRODUCTS", "MAX_PAGE_SIZE"):
        monkeypatch.delenv(f"GRAPH_SERVICE_{name}", raising=False)
    settings = Settings()
    assert settings.data_dir == Path("graph-data")
    assert settings.max_page_size == 1000
    assert settings.rules() == LinkageRules(("debit card",), ("trust account",))


def test_rules_from_environment_reach_the_api(
    monkeypatch: pytest.MonkeyPatch, small_bank: EmbeddedStore
) -> None:
    monkeypatch.setenv("GRAPH_SERVICE_PAYROLL_PRODUCTS", '["debit card", "credit card"]')
    settings = Settings()
    assert settings.rules().payroll_products == ("debit card", "credit card")
    result = asyncio.run(
        schema.execute(
            '{ uncoveredEmployees(enterpriseId: "E2") { edges { node { id } } } }',
            context_value=make_context(small_bank, settings),
        )
    )
    assert result.errors is None and result.data is not None
    # Frank's active credit card now counts as payroll.
    ids = [e["node"]["id"] for e in result.data["uncoveredEmployees"]["edges"]]
    assert ids == ["P4", "P5", "P8"]


def test_a_lower_cap_brings_the_default_page_size_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPH_SERVICE_MAX_PAGE_SIZE", "5")
    monkeypatch.delenv("GRAPH_SERVICE_DEFAULT_PAGE_SIZE", raising=False)
    assert (Settings().max_page_size, Settings().default_page_size) == (5, 5)


def test_bad_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPH_SERVICE_MAX_PAGE_SIZE", "0")
    with pytest.raises(ValidationError, match="max_page_size"):
        Settings()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEFAULT_PAGE_SIZE", "5000", "must not exceed max_page_size"),
        ("PAYROLL_PRODUCTS", "[]", "payroll_products must list"),
        ("PRIVATE_BANKING_PRODUCTS", '[" "]', "private_banking_products must list"),
        ("PRODUCT_CATALOGUE", "[]", "product_catalogue must list"),
        ("PRODUCT_CATALOGUE", '["debit card", ""]', "product_catalogue must list"),
    ],
)
def test_inconsistent_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(f"GRAPH_SERVICE_{name}", value)
    with pytest.raises(ValidationError, match=message):
        Settings()
