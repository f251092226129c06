"""Lookups by id and their paginated relationship fields, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Client


@pytest.fixture(scope="module")
def client(backend_client: Client) -> Client:
    """These tests run against every backend (tests/api/conftest.py)."""
    return backend_client


def nodes(connection: dict[str, Any], *fields: str) -> list[Any]:
    return [
        edge["node"]["id"] if not fields else tuple(edge[f] for f in fields)
        for edge in connection["edges"]
    ]


def test_enterprise_with_its_relationships(client: Client) -> None:
    data = client.data(
        """{ enterprise(id: "E1") {
            id name industry region blocked createdAt
            employees { totalCount edges { role title source node { id name } } }
            executives { edges { title node { id } } }
            shareholders { edges { ratio node { __typename ... on Person { id } } } }
            investments { edges { ratio node { id name } } }
            accounts { totalCount }
            managers { edges { node { id name kind } } }
            guarantees { totalCount }
            guarantors { totalCount }
        } }"""
    )["enterprise"]
    assert {k: data[k] for k in ("id", "name", "industry", "region", "blocked", "createdAt")} == {
        "id": "E1",
        "name": "Acme Ltd",
        "industry": "manufacturing",
        "region": None,
        "blocked": False,
        "createdAt": None,
    }
    assert data["employees"]["totalCount"] == 4
    assert [(e["node"]["id"], e["role"], e["title"]) for e in data["employees"]["edges"]] == [
        ("P1", "employee", "Clerk"),
        ("P2", "employee", None),
        ("P3", "executive", "CFO"),
        ("P4", "executive", "CEO"),
    ]
    assert [(e["node"]["id"], e["title"]) for e in data["executives"]["edges"]] == [
        ("P3", "CFO"),
        ("P4", "CEO"),
    ]
    assert data["shareholders"]["edges"] == [
        {"ratio": 0.3, "node": {"__typename": "Person", "id": "P4"}}
    ]
    assert data["investments"]["edges"] == [
        {"ratio": 0.6, "node": {"id": "E2", "name": "Beta GmbH"}}
    ]
    assert data["accounts"]["totalCount"] == 0
    assert data["managers"]["edges"] == [
        {"node": {"id": "M1", "name": "Mona Corporate", "kind": "corporate"}}
    ]
    assert data["guarantees"]["totalCount"] == data["guarantors"]["totalCount"] == 0


def test_enterprise_shareholders_may_be_enterprises(client: Client) -> None:
    data = client.data(
        '{ enterprise(id: "E2") { shareholders { edges { ratio node { __typename '
        "... on Enterprise { id } } } } } }"
    )
    assert data["enterprise"]["shareholders"]["edges"] == [
        {"ratio": 0.6, "node": {"__typename": "Enterprise", "id": "E1"}}
    ]


def test_person_with_its_relationships(client: Client) -> None:
    data = client.data(
        """{
          alice: person(id: "P1") {
            name segment blocked
            employers { edges { role title node { id } } }
            accounts { edges { node { id type status } } }
            guarantees { edges { node { id } } }
          }
          gina: person(id: "P7") {
            segment guarantors { edges { node { id } } } managers { edges { node { id } } }
          }
          dan: person(id: "P4") {
            employers { totalCount } shareholdings { edges { ratio node { id } } }
          }
        }"""
    )
    assert data["alice"] == {
        "name": "Alice",
        "segment": "mass",
        "blocked": False,
        "employers": {"edges": [{"role": "employee", "title": "Clerk", "node": {"id": "E1"}}]},
        "accounts": {"edges": [{"node": {"id": "A1", "type": "debit card", "status": "active"}}]},
        "guarantees": {"edges": [{"node": {"id": "P7"}}]},
    }
    assert data["gina"] == {
        "segment": None,
        "guarantors": {"edges": [{"node": {"id": "P1"}}]},
        "managers": {"edges": [{"node": {"id": "M2"}}]},
    }
    assert data["dan"] == {
        "employers": {"totalCount": 2},
        "shareholdings": {"edges": [{"ratio": 0.3, "node": {"id": "E1"}}]},
    }


def test_account_with_owners_and_transfers(client: Client) -> None:
    data = client.data(
        """{
          a1: account(id: "A1") {
            type status openedAt balance
            owners { edges { node { __typename ... on Person { id } } } }
            transfersOut { totalCount edges { count totalAmount node { id } } }
            transfersIn { totalCount }
          }
          a2: account(id: "A2") { transfersIn { edges { count totalAmount node { id } } } }
          a3: account(id: "A3") { balance }
        }"""
    )
    assert data["a1"] == {
        "type": "debit card",
        "status": "active",
        "openedAt": None,
        "balance": None,
        "owners": {"edges": [{"node": {"__typename": "Person", "id": "P1"}}]},
        "transfersOut": {
            "totalCount": 1,
            "edges": [{"count": 2, "totalAmount": 300.0, "node": {"id": "A2"}}],
        },
        "transfersIn": {"totalCount": 0},
    }
    assert data["a2"]["transfersIn"]["edges"] == [
        {"count": 2, "totalAmount": 300.0, "node": {"id": "A1"}}
    ]
    assert data["a3"]["balance"] == 2_500_000.0


def test_manager_with_clients(client: Client) -> None:
    data = client.data(
        """{
          m1: manager(id: "M1") { name kind branch clients { edges { node {
                __typename ... on Enterprise { id } ... on Person { id } } } } }
          m2: manager(id: "M2") { clients { edges { node { __typename ... on Person { id } } } } }
        }"""
    )
    assert data["m1"] == {
        "name": "Mona Corporate",
        "kind": "corporate",
        "branch": "Central",
        "clients": {"edges": [{"node": {"__typename": "Enterprise", "id": "E1"}}]},
    }
    assert data["m2"]["clients"]["edges"] == [{"node": {"__typename": "Person", "id": "P7"}}]


@pytest.mark.parametrize(
    ("field", "label"),
    [("enterprise", "Enterprise"), ("person", "Person"), ("account", "Account"),
     ("manager", "Manager")],
)
def test_unknown_id_is_not_found(client: Client, field: str, label: str) -> None:
    body = client.post(f'{{ {field}(id: "nope") {{ id }} }}')
    assert body["data"] == {field: None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["path"] == [field]
    assert error["message"] == f"{label} 'nope' not found"


def test_ids_are_per_label(client: Client) -> None:
    # "E1" is an enterprise, not a person: the lookup is by label and id.
    assert client.error_codes('{ person(id: "E1") { id } }') == ["NOT_FOUND"]


def test_one_unknown_id_does_not_hide_the_others(client: Client) -> None:
    body = client.post('{ a: person(id: "P1") { name } b: person(id: "P99") { name } }')
    assert body["data"] == {"a": {"name": "Alice"}, "b": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]


@pytest.mark.parametrize(
    "query",
    [
        '{ uncoveredEmployees(enterpriseId: "E9") { totalCount } }',
        '{ executivesWithoutPrivateBanking(enterpriseId: "E9") { totalCount } }',
        '{ payrollCoverage(enterpriseId: "E9") { rate } }',
        '{ clientNetwork(node: {label: PERSON, id: "E1"}) { truncated } }',
        '{ linkagePaths(from: {label: PERSON, id: "P1"}, to: {label: MANAGER, id: "M9"}) '
        "{ length } }",
    ],
)
def test_linkage_queries_report_unknown_nodes(client: Client, query: str) -> None:
    assert client.error_codes(query) == ["NOT_FOUND"]
