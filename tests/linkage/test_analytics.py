"""The analytics questions (enterpriseGroups, guaranteeCircles, influence) against plain
reference implementations on seeded random banks: union-find, a depth-first cycle walk and
PageRank by power iteration, written here without networkx; the same answers from the
embedded store and FalkorDB; the access rules (analysts and admins, persons masked) and
coded bad arguments."""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph_service.auth.caller import Caller, Role
from graph_service.bulk import execute_many
from graph_service.config import Settings
from graph_service.errors import InvalidInputError
from graph_service.linkage import circles, groups, influence
from graph_service.linkage.analytics import ANALYTICS_COST, in_worker
from graph_service.linkage.question import answer
from graph_service.records import GraphBatch, NodeRow, RelationshipRow
from graph_service.stores.base import GraphStore
from graph_service.stores.cypher import CypherStore
from graph_service.stores.embedded import EmbeddedStore

SETTINGS = Settings()
ALPHA = 0.85
SEEDS = range(30)
FALKORDB_SEEDS = (0, 9, 11, 23, 26)
"""Banks with several groups or many circles, written to FalkorDB too."""
Key = tuple[str, str]


def _n(label: str, node_id: str, **props: Any) -> NodeRow:
    return NodeRow(label, node_id, props, "random-bank", 0)


def _r(rel_type: str, start: Key, end: Key, **props: Any) -> RelationshipRow:
    return RelationshipRow(rel_type, start, end, props, "random-bank", 0)


class RandomBank:
    """A seeded random bank: its batch, and its relationships as plain Python values."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        n_e, n_p = rng.randint(2, 14), rng.randint(0, 20)
        # Ids of both labels overlap ("X1" may be an enterprise and a person) and sort as text
        # ("E10" before "E2").
        self.enterprises = [f"E{i}" for i in range(n_e)] + ["X1"] * rng.randint(0, 1)
        self.persons = [f"P{i}" for i in range(n_p)] + ["X1"] * rng.randint(0, 1)
        nodes = [_n("Enterprise", e, name=f"Enterprise {e}") for e in self.enterprises]
        nodes += [_n("Person", p, name=f"Person {p}", segment="mass") for p in self.persons]
        rels: list[RelationshipRow] = []
        self.employed: set[tuple[str, str]] = set()  # (person, enterprise)
        self.covered: set[str] = set()  # persons owning an active debit card
        for i, p in enumerate(self.persons):
            for e in rng.sample(self.enterprises, rng.randint(0, min(2, n_e))):
                self.employed.add((p, e))
                rels.append(_r("EMPLOYED_BY", ("Person", p), ("Enterprise", e),
                               role=rng.choice(["employee", "executive"])))  # fmt: skip
            for j in range(rng.randint(0, 2)):
                account, kind = f"A{i}-{j}", rng.choice(["debit card", "credit card"])
                status = rng.choice(["active", "blocked"])
                nodes.append(_n("Account", account, type=kind, status=status))
                rels.append(_r("OWNS", ("Person", p), ("Account", account)))
                if kind == "debit card" and status == "active":
                    self.covered.add(p)
        parties = [("Enterprise", e) for e in self.enterprises]
        parties += [("Person", p) for p in self.persons]
        # SHAREHOLDER_OF: holder (person or enterprise) -> enterprise, ratios 0 included.
        self.shares: dict[tuple[Key, Key], float] = {}
        for _ in range(rng.randint(0, n_e)):
            holder = rng.choice(parties)
            held = ("Enterprise", rng.choice(self.enterprises))
            if holder != held:
                self.shares[(holder, held)] = rng.choice([0.0, 0.05, 0.2, 0.5, 1.0, rng.random()])
        rels += [_r("SHAREHOLDER_OF", h, e, ratio=r) for (h, e), r in self.shares.items()]
        # GUARANTEES between enterprises (dense enough for circles) and between persons.
        density = rng.choice([0.03, 0.08, 0.2, 0.3])
        self.guarantees = {(a, b) for a in self.enterprises for b in self.enterprises
                           if a != b and rng.random() < density}  # fmt: skip
        rels += [_r("GUARANTEES", ("Enterprise", a), ("Enterprise", b)) for a, b in self.guarantees]
        for _ in range(rng.randint(0, n_p)):
            a, b = rng.sample(self.persons, 2) if len(self.persons) > 1 else (None, None)
            if a is not None and b is not None:
                rels.append(_r("GUARANTEES", ("Person", a), ("Person", b)))
        self.batch = GraphBatch(nodes=nodes, relationships=rels, files=["random-bank"])

    # -- references ----------------------------------------------------------------------

    def groups(self) -> list[tuple[list[str], int, int, float | None]]:
        """Union-find over enterprise-to-enterprise shareholdings and guarantees."""
        parent = {e: e for e in self.enterprises}

        def root(e: str) -> str:
            while parent[e] != e:
                parent[e] = parent[parent[e]]
                e = parent[e]
            return e

        linked = set()
        pairs = [(h[1], e[1]) for (h, e) in self.shares if h[0] == "Enterprise"]
        for a, b in [*pairs, *self.guarantees]:
            linked |= {a, b}
            parent[root(a)] = root(b)
        members: dict[str, list[str]] = defaultdict(list)
        for e in sorted(linked):
            members[root(e)].append(e)
        found = []
        for group in members.values():
            if len(group) < 2:
                continue
            staff = [p for p, e in self.employed if e in group]
            covered = sum(1 for p in staff if p in self.covered)
            found.append((group, len(staff), covered, covered / len(staff) if staff else None))
        found.sort(key=lambda g: (-len(g[0]), g[0][0]))
        return found

    def circles(self, max_length: int) -> list[list[str]]:
        """Depth-first walks from each enterprise through larger ids back to it."""
        succ: dict[str, list[str]] = defaultdict(list)
        for a, b in sorted(self.guarantees):
            succ[a].append(b)
        found: list[list[str]] = []

        def walk(path: list[str]) -> None:
            for nxt in succ[path[-1]]:
                if nxt == path[0]:
                    found.append(list(path))
                elif nxt > path[0] and nxt not in path and len(path) < max_length:
                    walk([*path, nxt])

        for start in sorted(set(self.enterprises)):
            walk([start])
        found.sort(key=lambda ids: (len(ids), ids))
        return found

    def pagerank(self) -> dict[Key, float]:
        """Power iteration: holder -> held weighted by ratio, dangling mass spread evenly."""
        nodes = sorted({k for pair in self.shares for k in pair})
        n = len(nodes)
        out: dict[Key, float] = defaultdict(float)
        incoming: dict[Key, list[tuple[Key, float]]] = defaultdict(list)
        for (h, e), ratio in self.shares.items():
            out[h] += ratio
            incoming[e].append((h, ratio))
        score = dict.fromkeys(nodes, 1.0 / n) if n else {}
        for _ in range(500):
            dangling = sum(score[k] for k in nodes if out[k] == 0)
            score = {
                k: (1 - ALPHA) / n + ALPHA * (
                    dangling / n + sum(score[h] * r / out[h] for h, r in incoming[k] if out[h])
                )
                for k in nodes
            }  # fmt: skip
        return score


def _store(seed: int, tmp_path: Path) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path / f"bank-{seed}")
    asyncio.run(store.write(RandomBank(seed).batch))
    return store


def _groups(store: GraphStore) -> list[tuple[list[str], int, int, float | None]]:
    found = asyncio.run(answer(groups.QUESTION, store, SETTINGS, groups.GroupsArgs()))
    return [([m.id for m in g.members], g.staff, g.covered, g.rate) for g in found.items]


def _circles(store: GraphStore, max_length: int) -> list[list[str]]:
    args = circles.CirclesArgs(max_length)
    found = asyncio.run(answer(circles.QUESTION, store, SETTINGS, args))
    assert all(c.length == len(c.members) for c in found.items)
    return [[m.id for m in c.members] for c in found.items]


def _influence(store: GraphStore, labels: Any = None) -> list[tuple[str, str, float]]:
    args = influence.InfluenceArgs(labels)
    found = asyncio.run(answer(influence.QUESTION, store, SETTINGS, args))
    return [(i.node.label, i.node.id, i.score) for i in found.items]


@pytest.mark.parametrize("seed", SEEDS)
def test_groups_equal_union_find(seed: int, tmp_path: Path) -> None:
    bank, store = RandomBank(seed), _store(seed, tmp_path)
    assert _groups(store) == bank.groups()


@pytest.mark.parametrize("seed", SEEDS)
def test_circles_equal_a_depth_first_walk(seed: int, tmp_path: Path) -> None:
    bank, store = RandomBank(seed), _store(seed, tmp_path)
    for max_length in (1, 2, 3, 4, 6):
        assert _circles(store, max_length) == bank.circles(max_length), max_length


@pytest.mark.parametrize("seed", SEEDS)
def test_influence_equals_power_iteration(seed: int, tmp_path: Path) -> None:
    bank, store = RandomBank(seed), _store(seed, tmp_path)
    reference = bank.pagerank()
    found = _influence(store)
    assert {(label, i) for label, i, _ in found} == set(reference)
    for label, node_id, score in found:
        assert score == pytest.approx(reference[(label, node_id)], abs=1e-8)
    if found:
        assert sum(score for *_, score in found) == pytest.approx(1.0, abs=1e-9)
    for (la, a, sa), (lb, b, sb) in zip(found, found[1:], strict=False):
        assert sa >= sb and (sa > sb or (a, la) < (b, lb))  # score down, then id, label
        assert reference[(la, a)] >= reference[(lb, b)] - 1e-8
    enterprises = _influence(store, (influence.PartyLabel.ENTERPRISE,))
    assert enterprises == [f for f in found if f[0] == "Enterprise"]


def test_the_random_banks_are_not_trivial() -> None:
    banks = [RandomBank(seed) for seed in SEEDS]
    assert sum(len(bank.groups()) >= 2 for bank in banks) >= 4
    assert sum(any(len(c) >= 3 for c in bank.circles(6)) for bank in banks) >= 8
    assert sum(any(h[0] == "Person" for h, _ in bank.shares) for bank in banks) >= 20
    for seed in FALKORDB_SEEDS:
        bank = RandomBank(seed)
        assert len(bank.groups()) >= 2 or len(bank.circles(6)) >= 10


def test_circles_by_hand(tmp_path: Path) -> None:
    # E1 -> E2 -> E3 -> E1, E2 <-> E3, E4 -> E4 (a self-guarantee), E1 -> E4.
    bank = [("E1", "E2"), ("E2", "E3"), ("E3", "E1"), ("E3", "E2"), ("E4", "E4"), ("E1", "E4")]
    batch = GraphBatch(
        nodes=[_n("Enterprise", e) for e in ("E1", "E2", "E3", "E4")],
        relationships=[_r("GUARANTEES", ("Enterprise", a), ("Enterprise", b)) for a, b in bank],
        files=["by-hand"],
    )
    store = EmbeddedStore(tmp_path / "circles")
    asyncio.run(store.write(batch))
    assert _circles(store, 1) == [["E4"]]
    assert _circles(store, 2) == [["E4"], ["E2", "E3"]]
    assert _circles(store, 3) == [["E4"], ["E2", "E3"], ["E1", "E2", "E3"]]
    # A write reaches the next answer (the embedded store's kept relationships are dropped).
    more = [_r("GUARANTEES", ("Enterprise", "E4"), ("Enterprise", "E1"))]
    asyncio.run(store.write(GraphBatch(nodes=[], relationships=more, files=["more"])))
    assert _circles(store, 2) == [["E4"], ["E1", "E4"], ["E2", "E3"]]
    assert [g[0] for g in _groups(store)] == [["E1", "E2", "E3", "E4"]]


def test_too_many_circles_are_refused_not_cut(tmp_path: Path) -> None:
    # Seven enterprises all guaranteeing each other: 21 circles of 2, 70 of 3 (91 within 3).
    ids = [f"E{i}" for i in range(7)]
    batch = GraphBatch(
        nodes=[_n("Enterprise", e) for e in ids],
        relationships=[_r("GUARANTEES", ("Enterprise", a), ("Enterprise", b))
                       for a in ids for b in ids if a != b],  # fmt: skip
        files=["clique"],
    )
    store = EmbeddedStore(tmp_path / "clique")
    asyncio.run(store.write(batch))
    document = "query($l: Int!) { guaranteeCircles(maxLength: $l) { totalCount } }"

    def ask(length: int, limit: int) -> tuple[Any, list[dict[str, Any]]]:
        [found] = asyncio.run(execute_many(store, Settings(max_circles=limit), document,
                                           [{"l": length}]))  # fmt: skip
        return found

    assert ask(3, 91) == ({"guaranteeCircles": {"totalCount": 91}}, [])
    data, [error] = ask(3, 90)
    assert data is None and error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == ("more than 90 guarantee circles of at most 3 enterprises "
                                "(GRAPH_SERVICE_MAX_CIRCLES): ask a smaller maxLength")
    assert ask(2, 90) == ({"guaranteeCircles": {"totalCount": 21}}, [])


# -- every store, the same answers ---------------------------------------------------------


@pytest.fixture(scope="module")
def falkordb_banks(falkordb_url: str, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[list[tuple[GraphStore, GraphStore]]]:
    """Five random banks, each in the embedded store and in FalkorDB."""
    pairs = []
    for seed in FALKORDB_SEEDS:
        embedded = EmbeddedStore(tmp_path_factory.mktemp(f"analytics-{seed}"))
        falkordb = CypherStore(Settings(backend="falkordb", falkordb_url=falkordb_url,
                                        falkordb_graph=f"analytics-{seed}"))  # fmt: skip
        for store in (embedded, falkordb):
            asyncio.run(store.write(RandomBank(seed).batch))
        pairs.append((embedded, falkordb))
    yield pairs
    for pair in pairs:
        for store in pair:
            asyncio.run(store.close())


def test_falkordb_answers_as_the_embedded_store(
    falkordb_banks: list[tuple[GraphStore, GraphStore]],
) -> None:
    for embedded, falkordb in falkordb_banks:
        types = frozenset({"SHAREHOLDER_OF", "GUARANTEES"})
        expected, actual = (asyncio.run(s.relationships_of_types(types)) for s in
                            (embedded, falkordb))  # fmt: skip
        assert [(r.type, r.start, r.end, dict(r.props)) for r in actual] == [
            (r.type, r.start, r.end, dict(r.props)) for r in expected
        ]
        assert _groups(falkordb) == _groups(embedded)
        assert _circles(falkordb, 6) == _circles(embedded, 6)
        assert _influence(falkordb) == _influence(embedded)  # the same floats, to the last bit


# -- access and arguments ------------------------------------------------------------------

QUERY = """query($l: Int!, $labels: [PartyLabel!]) {
  enterpriseGroups { totalCount edges { size members { id name } } }
  guaranteeCircles(maxLength: $l) { totalCount edges { length members { id } } }
  influence(labels: $labels) { totalCount edges { score
    node { ... on Person { id name segment masked } ... on Enterprise { id name masked } } } }
}"""


ROOMY = Settings(max_query_nodes=4 * ANALYTICS_COST)
"""A node budget admitting :data:`QUERY`'s three analytics questions in one request."""


def _run(store: GraphStore, variables: dict[str, Any], caller: Caller | None = None
         ) -> tuple[Any, list[dict[str, Any]]]:
    [(data, errors)] = asyncio.run(
        execute_many(store, ROOMY, QUERY, [variables], caller=caller)
    )
    return data, errors


def test_one_analytics_question_per_request_with_the_default_budget(
    small_bank: EmbeddedStore,
) -> None:
    [(data, errors)] = asyncio.run(execute_many(small_bank, SETTINGS, QUERY, [{"l": 4}]))
    assert data is None
    [error] = errors
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "estimate": 3 * (30_000 + 100),
                                   "limit": 50_000}  # fmt: skip
    for field in ("enterpriseGroups", "guaranteeCircles(maxLength: 2)", "influence"):
        [(data, errors)] = asyncio.run(execute_many(
            small_bank, SETTINGS, f"{{ {field} {{ totalCount }} }}", [{}]))  # fmt: skip
        assert not errors and data is not None, (field, errors)
    twice = "{ a: influence { totalCount } b: influence(labels: [PERSON]) { totalCount } }"
    [(data, errors)] = asyncio.run(execute_many(small_bank, SETTINGS, twice, [{}]))
    assert [e["extensions"]["code"] for e in errors] == ["QUERY_TOO_COMPLEX"]


def test_the_computation_runs_off_the_event_loop_and_answers_what_it_returns() -> None:
    async def run() -> tuple[int, int]:
        return threading.get_ident(), await in_worker(threading.get_ident)

    loop_thread, worker = asyncio.run(run())
    assert worker != loop_thread
    assert asyncio.run(in_worker(sorted, [3, 1, 2])) == [1, 2, 3]
    with pytest.raises(ZeroDivisionError):
        asyncio.run(in_worker(lambda: 1 / 0))


def test_an_analyst_gets_persons_masked(small_bank: EmbeddedStore) -> None:
    admin, errors = _run(small_bank, {"l": 4})
    assert not errors
    analyst, errors = _run(small_bank, {"l": 4}, Caller("a", Role.ANALYST))
    assert not errors
    assert analyst["enterpriseGroups"] == admin["enterpriseGroups"]  # enterprises unmasked
    people = [e["node"] for e in analyst["influence"]["edges"] if "segment" in e["node"]]
    assert people == [{"id": "P4", "name": None, "segment": None, "masked": True}]
    shown = [e["node"] for e in admin["influence"]["edges"] if "segment" in e["node"]]
    assert shown == [{"id": "P4", "name": "Dan", "segment": "mass", "masked": False}]
    assert [e["score"] for e in analyst["influence"]["edges"]] == [
        e["score"] for e in admin["influence"]["edges"]
    ]


@pytest.mark.parametrize("caller", [Caller("m", Role.MANAGER, manager_id="M1"),
                                    Caller("x", Role.APP)])  # fmt: skip
def test_managers_and_applications_are_refused(small_bank: EmbeddedStore, caller: Caller) -> None:
    for field in ("enterpriseGroups", "guaranteeCircles", "influence"):
        [(data, errors)] = asyncio.run(execute_many(
            small_bank, SETTINGS, f"{{ {field} {{ totalCount }} }}", [{}], caller=caller
        ))  # fmt: skip
        assert data is None
        assert [(e["extensions"]["code"], e["path"]) for e in errors] == [("FORBIDDEN", [field])]
        assert f"{field} is for the roles admin, analyst, not {caller.role.value}" in (
            errors[0]["message"]
        )


@pytest.mark.parametrize(("variables", "named"), [
    ({"l": 0}, "maxLength must be between 1 and 6, got 0"),
    ({"l": 7}, "maxLength must be between 1 and 6, got 7"),
    ({"l": 2, "labels": []}, "labels must name at least one"),
])  # fmt: skip
def test_bad_arguments_are_coded(small_bank: EmbeddedStore, variables: dict[str, Any],
                                 named: str) -> None:  # fmt: skip
    _, errors = _run(small_bank, variables)
    assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"]
    assert named in errors[0]["message"]


def test_the_bound_is_a_setting(small_bank: EmbeddedStore) -> None:
    with pytest.raises(InvalidInputError, match="between 1 and 2, got 3"):
        circles.validate(circles.CirclesArgs(3), Settings(max_circle_length=2))
    assert circles.validate(circles.CirclesArgs(8), Settings(max_circle_length=8)).max_length == 8


def test_pages_follow_versioned_cursors(tmp_path: Path) -> None:
    store = _store(3, tmp_path)
    document = """query($after: String) { influence(first: 3, after: $after) {
      totalCount edges { cursor score node { ... on Enterprise { id } ... on Person { id } } }
      pageInfo { hasNextPage endCursor } } }"""
    pages, after = [], None
    while True:
        [(data, errors)] = asyncio.run(execute_many(store, SETTINGS, document, [{"after": after}]))
        assert not errors
        pages.append(data["influence"])
        if not data["influence"]["pageInfo"]["hasNextPage"]:
            break
        after = data["influence"]["pageInfo"]["endCursor"]
    paged = [(e["node"]["id"], e["score"]) for page in pages for e in page["edges"]]
    whole = [(node_id, score) for _, node_id, score in _influence(store)]
    assert len(pages) > 1 and paged == whole
    assert json.loads(json.dumps(pages[0]["totalCount"])) == len(whole)
