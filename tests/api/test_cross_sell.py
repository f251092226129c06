"""crossSellGaps and Person.productsHeld over HTTP: answers, errors, batching and cost."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from graphql import build_schema, parse

from graph_service.api.cost import estimate_nodes
from graph_service.api.schema import schema
from graph_service.config import Settings
from graph_service.linkage.cross_sell import PERSON_COST
from graph_service.stores.embedded import EmbeddedStore
from tests.api.conftest import Client, CountingStore

GAPS = "query($p: ID!) { crossSellGaps(personId: $p) { held missing } }"
EMPLOYEES_HELD = """
query($first: Int) {
  enterprise(id: "E1") { employees(first: $first) { edges { node { id productsHeld } } } }
}"""


@pytest.fixture(scope="module")
def client(backend_client: Client) -> Client:
    """These tests run against every backend (tests/api/conftest.py)."""
    return backend_client


def test_cross_sell_gaps(client: Client) -> None:
    assert client.data(GAPS, {"p": "P3"}) == {"crossSellGaps": {
        "held": ["debit card", "trust account"],
        "missing": ["e-banking", "credit card", "personal loan", "wealth management"],
    }}


def test_unknown_person_is_not_found(client: Client) -> None:
    assert client.error_codes(GAPS, {"p": "nobody"}) == ["NOT_FOUND"]


def test_products_held(client: Client) -> None:
    data = client.data(EMPLOYEES_HELD, {"first": 4})
    held = {e["node"]["id"]: e["node"]["productsHeld"]
            for e in data["enterprise"]["employees"]["edges"]}  # fmt: skip
    assert held == {"P1": 1, "P2": 0, "P3": 2, "P4": 0}


def test_products_held_is_batched(serve: Callable[..., Client], small_bank: EmbeddedStore) -> None:
    store = CountingStore(small_bank)
    client = serve(store=store)
    calls = {}
    for first in (1, 4):
        store.reset()
        client.data(EMPLOYEES_HELD, {"first": first})
        calls[first] = dict(store.calls)
    # employees of E1, then the whole page at once: accounts, loan applications, sign-ins.
    assert calls[1] == calls[4]
    assert calls[4]["neighbors"] == 4


def test_the_node_budget_prices_it_from_its_question() -> None:
    settings, published = Settings(), build_schema(schema.as_str())
    one = parse('{ crossSellGaps(personId: "P1") { held } }')
    assert estimate_nodes(published, one, settings) == PERSON_COST
    page = parse('{ enterprise(id: "E1") { employees(first: 50) { edges { node {'
                 " productsHeld } } } } }")
    assert estimate_nodes(published, page, settings) == 50 + 50 * PERSON_COST
