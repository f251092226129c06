"""Relay pagination over HTTP: stable cursors, no duplicates or gaps, keyset semantics."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import Client


@pytest.fixture(scope="module")
def client(backend_client: Client) -> Client:
    """These tests run against every backend (tests/api/conftest.py)."""
    return backend_client

PAGE = (
    "totalCount edges { cursor node { id } } "
    "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
)

# Each connection as (document with $first/$after, path to the connection, all ids in order).
CONNECTIONS = {
    "uncoveredEmployees": (
        f'query($first: Int, $after: String) {{ c: uncoveredEmployees(enterpriseId: "E2", '
        f"first: $first, after: $after) {{ {PAGE} }} }}",
        ["c"],
        ["P4", "P5", "P6", "P8"],
    ),
    "executivesWithoutPrivateBanking": (
        f"query($first: Int, $after: String) {{ c: executivesWithoutPrivateBanking("
        f"first: $first, after: $after) {{ {PAGE} }} }}",
        ["c"],
        ["P4", "P8"],
    ),
    "Enterprise.employees": (
        f'query($first: Int, $after: String) {{ enterprise(id: "E1") {{ '
        f"c: employees(first: $first, after: $after) {{ {PAGE} }} }} }}",
        ["enterprise", "c"],
        ["P1", "P2", "P3", "P4"],
    ),
    "Enterprise.executives": (
        f'query($first: Int, $after: String) {{ enterprise(id: "E2") {{ '
        f"c: executives(first: $first, after: $after) {{ {PAGE} }} }} }}",
        ["enterprise", "c"],
        ["P4", "P5", "P8"],
    ),
    "Person.accounts": (
        f'query($first: Int, $after: String) {{ person(id: "P3") {{ '
        f"c: accounts(first: $first, after: $after) {{ {PAGE} }} }} }}",
        ["person", "c"],
        ["A3", "A4"],
    ),
}


def page(client: Client, name: str, first: int | None, after: str | None) -> dict[str, Any]:
    query, path, _ = CONNECTIONS[name]
    data: Any = client.data(query, {"first": first, "after": after})
    for step in path:
        data = data[step]
    return data


def walk(client: Client, name: str, first: int) -> tuple[list[str], list[str]]:
    """All ids and cursors, page by page; checks each page's pageInfo on the way."""
    ids: list[str] = []
    cursors: list[str] = []
    after = None
    total = len(CONNECTIONS[name][2])
    while True:
        answer = page(client, name, first, after)
        edges = answer["edges"]
        info = answer["pageInfo"]
        assert answer["totalCount"] == total
        assert 0 < len(edges) <= first
        assert info["hasPreviousPage"] is (after is not None)
        assert info["startCursor"] == edges[0]["cursor"]
        assert info["endCursor"] == edges[-1]["cursor"]
        ids += [edge["node"]["id"] for edge in edges]
        cursors += [edge["cursor"] for edge in edges]
        if not info["hasNextPage"]:
            return ids, cursors
        after = info["endCursor"]


@pytest.mark.parametrize("name", sorted(CONNECTIONS))
@pytest.mark.parametrize("first", [1, 2])
def test_walk_has_no_duplicates_or_gaps_and_stable_cursors(
    client: Client, name: str, first: int
) -> None:
    expected = CONNECTIONS[name][2]
    ids, cursors = walk(client, name, first)
    assert ids == expected
    assert len(set(cursors)) == len(cursors)
    assert walk(client, name, first) == (ids, cursors)
    whole = page(client, name, 1000, None)
    assert [edge["cursor"] for edge in whole["edges"]] == cursors


def test_after_the_end_cursor_of_page_one_comes_page_two(client: Client) -> None:
    first_page = page(client, "uncoveredEmployees", 2, None)
    assert [e["node"]["id"] for e in first_page["edges"]] == ["P4", "P5"]
    assert first_page["pageInfo"]["hasNextPage"] is True
    second = page(client, "uncoveredEmployees", 2, first_page["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in second["edges"]] == ["P6", "P8"]
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True


def test_cursors_are_base64_of_label_and_id(client: Client) -> None:
    edges = page(client, "uncoveredEmployees", 1, None)["edges"]
    assert base64.b64decode(edges[0]["cursor"]).decode() == "Person:P4"


def test_a_cursor_is_a_key_even_when_its_node_is_not_in_the_list(client: Client) -> None:
    # P7 is not among E2's uncovered employees; the page starts after its key.
    cursor = base64.b64encode(b"Person:P7").decode()
    answer = page(client, "uncoveredEmployees", 10, cursor)
    assert [e["node"]["id"] for e in answer["edges"]] == ["P8"]


def test_first_zero_counts_without_edges(client: Client) -> None:
    answer = page(client, "uncoveredEmployees", 0, None)
    assert answer["edges"] == []
    assert answer["totalCount"] == 4
    assert answer["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }


def test_default_page_size_comes_from_settings(serve: Callable[..., Client]) -> None:
    client = serve(default_page_size=3)
    answer = page(client, "uncoveredEmployees", None, None)
    assert len(answer["edges"]) == 3
    assert answer["pageInfo"]["hasNextPage"] is True


def cursor_of(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("name", sorted(CONNECTIONS))
def test_a_cursor_of_another_label_is_refused(client: Client, name: str) -> None:
    foreign = "Person:P1" if name == "Person.accounts" else "Enterprise:1"
    query, _, _ = CONNECTIONS[name]
    body = client.post(query, {"first": 10, "after": cursor_of(foreign)})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    label = foreign.partition(":")[0]
    assert f"invalid cursor {cursor_of(foreign)!r}: it is the cursor of {label}" in (
        error["message"]
    )
    assert "this connection lists" in error["message"]


@pytest.mark.parametrize("name", sorted(CONNECTIONS))
def test_a_cursor_with_an_empty_id_is_refused(client: Client, name: str) -> None:
    label = "Account" if name == "Person.accounts" else "Person"
    query, _, _ = CONNECTIONS[name]
    body = client.post(query, {"first": 10, "after": cursor_of(f"{label}:")})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == f"invalid cursor {cursor_of(label + ':')!r}: empty id"


def test_party_connections_take_person_and_enterprise_cursors(client: Client) -> None:
    query = (
        'query($after: String) { manager(id: "M2") { clients(after: $after) '
        "{ edges { node { ... on Person { id } ... on Enterprise { id } } } } } }"
    )
    for after in ("Enterprise:E9", "Person:P0"):  # keys sorted by (label, id): before P7
        data = client.data(query, {"after": cursor_of(after)})
        assert data["manager"]["clients"]["edges"] == [{"node": {"id": "P7"}}]
    assert client.error_codes(query, {"after": cursor_of("Account:A1")}) == ["BAD_USER_INPUT"]


def test_an_invalid_cursor_is_not_echoed_whole(client: Client) -> None:
    query, _, _ = CONNECTIONS[sorted(CONNECTIONS)[0]]
    body = client.post(query, {"first": 10, "after": "!" * 20_000})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == f"invalid cursor {'!' * 99 + chr(0x2026)!r}"
