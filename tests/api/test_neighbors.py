"""``neighbors``, the explorer's expand, over HTTP on every backend: a node's adjacent nodes
by label and id with the relationships joining them, paged by versioned cursors, on the root
field and on every node type, masked and costed like every read."""

from __future__ import annotations

import pytest

from graph_service.stores.embedded import EmbeddedStore
from tests.api.conftest import Client
from tests.api.test_query_cost import estimate
from tests.api.test_scope import MANAGER, STAFF, run

NEIGHBORS = """query($n: NodeRef!, $t: [RelationshipType!], $first: Int, $after: String) {
  neighbors(node: $n, relationshipTypes: $t, first: $first, after: $after) {
    totalCount
    edges { cursor node { label id name masked }
            relationships { type start { id } end { id } properties } }
    pageInfo { hasNextPage endCursor } } }"""
E1 = {"label": "ENTERPRISE", "id": "E1"}


@pytest.fixture(scope="module")
def client(backend_client: Client) -> Client:
    """These tests run against every backend (tests/api/conftest.py)."""
    return backend_client


def keys(answer: dict[str, object]) -> list[str]:
    return [e["node"]["id"] for e in answer["neighbors"]["edges"]]  # type: ignore[index]


def test_neighbours_by_label_then_id_with_their_relationships(client: Client) -> None:
    answer = client.data(NEIGHBORS, {"n": E1})
    assert answer["neighbors"]["totalCount"] == 6
    assert keys(answer) == ["E2", "M1", "P1", "P2", "P3", "P4"]
    dan = answer["neighbors"]["edges"][5]
    assert dan["node"] == {"label": "PERSON", "id": "P4", "name": "Dan", "masked": False}
    # Dan is joined twice: employed (an executive) and a 30 % shareholder, by type order.
    assert [(r["type"], r["start"]["id"], r["end"]["id"]) for r in dan["relationships"]] == [
        ("EMPLOYED_BY", "P4", "E1"), ("SHAREHOLDER_OF", "P4", "E1")]
    assert dan["relationships"][1]["properties"] == {"ratio": 0.3}
    # Only the types asked for; either direction (E1 holds shares of E2, Dan of E1).
    owners = client.data(NEIGHBORS, {"n": E1, "t": ["SHAREHOLDER_OF"]})
    assert keys(owners) == ["E2", "P4"]


def test_a_hub_is_read_a_page_at_a_time(client: Client) -> None:
    pages, after = [], None
    while True:
        page = client.data(NEIGHBORS, {"n": E1, "first": 4, "after": after})["neighbors"]
        pages.append([e["node"]["id"] for e in page["edges"]])
        assert page["totalCount"] == 6
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == [["E2", "M1", "P1", "P2"], ["P3", "P4"]]


def test_every_node_type_has_the_field(client: Client) -> None:
    query = """{ person(id: "P7") { neighbors { totalCount edges { node { id } } } }
      account(id: "A1") { neighbors(first: 1) { totalCount edges { node { id } } } }
      manager(id: "M2") { neighbors { edges { node { id } } } }
      enterprise(id: "E3") { neighbors { totalCount } } }"""
    answer = client.data(query)
    assert [e["node"]["id"] for e in answer["person"]["neighbors"]["edges"]] == ["M2", "P1"]
    assert answer["account"]["neighbors"]["totalCount"] == 2  # P1 owns it; it paid A2
    assert [e["node"]["id"] for e in answer["account"]["neighbors"]["edges"]] == ["A2"]
    assert [e["node"]["id"] for e in answer["manager"]["neighbors"]["edges"]] == ["P7"]
    assert answer["enterprise"]["neighbors"]["totalCount"] == 0


def test_coded_errors(client: Client) -> None:
    missing = {"n": {"label": "PERSON", "id": "P404"}}
    assert client.error_codes(NEIGHBORS, missing) == ["NOT_FOUND"]
    assert client.error_codes(NEIGHBORS, {"n": E1, "t": []}) == ["BAD_USER_INPUT"]
    other = client.data(
        """{ managerLeads(managerId: "M1", first: 1) { pageInfo { endCursor } } }""")
    cursor = other["managerLeads"]["pageInfo"]["endCursor"]
    assert client.error_codes(NEIGHBORS, {"n": E1, "after": cursor}) == ["BAD_USER_INPUT"]


def test_masked_outside_the_callers_scope(small_bank: EmbeddedStore) -> None:
    """M1's portfolio is E1, its staff P1-P4 and their accounts: E2's other executives and
    employee (P5, P6, P8) come back as their label and id only."""
    answer = run(small_bank, MANAGER, NEIGHBORS, {"n": {"label": "ENTERPRISE", "id": "E2"}})
    nodes = {e["node"]["id"]: e["node"] for e in answer["data"]["neighbors"]["edges"]}
    assert list(nodes) == ["E1", "P4", "P5", "P6", "P8"]
    assert nodes["P4"] == {"label": "PERSON", "id": "P4", "name": "Dan", "masked": False}
    for hidden in ("P5", "P6", "P8"):
        assert nodes[hidden] == {"label": "PERSON", "id": hidden, "name": None, "masked": True}
    assert "errors" not in answer
    assert run(small_bank, STAFF, NEIGHBORS, {"n": E1})["errors"][0]["code"] == "FORBIDDEN"


def test_costed_in_the_node_budget() -> None:
    """Base 100 (one node's relationships) plus ``first`` nodes; nested, multiplied."""
    assert estimate('{ neighbors(node: {label: PERSON, id: "P1"}, first: 10) '
                    "{ edges { node { id } } } }") == 100 + 10
    nested = ('{ enterprise(id: "E1") { employees(first: 5) { edges { node { '
              "neighbors(first: 20) { edges { node { id } } } } } } } }")
    assert estimate(nested) == 5 + 5 * (100 + 20)
