"""Differential test: every GraphQL query field answers identical JSON on the embedded store
and on FalkorDB, over the LDBC FinBench sample and a generated bank of 20,000 people; every
question a store pushes down answers as its generic rule does, on both stores; search finds
FinBench clients by the first letters of their names' words, accents or not."""

from __future__ import annotations

import asyncio
import json
import random
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph_service.access import portfolio
from graph_service.auth.caller import Caller, Role
from graph_service.bulk import execute_many
from graph_service.config import Settings
from graph_service.errors import GraphServiceError
from graph_service.ingest import read_input
from graph_service.ingest.generator import generate
from graph_service.linkage.coverage import PayrollArgs
from graph_service.linkage.leads import LeadsArgs
from graph_service.linkage.lists import (
    BooleanFilter,
    EnterpriseListArgs,
    EnterpriseSort,
    EnterpriseWhere,
    IdFilter,
    ManagerListArgs,
    ManagerSort,
    ManagerWhere,
    PersonListArgs,
    PersonSort,
    PersonWhere,
    SortDirection,
    StringFilter,
)
from graph_service.linkage.private_banking import ExecutivesArgs
from graph_service.linkage.prospecting import LeadKind
from graph_service.linkage.prospects import ProspectsArgs
from graph_service.linkage.question import Id, Question, Ranked, answer_many, pushes_down
from graph_service.linkage.registry import QUESTIONS
from graph_service.linkage.rollup import RollupArgs, RollupGroup
from graph_service.records import GraphBatch, NodeRow
from graph_service.stores.base import GraphStore
from graph_service.stores.cypher import CypherStore
from graph_service.stores.embedded import EmbeddedStore
from tests.conftest import FINBENCH_SAMPLE

PAGE = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
PARTY = "... on Person { id name segment } ... on Enterprise { id name region }"
ENTERPRISE = f"""
query($id: ID!) {{ enterprise(id: $id) {{
  id name industry region blocked createdAt
  employees(first: 5) {{ {PAGE} edges {{ cursor role title source node {{ id name }} }} }}
  executives(first: 5) {{ {PAGE} edges {{ cursor role node {{ id }} }} }}
  shareholders(first: 5) {{ {PAGE} edges {{ cursor ratio node {{ {PARTY} }} }} }}
  investments(first: 5) {{ {PAGE} edges {{ cursor ratio node {{ id }} }} }}
  accounts(first: 5) {{ {PAGE} edges {{ cursor node {{ id type status openedAt balance }} }} }}
  managers(first: 5) {{ {PAGE} edges {{ node {{ id name kind branch }} }} }}
  guarantees(first: 5) {{ {PAGE} edges {{ node {{ id }} }} }}
  guarantors(first: 5) {{ {PAGE} edges {{ node {{ id }} }} }}
  payrollCoverage {{ employees covered uncovered rate }}
}}
uncoveredEmployees(enterpriseId: $id, first: 3) {{ {PAGE} edges {{ cursor node {{ id }} }} }}
executivesWithoutPrivateBanking(enterpriseId: $id) {{ {PAGE} edges {{ node {{ id }} }} }}
payrollCoverage(enterpriseId: $id, productTypes: ["debit card", "credit card"]) {{
  employees covered uncovered rate enterprise {{ id }} }}
}}"""
PERSON = f"""
query($id: ID!) {{ person(id: $id) {{
  id name segment blocked createdAt
  employers(first: 5) {{ {PAGE} edges {{ cursor role title node {{ id name }} }} }}
  accounts(first: 5) {{ {PAGE} edges {{ node {{ id type status balance }} }} }}
  managers(first: 5) {{ {PAGE} edges {{ node {{ id }} }} }}
  shareholdings(first: 5) {{ {PAGE} edges {{ ratio node {{ id }} }} }}
  guarantees(first: 5) {{ {PAGE} edges {{ node {{ id }} }} }}
  guarantors(first: 5) {{ {PAGE} edges {{ node {{ id }} }} }}
  productsHeld
}}
crossSellGaps(personId: $id) {{ held missing }}
}}"""
ACCOUNT = f"""
query($id: ID!) {{ account(id: $id) {{
  id type status openedAt balance lastActivityAt
  owners(first: 5) {{ {PAGE} edges {{ cursor node {{ {PARTY} }} }} }}
  transfersOut(first: 5) {{ {PAGE} edges {{ cursor count totalAmount node {{ id }} }} }}
  transfersIn(first: 5) {{ {PAGE} edges {{ count totalAmount node {{ id }} }} }}
}} }}"""
MANAGER = f"""
query($id: ID!) {{ manager(id: $id) {{
  id name kind branch clients(first: 5) {{ {PAGE} edges {{ node {{ {PARTY} }} }} }}
}} }}"""
GRAPH = "label id name properties"
REL = "type start { label id } end { label id } properties"
NETWORK = f"""
query($n: NodeRef!, $d: Int!, $t: [RelationshipType!]) {{
  clientNetwork(node: $n, depth: $d, relationshipTypes: $t) {{
    nodes {{ {GRAPH} }} relationships {{ {REL} }} truncated }}
}}"""
PATHS = f"""
query($f: NodeRef!, $t: NodeRef!, $r: [RelationshipType!], $h: Int!, $l: Int!) {{
  linkagePaths(from: $f, to: $t, relationshipTypes: $r, maxHops: $h, limit: $l) {{
    length nodes {{ {GRAPH} }} relationships {{ {REL} }} }}
}}"""
PAGED = f"""
query($id: ID!, $after: String) {{
  uncoveredEmployees(enterpriseId: $id, first: 2, after: $after) {{
    {PAGE} edges {{ cursor node {{ id }} }} }}
  enterprise(id: $id) {{
    employees(first: 2, after: $after) {{ {PAGE} edges {{ node {{ id }} }} }} }}
}}"""
BOOK = f"""
query($after: String) {{
  executivesWithoutPrivateBanking(first: 50, after: $after) {{
    {PAGE} edges {{ cursor node {{ id }} }} }}
}}"""
SEARCH = f"""
query($text: String!, $labels: [NodeLabel!], $after: String) {{
  search(text: $text, labels: $labels, first: 20, after: $after) {{
    {PAGE} edges {{ cursor node {{ __typename {PARTY} ... on Account {{ id }}
                                  ... on Manager {{ id name }} }} }} }}
}}"""
LISTS = f"""
query($where: EnterpriseWhere, $sort: [EnterpriseSort!], $after: String) {{
  enterprises(where: $where, sort: $sort, first: 25, after: $after) {{
    {PAGE} edges {{ cursor node {{ id name }} }} }}
}}"""
PEOPLE = f"""
query($where: PersonWhere, $sort: [PersonSort!]) {{
  persons(where: $where, sort: $sort, first: 25) {{ {PAGE} edges {{ cursor node {{ id }} }} }}
  managers(sort: [{{branch: DESC}}], first: 25) {{ {PAGE} edges {{ cursor node {{ id }} }} }}
}}"""
SORTS = [
    None,
    [{"uncoveredEmployees": "DESC"}],
    [{"coverageRate": "ASC"}, {"name": "DESC"}],
    [{"executivesWithoutPrivateBanking": "DESC"}],
    [{"region": "ASC"}, {"blocked": "DESC"}],
]
PARTY_ID = "... on Person { id } ... on Enterprise { id }"
SIGNAL = "signal { executive shareholding transferAmount }"
AROUND_ENTERPRISE = f"""
query($id: ID!) {{
  dormantAccounts(enterpriseId: $id, first: 5) {{
    {PAGE} edges {{ cursor reason node {{ id status }} owners {{ {PARTY_ID} }} }} }}
  inactive: dormantAccounts(enterpriseId: $id, inactiveDays: 30, first: 5) {{
    {PAGE} edges {{ cursor reason node {{ id lastActivityAt }} owners {{ {PARTY_ID} }} }} }}
  crossSellRollup(enterpriseId: $id) {{
    employees productsPerEmployee penetration {{ product holders rate }} }}
  enterprise(id: $id) {{ crossSellRollup {{ productsPerEmployee }} }}
}}"""
LEADS = f"""
query($id: ID!, $h: Int!, $k: [LeadKind!], $first: Int = 5, $after: String) {{
  managerLeads(managerId: $id, maxHops: $h, kinds: $k, first: $first, after: $after) {{
    {PAGE} edges {{ cursor hop kinds {SIGNAL} node {{ id }}
      path {{ length nodes {{ {GRAPH} }} relationships {{ {REL} }} }} }} }}
}}"""
ROLLUP = f"""
query($g: RollupGroup!, $after: String) {{
  coverageRollup(groupBy: $g, first: 7, after: $after) {{
    {PAGE} edges {{ cursor key enterprises employees covered uncovered rate }} }}
}}"""
PROSPECTS = f"""
query($s: Float, $t: Float, $after: String) {{
  privateBankingProspects(minShareholding: $s, minTransferAmount: $t, first: 50,
                          after: $after) {{
    {PAGE} edges {{ cursor kinds {SIGNAL} node {{ id }} }} }}
}}"""
GROUPS = f"""
query($after: String) {{
  enterpriseGroups(first: 20, after: $after) {{
    {PAGE} edges {{ cursor size staff covered rate members {{ id name }} }} }}
}}"""
CIRCLES = f"""
query($l: Int!, $after: String) {{
  guaranteeCircles(maxLength: $l, first: 50, after: $after) {{
    {PAGE} edges {{ cursor length members {{ id }} }} }}
}}"""
INFLUENCE = f"""
query($labels: [PartyLabel!], $after: String) {{
  influence(labels: $labels, first: 200, after: $after) {{
    {PAGE} edges {{ cursor score node {{ {PARTY} }} }} }}
}}"""
FILTERS = [
    None, ["EMPLOYED_BY", "SHAREHOLDER_OF", "GUARANTEES"], ["OWNS", "TRANSFERRED_TO"],
    ["OWNS", "APPLIED_FOR", "DEPOSITED_TO", "REPAID", "WITHDREW_TO", "SIGNED_IN_TO"],
]
LABELS = {"Enterprise": "ENTERPRISE", "Person": "PERSON", "Account": "ACCOUNT",
          "Manager": "MANAGER"}  # fmt: skip


def _load(store: GraphStore, fmt: str, path: Path) -> None:
    asyncio.run(store.write(read_input(fmt, path)))


@pytest.fixture(scope="session")
def bank_20k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated bank of 20,000 people (canonical CSVs), written once per session."""
    out = tmp_path_factory.mktemp("bank-20k") / "input"
    generate(20_000, 1, out)
    return out


@pytest.fixture(scope="session", params=["finbench", "bank-20k"])
def stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, falkordb_url: str
) -> Iterator[tuple[str, GraphStore, GraphStore]]:
    """The same data set in the embedded store and in FalkorDB."""
    if request.param == "finbench":
        fmt, path = "ldbc-finbench", FINBENCH_SAMPLE
    else:
        fmt, path = "canonical", request.getfixturevalue("bank_20k")
    embedded = EmbeddedStore(tmp_path_factory.mktemp(request.param))
    falkordb = CypherStore(Settings(backend="falkordb", falkordb_url=falkordb_url,
                                    falkordb_graph=f"differential-{request.param}"))  # fmt: skip
    for store in (embedded, falkordb):
        _load(store, fmt, path)
    yield request.param, embedded, falkordb
    for store in (embedded, falkordb):
        asyncio.run(store.close())


def _ref(key: tuple[str, str]) -> dict[str, str]:
    return {"label": LABELS[key[0]], "id": key[1]}


async def _operations(store: GraphStore, name: str) -> list[tuple[str, dict[str, Any]]]:
    """The operations to compare: every query field, over many ids of the data set."""
    rng = random.Random(7)
    ids = {label: await store.list_ids(label) for label in LABELS}

    def sample(label: str, n: int) -> list[str]:
        found = ids[label]
        return found if len(found) <= n else sorted(rng.sample(found, n))

    enterprises = ids["Enterprise"] if name == "finbench" else sample("Enterprise", 200)
    ops: list[tuple[str, dict[str, Any]]] = [(ENTERPRISE, {"id": e}) for e in enterprises]
    ops += [(PERSON, {"id": p}) for p in sample("Person", 100)]
    ops += [(ACCOUNT, {"id": a}) for a in sample("Account", 100)]
    ops += [(MANAGER, {"id": m}) for m in sample("Manager", 50)]
    ops += [(ENTERPRISE, {"id": "no-such-enterprise"}), (PERSON, {"id": ""})]
    ops += [(AROUND_ENTERPRISE, {"id": e}) for e in [*enterprises, "no-such-enterprise"]]
    # A manager of the generated bank reaches about 2,500 people within 2 hops, and
    # privateBankingProspects scans the book: a few of each.
    managers = [*sample("Manager", 6), "no-such-manager"]
    for manager in managers:
        ops += [(LEADS, {"id": manager, "h": hops, "k": None}) for hops in (0, 1)]
        ops.append((LEADS, {"id": manager, "h": 1, "k": ["SHAREHOLDER_WITHOUT_PRIVATE_BANKING"]}))
    ops += [(LEADS, {"id": manager, "h": 2, "k": None}) for manager in managers[:2]]
    ops += [(ROLLUP, {"g": g}) for g in ("MANAGER", "BRANCH", "INDUSTRY", "REGION")]
    ops += [(PROSPECTS, {"s": s, "t": t}) for s, t in ((None, None), (0.1, None), (None, 1e4))]
    ops += [(GROUPS, {}), *((CIRCLES, {"l": n}) for n in (1, 2, 4, 6)), (CIRCLES, {"l": 0})]
    ops += [(INFLUENCE, {"labels": labels}) for labels in (None, ["PERSON"], ["ENTERPRISE"])]
    keys = [(label, i) for label in LABELS for i in sample(label, 5)]
    for key in keys:
        for depth in (1, 2, 3):
            for rel_types in FILTERS:
                ops.append((NETWORK, {"n": _ref(key), "d": depth, "t": rel_types}))
    for start, end in zip(keys, reversed(keys), strict=True):
        for rel_types in FILTERS[:2]:
            ops.append((PATHS, {"f": _ref(start), "t": _ref(end), "r": rel_types, "h": 6, "l": 5}))
        ops.append((PATHS, {"f": _ref(start), "t": _ref(start), "r": None, "h": 3, "l": 1}))
    for a, b in zip(keys[::2], keys[1::2], strict=False):
        ops.append((PATHS, {"f": _ref(a), "t": _ref(b), "r": None, "h": 4, "l": 20}))
    ops += [(SEARCH, variables) for variables in await _searches(store, name, sample)]
    ops += [(LISTS, {"sort": sort}) for sort in SORTS]
    ops.append((LISTS, {"where": {"OR": [{"name": {"startsWith": "S"}},
                                         {"NOT": {"blocked": {"eq": False}}}]},
                        "sort": [{"name": "ASC"}]}))
    ops.append((PEOPLE, {"sort": [{"name": "DESC"}]}))
    ops.append((PEOPLE, {"where": {"name": {"contains": "er"}, "id": {"gt": "5"}}}))
    return ops


async def _searches(store: GraphStore, name: str, sample: Any) -> list[dict[str, Any]]:
    """Search texts from names of the data set: first letters of their words, whole names
    (upper-cased too), ids; one-letter texts on the FinBench sample only."""
    texts: list[str] = []
    for label in ("Enterprise", "Person", "Manager"):
        chosen = sample(label, 10)
        for node in await store.get_nodes(label, chosen):
            assert node is not None
            node_name = str(node.props["name"])
            texts += [node_name, node_name.upper(), node.id]
            for word in node_name.split()[:2]:
                texts += [word[:n] for n in ((1, 3) if name == "finbench" else (2, 4))]
    searches = [{"text": text} for text in dict.fromkeys(texts)]
    searches += [{"text": t, "labels": ["PERSON", "ACCOUNT"]} for t in texts[:5]]
    return searches


def _answers(store: GraphStore, ops: list[tuple[str, dict[str, Any]]],
             caller: Caller | None = None) -> list[str]:
    """Each operation's JSON answer (data and errors), as text with sorted keys.

    Operations of one document run 50 at a time sharing a context, as the bulk path runs
    them, so their store calls are batched; as ``caller`` (``None``: unrestricted).
    """

    async def run() -> list[str]:
        answers = [""] * len(ops)
        by_document: dict[str, list[int]] = defaultdict(list)
        for i, (document, _) in enumerate(ops):
            by_document[document].append(i)
        for document, indexes in by_document.items():
            for chunk in (indexes[j : j + 50] for j in range(0, len(indexes), 50)):
                results = await execute_many(
                    store, Settings(), document, [ops[i][1] for i in chunk], caller=caller
                )
                for i, (data, errors) in zip(chunk, results, strict=True):
                    # Sibling fields resolve concurrently: their errors come in any order.
                    errors.sort(key=lambda error: json.dumps(error.get("path")))
                    if data is None:
                        # A failing non-null root field nulls the answer: which sibling's
                        # error is reported first depends on timing, not on the store.
                        errors = sorted({(e["extensions"]["code"], e["message"]) for e in errors})
                    answers[i] = json.dumps({"data": data, "errors": errors}, sort_keys=True)
        return answers

    return asyncio.run(run())


def _paged(store: GraphStore, document: str, variables: dict[str, Any], path: list[str]) -> str:
    """Every page of ``document`` following ``endCursor`` at ``path``, as JSON text."""

    async def run() -> str:
        pages, after = [], None
        while True:
            [(data, errors)] = await execute_many(
                store, Settings(), document, [{**variables, "after": after}]
            )
            pages.append({"data": data, "errors": errors})
            page = data
            for step in path:
                page = page[step]
            if errors or not page["pageInfo"]["hasNextPage"] or len(pages) > 50:
                return json.dumps(pages, sort_keys=True)
            after = page["pageInfo"]["endCursor"]

    return asyncio.run(run())


def _differences(ops: list[Any], expected: list[str], actual: list[str]) -> str:
    """How many answers differ, and the first one's operation and both answers ("" if none)."""
    differing = [(op, e, a) for op, e, a in zip(ops, expected, actual, strict=True) if e != a]
    if not differing:
        return ""
    op, embedded, falkordb = differing[0]
    return (f"{len(differing)} of {len(ops)} differ, first: {op}\n"
            f"embedded: {embedded[:2000]}\nfalkordb: {falkordb[:2000]}")  # fmt: skip


def test_every_query_answers_the_same(stores: tuple[str, GraphStore, GraphStore]) -> None:
    name, embedded, falkordb = stores
    assert asyncio.run(embedded.counts()) == asyncio.run(falkordb.counts())
    ops = asyncio.run(_operations(embedded, name))
    expected, actual = _answers(embedded, ops), _answers(falkordb, ops)
    assert _differences(ops, expected, actual) == ""
    assert any('"linkagePaths": [{' in answer for answer in expected)  # some pairs are linked
    for field in ("search", "enterprises", "persons"):  # answered, not refused
        assert sum(f'"{field}": {{"edges": [{{' in answer for answer in expected) >= 2, field


def test_every_query_answers_the_same_in_a_managers_scope(
    stores: tuple[str, GraphStore, GraphStore],
) -> None:
    # The access rules (graph_service.access) on both stores: the same nodes masked, the same
    # questions refused. FinBench has no Manager: its manager's portfolio is empty.
    name, embedded, falkordb = stores
    managers = asyncio.run(embedded.list_ids("Manager"))
    caller = Caller("differential", Role.MANAGER, manager_id=managers[0] if managers else "M")
    ops = asyncio.run(_operations(embedded, name))
    expected, actual = _answers(embedded, ops, caller), _answers(falkordb, ops, caller)
    assert _differences(ops, expected, actual) == ""
    assert any('"FORBIDDEN"' in answer for answer in expected)
    assert any('"name": null' in answer for answer in expected)
    if managers:  # the portfolio's enterprises and persons come back unmasked
        inside = asyncio.run(portfolio(embedded, managers[0]))
        roots = {ENTERPRISE: "Enterprise", PERSON: "Person"}
        names = [json.loads(answer)["data"][roots[doc].lower()]["name"]
                 for (doc, variables), answer in zip(ops, expected, strict=True)
                 if doc in roots and (roots[doc], variables["id"]) in inside]
        assert names and None not in names


def test_pages_follow_the_same_cursors(stores: tuple[str, GraphStore, GraphStore]) -> None:
    name, embedded, falkordb = stores
    enterprises = asyncio.run(embedded.list_ids("Enterprise"))[:20]
    managers = asyncio.run(embedded.list_ids("Manager"))[:2]
    for store_pages in zip(
        *(
            [_paged(store, PAGED, {"id": e}, ["uncoveredEmployees"]) for e in enterprises]
            + [_paged(store, BOOK, {}, ["executivesWithoutPrivateBanking"])]
            + [_paged(store, SEARCH, {"text": "an"}, ["search"])]
            + [_paged(store, LISTS, {"sort": sort}, ["enterprises"])
               for sort in (SORTS[1:3] if name == "finbench" else ())]
            + [_paged(store, LEADS, {"id": m, "h": 1, "k": None, "first": 40}, ["managerLeads"])
               for m in managers]
            + [_paged(store, ROLLUP, {"g": "MANAGER"}, ["coverageRollup"]),
               _paged(store, PROSPECTS, {"s": 0.55, "t": None}, ["privateBankingProspects"]),
               _paged(store, GROUPS, {}, ["enterpriseGroups"]),
               _paged(store, CIRCLES, {"l": 6}, ["guaranteeCircles"]),
               _paged(store, INFLUENCE, {"labels": None}, ["influence"])]
            for store in (embedded, falkordb)
        ),
        strict=True,
    ):
        assert store_pages[0] == store_pages[1]


def _search(store: GraphStore, text: str) -> list[tuple[str, str]]:
    """``(label, id)`` of every node ``search(text:)`` finds, in rank order."""
    query = "query($t: String!) { search(text: $t, first: 1000) { edges { node { __typename " \
            "... on Enterprise { id } ... on Person { id } ... on Account { id } } } } }"
    [(data, errors)] = asyncio.run(execute_many(store, Settings(), query, [{"t": text}]))
    assert not errors, errors
    return [(e["node"]["__typename"], e["node"]["id"]) for e in data["search"]["edges"]]


def test_search_finds_finbench_clients(stores: tuple[str, GraphStore, GraphStore]) -> None:
    name, embedded, falkordb = stores
    if name != "finbench":
        pytest.skip("names of the FinBench sample")
    for store in (embedded, falkordb):
        # Company 538, "Shields and Sons": by the first letters of a word of its name.
        assert ("Enterprise", "538") in _search(store, "sons")
        assert ("Enterprise", "538") in _search(store, "shi")
        assert _search(store, "shields and sons")[0] == ("Enterprise", "538")
        # Person names with accents: found with or without them, in any case.
        for text in ("gonzález", "GONZALEZ", "gonza", "jedr", "Jędryka"):
            found = _search(store, text)
            assert found and all(kind == "Person" for kind, _ in found), text
        assert _search(store, "gonzalez") == _search(store, "González")
        # The sample has no CJK name: one is written, found by its characters, removed.
        person = NodeRow("Person", "cjk-1", {"name": "欧阳娜娜"})
        asyncio.run(store.write(GraphBatch(nodes=[person], relationships=[], files=["cjk"])))
        try:
            for text in ("欧阳", "娜", "阳娜", "欧阳娜娜"):
                assert _search(store, text) == [("Person", "cjk-1")], text
        finally:
            gone = GraphBatch(nodes=[], relationships=[], files=["cjk"],
                              deleted_nodes=[("Person", "cjk-1")])  # fmt: skip
            asyncio.run(store.write(gone))
        assert _search(store, "欧阳") == []


def _samples(store: GraphStore, name: str) -> dict[str, list[Any]]:
    """Argument sets of every question a store may push down, over many ids of the data set."""
    rng = random.Random(11)
    enterprises = asyncio.run(store.list_ids("Enterprise"))
    if name != "finbench":
        enterprises = sorted(rng.sample(enterprises, 200))
    both = ("debit card", "credit card")
    payroll = [PayrollArgs(Id(e), products) for e in enterprises for products in (None, both)]
    payroll += [PayrollArgs(Id("no-such-enterprise")), PayrollArgs(Id(enterprises[0]), ())]
    executives = [ExecutivesArgs(None), ExecutivesArgs(Id("no-such-enterprise"))]
    executives += [ExecutivesArgs(Id(e)) for e in enterprises]
    rollups = [RollupArgs(group_by) for group_by in RollupGroup]
    managers = asyncio.run(store.list_ids("Manager"))
    shareholders = (LeadKind.SHAREHOLDER_WITHOUT_PRIVATE_BANKING,)
    leads = [LeadsArgs(Id("no-such-manager"))] + [
        LeadsArgs(Id(m), hops, kinds)
        for m in sorted(rng.sample(managers, min(3, len(managers))))
        for hops, kinds in ((0, None), (1, None), (2, None), (2, shareholders))
    ]
    asc, desc = SortDirection.ASC, SortDirection.DESC
    some = tuple(rng.sample(enterprises, min(5, len(enterprises))))
    people = asyncio.run(store.list_ids("Person"))
    enterprise_lists = [EnterpriseListArgs()] + [
        EnterpriseListArgs(where, sort)
        for where in (
            None,
            EnterpriseWhere(region=StringFilter(gte="M")),
            EnterpriseWhere(OR=(EnterpriseWhere(industry=StringFilter(contains="a")),
                                EnterpriseWhere(blocked=BooleanFilter(eq=True))),
                            NOT=EnterpriseWhere(id=IdFilter(in_=tuple(map(Id, some))))),
            EnterpriseWhere(name=StringFilter(), id=IdFilter(starts_with=enterprises[0][:2])),
            EnterpriseWhere(AND=(), OR=()),
            EnterpriseWhere(region=StringFilter(in_=())),
        )
        for sort in (
            None,
            (EnterpriseSort(uncovered_employees=desc),),
            (EnterpriseSort(coverage_rate=asc), EnterpriseSort(name=desc)),
            (EnterpriseSort(executives_without_private_banking=desc),),
            (EnterpriseSort(region=asc), EnterpriseSort(blocked=desc)),
            (EnterpriseSort(industry=desc), EnterpriseSort(id=desc)),
        )
    ]
    person_lists = [
        PersonListArgs(where, sort)
        for where in (
            None,
            PersonWhere(segment=StringFilter(eq="private")),
            PersonWhere(name=StringFilter(lt="M", starts_with="A"),
                        blocked=BooleanFilter(eq=False)),
            PersonWhere(NOT=PersonWhere(segment=StringFilter(in_=("mass", "private")))),
            PersonWhere(id=IdFilter(lte=people[len(people) // 2], gt=people[0])),
            PersonWhere(id=IdFilter(in_=(Id(people[0]), Id(people[1]), Id("nobody")),
                                    gte=people[1]),
                        segment=StringFilter(in_=("mass", "private"), eq="mass")),
        )
        for sort in (None, (PersonSort(name=asc),),
                     (PersonSort(segment=desc), PersonSort(name=desc)))
    ]
    manager_lists = [
        ManagerListArgs(where, sort)
        for where in (None, ManagerWhere(branch=StringFilter(contains="1")),
                      ManagerWhere(kind=StringFilter(eq="corporate")))
        for sort in (None, (ManagerSort(branch=desc),),
                     (ManagerSort(kind=asc), ManagerSort(name=asc)))
    ]
    prospects = [ProspectsArgs(), ProspectsArgs(0.25), ProspectsArgs(None, 1_000.0),
                 ProspectsArgs(0.5, 20_000.0), ProspectsArgs(1.0)]
    return {
        "private_banking_prospects": prospects,
        "enterprises": enterprise_lists,
        "persons": person_lists,
        "managers": manager_lists,
        "manager_leads": leads,
        "uncovered_employees": payroll,
        "payroll_coverage": payroll,
        "executives_without_private_banking": executives,
        "coverage_rollup": rollups,
    }


EMBEDDED_ONLY = {"coverage_rollup", "manager_leads", "enterprises", "persons", "managers",
                 "private_banking_prospects"}
"""Pushdowns the embedded store has and the Cypher stores not (coverageRollup's generic rule
is one book-wide payrollCoverage pushdown and one MANAGES read; managerLeads' a
breadth-first search of a read per level; the lists' a read of the label's nodes;
privateBankingProspects' a read of the book's staff and shareholders)."""


NEEDS_MANAGERS = {"manager_leads", "managers"}
"""Pushdowns that answer only ``NOT_FOUND`` or empty lists on a data set without managers
(FinBench)."""
EMPTY: Ranked[Any] = Ranked([], [])


def _outcomes(question: Question[Any, Any], store: GraphStore, many: list[Any],
              generic: bool) -> list[Any]:
    """Each answer, or its error as (code, message), by the pushdown or the generic rule."""
    found = asyncio.run(answer_many(question, store, Settings(), many, generic=generic))
    return [(f.code, str(f)) if isinstance(f, GraphServiceError) else f for f in found]


def test_pushdowns_equal_the_generic_rules(stores: tuple[str, GraphStore, GraphStore]) -> None:
    name, embedded, falkordb = stores
    samples = _samples(embedded, name)
    pushed_down = [q for q in QUESTIONS if q.pushdown is not None]
    assert {q.name for q in pushed_down} == set(samples)  # a new pushdown needs samples here
    for question in pushed_down:
        many = samples[question.name]
        generic = _outcomes(question, embedded, many, generic=True)
        if question.name not in NEEDS_MANAGERS or asyncio.run(embedded.list_ids("Manager")):
            assert any(not isinstance(g, tuple) and g != [] and g != EMPTY for g in generic)
        for store in (embedded, falkordb):
            if store is falkordb and question.name in EMBEDDED_ONLY:
                assert not pushes_down(store, question)
                continue
            assert pushes_down(store, question)
            assert _outcomes(question, store, many, generic=False) == generic, question.name
        assert _outcomes(question, falkordb, many, generic=True) == generic, question.name
