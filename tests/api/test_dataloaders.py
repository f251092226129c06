"""Nested fields are batched through DataLoaders: store calls do not grow with the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from graph_service.stores.embedded import EmbeddedStore
from tests.api.conftest import Client, CountingStore

EMPLOYEES_WITH_ACCOUNTS = """
query($first: Int) {
  enterprise(id: "E1") {
    employees(first: $first) {
      edges { node { id accounts { edges { node { id owners { totalCount } } } } } }
    }
  }
}"""
UNCOVERED_WITH_EMPLOYERS = """
query($first: Int) {
  uncoveredEmployees(enterpriseId: "E2", first: $first) {
    edges { node { id employers { edges { node { id payrollCoverage { rate } } } } } }
  }
}"""


@pytest.mark.parametrize(
    ("query", "path", "levels"),
    [
        (EMPLOYEES_WITH_ACCOUNTS, ["enterprise", "employees"], 3),
        (UNCOVERED_WITH_EMPLOYERS, ["uncoveredEmployees"], 1),
    ],
)
def test_store_calls_do_not_grow_with_the_number_of_employees(
    serve: Callable[..., Client],
    small_bank: EmbeddedStore,
    query: str,
    path: list[str],
    levels: int,
) -> None:
    store = CountingStore(small_bank)
    client = serve(store=store)
    calls = {}
    for first in (1, 4):
        store.reset()
        data: Any = client.data(query, {"first": first})
        for step in path:
            data = data[step]
        assert len(data["edges"]) == first
        calls[first] = dict(store.calls)
    assert calls[1] == calls[4]
    # One neighbours call per level of nesting, whatever the page size.
    assert calls[4]["neighbors"] == levels


def test_each_level_is_one_batched_call(
    serve: Callable[..., Client], small_bank: EmbeddedStore
) -> None:
    store = CountingStore(small_bank)
    client = serve(store=store)
    store.reset()
    data = client.data(EMPLOYEES_WITH_ACCOUNTS, {"first": 4})
    edges = data["enterprise"]["employees"]["edges"]
    assert [e["node"]["id"] for e in edges] == ["P1", "P2", "P3", "P4"]
    # employees of E1, then the accounts of 4 people, then the owners of 4 accounts.
    assert store.calls == {"refresh": 1, "get_nodes": 1, "neighbors": 3}  # refresh: per request


def test_coverage_with_product_types_is_batched_per_list(
    serve: Callable[..., Client], small_bank: EmbeddedStore
) -> None:
    store = CountingStore(small_bank)
    client = serve(store=store)
    query = """{
      person(id: "P4") { employers { edges { node { id
        default: payrollCoverage { rate }
        credit: payrollCoverage(productTypes: ["credit card"]) { rate }
        again: payrollCoverage(productTypes: ["credit card"]) { covered }
      } } } }
    }"""
    store.reset()
    data = client.data(query)
    edges = data["person"]["employers"]["edges"]
    assert [(e["node"]["id"], e["node"]["default"]["rate"], e["node"]["credit"]["rate"])
            for e in edges] == [("E1", 0.5, 0.0), ("E2", 0.0, 0.25)]
    # One call for both enterprises per distinct list (default, credit card).
    assert store.calls["payroll_coverage"] == 2


def test_a_batch_left_by_a_request_that_ended_reads_nothing(small_bank: EmbeddedStore) -> None:
    """A context's loaders hold it weakly (Context._loader): a batch still queued once its
    request's context is gone reads nothing and fails no one (its loads are never awaited)."""
    import asyncio
    import gc

    from graph_service.api.context import make_context
    from graph_service.config import Settings

    store = CountingStore(small_bank)

    async def scenario() -> tuple[asyncio.Future[Any], asyncio.Future[Any]]:
        context = make_context(store, Settings())
        kept = context.nodes("Person").load("P1")  # this one's context stays alive
        await kept
        left = make_context(store, Settings()).nodes("Person").load("P2")  # context freed
        gc.collect()
        await asyncio.sleep(0)  # the queued batches run
        await asyncio.sleep(0)
        return kept, left

    kept, left = asyncio.run(scenario())
    assert kept.result().id == "P1"
    assert not left.done()  # neither answered nor failed
    assert store.calls == {"get_nodes": 1}  # P1's batch only
