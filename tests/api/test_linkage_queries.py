"""The linkage queries over HTTP, against the answers of tests/conftest.py worked out by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import Client


@pytest.fixture(scope="module")
def client(backend_client: Client) -> Client:
    """These tests run against every backend (tests/api/conftest.py)."""
    return backend_client

UNCOVERED = """
query($e: ID!, $p: [String!]) {
  uncoveredEmployees(enterpriseId: $e, productTypes: $p) {
    totalCount edges { node { id name } } pageInfo { hasNextPage hasPreviousPage }
  }
}"""
EXECUTIVES = """
query($e: ID) {
  executivesWithoutPrivateBanking(enterpriseId: $e) { totalCount edges { node { id } } }
}"""
COVERAGE = """
query($e: ID!) {
  payrollCoverage(enterpriseId: $e) { enterprise { id } employees covered uncovered rate }
}"""
NETWORK = """
query($n: NodeRef!, $d: Int!, $t: [RelationshipType!]) {
  clientNetwork(node: $n, depth: $d, relationshipTypes: $t) {
    nodes { label id name properties }
    relationships { type start { label id } end { label id } properties }
    truncated
  }
}"""
PATHS = """
query($f: NodeRef!, $t: NodeRef!, $r: [RelationshipType!], $h: Int!, $l: Int!) {
  linkagePaths(from: $f, to: $t, relationshipTypes: $r, maxHops: $h, limit: $l) {
    length nodes { label id name } relationships { type start { id } end { id } }
  }
}"""


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


def ref(label: str, node_id: str) -> dict[str, str]:
    return {"label": label, "id": node_id}


@pytest.mark.parametrize(
    ("enterprise", "products", "expected"),
    [
        ("E1", None, ["P2", "P4"]),
        ("E2", None, ["P4", "P5", "P6", "P8"]),
        ("E2", ["credit card"], ["P4", "P5", "P8"]),
        ("E3", None, []),
    ],
)
def test_uncovered_employees(
    client: Client, enterprise: str, products: list[str] | None, expected: list[str]
) -> None:
    answer = client.data(UNCOVERED, {"e": enterprise, "p": products})["uncoveredEmployees"]
    assert ids(answer) == expected
    assert answer["totalCount"] == len(expected)
    assert answer["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": False}


def test_uncovered_employees_refuses_an_empty_product_list(client: Client) -> None:
    assert client.error_codes(UNCOVERED, {"e": "E1", "p": []}) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("enterprise", "expected"),
    [("E1", ["P4"]), ("E2", ["P4", "P8"]), (None, ["P4", "P8"]), ("E3", [])],
)
def test_executives_without_private_banking(
    client: Client, enterprise: str | None, expected: list[str]
) -> None:
    answer = client.data(EXECUTIVES, {"e": enterprise})["executivesWithoutPrivateBanking"]
    assert ids(answer) == expected
    assert answer["totalCount"] == len(expected)


@pytest.mark.parametrize(
    ("enterprise", "employees", "covered", "rate"),
    [("E1", 4, 2, 0.5), ("E2", 4, 0, 0.0), ("E3", 0, 0, None)],
)
def test_payroll_coverage(
    client: Client, enterprise: str, employees: int, covered: int, rate: float | None
) -> None:
    answer = client.data(COVERAGE, {"e": enterprise})["payrollCoverage"]
    assert answer == {
        "enterprise": {"id": enterprise},
        "employees": employees,
        "covered": covered,
        "uncovered": employees - covered,
        "rate": rate,
    }


def test_payroll_coverage_as_a_field_of_enterprise(client: Client) -> None:
    data = client.data('{ enterprise(id: "E2") { payrollCoverage { covered uncovered rate } } }')
    assert data["enterprise"]["payrollCoverage"] == {"covered": 0, "uncovered": 4, "rate": 0.0}


RATE_AND_LIST = """
query($e: ID!, $p: [String!]) {
  payrollCoverage(enterpriseId: $e, productTypes: $p) { employees covered uncovered rate }
  uncoveredEmployees(enterpriseId: $e, productTypes: $p) { totalCount edges { node { id } } }
  enterprise(id: $e) { payrollCoverage(productTypes: $p) { covered rate } }
}"""


@pytest.mark.parametrize(
    ("enterprise", "products", "covered", "uncovered"),
    [
        ("E2", ["credit card"], 1, ["P4", "P5", "P8"]),
        ("E2", None, 0, ["P4", "P5", "P6", "P8"]),
        ("E1", ["credit card"], 0, ["P1", "P2", "P3", "P4"]),
        ("E1", ["debit card", "trust account"], 2, ["P2", "P4"]),
    ],
)
def test_payroll_coverage_takes_the_same_product_types_as_the_uncovered_list(
    client: Client, enterprise: str, products: list[str] | None, covered: int,
    uncovered: list[str]
) -> None:
    data = client.data(RATE_AND_LIST, {"e": enterprise, "p": products})
    assert data["payrollCoverage"] == {
        "employees": 4,
        "covered": covered,
        "uncovered": len(uncovered),
        "rate": covered / 4,
    }
    assert ids(data["uncoveredEmployees"]) == uncovered
    assert data["uncoveredEmployees"]["totalCount"] == data["payrollCoverage"]["uncovered"]
    assert data["enterprise"]["payrollCoverage"] == {"covered": covered, "rate": covered / 4}


@pytest.mark.parametrize("products", [[], [" "]])
def test_payroll_coverage_refuses_an_empty_product_list(
    client: Client, products: list[str]
) -> None:
    for query in (
        'query($p: [String!]) { payrollCoverage(enterpriseId: "E2", productTypes: $p) '
        "{ rate } }",
        'query($p: [String!]) { enterprise(id: "E2") { payrollCoverage(productTypes: $p) '
        "{ rate } } }",
    ):
        body = client.post(query, {"p": products})
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"] == "productTypes must list at least one non-blank type"


def test_client_network_of_an_enterprise(client: Client) -> None:
    answer = client.data(NETWORK, {"n": ref("ENTERPRISE", "E1"), "d": 1, "t": None})
    network = answer["clientNetwork"]
    assert [(n["label"], n["id"]) for n in network["nodes"]] == [
        ("ENTERPRISE", "E1"),
        ("ENTERPRISE", "E2"),
        ("MANAGER", "M1"),
        ("PERSON", "P1"),
        ("PERSON", "P2"),
        ("PERSON", "P3"),
        ("PERSON", "P4"),
    ]
    assert network["nodes"][0]["properties"]["industry"] == "manufacturing"
    rels = {(r["type"], r["start"]["id"], r["end"]["id"]) for r in network["relationships"]}
    assert rels == {
        ("EMPLOYED_BY", "P1", "E1"),
        ("EMPLOYED_BY", "P2", "E1"),
        ("EMPLOYED_BY", "P3", "E1"),
        ("EMPLOYED_BY", "P4", "E1"),
        ("EMPLOYED_BY", "P4", "E2"),  # both ends are in the ego graph
        ("SHAREHOLDER_OF", "P4", "E1"),
        ("SHAREHOLDER_OF", "E1", "E2"),
        ("MANAGES", "M1", "E1"),
    }
    assert network["truncated"] is False


def test_client_network_filtered_by_relationship_type(client: Client) -> None:
    answer = client.data(
        NETWORK, {"n": ref("ENTERPRISE", "E1"), "d": 2, "t": ["SHAREHOLDER_OF"]}
    )["clientNetwork"]
    assert [n["id"] for n in answer["nodes"]] == ["E1", "E2", "P4"]
    assert {r["type"] for r in answer["relationships"]} == {"SHAREHOLDER_OF"}


def test_client_network_is_truncated_at_the_node_budget(serve: Callable[..., Client]) -> None:
    client = serve(max_network_nodes=3)
    answer = client.data(NETWORK, {"n": ref("ENTERPRISE", "E1"), "d": 2, "t": None})
    assert answer["clientNetwork"]["truncated"] is True
    assert len(answer["clientNetwork"]["nodes"]) == 3


def test_linkage_paths_shortest_only(client: Client) -> None:
    variables = {"f": ref("PERSON", "P4"), "t": ref("PERSON", "P7"), "r": None, "h": 6, "l": 5}
    paths = client.data(PATHS, variables)["linkagePaths"]
    assert [p["length"] for p in paths] == [3, 3]
    assert [[n["id"] for n in p["nodes"]] for p in paths] == [["P4", "E1", "P1", "P7"]] * 2
    assert [[r["type"] for r in p["relationships"]] for p in paths] == [
        ["EMPLOYED_BY", "EMPLOYED_BY", "GUARANTEES"],
        ["SHAREHOLDER_OF", "EMPLOYED_BY", "GUARANTEES"],
    ]
    # Relationships keep their stored direction: P1 -[:EMPLOYED_BY]-> E1.
    assert paths[0]["relationships"][1]["start"] == {"id": "P1"}


def test_linkage_paths_default_limit_is_one(client: Client) -> None:
    data = client.data(
        '{ linkagePaths(from: {label: PERSON, id: "P4"}, to: {label: PERSON, id: "P7"}) '
        "{ length } }"
    )
    assert data["linkagePaths"] == [{"length": 3}]


@pytest.mark.parametrize(
    ("start", "end", "types", "hops"),
    [
        (("ENTERPRISE", "E3"), ("PERSON", "P1"), None, 6),  # E3 has no relationship at all
        (("PERSON", "P4"), ("PERSON", "P7"), ["GUARANTEES"], 6),
        (("PERSON", "P4"), ("PERSON", "P7"), None, 2),
    ],
)
def test_linkage_paths_empty_when_not_linked(
    client: Client,
    start: tuple[str, str],
    end: tuple[str, str],
    types: list[str] | None,
    hops: int,
) -> None:
    variables = {"f": ref(*start), "t": ref(*end), "r": types, "h": hops, "l": 1}
    assert client.data(PATHS, variables)["linkagePaths"] == []
