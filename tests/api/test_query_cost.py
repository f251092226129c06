"""The node budget (GRAPH_SERVICE_MAX_QUERY_NODES): costly operations are refused unrun."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from graphql import parse

from graph_service.api.cost import estimate_nodes
from graph_service.api.schema import schema
from graph_service.config import Settings
from tests.api.conftest import Client, CountingStore

# The tester's query: 39 aliases, each three nested connections of 1,000, within depth 12.
NESTED_THOUSANDS = (
    "employees(first: 1000) { edges { node { employers(first: 1000) { edges { node { "
    "employees(first: 1000) { totalCount edges { node { id } } } } } } } } }"
)
FREEZER = "{ " + " ".join(
    f'a{i}: enterprise(id: "E1") {{ {NESTED_THOUSANDS} }}' for i in range(39)
) + " }"

# employees(first: $f) x accounts(first: 1000): f + f * 1000 nodes.
TWO_LEVELS = (
    "query($f: Int = 50) { enterprise(id: \"E1\") { employees(first: $f) { edges { node { "
    "id accounts(first: 1000) { totalCount } } } } } }"
)


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    """The one QUERY_TOO_COMPLEX error of a refused operation."""
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
    return error


def test_the_freezing_query_is_refused_quickly(client: Client) -> None:
    started = time.monotonic()
    error = refusal(client.post(FREEZER))
    assert time.monotonic() - started < 5
    estimate = 39 * (1000 + 1000 * 1000 + 1000 * 1000 * 1000)
    assert error["extensions"]["estimate"] == estimate
    assert error["extensions"]["limit"] == 50_000
    assert f"{estimate:,}" in error["message"]
    assert "50,000" in error["message"]
    assert client.http.get("/health").status_code == 200


def test_refused_before_any_resolver_runs(
    serve: Callable[..., Client], small_bank: Any
) -> None:
    store = CountingStore(small_bank)
    client = serve(store=store)
    store.reset()
    refusal(client.post(FREEZER))
    assert store.calls == {"refresh": 1}  # the request's context only; nothing was read


def test_just_under_the_limit_runs(client: Client) -> None:
    data = client.data(TWO_LEVELS, {"f": 49})  # 49 + 49 * 1000 = 49,049
    assert [e["node"]["id"] for e in data["enterprise"]["employees"]["edges"]] == [
        "P1", "P2", "P3", "P4"
    ]


def test_just_over_the_limit_is_refused_with_variable_defaults_too(client: Client) -> None:
    assert refusal(client.post(TWO_LEVELS, {"f": 50}))["extensions"]["estimate"] == 50_050
    assert refusal(client.post(TWO_LEVELS))["extensions"]["estimate"] == 50_050  # $f = 50


def test_omitted_first_counts_the_default_page_size(client: Client) -> None:
    two = '{ enterprise(id: "E1") { employees { edges { node { accounts { totalCount } } } } } }'
    assert client.data(two)["enterprise"]["employees"]["edges"]  # 100 + 100 * 100 = 10,100
    three = (
        '{ person(id: "P4") { employers { edges { node { employees { edges { node { '
        "accounts { totalCount } } } } } } } } }"
    )
    assert refusal(client.post(three))["extensions"]["estimate"] == 100 + 10_000 + 1_000_000


def test_fragments_count_once_per_spread(client: Client) -> None:
    query = """
        query { enterprise(id: "E1") { ...Staff alias: employees(first: 10) { totalCount } } }
        fragment Staff on Enterprise { employees(first: 40) { edges { node { ...Owned } } } }
        fragment Owned on Person { accounts(first: 600) { totalCount }
                                   ... on Person { again: accounts(first: 600) { totalCount } } }
    """
    # 10 + 40 + 40 * (600 + 600) = 48,050: runs
    assert client.data(query)["enterprise"]["alias"]["totalCount"] == 4
    doubled = query.replace("...Staff alias", "...Staff ...Staff alias")
    assert refusal(client.post(doubled))["extensions"]["estimate"] == 10 + 2 * 48_040


def test_the_limit_comes_from_settings(serve: Callable[..., Client]) -> None:
    client = serve(max_query_nodes=10)
    query = 'query($n: Int) { uncoveredEmployees(enterpriseId: "E1", first: $n) { totalCount } }'
    assert client.data(query, {"n": 10})["uncoveredEmployees"]["totalCount"] == 2
    error = refusal(client.post(query, {"n": 11}))
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "estimate": 11, "limit": 10}


def test_network_and_paths_count_by_their_caps(serve: Callable[..., Client]) -> None:
    network = '{ clientNetwork(node: {label: PERSON, id: "P7"}) { nodes { id } } }'
    paths = (
        '{ linkagePaths(from: {label: MANAGER, id: "M1"}, to: {label: PERSON, id: "P7"}, '
        "maxHops: 4, limit: 2) { length } }"
    )
    tight = serve(max_query_nodes=9, max_network_nodes=10)
    assert refusal(tight.post(network))["extensions"]["estimate"] == 10
    assert refusal(tight.post(paths))["extensions"]["estimate"] == 2 * (4 + 1)
    roomy = serve(max_query_nodes=10, max_network_nodes=10)
    assert roomy.data(network)["clientNetwork"]["nodes"][0] == {"id": "P7"}
    assert roomy.data(paths)["linkagePaths"] == [{"length": 3}]


def test_only_the_requested_operation_is_estimated(client: Client) -> None:
    document = f"query Cheap {{ person(id: \"P1\") {{ name }} }} query Costly {FREEZER}"
    response = client.http.post(
        "/graphql", json={"query": document, "operationName": "Cheap"}
    )
    assert response.json() == {"data": {"person": {"name": "Alice"}}}


def test_readme_sized_queries_fit() -> None:
    readme = """{
      uncoveredEmployees(enterpriseId: "3298534883370", first: 20) {
        totalCount
        edges { cursor node { id name accounts(first: 5) { edges { node { type } } } } }
      }
      executivesWithoutPrivateBanking(enterpriseId: "3298534883370", first: 10) {
        edges { node { id employers(first: 3) { edges { role node { id name } } } } }
      }
    }"""
    assert estimate_nodes(schema._schema, parse(readme), Settings()) == 20 + 100 + 10 + 30


def test_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().max_query_nodes == 50_000
    monkeypatch.setenv("GRAPH_SERVICE_MAX_QUERY_NODES", "1234")
    assert Settings().max_query_nodes == 1234
