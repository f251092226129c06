"""The write path (``GraphStore.write``): deletions and upserts, all or nothing, durable."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from graph_service.errors import GraphServiceError, InvalidInputError, StoreUnavailableError
from graph_service.linkage import traversal
from graph_service.records import Expected, GraphBatch, NodeRow, RelationshipRow
from graph_service.rules import LinkageRules
from graph_service.stores.base import Direction, GraphStore, LeadFacts
from graph_service.stores.cypher import WRITE_SECTIONS
from graph_service.stores.embedded import DB_FILE, CommitCounts, EmbeddedStore
from graph_service.stores.embedded.questions import PRODUCT_SETS
from tests.conftest import (
    REPO_ROOT,
    backend_settings,
    close,
    small_bank_batch,
    store_for,
    write_small_bank,
)
from tests.stores.test_embedded import SMALL_BANK_COUNTS, content

P, E, A = "Person", "Enterprise", "Account"


def run(store: GraphStore, batch: GraphBatch) -> None:
    asyncio.run(store.write(batch))


def counts(store: GraphStore) -> dict[str, int]:
    return asyncio.run(store.counts())


def present(store: GraphStore, label: str, *ids: str) -> list[bool]:
    return [node is not None for node in asyncio.run(store.get_nodes(label, list(ids)))]


def linked(store: GraphStore, key: tuple[str, str], rel_type: str) -> list[str]:
    """Ids of the nodes ``key`` reaches by ``rel_type`` relationships, either direction."""
    found = []
    for direction in Direction:
        [links] = asyncio.run(store.neighbors(key[0], [key[1]], rel_type, direction))
        found += [node.id for _, node in links]
    return sorted(found)


def test_the_write_statement_has_a_section_per_parameter() -> None:
    text = (REPO_ROOT / "queries" / "cypher" / "write.cypher").read_text()
    assert re.findall(r"UNWIND \$(\w+) AS", text) == [name for _, name in WRITE_SECTIONS]


def test_deleting_a_node_deletes_its_relationships(bank: GraphStore) -> None:
    # P4: two employers, a shareholding; P3 owns two accounts.
    run(bank, GraphBatch(deleted_nodes=[(P, "P4")]))
    assert present(bank, P, "P4", "P3") == [False, True]
    assert linked(bank, (E, "E1"), "EMPLOYED_BY") == ["P1", "P2", "P3"]
    assert linked(bank, (E, "E1"), "SHAREHOLDER_OF") == ["E2"]
    assert counts(bank) == {
        **SMALL_BANK_COUNTS, "Person": 7, "EMPLOYED_BY": 6, "SHAREHOLDER_OF": 1
    }  # fmt: skip
    assert asyncio.run(bank.uncovered_employees("E1", ["debit card"], LinkageRules())) == ["P2"]
    network = asyncio.run(traversal.client_network(bank, (P, "P4"), 2, ["EMPLOYED_BY"], 10))
    assert network.nodes == []


def test_deletions_then_upserts_in_one_write(bank: GraphStore) -> None:
    batch = GraphBatch(
        nodes=[NodeRow(P, "P1", {"name": "Alice again"}), NodeRow(P, "P9", {"name": "Ivy"})],
        relationships=[
            RelationshipRow("EMPLOYED_BY", (P, "P9"), (E, "E3"), {"role": "employee"}),
            RelationshipRow("OWNS", (P, "P9"), (A, "A1"), {}),
            RelationshipRow("OWNS", (P, "P2"), (A, "A6"), {}),  # A6 is deleted: rejected
        ],
        deleted_nodes=[(P, "P1"), (A, "A6"), (P, "nobody")],
        deleted_relationships=[("OWNS", (P, "P3"), (A, "A3")), ("OWNS", (P, "P5"), (A, "A1"))],
    )
    report = asyncio.run(bank.write(batch))
    assert report.total_loaded == 4 and report.total_rejected == 1
    assert [r.reason for r in report.rejects] == ["end node Account 'A6' does not exist"]
    [alice] = asyncio.run(bank.get_nodes(P, ["P1"]))
    assert alice is not None and dict(alice.props) == {"name": "Alice again"}  # anew
    assert linked(bank, (P, "P1"), "GUARANTEES") == [] and linked(bank, (A, "A1"), "OWNS") == ["P9"]
    assert linked(bank, (P, "P3"), "OWNS") == ["A4"]
    assert linked(bank, (E, "E3"), "EMPLOYED_BY") == ["P9"]
    assert counts(bank) == {
        **SMALL_BANK_COUNTS, "Person": 9, "Account": 5, "EMPLOYED_BY": 8, "OWNS": 4,
        "GUARANTEES": 0,
    }  # fmt: skip


def test_a_deletion_outside_the_model_is_refused(bank: GraphStore) -> None:
    for batch in (
        GraphBatch(deleted_nodes=[("Branch", "B1")]),
        GraphBatch(deleted_relationships=[("OWNS", (A, "A1"), (P, "P1"))]),
    ):
        with pytest.raises(InvalidInputError, match="cannot delete"):
            run(bank, batch)
    assert counts(bank) == SMALL_BANK_COUNTS


def test_a_falkordb_write_failing_part_way_leaves_nothing(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store = store_for(backend_settings(request, "falkordb", tmp_path))
    request.addfinalizer(lambda: close(store))
    run(store, small_bank_batch())
    # The database refuses the relationship's map value in the statement's last section,
    # after the deletion and the node upsert.
    batch = GraphBatch(
        nodes=[NodeRow(P, "P9", {"name": "Ivy"})],
        relationships=[RelationshipRow("GUARANTEES", (P, "P9"), (P, "P1"), {"x": {"a": 1}})],
        deleted_nodes=[(P, "P2")],
    )
    with pytest.raises(StoreUnavailableError, match="primitive types"):
        run(store, batch)
    assert present(store, P, "P9", "P2") == [False, True]
    assert counts(store) == SMALL_BANK_COUNTS


def _failing_rows() -> Iterator[NodeRow]:
    yield NodeRow(P, "P9", {"name": "Ivy"})
    raise InvalidInputError("row 2 is bad")


def test_a_write_failing_part_way_leaves_nothing(bank: GraphStore) -> None:
    # Deletions come first in the transaction; the rows fail after them.
    batch = GraphBatch(
        nodes=_failing_rows(),
        deleted_nodes=[(P, "P4")],
        deleted_relationships=[("OWNS", (P, "P1"), (A, "A1"))],
    )
    with pytest.raises(InvalidInputError, match="row 2 is bad"):
        run(bank, batch)
    assert present(bank, P, "P9", "P4") == [False, True]
    assert counts(bank) == SMALL_BANK_COUNTS
    assert linked(bank, (P, "P1"), "OWNS") == ["A1"]


def test_a_second_process_sees_upserts_and_deletions_after_refresh(
    small_bank_dir: Path,
) -> None:
    serving = EmbeddedStore(small_bank_dir, create=False)
    before = content(serving)
    code = """
import asyncio, sys
from graph_service.linkage import traversal
from graph_service.records import Expected, GraphBatch, NodeRow, RelationshipRow
from graph_service.stores.embedded import EmbeddedStore
store = EmbeddedStore(sys.argv[1], create=False)
asyncio.run(store.write(GraphBatch(deleted_nodes=[("Person", "P4")])))
asyncio.run(store.write(GraphBatch(
    nodes=[NodeRow("Person", "P9", {"name": "Ivy"}), NodeRow("Person", "P4", {"name": "Dan 2"})],
    relationships=[RelationshipRow("GUARANTEES", ("Person", "P9"), ("Person", "P4"), {})],
    deleted_relationships=[("OWNS", ("Person", "P3"), ("Account", "A3"))],
    deleted_nodes=[("Account", "A5")])))
"""
    subprocess.run(
        [sys.executable, "-c", code, str(small_bank_dir)], check=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    assert content(serving) == before  # not yet refreshed
    assert asyncio.run(serving.refresh()) is True
    refreshed = content(serving)
    assert refreshed == content(EmbeddedStore(small_bank_dir, create=False))
    assert refreshed["counts"] == {
        **SMALL_BANK_COUNTS, "Person": 9, "Account": 5, "EMPLOYED_BY": 6,
        "SHAREHOLDER_OF": 1, "OWNS": 4, "GUARANTEES": 2,
    }  # fmt: skip
    assert linked(serving, (P, "P4"), "GUARANTEES") == ["P9"]
    assert linked(serving, (P, "P4"), "EMPLOYED_BY") == []
    # Derived indexes follow: P3 no longer owns the trust account, P6 no credit card.
    pb = asyncio.run(serving.executives_without_private_banking("E1", LinkageRules()))
    assert pb == ["P3"]


_BIG_WRITE = """
import asyncio, sys
from graph_service.linkage import traversal
from graph_service.records import GraphBatch, NodeRow
from graph_service.stores.embedded import EmbeddedStore
store = EmbeddedStore(sys.argv[1], create=False)
rows = [NodeRow("Person", f"big-{i}", {"name": f"n{i}", "note": "x" * 200})
        for i in range(300_000)]
batch = GraphBatch(nodes=rows, deleted_nodes=[("Person", "P4"), ("Enterprise", "E1")])
print("writing", flush=True)
asyncio.run(store.write(batch))
print("done", flush=True)
"""


def test_kill_during_a_write_leaves_it_applied_or_absent(small_bank_dir: Path) -> None:
    wal = small_bank_dir / (DB_FILE + "-wal")
    proc = subprocess.Popen(
        [sys.executable, "-c", _BIG_WRITE, str(small_bank_dir)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
        deadline = time.monotonic() + 60
        # Well inside the transaction: 4 MB of pages spilled into the write-ahead log.
        while not (wal.exists() and wal.stat().st_size >= 4 * 2**20):
            assert proc.poll() is None, "the write finished before it could be killed"
            assert time.monotonic() < deadline, "no write-ahead log seen"
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    store = EmbeddedStore(small_bank_dir, create=False)
    assert counts(store) == SMALL_BANK_COUNTS  # absent: the deletions too
    assert present(store, P, "P4", "big-0") == [True, False]
    # And a write that completes is there in full after a reopen.
    asyncio.run(store.write(GraphBatch(deleted_nodes=[(P, "P4")])))
    assert present(EmbeddedStore(small_bank_dir, create=False), P, "P4") == [False]


def test_a_write_is_committed_before_it_is_visible(small_bank_dir: Path) -> None:
    store = EmbeddedStore(small_bank_dir, create=False)
    run(store, GraphBatch(deleted_nodes=[(P, "P1")], nodes=[NodeRow(P, "P9", {"name": "Ivy"})]))
    reopened = EmbeddedStore(small_bank_dir, create=False)
    assert content(reopened) == content(store)
    assert present(reopened, P, "P1", "P9") == [False, True]


def test_small_writes_keep_derived_indexes_right(small_bank_dir: Path) -> None:
    # Each question asked between writes, so its cached indexes are patched, not rebuilt.
    store = EmbeddedStore(small_bank_dir, create=False)
    writes = [
        GraphBatch(nodes=[NodeRow(A, "A2", {"status": "active"})]),  # P2 now covered
        GraphBatch(relationships=[RelationshipRow("OWNS", (P, "P6"), (A, "A4"), {})]),
        GraphBatch(deleted_relationships=[("OWNS", (P, "P3"), (A, "A3"))]),  # P3 loses trust
        GraphBatch(nodes=[NodeRow(P, "P9", {"name": "Ivy"})],
                   relationships=[RelationshipRow("EMPLOYED_BY", (P, "P9"), (E, "E3"),
                                                  {"role": "executive"})]),  # fmt: skip
        GraphBatch(deleted_nodes=[(P, "P8"), (A, "A1")]),
        GraphBatch(relationships=[RelationshipRow("EMPLOYED_BY", (P, "P4"), (E, "E1"),
                                                  {"role": "employee"})]),  # fmt: skip
        GraphBatch(nodes=[NodeRow(P, "P5", {"segment": "mass"})]),
        GraphBatch(deleted_nodes=[(E, "E2")]),
        GraphBatch(relationships=[RelationshipRow("TRANSFERRED_TO", (A, "A4"), (A, "A3"),
                                                  {"totalAmount": 50.0})]),  # fmt: skip
    ]
    for batch in writes:
        _answers_of(store)  # fill the caches
        run(store, batch)
        assert _answers_of(store) == _answers_of(EmbeddedStore(small_bank_dir, create=False))


def test_product_sets_requests_name_keep_a_bounded_cache(small_bank_dir: Path) -> None:
    # Each new productTypes a request names builds owner flags (a byte per node) and, for
    # payrollCoverage, coverage counts: at most PRODUCT_SETS of each are kept, the least
    # recently used dropped first, and the answers stay right.
    store, rules = EmbeddedStore(small_bank_dir, create=False), LinkageRules()
    fresh = EmbeddedStore(small_bank_dir, create=False)
    configured = asyncio.run(fresh.payroll_coverage(["E1"], rules))
    asked = [replace(rules, payroll_products=("debit card", f"product {i}"))
             for i in range(3 * PRODUCT_SETS)]  # fmt: skip
    expected = asyncio.run(fresh.uncovered_employees("E1", ["debit card"], rules))
    for other in asked:
        asyncio.run(store.payroll_coverage(["E1"], rules))  # the configured set, in use
        assert asyncio.run(store.payroll_coverage(["E1"], other)) == configured
        assert asyncio.run(store.uncovered_employees("E1", other.payroll_products,
                                                     rules)) == expected  # fmt: skip
    derived = store._memory.derived  # noqa: SLF001
    for kind in ("owners", "coverage"):
        kept = [key[1] for key in derived if key[0] == kind]
        assert len(kept) == PRODUCT_SETS, kind
        assert frozenset(rules.payroll_products) in kept, kind  # used all along
    assert expected  # "product i" is held by no one: the same employees are uncovered


LEAD_TYPES = ("EMPLOYED_BY", "SHAREHOLDER_OF", "GUARANTEES")


def _answers_of(store: EmbeddedStore) -> tuple[object, ...]:
    """The answers whose derived indexes a write can change."""
    rules = LinkageRules()
    return (
        asyncio.run(store.uncovered_employees("E1", ["debit card"], rules)),
        asyncio.run(store.uncovered_employees("E2", ["debit card"], rules)),
        asyncio.run(store.uncovered_employees("E3", rules.payroll_products, rules)),
        asyncio.run(store.uncovered_employees("E1", ["credit card", "debit card"], rules)),
        asyncio.run(store.executives_without_private_banking(None, rules)),
        asyncio.run(store.executives_without_private_banking("E2", rules)),
        asyncio.run(store.payroll_coverage(["E1", "E2", "E3"], rules)),
        *(_leads_of(store, m, rules) for m in ("M1", "M2")),
    )


def _facts(facts: LeadFacts) -> LeadFacts:
    """A ``keep`` keeping everyone, answering their facts (the same one for each search, so
    that the store's cache of its answers is patched by the writes)."""
    return facts


def _by_amount(facts: LeadFacts) -> tuple[float, ...]:
    """A ``rank``: the largest transfer amount first."""
    return (-facts.transfer_amount,)


def _leads_of(store: EmbeddedStore, manager: str, rules: LinkageRules) -> list[object]:
    """Every person the store's managerLeads search reaches: id, hop, facts and path, by id.

    Each hop's people in the order of ``_by_amount``, then of their ids.
    """
    reached = asyncio.run(store.manager_leads(manager, LEAD_TYPES, 3, rules, _facts, _by_amount))
    found = [(*reached.person(hop, i), hop, reached.path(hop, i))
             for hop, count in enumerate(reached.counts) for i in range(count)]  # fmt: skip
    for hop, count in enumerate(reached.counts):
        people = [reached.person(hop, i) for i in range(count)]
        assert people == sorted(people, key=lambda p: (_by_amount(p[1]), p[0]))
        assert reached.people(hop) == ([pid for pid, _ in people], [f for _, f in people])
    return sorted((pid, hop, facts, path) for pid, facts, hop, path in found)


def test_only_writes_of_the_lead_types_make_lead_rows_stale(small_bank_dir: Path) -> None:
    # The managerLeads index keeps its arrays for the rows a write leaves as they were.
    store = EmbeddedStore(small_bank_dir, create=False)
    before = _leads_of(store, "M1", LinkageRules())
    index = store._memory.derived[("joined", frozenset(LEAD_TYPES))]  # noqa: SLF001
    run(store, GraphBatch(relationships=[RelationshipRow("OWNS", (P, "P6"), (A, "A4"), {})]))
    assert _leads_of(store, "M1", LinkageRules()) != before  # P6's transfers now count
    assert store._memory.derived[("joined", frozenset(LEAD_TYPES))] is index  # noqa: SLF001
    assert index.stale_count == 0
    run(store, GraphBatch(relationships=[RelationshipRow("EMPLOYED_BY", (P, "P4"), (E, "E1"),
                                                         {"role": "employee"})]))  # fmt: skip
    _leads_of(store, "M1", LinkageRules())
    assert index.stale_count == 0  # P4 worked for E1 already: a new role, the same row
    run(store, GraphBatch(relationships=[RelationshipRow("EMPLOYED_BY", (P, "P7"), (E, "E2"),
                                                         {"role": "employee"})]))  # fmt: skip
    _leads_of(store, "M1", LinkageRules())
    assert index.stale_count == 2
    assert index.stale.nonzero()[0].tolist() == sorted(
        store._memory.find(key) for key in [(P, "P7"), (E, "E2")]  # noqa: SLF001
    )


def test_a_load_batch_deletes_nothing() -> None:
    batch = small_bank_batch()
    assert batch.deleted_nodes == [] and batch.deleted_relationships == []


def test_concurrent_writes_are_grouped_each_checked_on_its_own(tmp_path: Path) -> None:
    writes = [
        GraphBatch(nodes=[NodeRow(P, "P20", {"name": "Uma"})],
                   expected={(P, "P20"): Expected(absent=True)}),
        GraphBatch(nodes=[NodeRow(P, "P1", {"name": "Al"})],  # P1 exists: CONFLICT alone
                   expected={(P, "P1"): Expected(absent=True)}),
        GraphBatch(nodes=[NodeRow(P, "P21", {"name": "Vic"})],
                   relationships=[RelationshipRow("EMPLOYED_BY", (P, "P21"), (E, "E1"),
                                                  {"role": "employee"})]),
        # P20 is the first write's: both wait for the next group, then see it.
        GraphBatch(nodes=[NodeRow(P, "P20", {"segment": "mass"})],
                   expected={(P, "P20"): Expected(absent=True)}),
        GraphBatch(relationships=[RelationshipRow("EMPLOYED_BY", (P, "P20"), (E, "E2"),
                                                  {"role": "employee"})]),
        GraphBatch(relationships=[RelationshipRow("EMPLOYED_BY", (P, "P404"), (E, "E2"), {})]),
        GraphBatch(deleted_relationships=[("OWNS", (P, "P3"), (A, "A3"))]),
    ]  # fmt: skip

    def outcome(answer: object) -> object:
        return (type(answer).__name__, str(answer)) if isinstance(answer, Exception) else answer

    async def together(store: EmbeddedStore) -> list[object]:
        answers = await asyncio.gather(*(store.write(b) for b in writes), return_exceptions=True)
        return [outcome(answer) for answer in answers]

    async def in_turn(store: EmbeddedStore) -> list[object]:
        answers: list[object] = []
        for batch in writes:
            try:
                answers.append(await store.write(batch))
            except GraphServiceError as exc:
                answers.append(outcome(exc))
        return answers

    grouped = EmbeddedStore(write_small_bank(tmp_path / "grouped"), create=False)
    alone = EmbeddedStore(write_small_bank(tmp_path / "alone"), create=False)
    answers = asyncio.run(together(grouped))
    assert answers == asyncio.run(in_turn(alone))
    assert [a[0] for a in answers if isinstance(a, tuple)] == ["ConflictError"] * 2
    # Two transactions: the first five writes but the refused one, then the two on P20.
    assert grouped.commit_counts == CommitCounts(commits=2, writes=5)
    assert alone.commit_counts == CommitCounts(commits=5, writes=5)
    assert content(grouped) == content(alone)
    assert content(EmbeddedStore(tmp_path / "grouped", create=False)) == content(grouped)
    assert linked(grouped, (P, "P20"), "EMPLOYED_BY") == ["E2"]
    assert present(grouped, P, "P1", "P20", "P21", "P404") == [True, True, True, False]


def test_the_group_commit_checkpoints_in_a_worker_not_inside_a_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's automatic checkpoint ran inside a COMMIT on the event loop (an fsync of the
    database file: a stall for every request queued). The group commit turns it off and
    checkpoints every CHECKPOINT_EVERY_S in a worker, on a connection of its own."""
    import sqlite3
    import threading

    from graph_service.stores.embedded import record

    monkeypatch.setattr(record, "CHECKPOINT_EVERY_S", 0.0)
    checkpoint, threads = record.Record._checkpoint, []

    def counted(self: record.Record) -> None:
        threads.append(threading.get_ident())
        checkpoint(self)

    monkeypatch.setattr(record.Record, "_checkpoint", counted)
    store = EmbeddedStore(write_small_bank(tmp_path / "bank"), create=False)

    async def commits() -> None:
        for i in range(20):
            await store.write(GraphBatch(nodes=[NodeRow("Person", f"C{i}", {"name": f"C {i}"})],
                                         relationships=[]))  # fmt: skip
        await asyncio.sleep(0.2)  # the last checkpoint, in its worker

    asyncio.run(commits())
    assert threads and threading.get_ident() not in threads  # in workers, not the loop's
    memory = store._record  # the group commit's connection: no automatic checkpoint
    assert memory._db.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    reader = sqlite3.connect(tmp_path / "bank" / DB_FILE)
    busy, logged, copied = reader.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and logged == copied  # every page was copied already, or now
    assert reader.execute("SELECT count(*) FROM nodes WHERE id LIKE 'C%'").fetchone() == (20,)
    reader.close()
    asyncio.run(store.close())
    assert EmbeddedStore(tmp_path / "bank", create=False)._record._db.execute(
        "SELECT count(*) FROM nodes WHERE id LIKE 'C%'").fetchone() == (20,)
