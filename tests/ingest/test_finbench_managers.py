"""Managers over the LDBC FinBench sample: the shipped assignment (loaders/finbench-managers/)
follows its documented rule, loads on top of the sample, and every manager question answers
on it, the same on the embedded store and FalkorDB."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph_service.bulk import execute_many
from graph_service.config import Settings
from graph_service.ingest import read_input
from graph_service.linkage.holdings import staff
from graph_service.stores.base import GraphStore
from graph_service.stores.cypher import CypherStore
from graph_service.stores.embedded import EmbeddedStore
from tests.conftest import FINBENCH_SAMPLE, REPO_ROOT

ASSIGNMENT = REPO_ROOT / "loaders" / "finbench-managers"
MANAGERS = [
    ("FBM1", "Ada Lin", "corporate", "Branch North"),
    ("FBM2", "Ben Okafor", "corporate", "Branch North"),
    ("FBM3", "Chen Wei", "corporate", "Branch South"),
    ("FBM4", "Dora Silva", "corporate", "Branch South"),
    ("FBM5", "Eli Novak", "private_banking", "Branch North"),
]
"""The managers of the assignment: id, name, kind, branch (loaders/finbench-managers/README.md)."""
CORPORATE = [m[0] for m in MANAGERS if m[2] == "corporate"]


async def assignment(store: GraphStore) -> tuple[list[list[str]], list[list[str]]]:
    """The rows of managers.csv and manages.csv by the README's rule, over a loaded sample.

    The 40 enterprises with the most employees (ties by id as text), in that order: the
    i-th managed by corporate manager ``i mod 4``, and every fifth (i = 0, 5, ...) also by
    the next one; the private-banking manager manages the first 10 people by id as text.
    """
    enterprises = await store.list_ids("Enterprise")
    sizes = dict(zip(enterprises, map(len, await staff(store, enterprises)), strict=True))
    biggest = sorted(enterprises, key=lambda e: (-sizes[e], e))[:40]
    manages = []
    for i, enterprise in enumerate(biggest):
        manages.append([CORPORATE[i % 4], "Enterprise", enterprise])
        if i % 5 == 0:
            manages.append([CORPORATE[(i + 1) % 4], "Enterprise", enterprise])
    manages += [["FBM5", "Person", p] for p in (await store.list_ids("Person"))[:10]]
    return [list(m) for m in MANAGERS], manages


def _rows(name: str) -> tuple[list[str], list[list[str]]]:
    with (ASSIGNMENT / name).open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def _load_sample(store: GraphStore, with_managers: bool) -> None:
    asyncio.run(store.write(read_input("ldbc-finbench", FINBENCH_SAMPLE)))
    if with_managers:
        asyncio.run(store.write(read_input("canonical", ASSIGNMENT)))


def test_the_shipped_assignment_follows_its_rule(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    _load_sample(store, with_managers=False)
    managers, manages = asyncio.run(assignment(store))
    asyncio.run(store.close())
    assert _rows("managers.csv") == (["id", "name", "kind", "branch"], managers)
    assert _rows("manages.csv") == (["manager_id", "client_label", "client_id"], manages)


@pytest.fixture(scope="module")
def sample_with_managers(
    tmp_path_factory: pytest.TempPathFactory, falkordb_url: str
) -> Iterator[list[GraphStore]]:
    """The sample plus the assignment, in the embedded store and in FalkorDB."""
    stores: list[GraphStore] = [
        EmbeddedStore(tmp_path_factory.mktemp("finbench-managers")),
        CypherStore(Settings(backend="falkordb", falkordb_url=falkordb_url,
                             falkordb_graph="finbench-managers")),  # fmt: skip
    ]
    for store in stores:
        _load_sample(store, with_managers=True)
    yield stores
    for store in stores:
        asyncio.run(store.close())


LEADS = """query($m: ID!) { managerLeads(managerId: $m, first: 1000) { totalCount edges {
  hop kinds node { id } signal { executive shareholding transferAmount }
  path { length nodes { label id } relationships { type } } } } }"""
ROLLUP = """query($g: RollupGroup!) { coverageRollup(groupBy: $g) { totalCount edges {
  key enterprises employees covered uncovered rate } } }"""
CLIENTS = """query($m: ID!) { manager(id: $m) { branch clients(first: 100) { totalCount
  edges { node { ... on Enterprise { id payrollCoverage { employees } crossSellRollup {
  productsPerEmployee } } ... on Person { id } } } } } }"""


def _run(store: GraphStore, document: str, variables: list[dict[str, Any]]) -> list[Any]:
    results = asyncio.run(execute_many(store, Settings(), document, variables))
    assert all(not errors for _, errors in results), results
    return [data for data, _ in results]


def test_every_manager_question_answers_on_the_sample(
    sample_with_managers: list[GraphStore],
) -> None:
    managers = [{"m": m[0]} for m in MANAGERS]
    groups = [{"g": g} for g in ("MANAGER", "BRANCH", "INDUSTRY", "REGION")]
    answers = []
    for store in sample_with_managers:
        clients = _run(store, CLIENTS, managers)
        leads = _run(store, LEADS, managers)
        rollups = _run(store, ROLLUP, groups)
        answers.append(json.dumps([clients, leads, rollups], sort_keys=True))
        assert [c["manager"]["clients"]["totalCount"] for c in clients] == [12, 12, 12, 12, 10]
        [_, manages] = _rows("manages.csv")
        for (manager, *_), found in zip(MANAGERS, leads, strict=True):
            edges = found["managerLeads"]["edges"]
            assert edges, f"{manager} has no lead"
            mine = {(label.upper(), client) for m, label, client in manages if m == manager}
            for edge in edges:
                path = edge["path"]
                assert (path["nodes"][0]["label"], path["nodes"][0]["id"]) in mine
                assert path["nodes"][-1] == {"label": "PERSON", "id": edge["node"]["id"]}
                assert path["length"] == edge["hop"] <= 2 and edge["kinds"]
        by_manager = {e["key"]: e for e in rollups[0]["coverageRollup"]["edges"]}
        assert list(by_manager) == ["FBM1", "FBM2", "FBM3", "FBM4", None]
        assert sum(by_manager[m]["enterprises"] for m in CORPORATE) == 40 + 8
        assert by_manager[None]["enterprises"] == 967 - 40
        by_branch = {e["key"]: e["enterprises"] for e in rollups[1]["coverageRollup"]["edges"]}
        assert by_branch == {"Branch North": 20 + 2, "Branch South": 20 + 2, None: 927}
        # FinBench has no industry or region: one group of every enterprise, key null.
        for rollup in rollups[2:]:
            [only] = rollup["coverageRollup"]["edges"]
            assert only["key"] is None and only["enterprises"] == 967
    assert answers[0] == answers[1]
