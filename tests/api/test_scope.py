"""Roles and row-level scope: what each role reads of the small bank, on every store.

The small bank (tests/conftest.py): M1 manages E1, whose staff are P1-P4 (P4 also its
shareholder), who own A1-A4; so M1's portfolio is E1, P1-P4, A1-A4. M2 manages P7, who owns
nothing. Everything else (E2, E3, P5, P6, P8, A5, A6) is outside M1's portfolio. Each test
runs on the embedded store and on FalkorDB (the ``bank`` fixture): the same answers prove
the same rule on both.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from strawberry.types import get_object_definition

from graph_service.access import MaskedNode, Scope, mask, portfolio
from graph_service.api.context import make_context
from graph_service.api.fast_path import schema_for
from graph_service.api.mutations import Mutation
from graph_service.api.permissions import RolePermission
from graph_service.api.schema import Query
from graph_service.audit import AuditTrail, new_record
from graph_service.auth.caller import Caller, Role
from graph_service.config import Settings
from graph_service.model import PERSONAL_FIELDS, PERSONAL_RELATIONSHIP_FIELDS
from graph_service.records import GraphBatch, NodeRow, RelationshipRow
from graph_service.stores.base import GraphStore, Node
from tests.api.conftest import CountingStore

M1_PORTFOLIO = {("Enterprise", "E1"), *(("Person", f"P{i}") for i in range(1, 5)),
                *(("Account", f"A{i}") for i in range(1, 5))}  # fmt: skip

ADMIN = Caller("root", Role.ADMIN)
ANALYST = Caller("ann", Role.ANALYST)
APP = Caller("crm", Role.APP)
STAFF = Caller("sam", Role.STAFF)
MANAGER = Caller("mona", Role.MANAGER, manager_id="M1")


def run(store: GraphStore, caller: Caller | None, query: str,
        variables: dict[str, Any] | None = None, settings: Settings | None = None
        ) -> dict[str, Any]:
    """Execute ``query`` in-process as ``caller``; the JSON answer (data and coded errors)."""
    settings = settings or Settings()

    async def execute() -> Any:
        return await schema_for(settings).execute(
            query, variable_values=variables,
            context_value=make_context(store, settings, caller=caller),
        )

    result = asyncio.run(execute())
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [{"path": e.path, "code": (e.extensions or {}).get("code")}
                            for e in result.errors]
    return answer


def codes(answer: dict[str, Any]) -> list[str]:
    return [error["code"] for error in answer.get("errors", [])]


def test_a_managers_portfolio_is_the_same_on_every_store(bank: GraphStore) -> None:
    assert asyncio.run(portfolio(bank, "M1")) == M1_PORTFOLIO
    assert asyncio.run(portfolio(bank, "M2")) == {("Person", "P7")}
    assert asyncio.run(portfolio(bank, "nobody")) == frozenset()


def test_the_positions_seen_are_those_of_the_keys_each_role_sees(bank: GraphStore) -> None:
    keys = [(label, node_id) for label in ("Person", "Enterprise", "Account", "Manager",
                                           "Referral", "Contact")
            for node_id in ("P1", "P3", "P7", "E1", "E2", "A1", "M1", "nobody")]  # fmt: skip
    callers = [None, *(Caller("x", role) for role in Role if role is not Role.MANAGER),
               Caller("m", Role.MANAGER, "M1"), Caller("m", Role.MANAGER, "M2")]
    for caller in callers:
        scope = asyncio.run(Scope.of(caller, bank))
        expected = [i for i, key in enumerate(keys) if scope.sees(key)]
        assert scope.seen(iter(keys)) == expected, caller
        assert 0 < len(expected) <= len(keys)


PERSON = """query($id: ID!) { person(id: $id) {
  id masked name segment blocked productsHeld
  accounts { edges { node { id masked type balance } } }
  employers { edges { role node { id masked name industry } } }
  managers { edges { node { id masked name } } }
} }"""


def test_a_manager_reads_their_portfolio_and_only_ids_outside(bank: GraphStore) -> None:
    inside = run(bank, MANAGER, PERSON, {"id": "P3"})["data"]["person"]
    assert inside == {
        "id": "P3", "masked": False, "name": "Carol", "segment": "affluent", "blocked": False,
        "productsHeld": 2,
        "accounts": {"edges": [
            {"node": {"id": "A3", "masked": False, "type": "trust account",
                      "balance": 2_500_000.0}},
            {"node": {"id": "A4", "masked": False, "type": "debit card", "balance": None}},
        ]},
        "employers": {"edges": [{"role": "executive", "node": {
            "id": "E1", "masked": False, "name": "Acme Ltd", "industry": "manufacturing"}}]},
        "managers": {"edges": []},
    }
    outside = run(bank, MANAGER, PERSON, {"id": "P6"})["data"]["person"]
    assert outside == {
        "id": "P6", "masked": True, "name": None, "segment": None, "blocked": False,
        "productsHeld": None,
        "accounts": {"edges": [
            # The account's type would tell the products P6 holds: masked like productsHeld.
            {"node": {"id": "A5", "masked": True, "type": None, "balance": None}}]},
        "employers": {"edges": [{"role": "employee", "node": {
            "id": "E2", "masked": True, "name": None, "industry": None}}]},
        "managers": {"edges": []},
    }
    # Manager nodes (bank staff) are never masked.
    gina = run(bank, MANAGER, PERSON, {"id": "P7"})["data"]["person"]
    assert gina["masked"] is True and gina["name"] is None
    assert gina["managers"] == {"edges": [
        {"node": {"id": "M2", "masked": False, "name": "Rex Retail"}}]}


@pytest.mark.parametrize("selection", [
    "id name masked",
    "id ...Named",
    "id ... on Person { name masked }",
])
def test_a_list_asked_for_ids_alone_reads_no_node_and_any_other_field_reads_them_masked(
    bank: GraphStore, selection: str,
) -> None:
    # The ids-only page skips the node read (types._asks_ids_only); a field asked directly,
    # in a fragment or an inline fragment reads the page's nodes, masked for an analyst.
    template = """query { uncoveredEmployees(enterpriseId: "E2") {
      totalCount edges { node { %s } } } } fragment Named on Person { name masked }"""
    store = CountingStore(bank)
    ids_only = run(store, ANALYST, template.replace("fragment Named on Person { name masked }", "")
                   % "id __typename")  # fmt: skip
    assert store.calls["get_nodes"] == 1  # the enterprise asked about, not the page
    assert ids_only["data"]["uncoveredEmployees"] == {"totalCount": 4, "edges": [
        {"node": {"id": p, "__typename": "Person"}} for p in ("P4", "P5", "P6", "P8")]}
    store.reset()
    query = template % selection if "Named" in selection else template.replace(
        "fragment Named on Person { name masked }", "") % selection
    full = run(store, ANALYST, query)
    assert store.calls["get_nodes"] == 2
    assert [edge["node"] for edge in full["data"]["uncoveredEmployees"]["edges"]] == [
        {"id": p, "name": None, "masked": True} for p in ("P4", "P5", "P6", "P8")]


def test_a_list_question_about_an_enterprise_outside_the_portfolio_is_forbidden(
    bank: GraphStore,
) -> None:
    query = """query($id: ID!) {
      uncoveredEmployees(enterpriseId: $id) { totalCount edges { node { id name } } }
    }"""
    inside = run(bank, MANAGER, query, {"id": "E1"})
    assert inside["data"]["uncoveredEmployees"]["edges"] == [
        {"node": {"id": "P2", "name": "Bob"}}, {"node": {"id": "P4", "name": "Dan"}}]
    outside = run(bank, MANAGER, query, {"id": "E2"})
    assert outside["data"] is None and codes(outside) == ["FORBIDDEN"]
    executives = run(bank, MANAGER, """query($id: ID!) {
      executivesWithoutPrivateBanking(enterpriseId: $id) { totalCount } }""", {"id": "E2"})
    assert codes(executives) == ["FORBIDDEN"]
    # An enterprise that does not exist is outside every portfolio: FORBIDDEN, not NOT_FOUND.
    assert codes(run(bank, MANAGER, query, {"id": "nope"})) == ["FORBIDDEN"]
    # A person's own data (crossSellGaps) outside the scope is forbidden too.
    gaps = "query($id: ID!) { crossSellGaps(personId: $id) { held } }"
    assert run(bank, MANAGER, gaps, {"id": "P3"})["data"] == {
        "crossSellGaps": {"held": ["debit card", "trust account"]}}
    assert codes(run(bank, MANAGER, gaps, {"id": "P5"})) == ["FORBIDDEN"]
    assert codes(run(bank, ANALYST, gaps, {"id": "P3"})) == ["FORBIDDEN"]


def test_aggregates_stay_visible_and_the_whole_book_is_masked_outside(bank: GraphStore) -> None:
    coverage = run(bank, MANAGER, """{ payrollCoverage(enterpriseId: "E2") {
      employees covered rate enterprise { id masked name } } }""")
    assert coverage["data"]["payrollCoverage"] == {
        "employees": 4, "covered": 0, "rate": 0.0,
        "enterprise": {"id": "E2", "masked": True, "name": None}}
    book = run(bank, MANAGER, """{ executivesWithoutPrivateBanking {
      totalCount edges { node { id masked name } } } }""")
    assert book["data"]["executivesWithoutPrivateBanking"] == {"totalCount": 2, "edges": [
        {"node": {"id": "P4", "masked": False, "name": "Dan"}},
        {"node": {"id": "P8", "masked": True, "name": None}}]}


PRODUCTS = """query($e: ID!, $p: [String!]) {
  payrollCoverage(enterpriseId: $e, productTypes: $p) { covered }
  enterprise(id: $e) { payrollCoverage(productTypes: $p) { covered } } }"""
NESTED = """query($e: ID!, $p: [String!]) {
  enterprise(id: $e) { payrollCoverage(productTypes: $p) { covered } } }"""
ROOT = """query($e: ID!, $p: [String!]) {
  payrollCoverage(enterpriseId: $e, productTypes: $p) { covered } }"""
UNCOVERED = """query($e: ID!, $p: [String!]) {
  uncoveredEmployees(enterpriseId: $e, productTypes: $p) { totalCount edges { node { id } } } }"""


def messages(store: GraphStore, caller: Caller, query: str, variables: dict[str, Any]
             ) -> list[str]:
    """The messages of the errors ``query`` answers ``caller``."""
    result = asyncio.run(schema_for(Settings()).execute(
        query, variable_values=variables, context_value=make_context(store, Settings(),
                                                                     caller=caller)))  # fmt: skip
    return [e.message for e in result.errors or []]


@pytest.mark.parametrize("caller", [ANALYST, APP, MANAGER])
def test_product_types_that_tell_who_holds_what_are_for_those_who_see_the_people(
    bank: GraphStore, caller: Caller
) -> None:
    # E2 is outside M1's portfolio; analysts and applications see no person at all.
    asked = {"e": "E2", "p": ["savings account"]}
    said = []
    for query, path in ((ROOT, ["payrollCoverage"]),
                        (NESTED, ["enterprise", "payrollCoverage"]),
                        (UNCOVERED, ["uncoveredEmployees"])):  # fmt: skip
        assert run(bank, caller, query, asked)["errors"] == [{"path": path, "code": "FORBIDDEN"}]
        said += messages(bank, caller, query, asked)
    assert len(said) == 3
    assert all("productTypes tells which products the people of its subject hold" in m
               for m in said), said  # fmt: skip
    # Without productTypes the payroll products are counted, as before.
    plain = run(bank, caller, PRODUCTS, {"e": "E2"})
    assert codes(plain) == []
    assert plain["data"]["payrollCoverage"] == plain["data"]["enterprise"]["payrollCoverage"]


def test_product_types_are_answered_to_a_manager_within_the_portfolio_and_to_admins(
    bank: GraphStore,
) -> None:
    for caller, enterprise in ((MANAGER, "E1"), (ADMIN, "E1"), (ADMIN, "E2")):
        asked = {"e": enterprise, "p": ["savings account"]}
        answer = run(bank, caller, PRODUCTS, asked)
        assert codes(answer) == [], (caller, enterprise)
        assert answer["data"]["payrollCoverage"] == answer["data"]["enterprise"][
            "payrollCoverage"]
        assert codes(run(bank, caller, UNCOVERED, asked)) == []


def test_loans_are_masked_for_analysts_and_applications(bank: GraphStore) -> None:
    asyncio.run(bank.write(GraphBatch(nodes=[
        NodeRow("Loan", "L1", {"loanAmount": 5000.0, "balance": 1200.0}, "loans", 0),
    ], relationships=[
        RelationshipRow("APPLIED_FOR", ("Person", "P5"), ("Loan", "L1"), {}, "loans", 0),
    ], files=["loans"])))  # fmt: skip
    query = """{ neighbors(node: {label: PERSON, id: "P5"}, relationshipTypes: [APPLIED_FOR]) {
      edges { node { label id masked properties } } } }"""

    def loan(caller: Caller) -> dict[str, Any]:
        [edge] = run(bank, caller, query)["data"]["neighbors"]["edges"]
        return edge["node"]  # type: ignore[no-any-return]

    for caller in (ANALYST, APP, MANAGER):  # P5 is outside M1's portfolio
        assert loan(caller) == {"label": "LOAN", "id": "L1", "masked": True, "properties": {}}
    shown = loan(ADMIN)
    assert shown["masked"] is False
    assert shown["properties"] == {"loanAmount": 5000.0, "balance": 1200.0}


LEADS = """query($id: ID!) { managerLeads(managerId: $id, maxHops: 2, first: 10) {
  edges { hop kinds signal { transferAmount } node { id masked name }
          path { nodes { id masked } } } } }"""


def test_manager_leads_outside_the_portfolio_come_back_masked(bank: GraphStore) -> None:
    answer = run(bank, MANAGER, LEADS, {"id": "M1"})
    assert codes(answer) == []
    edges = answer["data"]["managerLeads"]["edges"]
    assert [(e["node"]["id"], e["node"]["masked"], e["node"]["name"]) for e in edges] == [
        ("P4", False, "Dan"), ("P2", False, "Bob"), ("P5", True, None), ("P6", True, None),
        ("P8", True, None)]  # fmt: skip
    # Why a masked person is a lead (the products they lack, their transfers) is theirs too.
    assert [(e["kinds"] is None, e["signal"] is None) for e in edges] == [
        (False, False), (False, False), (True, True), (True, True), (True, True)]
    # Their paths go through the nodes outside as label and id, as linkagePaths do.
    assert edges[2]["path"]["nodes"] == [{"id": "E1", "masked": False},
                                         {"id": "E2", "masked": True},
                                         {"id": "P5", "masked": True}]  # fmt: skip
    # Another manager's leads are not this manager's to read; an analyst reads any
    # manager's, every person masked.
    other = run(bank, MANAGER, LEADS, {"id": "M2"})
    assert other["data"] is None and codes(other) == ["FORBIDDEN"]
    analyst = run(bank, ANALYST, LEADS, {"id": "M1"})
    assert [(e["node"]["id"], e["node"]["masked"])
            for e in analyst["data"]["managerLeads"]["edges"]] == [
        ("P2", True), ("P4", True), ("P5", True), ("P6", True), ("P8", True)]  # fmt: skip


RANKED_CURSORS = """{ managerLeads(managerId: "M1", maxHops: 2) {
    edges { cursor hop node { id masked } } }
  privateBankingProspects { edges { cursor node { id masked } } } }"""


@pytest.mark.parametrize("caller", [MANAGER, ANALYST, APP], ids=lambda c: c.role.value)
def test_masked_leads_are_placed_and_cursored_by_hop_and_id_alone(
    bank: GraphStore, caller: Caller
) -> None:
    """Neither a masked lead's cursor nor its place tells anything of its signal.

    At hop 2 of M1's leads, P5 and P8 are executives of E2 and P6 is not; P6, neither an
    executive nor a shareholder, can only be an uncovered employee (no payroll product). A
    cursor holding ``-executive``, or P6 placed after P5 and P8, would tell it.
    """
    answer = run(bank, caller, RANKED_CURSORS)
    assert codes(answer) == []
    for field, before in (("managerLeads", 1), ("privateBankingProspects", 0)):
        edges = answer["data"][field]["edges"]
        keys = [json.loads(base64.b64decode(e["cursor"]).decode().split(":", 3)[3])
                for e in edges]  # fmt: skip
        masked = [(key[:before], key[-1]) for e, key in zip(edges, keys, strict=True)
                  if e["node"]["masked"]]  # fmt: skip
        assert masked, field
        # Each masked edge's key: its hop and id, a constant in place of the signal.
        assert all(key[before:-1] == [1, 0.0, 0.0]
                   for e, key in zip(edges, keys, strict=True) if e["node"]["masked"])
        # In each hop, the masked ones after every unmasked one, by id alone.
        flags = [(key[:before], e["node"]["masked"]) for e, key in zip(edges, keys, strict=True)]
        assert flags == sorted(flags), field
        assert masked == sorted(masked), field
    leads = [(e["hop"], e["node"]["id"]) for e in answer["data"]["managerLeads"]["edges"]]
    assert leads[-3:] == [(2, "P5"), (2, "P6"), (2, "P8")]


PROSPECTS = """query($t: Float, $k: [LeadKind!]) {
  privateBankingProspects(minTransferAmount: $t) { edges { cursor kinds signal { transferAmount }
                                                           node { id masked } } }
  managerLeads(managerId: "M1", kinds: $k) { edges { cursor signal { transferAmount }
                                                     node { id masked } } } }"""


def test_a_masked_persons_transfers_are_told_neither_by_prospects_nor_by_leads(
    bank: GraphStore,
) -> None:  # fmt: skip
    # P8 (an executive of E2, outside M1's portfolio) receives 12,345.67 on A6 from A5.
    asyncio.run(bank.write(GraphBatch(nodes=[], relationships=[
        RelationshipRow("TRANSFERRED_TO", ("Account", "A5"), ("Account", "A6"),
                        {"count": 1, "totalAmount": 12345.67}, "moved", 0),
    ], files=["moved"])))  # fmt: skip

    def edges(caller: Caller, variables: dict[str, Any]) -> dict[str, list[Any]]:
        answer = run(bank, caller, PROSPECTS, variables)
        assert codes(answer) == []
        return {field: answer["data"][field]["edges"] for field in answer["data"]}

    admin = edges(ADMIN, {"t": 10_000})["privateBankingProspects"]
    assert [(e["node"]["id"], e["signal"]["transferAmount"]) for e in admin] == [
        ("P8", 12345.67)]
    for caller in (MANAGER, ANALYST):
        found = edges(caller, {})
        p8 = [e for field in found.values() for e in field if e["node"]["id"] == "P8"]
        assert len(p8) == 2 and all(e["node"]["masked"] for e in p8)
        # Neither the answer nor the cursor (which holds the sort key) carries the amount.
        assert all(e["signal"] is None for e in p8)
        assert all("12345" not in base64.b64decode(e["cursor"]).decode() for e in p8)
        # Filtered by the amount, or leads chosen by their kinds: only unmasked people.
        filtered = edges(caller, {"t": 10_000, "k": ["EXECUTIVE_WITHOUT_PRIVATE_BANKING"]})
        assert not [e for field in filtered.values() for e in field if e["node"]["masked"]]


def test_rollups_are_aggregates_and_dormant_accounts_stay_in_the_portfolio(
    bank: GraphStore,
) -> None:
    rollups = """{ coverageRollup(groupBy: MANAGER) { edges { key employees covered } }
      crossSellRollup(enterpriseId: "E2") { employees productsPerEmployee } }"""
    assert run(bank, MANAGER, rollups) == run(bank, ADMIN, rollups)
    assert codes(run(bank, MANAGER, rollups)) == []
    dormant = """query($id: ID!) { dormantAccounts(enterpriseId: $id) {
      edges { node { id masked } } } }"""
    assert codes(run(bank, MANAGER, dormant, {"id": "E1"})) == []
    assert codes(run(bank, MANAGER, dormant, {"id": "E2"})) == ["FORBIDDEN"]
    prospects = run(bank, MANAGER, """{ privateBankingProspects(first: 10) {
      edges { node { id masked name } } } }""")
    assert prospects["data"]["privateBankingProspects"]["edges"] == [
        {"node": {"id": "P4", "masked": False, "name": "Dan"}},
        {"node": {"id": "P8", "masked": True, "name": None}}]


def test_dormant_accounts_leave_out_the_accounts_masked_for_the_caller(
    bank: GraphStore,
) -> None:
    """A6 (P8's, dormant) listed, or its reason, would tell its status to whoever sees it
    masked; with inactiveDays, its last activity to the day."""
    dormant = """{ dormantAccounts(enterpriseId: "E2", inactiveDays: 1) {
      totalCount edges { reason node { id masked } } } }"""
    assert run(bank, ADMIN, dormant)["data"]["dormantAccounts"] == {"totalCount": 1, "edges": [
        {"reason": "STATUS_DORMANT", "node": {"id": "A6", "masked": False}}]}
    for caller in (ANALYST, APP):
        assert run(bank, caller, dormant) == {
            "data": {"dormantAccounts": {"totalCount": 0, "edges": []}}}


def test_paths_and_networks_show_nodes_outside_as_label_and_id(bank: GraphStore) -> None:
    paths = run(bank, MANAGER, """{ linkagePaths(from: {label: PERSON, id: "P1"},
      to: {label: PERSON, id: "P5"}, maxHops: 4, limit: 1) {
      nodes { label id masked name properties } } }""")
    assert paths["data"]["linkagePaths"] == [{"nodes": [
        {"label": "PERSON", "id": "P1", "masked": False, "name": "Alice",
         "properties": {"name": "Alice", "segment": "mass", "blocked": False}},
        {"label": "ENTERPRISE", "id": "E1", "masked": False, "name": "Acme Ltd",
         "properties": {"name": "Acme Ltd", "industry": "manufacturing", "blocked": False}},
        {"label": "ENTERPRISE", "id": "E2", "masked": True, "name": None,
         "properties": {"blocked": False}},
        {"label": "PERSON", "id": "P5", "masked": True, "name": None,
         "properties": {"blocked": False}},
    ]}]
    network = run(bank, MANAGER, """{ clientNetwork(node: {label: ENTERPRISE, id: "E2"},
      depth: 1) { nodes { id masked name } } }""")
    assert network["data"]["clientNetwork"]["nodes"] == [
        {"id": "E2", "masked": True, "name": None},
        {"id": "E1", "masked": False, "name": "Acme Ltd"},
        *({"id": f"P{i}", "masked": i != 4, "name": "Dan" if i == 4 else None}
          for i in (4, 5, 6, 8)),
    ]


def test_analysts_and_applications_see_every_node_but_persons_and_accounts(
    bank: GraphStore,
) -> None:
    query = """{ enterprise(id: "E1") { masked name
      employees(first: 1) { edges { node { masked name segment } } }
      managers { edges { node { masked name } } } }
      account(id: "A3") { masked type balance } }"""
    for caller in (ANALYST, APP):
        assert run(bank, caller, query)["data"] == {
            "enterprise": {"masked": False, "name": "Acme Ltd",
                           "employees": {"edges": [
                               {"node": {"masked": True, "name": None, "segment": None}}]},
                           "managers": {"edges": [
                               {"node": {"masked": False, "name": "Mona Corporate"}}]}},
            "account": {"masked": True, "type": None, "balance": None},
        }
    admin = run(bank, ADMIN, query)["data"]
    assert admin["account"] == {"masked": False, "type": "trust account", "balance": 2_500_000.0}
    assert run(bank, None, query)["data"] == admin  # in-process, no caller: unrestricted


def test_staff_may_not_read_the_graph(bank: GraphStore) -> None:
    for field, args in [("enterprise", '(id: "E1")'), ("person", '(id: "P1")'),
                        ("account", '(id: "A1")'), ("manager", '(id: "M1")')]:
        answer = run(bank, STAFF, f"{{ {field}{args} {{ id }} }}")
        assert answer == {"data": {field: None},
                          "errors": [{"path": [field], "code": "FORBIDDEN"}]}
    answer = run(bank, STAFF, '{ payrollCoverage(enterpriseId: "E1") { rate } }')
    assert answer == {"data": None, "errors": [{"path": ["payrollCoverage"],
                                                "code": "FORBIDDEN"}]}


def test_every_root_field_declares_who_may_call_it() -> None:
    # A field added later (by hand, through the question registry, or a mutation) must say
    # it too.
    queries = get_object_definition(Query, strict=True).fields
    mutations = get_object_definition(Mutation, strict=True).fields
    assert len(queries) >= 11 and len(mutations) == 5
    for field in [*queries, *mutations]:
        assert any(issubclass(p, RolePermission) for p in field.permission_classes), field.name
    roles = {field.python_name: {p.roles for p in field.permission_classes}
             for field in mutations}  # fmt: skip
    admin, manager, staff = Role.ADMIN, Role.MANAGER, Role.STAFF
    assert roles == {"create_referral": {frozenset({admin, manager, staff})},
                     "update_referral": {frozenset({admin, manager})},
                     "log_contact": {frozenset({admin, manager})},
                     "assign_client": {frozenset({admin})},
                     "unassign_client": {frozenset({admin})}}  # fmt: skip


def test_personal_fields_are_nullable_and_every_node_type_has_masked() -> None:
    from graph_service.api.extensions import type_schema
    from graph_service.api.schema import schema

    published = type_schema(schema)
    for label, names in PERSONAL_FIELDS.items():
        node_type = published.get_type(label)
        if label == "Loan":  # no object type yet: only a GraphNode, its properties masked
            assert node_type is None
            continue
        assert node_type is not None and "masked" in node_type.fields  # type: ignore[union-attr]
        for name in names:
            assert str(node_type.fields[name].type)[-1] != "!", (label, name)  # type: ignore
    assert str(published.get_type("Manager").fields["masked"].type) == "Boolean!"  # type: ignore
    assert str(published.get_type("GraphNode").fields["masked"].type) == "Boolean!"  # type: ignore


def test_extra_properties_are_personal(tmp_path: Path) -> None:
    node = Node("Person", "P1", {"name": "Alice", "blocked": True, "national_id": "X-1"})
    masked = mask(node)
    assert isinstance(masked, MaskedNode) and masked.props == {"blocked": True}
    assert mask(Node("Manager", "M1", {"name": "Mona", "desk": "7"})).props == {
        "name": "Mona", "desk": "7"}
    scope = Scope(MANAGER, frozenset({("Person", "P1")}))
    assert scope.view(node) is node and scope.view(Node("Person", "P2", {})).key == ("Person",
                                                                                   "P2")


def test_extra_columns_come_back_only_unmasked(bank: GraphStore) -> None:
    asyncio.run(bank.write(GraphBatch(nodes=[
        NodeRow("Person", "P1", {"iban": "DE00 1234"}, "extra", 0),
        NodeRow("Person", "P5", {"iban": "DE00 5678"}, "extra", 0),
    ], relationships=[], files=["extra"])))
    query = """{ linkagePaths(from: {label: PERSON, id: "P1"}, to: {label: PERSON, id: "P5"},
      maxHops: 4, limit: 1) { nodes { id properties } } }"""
    nodes = {n["id"]: n["properties"]
             for n in run(bank, MANAGER, query)["data"]["linkagePaths"][0]["nodes"]}
    assert nodes["P1"]["iban"] == "DE00 1234"
    assert "iban" not in nodes["P5"]
    assert run(bank, ADMIN, query)["data"]["linkagePaths"][0]["nodes"][-1]["properties"][
        "iban"] == "DE00 5678"
    # A relationship's extra properties too, when one of its ends is masked (P7 is outside).
    asyncio.run(bank.write(GraphBatch(nodes=[], relationships=[
        RelationshipRow("GUARANTEES", ("Person", "P1"), ("Person", "P7"), {"note": "x"},
                        "extra", 0)], files=["extra"])))
    network = """{ clientNetwork(node: {label: PERSON, id: "P1"}, depth: 1,
      relationshipTypes: [GUARANTEES]) { relationships { end { id } properties } } }"""
    assert run(bank, MANAGER, network)["data"]["clientNetwork"]["relationships"] == [
        {"end": {"id": "P7"}, "properties": {}}]
    assert run(bank, ADMIN, network)["data"]["clientNetwork"]["relationships"] == [
        {"end": {"id": "P7"}, "properties": {"note": "x"}}]


def test_money_moved_is_hidden_when_an_end_is_masked(bank: GraphStore) -> None:
    # A1 (Alice's, inside M1's portfolio) also paid A5 (Frank's, outside); A5 withdrew to A1.
    asyncio.run(bank.write(GraphBatch(nodes=[], relationships=[
        RelationshipRow("TRANSFERRED_TO", ("Account", "A1"), ("Account", "A5"),
                        {"count": 1, "totalAmount": 75.5, "lastAt": "2021-01-01T00:00:00"},
                        "moved", 0),
        RelationshipRow("WITHDREW_TO", ("Account", "A5"), ("Account", "A1"),
                        {"count": 3, "totalAmount": 20.0}, "moved", 0),
    ], files=["moved"])))  # fmt: skip
    transfers = """{ a1: account(id: "A1") { transfersOut { edges {
        count totalAmount node { id masked } } } }
      a5: account(id: "A5") { transfersIn { edges { count totalAmount node { id } } } } }"""

    def moved(caller: Caller) -> tuple[list[Any], list[Any]]:
        data = run(bank, caller, transfers)["data"]
        return ([(e["node"]["id"], e["count"], e["totalAmount"])
                 for e in data["a1"]["transfersOut"]["edges"]],
                [(e["node"]["id"], e["count"], e["totalAmount"])
                 for e in data["a5"]["transfersIn"]["edges"]])  # fmt: skip

    # Inside the portfolio both ways (A1 -> A2) the amounts show; to or from A5, they do not.
    assert moved(MANAGER) == ([("A2", 2, 300.0), ("A5", None, None)], [("A1", None, None)])
    assert moved(ADMIN) == ([("A2", 2, 300.0), ("A5", 1, 75.5)], [("A1", 1, 75.5)])
    # Every account is masked for an analyst: no amount at all.
    assert moved(ANALYST) == ([("A2", None, None), ("A5", None, None)], [("A1", None, None)])
    network = """{ clientNetwork(node: {label: ACCOUNT, id: "A1"}, depth: 1,
      relationshipTypes: [TRANSFERRED_TO, WITHDREW_TO]) {
        relationships { type start { id } end { id } properties } } }"""
    found = run(bank, MANAGER, network)["data"]["clientNetwork"]["relationships"]
    assert sorted((r["type"], r["start"]["id"], r["end"]["id"], r["properties"]) for r in found
                  ) == [("TRANSFERRED_TO", "A1", "A2", {"count": 2, "totalAmount": 300.0}),
                        ("TRANSFERRED_TO", "A1", "A5", {}), ("WITHDREW_TO", "A5", "A1", {})]
    found = run(bank, ADMIN, network)["data"]["clientNetwork"]["relationships"]
    assert {"count": 3, "totalAmount": 20.0} in [r["properties"] for r in found]
    # The published edge fields of a personal relationship property are nullable.
    from graph_service.api.extensions import type_schema
    from graph_service.api.schema import schema

    edge = type_schema(schema).get_type("TransferEdge")
    for name in PERSONAL_RELATIONSHIP_FIELDS["TRANSFERRED_TO"] & set(edge.fields):  # type: ignore
        assert str(edge.fields[name].type)[-1] != "!", name  # type: ignore[union-attr]


AUDIT = """query($s: String, $n: ID, $l: Int) { auditRecords(subject: $s, node: $n, last: $l) {
  subject role operation rootFields nodeIds outcome } }"""


def test_the_audit_trail_is_for_admins_only(small_bank: GraphStore, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    trail = AuditTrail(settings.audit_path, settings.audit_max_bytes)
    for subject in ("ann", "bob", "ann"):
        trail.write(new_record(Caller(subject, Role.ANALYST), 0.0, operation="Q",
                               operation_type="query", fields=["person"],
                               data={"person": {"id": "P1"}}))
    trail.close()
    answer = run(small_bank, ADMIN, AUDIT, {"s": "ann"}, settings)
    assert answer["data"]["auditRecords"] == [
        {"subject": "ann", "role": "analyst", "operation": "Q", "rootFields": ["person"],
         "nodeIds": ["P1"], "outcome": "ok"}] * 2
    assert len(run(small_bank, ADMIN, AUDIT, {"l": 1}, settings)["data"]["auditRecords"]) == 1
    assert run(small_bank, ADMIN, AUDIT, {"n": "P9"}, settings)["data"]["auditRecords"] == []
    assert codes(run(small_bank, ADMIN, AUDIT, {"l": 1001}, settings)) == ["BAD_USER_INPUT"]
    for caller in (ANALYST, APP, STAFF, MANAGER):
        refused = run(small_bank, caller, AUDIT, {}, settings)
        assert refused == {"data": None,
                           "errors": [{"path": ["auditRecords"], "code": "FORBIDDEN"}]}
    since = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    later = run(small_bank, ADMIN, "query($t: DateTime) { auditRecords(since: $t) { time } }",
                {"t": since}, settings)
    assert later["data"] == {"auditRecords": []}
    # No trail yet: no record, no error.
    empty = Settings(data_dir=tmp_path / "none")
    assert run(small_bank, ADMIN, AUDIT, {}, empty)["data"] == {"auditRecords": []}
    assert json.dumps(answer)  # plain JSON


@pytest.mark.parametrize("caller", [ADMIN, ANALYST, MANAGER])
def test_the_portfolio_is_read_once_per_request(small_bank: GraphStore, caller: Caller,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import graph_service.access as access

    reads: list[str] = []
    real = access.portfolio

    async def counting(store: GraphStore, manager_id: str) -> frozenset[tuple[str, str]]:
        reads.append(manager_id)
        return await real(store, manager_id)

    monkeypatch.setattr(access, "portfolio", counting)
    run(small_bank, caller, PERSON, {"id": "P3"})
    assert reads == (["M1"] if caller is MANAGER else [])


def test_the_trail_lists_the_nodes_returned_unmasked(small_bank: GraphStore,
                                                     tmp_path: Path) -> None:
    from graph_service.audit import read_records

    settings = Settings(data_dir=tmp_path)
    trail = AuditTrail(settings.audit_path, settings.audit_max_bytes)

    async def execute() -> None:
        await schema_for(settings).execute(
            '{ a: person(id: "P1") { id masked } b: person(id: "P5") { id masked } }',
            context_value=make_context(small_bank, settings, caller=MANAGER, audit=trail))

    asyncio.run(execute())
    trail.close()
    [record] = read_records(settings.audit_path)
    assert (record["node_ids"], record["manager_id"]) == (["P1"], "M1")


@pytest.mark.parametrize(("caller", "query", "read"), [
    (ADMIN, '{ crossSellGaps(personId: "P1") { held missing } }', {"P1"}),
    (MANAGER, '{ crossSellGaps(personId: "P2") { missing } }', {"P2"}),
    (ADMIN, "{ privateBankingProspects(first: 5) { edges { kinds } } }", {"P4", "P8"}),
    (MANAGER, "{ privateBankingProspects(first: 5) { edges { signal { executive } } } }",
     {"P4"}),  # P8 is outside M1's portfolio: masked, nothing read
    (ADMIN, "{ persons(first: 2, sort: [{name: ASC}]) { edges { cursor } } }", {"P1", "P2"}),
    (MANAGER, "{ persons(first: 9, sort: [{name: DESC}]) { edges { cursor } } }",
     {"P1", "P2", "P3", "P4"}),
])
def test_the_trail_lists_the_nodes_read_without_their_ids_in_the_answer(
    small_bank: GraphStore, tmp_path: Path, caller: Caller, query: str, read: set[str]
) -> None:
    """A question's subject, an item's personal fields (a prospect's kinds), a list's cursors
    holding names: each read of a node's personal data is in the trail, ids selected or not."""
    from graph_service.audit import read_records

    settings = Settings(data_dir=tmp_path)
    trail = AuditTrail(settings.audit_path, settings.audit_max_bytes)

    async def execute() -> Any:
        return await schema_for(settings).execute(
            query, context_value=make_context(small_bank, settings, caller=caller, audit=trail))

    result = asyncio.run(execute())
    trail.close()
    assert result.errors is None
    [record] = read_records(settings.audit_path)
    assert set(record["node_ids"]) == read


def test_a_figure_refused_outside_the_portfolio_does_not_place_enterprises_outside_it(
    bank: GraphStore,
) -> None:
    """The cursor of a list sorted by executivesWithoutPrivateBanking holds the figure, which
    a manager is refused outside their portfolio: such a list keeps their enterprises."""
    query = """{ enterprises(sort: [{executivesWithoutPrivateBanking: DESC}]) {
      totalCount edges { cursor node { id } } } }"""
    ids = {who: [e["node"]["id"] for e in run(bank, caller, query)["data"]["enterprises"]["edges"]]
           for who, caller in (("admin", ADMIN), ("manager", MANAGER), ("analyst", ANALYST))}
    assert sorted(ids["admin"]) == ["E1", "E2", "E3"] and ids["analyst"] == ids["admin"]
    assert ids["manager"] == ["E1"]
    answer = run(bank, MANAGER, '{ executivesWithoutPrivateBanking(enterpriseId: "E2") '
                                "{ totalCount } }")
    assert codes(answer) == ["FORBIDDEN"]


SEARCH = """query($text: String!) { search(text: $text, first: 20) {
  totalCount edges { node { __typename ... on Person { id masked name } } } } }"""
NAMED = """query($where: PersonWhere, $sort: [PersonSort!]) {
  persons(where: $where, sort: $sort, first: 20) { totalCount edges { node { id masked } } } }"""


def test_masked_names_cannot_be_guessed_through_search_filters_or_sorts(
    bank: GraphStore,
) -> None:
    def found(caller: Caller, query: str, variables: dict[str, Any]) -> list[str]:
        answer = run(bank, caller, query, variables)
        key = "search" if "search" in answer["data"] else "persons"
        return [e["node"].get("id") for e in answer["data"][key]["edges"]]

    # Frank (P6) is outside M1's portfolio, Carol (P3) inside.
    assert found(ADMIN, SEARCH, {"text": "Frank"}) == ["P6"]
    assert found(MANAGER, SEARCH, {"text": "Frank"}) == []
    assert found(MANAGER, SEARCH, {"text": "Carol"}) == ["P3"]
    assert found(MANAGER, SEARCH, {"text": "P6"}) == ["P6"]  # by id: shown, masked
    assert found(ANALYST, SEARCH, {"text": "Frank"}) == []
    by_name = {"where": {"name": {"startsWith": "F"}}}
    assert found(ADMIN, NAMED, by_name) == ["P6"]
    assert found(MANAGER, NAMED, by_name) == []
    by_segment = {"sort": [{"segment": "ASC"}]}
    mine = [i for i in found(ADMIN, NAMED, by_segment) if ("Person", i) in M1_PORTFOLIO]
    assert found(MANAGER, NAMED, by_segment) == mine and len(mine) == 4  # in the admin's order
    assert "P6" in found(MANAGER, NAMED, {"where": {"blocked": {"eq": False}}})  # not personal
    # An analyst sees no person's name: such a list is refused, not silently empty.
    for refused in (by_name, by_segment, {"where": {"OR": [{"name": {"eq": "x"}},
                                                            {"id": {"eq": "P6"}}]}}):
        answer = run(bank, ANALYST, NAMED, refused)
        assert answer["data"] is None and codes(answer) == ["FORBIDDEN"], answer
    assert "P6" in found(ANALYST, NAMED, {"where": {"blocked": {"eq": False}}})


def test_a_masked_person_found_by_name_is_left_out_though_its_id_is_the_text_trimmed(
    bank: GraphStore,
) -> None:
    """Searched for ``"zed "``, the person ``zed`` is found by their name only (no id has the
    space), so shown it would tell a name the searcher sees masked."""
    asyncio.run(bank.write(GraphBatch(nodes=[NodeRow("Person", "zed", {"name": "Zed"}, "z", 0)],
                                      relationships=[], files=["z"])))  # fmt: skip

    def found(caller: Caller, text: str) -> list[str]:
        return [e["node"]["id"]
                for e in run(bank, caller, SEARCH, {"text": text})["data"]["search"]["edges"]]

    assert found(ADMIN, "zed ") == ["zed"]
    assert found(MANAGER, "zed ") == found(ANALYST, "zed ") == []
    assert found(MANAGER, "zed") == ["zed"]  # by id: shown, masked


def test_the_trail_leaves_out_the_nodes_returned_masked_without_selecting_masked(
    small_bank: GraphStore, tmp_path: Path
) -> None:
    """Without ``masked`` in the query, the trail tells the masked nodes from the caller's
    scope: read ones (a person), and listed ones whose ids alone were returned (a page of
    ``uncoveredEmployees { edges { node { id } } }``, whose nodes are never read)."""
    from graph_service.audit import read_records

    settings = Settings(data_dir=tmp_path)
    trail = AuditTrail(settings.audit_path, settings.audit_max_bytes)
    queries = {
        APP: """{ a: person(id: "P1") { id } uncoveredEmployees(enterpriseId: "E1") {
                 edges { node { id } } } managers(first: 1) { edges { node { id } } } }""",
        MANAGER: """{ a: person(id: "P1") { id } b: person(id: "P5") { id name }
                     uncoveredEmployees(enterpriseId: "E1") { edges { node { id } } } }""",
    }

    async def execute() -> None:
        for caller, query in queries.items():
            answer = await schema_for(settings).execute(
                query, context_value=make_context(small_bank, settings, caller=caller,
                                                  audit=trail))  # fmt: skip
            assert not answer.errors, answer.errors

    asyncio.run(execute())
    trail.close()
    app, manager = read_records(settings.audit_path)
    assert (app["role"], app["node_ids"]) == ("app", ["M1"])
    assert (manager["role"], manager["node_ids"]) == ("manager", ["P1", "P2", "P4"])


@pytest.mark.parametrize("caller", [MANAGER, ADMIN])
def test_a_ranked_page_asked_for_ids_alone_reads_no_node_and_is_in_the_trail(
    small_bank: GraphStore, tmp_path: Path, caller: Caller
) -> None:
    """A ranked list's page (``search``: a union) asking nothing of its nodes but their ids
    and types reads none of them (types._page_nodes); the trail lists the same nodes as
    when their names are read."""
    from graph_service.audit import read_records

    template = """{ search(text: "a") { totalCount edges { node { __typename
      ... on Person { %s } ... on Enterprise { %s } } } } }"""
    answers, trails = {}, {}
    for fields in ("id", "id name"):
        store = CountingStore(small_bank)
        settings = Settings(data_dir=tmp_path / fields.replace(" ", "-"))
        trail = AuditTrail(settings.audit_path, settings.audit_max_bytes)

        context = make_context(store, settings, caller=caller, audit=trail)
        result = asyncio.run(schema_for(settings).execute(template % (fields, fields),
                                                          context_value=context))
        trail.close()
        assert result.errors is None
        assert store.calls.get("get_nodes", 0) == (0 if fields == "id" else 2)  # a call a label
        answers[fields] = [(e["node"]["__typename"], e["node"]["id"])
                           for e in result.data["search"]["edges"]]
        [record] = read_records(settings.audit_path)
        trails[fields] = sorted(record["node_ids"])
    assert answers["id"] == answers["id name"] == [("Enterprise", "E1"), ("Person", "P1")]
    assert trails["id"] == trails["id name"] == ["E1", "P1"]
