"""The remaining linkage questions against a plain Python reading of a generated bank.

The reference reads the generator's canonical CSV files with the ``csv`` module and applies
each rule of queries/ directly (no store, no service code); the service answers from the
embedded store loaded with the same files. The differential tests then carry the answers
over to FalkorDB.
"""

from __future__ import annotations

import asyncio
import csv
import math
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph_service.config import Settings
from graph_service.ingest import read_input
from graph_service.ingest.generator import generate
from graph_service.linkage import cross_sell_rollup, dormant, leads, prospects, rollup
from graph_service.linkage.question import Id, answer
from graph_service.stores.embedded import EmbeddedStore

SETTINGS = Settings()
TYPE_ORDER = ["EMPLOYED_BY", "SHAREHOLDER_OF", "OWNS", "MANAGES", "GUARANTEES",
              "TRANSFERRED_TO"]  # fmt: skip
KINDS = ["UNCOVERED_EMPLOYEE", "EXECUTIVE_WITHOUT_PRIVATE_BANKING",
         "SHAREHOLDER_WITHOUT_PRIVATE_BANKING"]  # fmt: skip
Key = tuple[str, str]


class Bank:
    """The generated bank, read plainly from its CSV files."""

    def __init__(self, directory: Path) -> None:
        def rows(name: str) -> list[dict[str, str]]:
            with (directory / name).open(encoding="utf-8", newline="") as handle:
                return list(csv.DictReader(handle))

        def label(text: str) -> str:
            return text.capitalize()

        self.enterprises = {r["id"]: r for r in rows("enterprises.csv")}
        self.persons = {r["id"]: r for r in rows("persons.csv")}
        self.accounts = {r["id"]: r for r in rows("accounts.csv")}
        self.managers = {r["id"]: r for r in rows("managers.csv")}
        self.employed = rows("employed_by.csv")
        self.shares = rows("shareholder_of.csv")
        self.owns: dict[Key, list[str]] = defaultdict(list)
        for r in rows("owns.csv"):
            self.owns[(label(r["owner_label"]), r["owner_id"])].append(r["account_id"])
        self.manages: dict[str, list[Key]] = defaultdict(list)
        for r in rows("manages.csv"):
            self.manages[r["manager_id"]].append((label(r["client_label"]), r["client_id"]))
        self.transfers: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
        for r in rows("transferred_to.csv"):
            for account in {r["from_id"], r["to_id"]}:
                self.transfers[account].append(
                    (r["from_id"], r["to_id"], float(r["total_amount"])))
        # Relationships for the lead search: (type, start, end), either direction.
        self.links: dict[Key, list[tuple[str, Key, Key]]] = defaultdict(list)
        rels = [("EMPLOYED_BY", ("Person", r["person_id"]), ("Enterprise", r["enterprise_id"]))
                for r in self.employed]
        rels += [("SHAREHOLDER_OF", (label(r["holder_label"]), r["holder_id"]),
                  ("Enterprise", r["enterprise_id"])) for r in self.shares]
        rels += [("GUARANTEES", (label(r["label"]), r["from_id"]), (label(r["label"]), r["to_id"]))
                 for r in rows("guarantees.csv")]  # fmt: skip
        for rel in rels:
            self.links[rel[1]].append(rel)
            self.links[rel[2]].append(rel)

    def active(self, owner: Key) -> set[str]:
        return {self.accounts[a]["type"] for a in self.owns[owner]
                if self.accounts[a]["status"] == "active"}  # fmt: skip

    def staff(self, enterprise: str) -> set[str]:
        return {r["person_id"] for r in self.employed if r["enterprise_id"] == enterprise}

    def coverage(self, enterprise: str) -> tuple[int, int]:
        people = self.staff(enterprise)
        return len(people), sum("debit card" in self.active(("Person", p)) for p in people)

    def profile(self, person: str) -> tuple[list[str], tuple[bool, float, float]]:
        jobs = [r for r in self.employed if r["person_id"] == person]
        held = [float(r["ratio"]) for r in self.shares
                if r["holder_label"].capitalize() == "Person" and r["holder_id"] == person]
        active = self.active(("Person", person))
        private = self.persons[person].get("segment") == "private" or "trust account" in active
        executive = any(r["role"] == "executive" for r in jobs)
        kinds = [kind for kind, holds in zip(KINDS, (
            bool(jobs) and "debit card" not in active, executive and not private,
            bool(held) and not private), strict=True) if holds]  # fmt: skip
        moved = {t for a in self.owns[("Person", person)] for t in self.transfers[a]}
        amount = math.fsum(x for _, _, x in moved)
        return kinds, (executive, max(held, default=0.0), amount)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bank, EmbeddedStore]]:
    """A generated bank of 3,000 people, read plainly and loaded in the embedded store."""
    directory = tmp_path_factory.mktemp("bank") / "input"
    generate(3_000, 5, directory)
    store = EmbeddedStore(tmp_path_factory.mktemp("store"))
    asyncio.run(store.write(read_input("canonical", directory)))
    yield Bank(directory), store
    asyncio.run(store.close())


def ask(store: EmbeddedStore, module: Any, args: Any) -> Any:
    return asyncio.run(answer(module.QUESTION, store, SETTINGS, args))


@pytest.mark.parametrize("group_by", list(rollup.RollupGroup))
def test_coverage_rollup(generated: tuple[Bank, EmbeddedStore],
                         group_by: rollup.RollupGroup) -> None:  # fmt: skip
    bank, store = generated
    groups: dict[str | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    managers_of: dict[str, set[str]] = defaultdict(set)
    for manager, clients in bank.manages.items():
        for label, client in clients:
            if label == "Enterprise":
                managers_of[client].add(manager)
    for enterprise, row in bank.enterprises.items():
        if group_by is rollup.RollupGroup.MANAGER:
            keys: set[str | None] = set(managers_of[enterprise])
        elif group_by is rollup.RollupGroup.BRANCH:
            keys = {bank.managers[m]["branch"] for m in managers_of[enterprise]} - {""}
        else:
            keys = {row.get(group_by.value.lower()) or None}
        employees, covered = bank.coverage(enterprise)
        for key in keys or {None}:
            groups[key][0] += 1
            groups[key][1] += employees
            groups[key][2] += covered
    expected = sorted(
        ((k, n, e, c, e - c, c / e if e else None) for k, (n, e, c) in groups.items()),
        key=lambda g: (g[0] is None, g[0] or ""),
    )
    found = ask(store, rollup, rollup.RollupArgs(group_by)).items
    assert [(g.key, g.enterprises, g.employees, g.covered, g.uncovered, g.rate)
            for g in found] == expected  # fmt: skip
    assert len(expected) > 1


def test_dormant_accounts(generated: tuple[Bank, EmbeddedStore]) -> None:
    bank, store = generated
    listed = 0
    for enterprise in sorted(bank.enterprises)[:60]:
        circle = [("Enterprise", enterprise), *(("Person", p) for p in bank.staff(enterprise))]
        owners: dict[str, list[Key]] = defaultdict(list)
        for owner in sorted(circle):
            for account in bank.owns[owner]:
                if bank.accounts[account]["status"] == "dormant":
                    owners[account].append(owner)
        found = ask(store, dormant, dormant.DormantArgs(Id(enterprise))).items
        assert [(d.node.id, [o.key for o in d.owners], d.reason.value) for d in found] == [
            (a, owners[a], "STATUS_DORMANT") for a in sorted(owners)
        ]
        listed += len(found)
    assert listed > 0


def _reference_leads(bank: Bank, manager: str, max_hops: int) -> list[tuple[Any, ...]]:
    """Breadth-first by hand, each node's previous node the first of the level before."""
    frontier = sorted(set(bank.manages[manager]))
    previous: dict[Key, Key | None] = dict.fromkeys(frontier)
    hop = dict.fromkeys(frontier, 0)
    for level in range(1, max_hops + 1):
        fresh = []
        for node in frontier:
            others = sorted({e if s == node else s for _, s, e in bank.links[node]})
            for other in others:
                if other not in previous:
                    previous[other], hop[other] = node, level
                    fresh.append(other)
        frontier = sorted(fresh)
    found = []
    for node, distance in hop.items():
        if node[0] != "Person":
            continue
        kinds, signal = bank.profile(node[1])
        if not kinds:
            continue
        path, rels, at = [node], [], node
        while previous[at] is not None:
            before = previous[at]
            assert before is not None
            joining = [r for r in bank.links[at] if before in (r[1], r[2])]
            rels.insert(0, min(joining, key=lambda r: (TYPE_ORDER.index(r[0]), r[1]))[0])
            path.insert(0, before)
            at = before
        executive, ratio, amount = signal
        found.append(((distance, -int(executive), -ratio, -amount, node[1]), kinds, path, rels))
    return sorted(found)


def test_manager_leads(generated: tuple[Bank, EmbeddedStore]) -> None:
    bank, store = generated
    compared = 0
    for manager in sorted(bank.managers)[:12]:
        for max_hops in (1, 2):
            expected = _reference_leads(bank, manager, max_hops)
            found = ask(store, leads, leads.LeadsArgs(Id(manager), max_hops)).items
            assert [
                (leads.rank(lead), [k.value for k in lead.kinds],
                 [n.key for n in lead.path.nodes], [r.type for r in lead.path.relationships])
                for lead in found
            ] == expected  # fmt: skip
            compared += len(found)
    assert compared > 50


def test_private_banking_prospects(generated: tuple[Bank, EmbeddedStore]) -> None:
    bank, store = generated
    candidates = {r["person_id"] for r in bank.employed if r["role"] == "executive"}
    candidates |= {r["holder_id"] for r in bank.shares if r["holder_label"] == "Person"}
    everyone = []
    for person in candidates:
        kinds, (executive, ratio, amount) = bank.profile(person)
        kinds = [k for k in kinds if k != "UNCOVERED_EMPLOYEE"]
        if kinds:
            everyone.append(((-int(executive), -ratio, -amount, person), kinds))
    everyone.sort()
    for least_ratio, least_amount in ((None, None), (0.2, None), (None, 20_000.0)):
        args = prospects.ProspectsArgs(least_ratio, least_amount)
        expected = [
            (key, kinds) for key, kinds in everyone
            if (least_ratio is None or -key[1] >= least_ratio)
            and (least_amount is None or -key[2] >= least_amount)
        ]  # fmt: skip
        found = ask(store, prospects, args).items
        assert [(prospects.rank(p), [k.value for k in p.kinds]) for p in found] == expected
        assert expected


def test_cross_sell_rollup(generated: tuple[Bank, EmbeddedStore]) -> None:
    bank, store = generated
    catalogue = SETTINGS.product_catalogue
    for enterprise in sorted(bank.enterprises)[:60]:
        people = bank.staff(enterprise)
        held = [bank.active(("Person", p)) for p in people]
        counts = [sum(product in h for h in held) for product in catalogue]
        n = len(people)
        found = ask(store, cross_sell_rollup,
                    cross_sell_rollup.CrossSellArgs(Id(enterprise)))  # fmt: skip
        assert found.employees == n
        assert found.products_per_employee == (sum(counts) / n if n else None)
        assert [(p.product, p.holders, p.rate) for p in found.penetration] == [
            (product, c, c / n if n else None)
            for product, c in zip(catalogue, counts, strict=True)
        ]
