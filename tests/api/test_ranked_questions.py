"""coverageRollup, dormantAccounts, managerLeads, privateBankingProspects and crossSellRollup
over HTTP on every backend: answers on the small bank, paging by versioned cursors, coded
errors, the node budget and batching."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from graph_service.stores.embedded import EmbeddedStore
from tests.api.conftest import Client, CountingStore

LEADS = """query($m: ID!, $h: Int! = 2, $k: [LeadKind!], $first: Int, $after: String) {
  managerLeads(managerId: $m, maxHops: $h, kinds: $k, first: $first, after: $after) {
    totalCount edges { cursor hop kinds node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
ROLLUP = """query($g: RollupGroup!, $first: Int, $after: String) {
  coverageRollup(groupBy: $g, first: $first, after: $after) {
    totalCount edges { cursor key enterprises employees covered uncovered rate }
    pageInfo { hasNextPage endCursor } } }"""
PROSPECTS = """query($s: Float, $t: Float) {
  privateBankingProspects(minShareholding: $s, minTransferAmount: $t) {
    totalCount edges { node { id } signal { executive shareholding transferAmount } } } }"""
DORMANT = """query($e: ID!, $d: Int) { dormantAccounts(enterpriseId: $e, inactiveDays: $d) {
  totalCount edges { reason node { id } owners { ... on Person { id } } } } }"""


@pytest.fixture(scope="module")
def client(backend_client: Client) -> Client:
    """These tests run against every backend (tests/api/conftest.py)."""
    return backend_client


def lead_ids(data: dict[str, object]) -> list[str]:
    return [e["node"]["id"] for e in data["managerLeads"]["edges"]]  # type: ignore[index]


def test_manager_leads_by_hop_then_signal(client: Client) -> None:
    assert lead_ids(client.data(LEADS, {"m": "M1"})) == ["P4", "P2", "P5", "P8", "P6"]
    assert lead_ids(client.data(LEADS, {"m": "M1", "h": 1})) == ["P4", "P2"]
    # M2 manages Gina (P7, no kind), guaranteed by Alice (P1, covered); Acme's staff are
    # at hop 3.
    assert client.data(LEADS, {"m": "M2", "h": 2})["managerLeads"]["totalCount"] == 0
    assert lead_ids(client.data(LEADS, {"m": "M2", "h": 3})) == ["P4", "P2"]


def test_manager_leads_of_some_kinds(client: Client) -> None:
    found = client.data(LEADS, {"m": "M1", "k": ["EXECUTIVE_WITHOUT_PRIVATE_BANKING"]})
    edges = found["managerLeads"]["edges"]
    assert [e["node"]["id"] for e in edges] == ["P4", "P8"]
    # A lead lists all of its kinds, not only those asked for.
    assert edges[0]["kinds"] == ["UNCOVERED_EMPLOYEE", "EXECUTIVE_WITHOUT_PRIVATE_BANKING",
                                 "SHAREHOLDER_WITHOUT_PRIVATE_BANKING"]  # fmt: skip


def test_leads_page_by_versioned_cursors(client: Client) -> None:
    pages, after = [], None
    while True:
        page = client.data(LEADS, {"m": "M1", "first": 2, "after": after})["managerLeads"]
        pages.append([e["node"]["id"] for e in page["edges"]])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == [["P4", "P2"], ["P5", "P8"], ["P6"]]
    text = base64.b64decode(after).decode()
    assert text == 'v1:managerLeads:hop-signal-id:[2,-1,-0.0,-0.0,"P8"]'


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"m": "M1", "h": 4}, "maxHops must be between 0 and 3, got 4"),
        ({"m": "M1", "h": -1}, "maxHops must be between 0 and 3, got -1"),
        ({"m": "M1", "h": 99}, "maxHops must be between 0 and 3, got 99"),  # not priced first
        ({"m": "M1", "k": []}, "kinds must list at least one LeadKind"),
        ({"m": "M1", "after": "UGVyc29uOlAx"}, "in `after`: it is the cursor of Person 'P1'"),
    ],
)
def test_bad_lead_arguments_are_refused(client: Client, variables: dict[str, object],
                                        message: str) -> None:  # fmt: skip
    [error] = client.post(LEADS, variables)["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]


def test_a_cursor_of_another_ranked_connection_is_refused(client: Client) -> None:
    rollup = client.data(ROLLUP, {"g": "MANAGER", "first": 1})["coverageRollup"]
    [error] = client.post(LEADS, {"m": "M1", "after": rollup["pageInfo"]["endCursor"]})["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "cursor of coverageRollup ordered by key" in error["message"]


def test_unknown_subjects_are_not_found(client: Client) -> None:
    assert client.error_codes(LEADS, {"m": "nobody"}) == ["NOT_FOUND"]
    assert client.error_codes(DORMANT, {"e": "nobody"}) == ["NOT_FOUND"]
    assert client.error_codes(
        'query { crossSellRollup(enterpriseId: "P1") { employees } }'
    ) == ["NOT_FOUND"]


def test_coverage_rollup_by_manager_and_industry(client: Client) -> None:
    by_manager = client.data(ROLLUP, {"g": "MANAGER"})["coverageRollup"]["edges"]
    # M2 manages a person only: no enterprise, no group.
    assert [(g["key"], g["enterprises"], g["employees"], g["covered"]) for g in by_manager] == [
        ("M1", 1, 4, 2), (None, 2, 4, 0)
    ]
    by_industry = client.data(ROLLUP, {"g": "INDUSTRY"})["coverageRollup"]["edges"]
    assert [(g["key"], g["enterprises"], g["rate"]) for g in by_industry] == [
        ("manufacturing", 1, 0.5), (None, 2, 0.0)
    ]
    page = client.data(ROLLUP, {"g": "MANAGER", "first": 1})["coverageRollup"]
    rest = client.data(ROLLUP, {"g": "MANAGER", "after": page["pageInfo"]["endCursor"]})
    assert [g["key"] for g in rest["coverageRollup"]["edges"]] == [None]


def test_prospects_and_their_thresholds(client: Client) -> None:
    def ids(variables: dict[str, object]) -> list[str]:
        found = client.data(PROSPECTS, variables)["privateBankingProspects"]["edges"]
        return [e["node"]["id"] for e in found]

    assert ids({}) == ["P4", "P8"]
    assert ids({"s": 0.1}) == ["P4"]
    assert ids({"t": 1.0}) == []
    [error] = client.post(PROSPECTS, {"s": 1.5})["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "minShareholding must be between 0 and 1" in error["message"]


def test_dormant_accounts_of_an_enterprise_without_any(client: Client) -> None:
    assert client.data(DORMANT, {"e": "E1"}) == {"dormantAccounts": {"totalCount": 0,
                                                                     "edges": []}}  # fmt: skip


def test_inactive_days_is_checked(client: Client) -> None:
    # The small bank holds no lastActivityAt: no account is INACTIVE, A6 is listed by status.
    found = client.data(DORMANT, {"e": "E2", "d": 365})["dormantAccounts"]["edges"]
    assert [(e["node"]["id"], e["reason"]) for e in found] == [("A6", "STATUS_DORMANT")]
    for days in (0, 36_501):
        [error] = client.post(DORMANT, {"e": "E2", "d": days})["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"] == f"inactiveDays must be between 1 and 36500, got {days}"


def test_the_node_budget_prices_book_scans(client: Client) -> None:
    six = " ".join(f"r{i}: coverageRollup(groupBy: BRANCH, first: 0) {{ totalCount }}"
                   for i in range(6))  # fmt: skip
    assert client.error_codes(f"query {{ {six} }}") == ["QUERY_TOO_COMPLEX"]
    five = client.data(f"query {{ {six[: six.index(' r5:')]} }}")
    assert [five[f"r{i}"]["totalCount"] for i in range(5)] == [2] * 5


def test_rollups_of_many_enterprises_are_read_at_once(
    serve: Callable[..., Client], small_bank: EmbeddedStore
) -> None:
    store = CountingStore(small_bank)
    client = serve(store=store)
    data = client.data("""query {
      a: crossSellRollup(enterpriseId: "E1") { employees productsPerEmployee }
      b: crossSellRollup(enterpriseId: "E2") { employees }
      c: crossSellRollup(enterpriseId: "E3") { employees productsPerEmployee } }""")
    assert data == {"a": {"employees": 4, "productsPerEmployee": 0.75}, "b": {"employees": 4},
                    "c": {"employees": 0, "productsPerEmployee": None}}
    # For the three enterprises at once: one staff read, then the holdings' three reads
    # (accounts, loan applications, sign-ins).
    assert store.calls["neighbors"] == 4
