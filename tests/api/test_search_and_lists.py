"""search and the lists enterprises, persons, managers over HTTP, on every backend: answers,
versioned cursors (pages, another order's cursor refused, stable under writes) and cost."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import pytest
from graphql import parse

from graph_service.api.context import make_context
from graph_service.api.cost import estimate_nodes
from graph_service.api.extensions import type_schema
from graph_service.api.schema import schema
from graph_service.config import Settings
from graph_service.linkage.lists import FIGURES_COST
from graph_service.linkage.question import BOOK_SCAN_COST
from graph_service.linkage.search import SEARCH_COST
from graph_service.records import GraphBatch, NodeRow
from graph_service.stores.embedded import EmbeddedStore
from tests.api.conftest import Client
from tests.conftest import small_bank_batch

NODE = "__typename ... on Enterprise { id name } ... on Person { id name } " \
       "... on Account { id } ... on Manager { id name }"
SEARCH = f"""
query($text: String!, $labels: [NodeLabel!], $first: Int, $after: String) {{
  search(text: $text, labels: $labels, first: $first, after: $after) {{
    totalCount edges {{ cursor node {{ {NODE} }} }}
    pageInfo {{ hasNextPage hasPreviousPage endCursor }}
  }}
}}"""
PERSONS = """
query($where: PersonWhere, $sort: [PersonSort!], $first: Int, $after: String) {
  persons(where: $where, sort: $sort, first: $first, after: $after) {
    totalCount edges { cursor node { id name segment } } pageInfo { hasNextPage endCursor }
  }
}"""
LEAST_COVERED = """
{ enterprises(sort: {uncoveredEmployees: DESC}, first: 10) {
    totalCount edges { node { id name payrollCoverage { uncovered rate } } } } }"""


@pytest.fixture(scope="module")
def client(backend_client: Client) -> Client:
    """These tests run against every backend (tests/api/conftest.py)."""
    return backend_client


def found(data: dict[str, Any], field: str) -> list[str]:
    return [edge["node"]["id"] for edge in data[field]["edges"]]


def test_search(client: Client) -> None:
    data = client.data(SEARCH, {"text": "ac"})
    assert data["search"]["totalCount"] == 1
    assert data["search"]["edges"][0]["node"] == {
        "__typename": "Enterprise", "id": "E1", "name": "Acme Ltd"}
    assert found(client.data(SEARCH, {"text": "MONA corp"}), "search") == ["M1"]
    assert found(client.data(SEARCH, {"text": "A3"}), "search") == ["A3"]
    # Empty Co, Mona Corporate, Carol: by label (as text), then id.
    assert found(client.data(SEARCH, {"text": "c"}), "search") == ["E3", "M1", "P3"]
    assert found(client.data(SEARCH, {"text": "c", "labels": ["MANAGER"]}), "search") == ["M1"]


def test_search_pages(client: Client) -> None:
    seen, after = [], None
    while True:
        page = client.data(SEARCH, {"text": "c", "first": 1, "after": after})["search"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["E3", "M1", "P3"]


def test_search_refuses_bad_input(client: Client) -> None:
    assert client.error_codes(SEARCH, {"text": " "}) == ["BAD_USER_INPUT"]
    [error] = client.post(SEARCH, {"text": "   \u0000 "})["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "control characters" in error["message"]
    node_cursor = base64.b64encode(b"Person:P3").decode()
    body = client.post(SEARCH, {"text": "c", "after": node_cursor})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "`after`" in body["errors"][0]["message"]


def test_the_least_covered_clients(client: Client) -> None:
    data = client.data(LEAST_COVERED)
    assert [(e["node"]["id"], e["node"]["payrollCoverage"]["uncovered"])
            for e in data["enterprises"]["edges"]] == [("E2", 4), ("E1", 2), ("E3", 0)]


def test_lists_filter_sort_and_page(client: Client) -> None:
    variables = {"where": {"OR": [{"segment": {"in": ["mass"]}},
                                  {"name": {"startsWith": "H"}}]},
                 "sort": [{"segment": "DESC"}, {"name": "ASC"}], "first": 2}  # fmt: skip
    first = client.data(PERSONS, variables)["persons"]
    assert first["totalCount"] == 4
    assert found({"p": first}, "p") == ["P1", "P2"]
    second = client.data(PERSONS, {**variables, "after": first["pageInfo"]["endCursor"]})
    assert found(second, "persons") == ["P4", "P8"]
    assert not second["persons"]["pageInfo"]["hasNextPage"]
    managers = client.data('{ managers(where: {branch: {eq: "North"}}) { edges { node { id } } } }')
    assert found(managers, "managers") == ["M2"]


def test_a_cursor_of_another_order_is_refused(client: Client) -> None:
    by_name = client.data(PERSONS, {"sort": [{"name": "ASC"}], "first": 1})
    cursor = by_name["persons"]["pageInfo"]["endCursor"]
    body = client.post(PERSONS, {"sort": [{"name": "DESC"}], "after": cursor})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "ordered by name-asc.id" in error["message"]
    assert "ordered by name-desc.id" in error["message"]
    # Nor may a search cursor page the list, or the other way round.
    search = client.data(SEARCH, {"text": "c", "first": 1})["search"]["pageInfo"]["endCursor"]
    assert client.error_codes(PERSONS, {"after": search}) == ["BAD_USER_INPUT"]
    assert client.error_codes(SEARCH, {"text": "c", "after": cursor}) == ["BAD_USER_INPUT"]
    body = client.post(PERSONS, {"sort": [{"name": "ASC", "segment": "ASC"}]})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_cursors_stay_put_when_the_list_changes(tmp_path: Path) -> None:
    """A page after a cursor starts right after its key, whatever was written meanwhile."""
    store = EmbeddedStore(tmp_path)

    async def run() -> tuple[list[str], list[str]]:
        await store.write(small_bank_batch())
        settings = Settings()

        async def page(after: str | None) -> dict[str, Any]:
            result = await schema.execute(
                PERSONS, variable_values={"sort": [{"name": "DESC"}], "first": 3,
                                          "after": after},  # fmt: skip
                context_value=make_context(store, settings),
            )
            assert result.errors is None, result.errors
            return result.data["persons"]  # type: ignore[index]

        first = await page(None)
        # A person before the cursor and one after it; the cursor's own node goes.
        new = [NodeRow("Person", "P0", {"name": "Zoe"}), NodeRow("Person", "P9", {"name": "Ann"})]
        await store.write(GraphBatch(nodes=new, relationships=[], files=["new"],
                                     deleted_nodes=[("Person", "P6")]))  # fmt: skip
        second = await page(first["pageInfo"]["endCursor"])
        return ([e["node"]["name"] for e in first["edges"]],
                [e["node"]["name"] for e in second["edges"]])

    try:
        before, after = asyncio.run(run())
    finally:
        asyncio.run(store.close())
    assert before == ["Hank", "Gina", "Frank"]
    assert after == ["Eve", "Dan", "Carol"]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ('{ search(text: "a", first: 10) { totalCount } }', SEARCH_COST + 10),
        ("{ persons(first: 5) { totalCount } }", BOOK_SCAN_COST + 5),
        ("{ enterprises(first: 10) { totalCount } }", BOOK_SCAN_COST + 10),
        ("{ enterprises(sort: {uncoveredEmployees: DESC}, first: 10) { totalCount } }",
         BOOK_SCAN_COST + FIGURES_COST + 10),
    ],
)
def test_cost(document: str, expected: int) -> None:
    assert estimate_nodes(type_schema(schema), parse(document), Settings()) == expected


LABELLED = "query($l: [NodeLabel!]) { search(text: \"m\", labels: $l, first: 0) { totalCount } }"


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (None, SEARCH_COST),
        (["ENTERPRISE", "PERSON", "MANAGER"], SEARCH_COST),  # every named label: bounded
        (["MANAGER", "ACCOUNT", "PERSON", "ENTERPRISE"], SEARCH_COST),
        (["ACCOUNT"], SEARCH_COST),  # by id only
        (["REFERRAL", "CONTACT"], SEARCH_COST),
        # some named labels: their matches counted and read among every match of the text
        (["ENTERPRISE"], BOOK_SCAN_COST),
        ("ENTERPRISE", BOOK_SCAN_COST),  # a single value is a list of one
        (["PERSON", "ACCOUNT"], BOOK_SCAN_COST),
        (["ENTERPRISE", "PERSON"], BOOK_SCAN_COST),
        ({"a": 1}, BOOK_SCAN_COST),  # refused when coerced; priced as the scan until then
    ],
)
def test_a_search_of_some_named_labels_costs_a_book_scan(labels: Any, expected: int) -> None:
    types, document = type_schema(schema), parse(LABELLED)
    assert estimate_nodes(types, document, Settings(), {"l": labels}) == expected
    if isinstance(labels, list):
        literal = LABELLED.removeprefix("query($l: [NodeLabel!]) ").replace(
            "$l", "[" + ", ".join(labels) + "]")
        assert estimate_nodes(types, parse(literal), Settings()) == expected


def test_six_searches_of_one_named_label_are_refused_before_running(client: Client) -> None:
    # 45 of them fitted the budget at 1,000 each and took 3 s at 1,000,000 people
    one = 'search(text: "{}", labels: [ENTERPRISE], first: 0) {{ totalCount }}'
    five = " ".join(f"a{i}: " + one.format("acme" + " acme" * i) for i in range(5))
    assert set(client.data("{ " + five + " }")) == {f"a{i}" for i in range(5)}
    assert client.error_codes("{ " + five + " a5: " + one.format("a") + " }") == [
        "QUERY_TOO_COMPLEX"]
