"""The node budget (GRAPH_SERVICE_MAX_QUERY_NODES): costly operations are refused unrun."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from graphql import parse

from graph_service.api.cost import (
    BOOK_SCAN_COST,
    ENTERPRISE_COST,
    PATH_SEARCH_COST,
    estimate_nodes,
)
from graph_service.api.extensions import estimate as kept_estimate
from graph_service.api.extensions import parse_document, type_schema
from graph_service.api.schema import schema
from graph_service.config import Settings
from tests.api.conftest import Client, CountingStore

REPO = Path(__file__).resolve().parents[2]

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


def test_each_request_is_priced_by_its_own_variables_though_estimates_are_kept(
    client: Client,
) -> None:
    """The estimates are kept per document, variable values and operation
    (``extensions.estimate``); ids, long or short, share one, priced all the same."""
    document = (
        "query($f: Int = 50, $e: ID!) { enterprise(id: $e) { employees(first: $f) { edges { "
        "node { id accounts(first: 1000) { totalCount } } } } } }"
    )
    long_id = "E" * 200
    for variables, estimate in [
        ({"f": 49, "e": "E1"}, None), ({"f": 50, "e": "E1"}, 50_050),
        ({"f": 49, "e": "E1"}, None), ({"e": "E1"}, 50_050), ({"f": 49.0, "e": "E1"}, None),
        ({"f": 50.0, "e": "E1"}, 50_050), ({"f": 49, "e": long_id}, None),
        ({"f": 50, "e": long_id}, 50_050), ({"f": 49, "e": long_id}, None),
    ]:  # fmt: skip
        body = client.post(document, variables)
        if estimate is None:  # run (the long id is no enterprise: NOT_FOUND)
            assert body["data"] is not None, (variables, body)
            codes = {e["extensions"]["code"] for e in body.get("errors", [])}
            assert codes <= {"NOT_FOUND"}, (variables, body)
        else:
            assert refusal(body)["extensions"]["estimate"] == estimate, variables


def test_kept_estimates_tell_a_null_string_from_a_given_one() -> None:
    """A string's text is no part of the kept estimate's key, but whether it is null is:
    ``executivesWithoutPrivateBanking`` scans the book without ``enterpriseId``."""
    document = parse_document(
        "query($e: ID) { executivesWithoutPrivateBanking(enterpriseId: $e, first: 0) "
        "{ totalCount } }"
    )
    types, settings = type_schema(schema), Settings()
    expected = [ENTERPRISE_COST, BOOK_SCAN_COST, ENTERPRISE_COST, BOOK_SCAN_COST,
                ENTERPRISE_COST, BOOK_SCAN_COST]  # fmt: skip
    sent: list[dict[str, Any]] = [{"e": "E1"}, {"e": None}, {"e": "E" * 500}, {}, {"e": ""},
                                  {"e": None}]  # fmt: skip
    assert [kept_estimate(types, document, settings, v, None) for v in sent] == expected
    assert [estimate_nodes(types, document, settings, v) for v in sent] == expected


@pytest.mark.parametrize("value", ["1000", True, 50.5, [50]])
def test_a_variable_of_the_wrong_type_is_named_not_priced(client: Client, value: Any) -> None:
    body = client.post(TWO_LEVELS, {"f": value})
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["message"].startswith("Variable '$f' has invalid value"), error


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
    client = serve(max_query_nodes=110)
    query = 'query($n: Int) { uncoveredEmployees(enterpriseId: "E1", first: $n) { totalCount } }'
    # base 100 (one enterprise's staff) + first
    assert client.data(query, {"n": 10})["uncoveredEmployees"]["totalCount"] == 2
    error = refusal(client.post(query, {"n": 11}))
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "estimate": 111, "limit": 110}


def test_network_and_paths_count_by_their_caps(serve: Callable[..., Client]) -> None:
    network = '{ clientNetwork(node: {label: PERSON, id: "P7"}) { nodes { id } } }'
    paths = (
        '{ linkagePaths(from: {label: MANAGER, id: "M1"}, to: {label: PERSON, id: "P7"}, '
        "maxHops: 4, limit: 2) { length } }"
    )
    tight = serve(max_query_nodes=19, max_network_nodes=10)
    # base max_network_nodes * depth (1 by default) + max_network_nodes
    assert refusal(tight.post(network))["extensions"]["estimate"] == 10 * 1 + 10
    # base PATH_SEARCH_COST + limit * (maxHops + 1)
    assert refusal(tight.post(paths))["extensions"]["estimate"] == 1_000 + 2 * (4 + 1)
    roomy = serve(max_query_nodes=1_010, max_network_nodes=10)
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
    # two linkage fields of one enterprise (base 100 each) and what they return
    expected = 100 + 20 + 20 * 5 + 100 + 10 + 10 * 3
    assert estimate_nodes(type_schema(schema), parse(readme), Settings()) == expected


def test_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().max_query_nodes == 50_000
    monkeypatch.setenv("GRAPH_SERVICE_MAX_QUERY_NODES", "1234")
    assert Settings().max_query_nodes == 1234


def estimate(document: str, variables: dict[str, Any] | None = None, **settings: Any) -> int:
    """``estimate_nodes`` of a document with default (or overridden) settings."""
    return estimate_nodes(type_schema(schema), parse(document), Settings(**settings), variables)


def aliases(count: int, field: str) -> str:
    """A document selecting ``field`` ``count`` times under aliases."""
    return "{ " + " ".join(f"a{i}: {field}" for i in range(count)) + " }"


BOOK_SCAN = "executivesWithoutPrivateBanking(first: 0) { totalCount }"
DEEP_NETWORK = 'clientNetwork(node: {label: PERSON, id: "P7"}, depth: 3) { truncated }'
PATHS = 'linkagePaths(from: {label: MANAGER, id: "M1"}, to: {label: PERSON, id: "P7"}) { length }'


def test_the_testers_alias_floods_are_refused_before_any_resolver_runs(
    serve: Callable[..., Client], small_bank: Any
) -> None:
    store = CountingStore(small_bank)
    client = serve(store=store)
    floods = {
        BOOK_SCAN: 50 * BOOK_SCAN_COST,  # each copy scans the whole book
        DEEP_NETWORK: 50 * (500 * 3 + 500),
        PATHS: 50 * (PATH_SEARCH_COST + 1 * (6 + 1)),
    }
    for field, expected in floods.items():
        store.reset()
        assert refusal(client.post(aliases(50, field)))["extensions"]["estimate"] == expected
        assert store.calls == {"refresh": 1}, field


def test_a_book_scan_costs_its_base_even_when_it_returns_nothing(client: Client) -> None:
    assert estimate("{ " + BOOK_SCAN + " }") == BOOK_SCAN_COST
    assert client.data(aliases(5, BOOK_SCAN))["a0"]["totalCount"] == 2  # 50,000: runs
    assert refusal(client.post(aliases(6, BOOK_SCAN)))["extensions"]["estimate"] == 60_000


@pytest.mark.parametrize(
    ("argument", "variables", "base"),
    [
        ("", None, BOOK_SCAN_COST),
        ("enterpriseId: null, ", None, BOOK_SCAN_COST),
        ('enterpriseId: "E1", ', None, ENTERPRISE_COST),
        ("enterpriseId: $e, ", {"e": "E1"}, ENTERPRISE_COST),
        ("enterpriseId: $e, ", {"e": None}, BOOK_SCAN_COST),
        ("enterpriseId: $e, ", {}, BOOK_SCAN_COST),
        ("enterpriseId: $d, ", {}, ENTERPRISE_COST),  # $d defaults to "E1"
        ("enterpriseId: $d, ", {"d": None}, BOOK_SCAN_COST),
    ],
)
def test_executives_cost_a_book_scan_only_without_an_enterprise(
    argument: str, variables: dict[str, Any] | None, base: int
) -> None:
    document = (
        'query($e: ID, $d: ID = "E1") { '
        f"executivesWithoutPrivateBanking({argument}first: 7) {{ totalCount }} }}"
    )
    assert estimate(document, variables) == base + 7


def test_enterprise_linkage_fields_cost_one_enterprise(client: Client) -> None:
    query = (
        '{ uncoveredEmployees(enterpriseId: "E1", first: 0) { totalCount } '
        'payrollCoverage(enterpriseId: "E1") { rate } }'
    )
    assert estimate(query) == 2 * ENTERPRISE_COST
    nested = (
        'query($n: Int) { person(id: "P4") { employers(first: $n) { edges { node { '
        "payrollCoverage { rate } } } } } }"
    )
    assert estimate(nested, {"n": 4}) == 4 + 4 * ENTERPRISE_COST  # 100 x its multiplier
    assert estimate(nested, {"n": 1000}) == 1000 + 1000 * ENTERPRISE_COST
    assert refusal(client.post(nested, {"n": 1000}))["extensions"]["estimate"] == 101_000
    assert client.data(nested, {"n": 4})["person"]["employers"]["edges"]


def test_network_base_grows_with_depth_and_the_node_budget() -> None:
    network = 'query($d: Int!) { clientNetwork(node: {label: PERSON, id: "P7"}, depth: $d) '
    network += "{ truncated } }"
    assert estimate(network, {"d": 1}) == 500 * 1 + 500
    assert estimate(network, {"d": 3}) == 500 * 3 + 500
    assert estimate(network, {"d": 9}) == 500 * 3 + 500  # depth clamped to the cap
    assert estimate(network, {"d": 2}, max_network_nodes=50) == 50 * 2 + 50
    assert estimate(aliases(25, DEEP_NETWORK)) == 50_000  # 25 run, 26 are refused


def test_paths_cost_a_search_plus_what_they_return() -> None:
    paths = PATHS.replace(") {", ", maxHops: 10, limit: 100) {")
    assert estimate("{ " + PATHS + " }") == PATH_SEARCH_COST + 1 * (6 + 1)
    assert estimate("{ " + paths + " }") == PATH_SEARCH_COST + 100 * (10 + 1)


def published_documents() -> list[tuple[str, str, dict[str, Any]]]:
    """Every GraphQL example of README.md and queries/ (with its variables, if any)."""
    found = []
    for markdown in [REPO / "README.md", *sorted((REPO / "queries").glob("*.md"))]:
        text = markdown.read_text(encoding="utf-8")
        for number, block in enumerate(re.findall(r"```graphql\n(.*?)```", text, re.S)):
            found.append((f"{markdown.name}#{number}", block, {}))
    for example in sorted((REPO / "queries" / "examples").glob("*.graphql")):
        variables = json.loads(example.with_suffix(".variables.json").read_text())
        found.append((example.name, example.read_text(encoding="utf-8"), variables))
    return found


def test_every_published_example_fits_the_default_budget() -> None:
    documents = published_documents()
    assert len(documents) >= 10
    for name, document, variables in documents:
        assert 0 < estimate(document, variables) <= 50_000, name


def test_float_variables_cost_as_the_integers_execution_sees() -> None:
    nested = (
        'query($f: Int) { executivesWithoutPrivateBanking(enterpriseId: "E1", first: $f) '
        "{ edges { node { employers(first: $f) { totalCount } } } } }"
    )
    assert estimate(nested, {"f": 1000.0}) == estimate(nested, {"f": 1000}) > 1_000_000


def test_each_scanning_test_of_a_list_filter_costs_a_scan_of_the_label(client: Client) -> None:
    persons = "query($w: PersonWhere) {{ persons(first: 1, where: {}) {{ totalCount }} }}"
    scanning = ('{name: {contains: "a", startsWith: "A"}, OR: [{id: {gt: "P1"}}, '
                '{id: {lt: "P9"}}], NOT: {name: {contains: "z"}}}')  # fmt: skip
    assert estimate(persons.format('{id: {in: ["P1", "P2"]}, name: {eq: "Alice"}}')) == (
        BOOK_SCAN_COST + 1)  # eq and in look their values up: one scan of the label
    assert estimate(persons.format('{name: {contains: "a"}}')) == BOOK_SCAN_COST + 1
    assert estimate(persons.format(scanning)) == 5 * BOOK_SCAN_COST + 1
    assert estimate(persons.format("$w"), {"w": {"name": {"contains": "a", "gte": "B"}}}) == (
        2 * BOOK_SCAN_COST + 1)  # a variable, as sent
    four = '{name: {contains: "a", startsWith: "A"}, OR: [{id: {gt: "P1"}}, {id: {lt: "P9"}}]}'
    literal = "{{ persons(first: 1, where: {}) {{ totalCount }} }}"
    assert "persons" in client.data(literal.format(four))
    error = refusal(client.post(literal.format(scanning)))
    assert error["extensions"]["estimate"] == 5 * BOOK_SCAN_COST + 1
    sorted_scan = ('{ enterprises(first: 1, where: {name: {contains: "a"}}, '
                   "sort: [{uncoveredEmployees: DESC}]) { totalCount } }")  # fmt: skip
    assert estimate(sorted_scan) == 3 * BOOK_SCAN_COST + 1
