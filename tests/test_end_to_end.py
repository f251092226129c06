"""The issue's acceptance path on real data: ``graph-service load --format ldbc-finbench``
on the LDBC FinBench sample, then ``graph-service serve``, queried over HTTP.

Answers are checked against an oracle computed here straight from the raw pipe-separated
files, with the mapping and rules restated plainly (no project code), and networkx's own
shortest-path length on a plain undirected graph of the same data.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import networkx as nx
import pytest

from tests.conftest import FINBENCH_SAMPLE, REPO_ROOT
from tests.test_cli import CLI, serve_cli

MANAGERS = REPO_ROOT / "loaders" / "finbench-managers"
"""The README's manager assignment for the sample (loaders/finbench-managers/README.md)."""


def rows(name: str) -> list[dict[str, str]]:
    with (FINBENCH_SAMPLE / name).open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream, delimiter="|"))


class Oracle:
    """The FinBench sample's linkage answers, computed independently of the service."""

    def __init__(self) -> None:
        persons = {r["personId"] for r in rows("Person.csv")}
        companies = {r["companyId"] for r in rows("Company.csv")}
        accounts = {r["accountId"]: r for r in rows("Account.csv")}
        self.graph = nx.Graph()
        owner: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for file, label, column, known in (
            ("PersonOwnAccount.csv", "Person", "personId", persons),
            ("CompanyOwnAccount.csv", "Enterprise", "companyId", companies),
        ):
            for r in rows(file):
                if r[column] in known and r["accountId"] in accounts:
                    owner[r["accountId"]].add((label, r[column]))
                    self.graph.add_edge((label, r[column]), ("Account", r["accountId"]))
        ratio: dict[tuple[str, str], float] = {}
        for r in rows("PersonInvestCompany.csv"):
            ratio[(r["investorId"], r["companyId"])] = float(r["ratio"])
            self.graph.add_edge(("Person", r["investorId"]), ("Enterprise", r["companyId"]))
        for r in rows("CompanyInvestCompany.csv"):
            self.graph.add_edge(("Enterprise", r["investorId"]), ("Enterprise", r["companyId"]))
        for file, label in (("PersonGuaranteePerson.csv", "Person"),
                            ("CompanyGuaranteeCompany.csv", "Enterprise")):  # fmt: skip
            for r in rows(file):
                self.graph.add_edge((label, r["fromId"]), (label, r["toId"]))
        role: dict[tuple[str, str], str] = {}
        for r in rows("AccountTransferAccount.csv"):
            self.graph.add_edge(("Account", r["fromId"]), ("Account", r["toId"]))
            for src_label, company in owner[r["fromId"]]:
                for dst_label, person in owner[r["toId"]]:
                    if src_label == "Enterprise" and dst_label == "Person":
                        role[(person, company)] = "employee"
        for pair, value in ratio.items():
            if value >= 0.05:
                role[pair] = "executive"
        for person, company in role:
            self.graph.add_edge(("Person", person), ("Enterprise", company))

        def holds(person: str, product: str) -> bool:
            return any(
                label == "Person" and accounts[a]["accoutType"] == product
                and accounts[a]["isBlocked"] == "false"
                for a, owners in owner.items() for label, p in owners if p == person
            )  # fmt: skip

        self.employees: dict[str, set[str]] = defaultdict(set)
        for person, company in role:
            self.employees[company].add(person)
        self.debit = {p for ps in self.employees.values() for p in ps if holds(p, "debit card")}
        executives = {p for (p, _), r in role.items() if r == "executive"}
        self.executives_without_pb = sorted(p for p in executives if not holds(p, "trust account"))

    def uncovered(self, company: str) -> list[str]:
        return sorted(self.employees[company] - self.debit)


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return Oracle()


def served(data: Path, *inputs: tuple[str, Path]) -> Iterator[httpx.Client]:
    """``graph-service load`` each input into ``data``, then serve it."""
    env = {**os.environ, "GRAPH_SERVICE_DATA_DIR": str(data)}
    for fmt, path in inputs:
        load = subprocess.run([*CLI, "load", "--format", fmt, str(path)],
                              env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
        assert load.returncode == 0, load.stderr
    with serve_cli(data) as client:
        yield client


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    yield from served(tmp_path_factory.mktemp("finbench-data"),
                      ("ldbc-finbench", FINBENCH_SAMPLE))  # fmt: skip


@pytest.fixture(scope="module")
def service_with_managers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """As the README says: the sample, then its manager assignment on top."""
    yield from served(tmp_path_factory.mktemp("finbench-managers-data"),
                      ("ldbc-finbench", FINBENCH_SAMPLE), ("canonical", MANAGERS))  # fmt: skip


def gql(client: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def test_health_counts(service: httpx.Client, oracle: Oracle) -> None:
    counts = service.get("/health").json()["counts"]
    assert counts["Person"] == len(rows("Person.csv"))
    assert counts["Enterprise"] == len(rows("Company.csv"))
    assert counts["EMPLOYED_BY"] == sum(len(p) for p in oracle.employees.values())


LARGEST = ["3298534883370", "5497558139019", "1099511628460"]  # most employees in the sample


@pytest.mark.parametrize("company", LARGEST)
def test_uncovered_employees_and_coverage(
    service: httpx.Client, oracle: Oracle, company: str
) -> None:
    data = gql(service, """
        query($id: ID!) {
          uncoveredEmployees(enterpriseId: $id, first: 1000) {
            totalCount edges { node { id } }
          }
          payrollCoverage(enterpriseId: $id) { employees covered uncovered rate }
          enterprise(id: $id) { employees(first: 0) { totalCount } }
        }""", id=company)  # fmt: skip
    expected = oracle.uncovered(company)
    assert expected, "pick enterprises with uncovered employees"
    assert data["uncoveredEmployees"]["totalCount"] == len(expected)
    assert [e["node"]["id"] for e in data["uncoveredEmployees"]["edges"]] == expected
    employees = len(oracle.employees[company])
    assert data["enterprise"]["employees"]["totalCount"] == employees
    assert data["payrollCoverage"] == {
        "employees": employees,
        "covered": employees - len(expected),
        "uncovered": len(expected),
        "rate": pytest.approx((employees - len(expected)) / employees),
    }


def test_executives_without_private_banking(service: httpx.Client, oracle: Oracle) -> None:
    seen: list[str] = []
    after = None
    while True:
        data = gql(service, """
            query($after: String) {
              executivesWithoutPrivateBanking(first: 500, after: $after) {
                totalCount edges { node { id } } pageInfo { hasNextPage endCursor }
              }
            }""", after=after)["executivesWithoutPrivateBanking"]  # fmt: skip
        assert data["totalCount"] == len(oracle.executives_without_pb)
        seen += [e["node"]["id"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == oracle.executives_without_pb


def test_client_network(service: httpx.Client, oracle: Oracle) -> None:
    data = gql(service, """
        query($id: ID!) {
          clientNetwork(node: {label: ENTERPRISE, id: $id}, depth: 1) {
            nodes { label id } truncated
          }
        }""", id=LARGEST[0])["clientNetwork"]  # fmt: skip
    start = ("Enterprise", LARGEST[0])
    expected = {start, *oracle.graph.neighbors(start)}
    assert not data["truncated"]
    assert {(n["label"].title(), n["id"]) for n in data["nodes"]} == expected


def test_linkage_paths(service: httpx.Client, oracle: Oracle) -> None:
    people = sorted(oracle.employees[LARGEST[0]])
    pairs = [(people[0], p) for p in sorted(oracle.employees[LARGEST[1]])[:5]]
    linked = 0
    for a, b in pairs:
        paths = gql(service, """
            query($a: ID!, $b: ID!) {
              linkagePaths(from: {label: PERSON, id: $a}, to: {label: PERSON, id: $b},
                           maxHops: 6, limit: 3) {
                length nodes { id } relationships { type }
              }
            }""", a=a, b=b)["linkagePaths"]  # fmt: skip
        try:
            length = nx.shortest_path_length(oracle.graph, ("Person", a), ("Person", b))
        except nx.NetworkXNoPath:
            length = None
        if length is None or length > 6:
            assert paths == []
        else:
            linked += 1
            assert paths and all(p["length"] == length for p in paths)
            assert all(p["nodes"][0]["id"] == a and p["nodes"][-1]["id"] == b for p in paths)
    assert linked, "no pair was linked: the check above never ran"


def test_readme_examples_answer_on_finbench(service_with_managers: httpx.Client) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```graphql\n(.*?)```", readme, re.S)
    assert len(blocks) >= 5
    for block in blocks:
        data = gql(service_with_managers, block)
        assert all(value for value in data.values()), (block, data)
