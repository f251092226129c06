"""Durability and upsert semantics of the embedded store (compact graph in memory + SQLite)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graph_service.errors import InvalidInputError, Location, StoreUnavailableError
from graph_service.model import NodeLabel, RelationshipType
from graph_service.records import GraphBatch, NodeRow, RelationshipRow
from graph_service.stores.base import Direction
from graph_service.stores.embedded import DB_FILE, EmbeddedStore, record
from tests.conftest import REPO_ROOT, small_bank_batch

SMALL_BANK_COUNTS = {
    "Enterprise": 3, "Person": 8, "Account": 6, "Manager": 2,
    "EMPLOYED_BY": 8, "SHAREHOLDER_OF": 2, "OWNS": 6, "MANAGES": 2, "GUARANTEES": 1,
    "TRANSFERRED_TO": 1, "Loan": 0, "Medium": 0, "APPLIED_FOR": 0, "DEPOSITED_TO": 0,
    "REPAID": 0, "WITHDREW_TO": 0, "SIGNED_IN_TO": 0,
    "Referral": 0, "Contact": 0, "REFERS": 0, "REFERRED_TO": 0, "CONTACTED": 0, "LOGGED_BY": 0,
}  # fmt: skip


def counts(store: EmbeddedStore) -> dict[str, int]:
    return asyncio.run(store.counts())


def content(store: EmbeddedStore) -> dict[str, object]:
    """Every node with its properties and every relationship with its own, through the API."""

    async def read() -> dict[str, object]:
        nodes, rels = {}, set()
        for label in NodeLabel:
            ids = await store.list_ids(label.value)
            for node in await store.get_nodes(label.value, ids):
                assert node is not None
                nodes[(node.label, node.id)] = dict(node.props)
            for rel_type in RelationshipType:
                found = await store.neighbors(label.value, ids, rel_type.value, Direction.OUTGOING)
                rels.update(
                    (r.type, r.start, r.end, tuple(sorted(r.props.items())))
                    for links in found
                    for r, _ in links
                )
        return {"nodes": nodes, "relationships": rels, "counts": await store.counts()}

    return asyncio.run(read())


def test_reopen_rebuilds_the_same_graph(small_bank_dir: Path) -> None:
    store = EmbeddedStore(small_bank_dir)
    assert counts(store) == SMALL_BANK_COUNTS
    [carol] = asyncio.run(store.get_nodes("Person", ["P3"]))
    assert carol is not None and dict(carol.props) == {
        "name": "Carol", "segment": "affluent", "blocked": False,
    }  # fmt: skip
    transfers = store.neighbors("Account", ["A1"], "TRANSFERRED_TO", Direction.OUTGOING)
    [[(rel, account)]] = asyncio.run(transfers)
    assert account.id == "A2" and dict(rel.props) == {"count": 2, "totalAmount": 300.0}


def test_upsert_is_idempotent(small_bank_dir: Path) -> None:
    store = EmbeddedStore(small_bank_dir)
    report = asyncio.run(store.write(small_bank_batch()))
    assert report.total_rejected == 0
    assert counts(store) == SMALL_BANK_COUNTS
    assert counts(EmbeddedStore(small_bank_dir)) == SMALL_BANK_COUNTS


def test_upsert_merges_properties(small_bank_dir: Path) -> None:
    store = EmbeddedStore(small_bank_dir)
    batch = GraphBatch(
        nodes=[NodeRow("Person", "P3", {"segment": "private", "nickname": "CC"}, "f.csv", 2)],
        files=["f.csv"],
    )
    asyncio.run(store.write(batch))
    for reopened in (store, EmbeddedStore(small_bank_dir)):
        [carol] = asyncio.run(reopened.get_nodes("Person", ["P3"]))
        assert carol is not None
        assert dict(carol.props) == {
            "name": "Carol", "segment": "private", "blocked": False, "nickname": "CC",
        }  # fmt: skip


def test_a_lazy_batch_merges_repeated_keys_and_is_undone_on_error(small_bank_dir: Path) -> None:
    # Rows stream from iterators into the transaction; repeated keys merge in SQLite.
    def nodes() -> Iterator[NodeRow]:
        yield NodeRow("Person", "P9", {"name": "Ivy", "segment": "mass"}, "p.csv", 2)
        yield NodeRow("Person", "P9", {"segment": "private"}, "p.csv", 3)

    def rels(fail: bool) -> Iterator[RelationshipRow]:
        for line, props in ((2, {"count": 1, "totalAmount": 5.0}), (3, {"count": 2})):
            yield RelationshipRow("TRANSFERRED_TO", ("Account", "A1"), ("Account", "A2"),
                                  props, "t.csv", line)
        yield RelationshipRow("GUARANTEES", ("Person", "P9"), ("Person", "P0"), {}, "g.csv", 2)
        if fail:
            raise InvalidInputError("bad row", Location("t.csv", 4))

    store = EmbeddedStore(small_bank_dir)
    failing = GraphBatch(nodes(), rels(fail=True), files=["p.csv", "t.csv", "g.csv"])
    with pytest.raises(InvalidInputError, match="bad row"):
        asyncio.run(store.write(failing))
    assert counts(EmbeddedStore(small_bank_dir)) == SMALL_BANK_COUNTS
    report = asyncio.run(
        store.write(GraphBatch(nodes(), rels(fail=False), files=["p.csv", "t.csv", "g.csv"]))
    )
    assert report.loaded == {"p.csv": 2, "t.csv": 2} and report.rejected == {"g.csv": 1}
    assert [(r.file, r.line, r.reason) for r in report.rejects] == [
        ("g.csv", 2, "end node Person 'P0' does not exist")
    ]
    for reopened in (store, EmbeddedStore(small_bank_dir)):
        [ivy] = asyncio.run(reopened.get_nodes("Person", ["P9"]))
        assert ivy is not None and dict(ivy.props) == {"name": "Ivy", "segment": "private"}
        transfers = reopened.neighbors("Account", ["A1"], "TRANSFERRED_TO", Direction.OUTGOING)
        [[(rel, _)]] = asyncio.run(transfers)
        assert dict(rel.props) == {"count": 2, "totalAmount": 5.0}


def test_rejected_relationships_are_not_in_the_record(tmp_path: Path) -> None:
    # The report of rejects is checked on every store in tests/stores/test_cypher.py; here,
    # that the embedded store's durable record holds none of them when reopened.
    batch = GraphBatch(
        nodes=[NodeRow("Person", "1", {"name": "A"}, "persons.csv", 2)],
        relationships=[
            RelationshipRow("GUARANTEES", ("Person", "1"), ("Person", "2"), {}, "g.csv", 3)
        ],
        files=["persons.csv", "g.csv"],
    )
    report = asyncio.run(EmbeddedStore(tmp_path).write(batch))
    assert report.rejected == {"g.csv": 1}
    reopened = counts(EmbeddedStore(tmp_path))
    assert reopened["Person"] == 1 and reopened["GUARANTEES"] == 0


def test_unusable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreUnavailableError, match="is not a directory"):
        EmbeddedStore(blocker)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / DB_FILE).write_text("this is not SQLite " * 100)
    with pytest.raises(StoreUnavailableError):
        EmbeddedStore(tmp_path / "other")


def test_schema_version_mismatch(small_bank_dir: Path) -> None:
    with sqlite3.connect(small_bank_dir / DB_FILE) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(StoreUnavailableError, match="schema version 99"):
        EmbeddedStore(small_bank_dir)


@pytest.mark.parametrize(("damage", "message"), [
    ("DELETE FROM nodes WHERE label = 'Person' AND id = 'P1'",
     r"EMPLOYED_BY relationship from Person 'P1' to Enterprise 'E1': its start node is not "
     r"stored"),
    ("UPDATE nodes SET props = x'ff00' WHERE label = 'Person' AND id = 'P2'",
     r"properties of Person 'P2' cannot be decoded \(bad marshal data"),
    ("UPDATE relationships SET props = x'' WHERE type = 'TRANSFERRED_TO'",
     r"properties of TRANSFERRED_TO relationship from Account 'A1' to Account 'A2' cannot "
     r"be decoded \(EOF"),
])
def test_a_damaged_row_is_named_not_a_traceback(
    small_bank_dir: Path, damage: str, message: str
) -> None:
    with sqlite3.connect(small_bank_dir / DB_FILE) as db:
        db.execute(damage)
    with pytest.raises(StoreUnavailableError, match=message) as raised:
        EmbeddedStore(small_bank_dir)
    assert str(raised.value).startswith(f"{small_bank_dir / DB_FILE}: ")


_BIG_LOAD = """
import asyncio, sys
from graph_service.records import GraphBatch, NodeRow
from graph_service.stores.embedded import EmbeddedStore
rows = [NodeRow("Person", f"big-{i}", {"name": f"n{i}", "note": "x" * 200}, "big.csv", i)
        for i in range(400_000)]
store = EmbeddedStore(sys.argv[1])
print("writing", flush=True)
asyncio.run(store.write(GraphBatch(nodes=rows, files=["big.csv"])))
print("done", flush=True)
"""


def _kill_inside_big_load(data_dir: Path, inside: Callable[[], bool], what: str) -> None:
    """Start a big load into ``data_dir``, SIGKILL it once ``inside()`` holds."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _BIG_LOAD, str(data_dir)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
        deadline = time.monotonic() + 60
        while not inside():
            assert proc.poll() is None, "the load finished before it could be killed"
            assert time.monotonic() < deadline, f"no {what} seen"
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def test_killed_mid_load_leaves_previous_state(small_bank_dir: Path) -> None:
    wal = small_bank_dir / (DB_FILE + "-wal")
    # The transaction spills pages into the write-ahead log as it goes (about 100 MB in
    # all); 8 MB of log means the load is well inside its transaction.
    _kill_inside_big_load(
        small_bank_dir, lambda: wal.exists() and wal.stat().st_size >= 8 * 2**20, "write-ahead log"
    )
    assert counts(EmbeddedStore(small_bank_dir)) == SMALL_BANK_COUNTS


def test_killed_first_load_leaves_an_empty_store(tmp_path: Path) -> None:
    # The first load writes through a rollback journal instead of the write-ahead log; the
    # journal is created when the transaction changes its first page, and the load then
    # takes seconds: 0.2 s later it is well inside its transaction.
    journal = tmp_path / (DB_FILE + "-journal")
    seen: list[float] = []

    def inside() -> bool:
        if not seen and journal.exists():
            seen.append(time.monotonic())
        return bool(seen) and time.monotonic() - seen[0] > 0.2

    _kill_inside_big_load(tmp_path, inside, "rollback journal")
    # Readers refuse the store no load completed; the next load writes into it.
    with pytest.raises(StoreUnavailableError, match="no graph store"):
        EmbeddedStore(tmp_path, create=False)
    store = EmbeddedStore(tmp_path)
    assert set(counts(store).values()) == {0}
    asyncio.run(store.write(small_bank_batch()))
    assert counts(EmbeddedStore(tmp_path, create=False)) == SMALL_BANK_COUNTS


def _journal_mode(data_dir: Path) -> str:
    with sqlite3.connect(data_dir / DB_FILE) as db:
        (mode,) = db.execute("PRAGMA journal_mode").fetchone()
    return str(mode)


def test_first_load_restores_wal_mode(tmp_path: Path) -> None:
    asyncio.run(EmbeddedStore(tmp_path).write(small_bank_batch()))
    assert _journal_mode(tmp_path) == "wal"
    assert not (tmp_path / (DB_FILE + "-journal")).exists()


def test_first_load_with_a_reader_open_stays_in_wal_mode(tmp_path: Path) -> None:
    loader = EmbeddedStore(tmp_path)
    reader = sqlite3.connect(tmp_path / DB_FILE)  # a server holding the store open
    try:
        reader.execute("SELECT count(*) FROM nodes").fetchone()
        asyncio.run(loader.write(small_bank_batch()))
        assert reader.execute("SELECT count(*) FROM nodes").fetchone() == (19,)
    finally:
        reader.close()
    assert _journal_mode(tmp_path) == "wal"
    assert counts(EmbeddedStore(tmp_path, create=False)) == SMALL_BANK_COUNTS


def test_refresh_sees_another_process_commit(small_bank_dir: Path) -> None:
    serving = EmbeddedStore(small_bank_dir, create=False)
    assert asyncio.run(serving.refresh()) is False
    loader = EmbeddedStore(small_bank_dir)
    batch = GraphBatch(
        nodes=[NodeRow("Person", "P9", {"name": "Ivy"}, "late.csv", 2)],
        relationships=[RelationshipRow("GUARANTEES", ("Person", "P9"), ("Person", "P1"), {},
                                       "late.csv", 3)],
        files=["late.csv"],
    )  # fmt: skip
    asyncio.run(loader.write(batch))
    assert counts(serving)["Person"] == 8  # not yet refreshed
    assert asyncio.run(serving.refresh()) is True
    assert counts(serving)["Person"] == 9 and counts(serving)["GUARANTEES"] == 2
    assert asyncio.run(serving.refresh()) is False


def test_read_in_small_chunks_builds_the_same_graph(
    small_bank_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunk boundaries split runs of one relationship type, and of the pairs that two types
    # join (P4 is employee and shareholder of E1): the graph must not depend on them.
    whole = content(EmbeddedStore(small_bank_dir, create=False))
    monkeypatch.setattr(record, "READ_CHUNK", 3)
    assert content(EmbeddedStore(small_bank_dir, create=False)) == whole


def test_rows_the_model_does_not_declare_fail_the_open(small_bank_dir: Path) -> None:
    # Opening reads per declared label and endpoint kind: anything else must not vanish.
    with sqlite3.connect(small_bank_dir / DB_FILE) as db:
        db.execute(
            "INSERT INTO relationships VALUES ('OWNS', 'Account', 'A1', 'Person', 'P1', NULL, 1)"
        )
    with pytest.raises(StoreUnavailableError, match="1 of 40 rows have a label, relationship"):
        EmbeddedStore(small_bank_dir, create=False)


def test_refresh_builds_what_reopening_builds(small_bank_dir: Path) -> None:
    # One load that rewrites stored nodes and relationships, adds new ones, and joins a
    # pair already joined by another type; applied by refresh, in chunks mixing old and new.
    serving = EmbeddedStore(small_bank_dir, create=False)
    P, E = "Person", "Enterprise"
    batch = GraphBatch(
        nodes=[NodeRow(P, "P1", {"segment": "affluent"}, "r.csv", 2),
               NodeRow(P, "P9", {"name": "Ivy"}, "r.csv", 3),
               NodeRow(E, "E4", {"name": "Delta"}, "r.csv", 4)],
        relationships=[
            RelationshipRow("EMPLOYED_BY", (P, "P9"), (E, "E4"), {"role": "employee"}, "r.csv", 5),
            RelationshipRow("EMPLOYED_BY", (P, "P1"), (E, "E1"), {"title": "Teller"}, "r.csv", 6),
            RelationshipRow("SHAREHOLDER_OF", (P, "P5"), (E, "E2"), {"ratio": 0.1}, "r.csv", 7),
            RelationshipRow("GUARANTEES", (P, "P9"), (P, "P1"), {}, "r.csv", 8),
        ],
        files=["r.csv"],
    )  # fmt: skip
    asyncio.run(EmbeddedStore(small_bank_dir).write(batch))
    assert asyncio.run(serving.refresh()) is True
    refreshed, reopened = content(serving), content(EmbeddedStore(small_bank_dir, create=False))
    assert refreshed == reopened
    assert refreshed["counts"] == {
        **SMALL_BANK_COUNTS, "Person": 9, "Enterprise": 4, "EMPLOYED_BY": 9,
        "SHAREHOLDER_OF": 3, "GUARANTEES": 2,
    }  # fmt: skip
    assert ("SHAREHOLDER_OF", (P, "P5"), (E, "E2"), (("ratio", 0.1),)) in refreshed["relationships"]
    assert ("EMPLOYED_BY", (P, "P1"), (E, "E1"), (("role", "employee"), ("title", "Teller"))) in (
        refreshed["relationships"]
    )


def test_upsert_validates_against_the_latest_commit(tmp_path: Path) -> None:
    first, second = EmbeddedStore(tmp_path), EmbeddedStore(tmp_path)
    asyncio.run(
        first.write(
            GraphBatch(nodes=[NodeRow("Person", "1", {"name": "A"}, "a.csv", 2)], files=["a.csv"])
        )
    )
    # ``second`` opened before that load, yet must not reject a link to the new node.
    report = asyncio.run(second.write(GraphBatch(
        nodes=[NodeRow("Person", "2", {"name": "B"}, "b.csv", 2)],
        relationships=[RelationshipRow("GUARANTEES", ("Person", "2"), ("Person", "1"), {},
                                       "b.csv", 3)],
        files=["b.csv"])))  # fmt: skip
    assert report.total_rejected == 0
    assert counts(second)["GUARANTEES"] == 1 and counts(second)["Person"] == 2


def test_missing_store_is_not_created_for_readers(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailableError, match="no graph store in"):
        EmbeddedStore(tmp_path / "typo", create=False)
    assert not (tmp_path / "typo").exists()


def test_refresh_reports_a_deleted_store(small_bank_dir: Path) -> None:
    store = EmbeddedStore(small_bank_dir, create=False)
    (small_bank_dir / DB_FILE).unlink()
    with pytest.raises(StoreUnavailableError, match="is gone"):
        asyncio.run(store.refresh())


def test_refresh_reads_only_what_changed(small_bank_dir: Path) -> None:
    serving = EmbeddedStore(small_bank_dir, create=False)
    loader = EmbeddedStore(small_bank_dir)
    batch = GraphBatch(
        nodes=[NodeRow("Person", "P3", {"segment": "private"}, "p.csv", 2)], files=["p.csv"]
    )
    asyncio.run(loader.write(batch))
    [before] = asyncio.run(serving.get_nodes("Person", ["P3"]))
    assert before is not None and before.props["segment"] == "affluent"
    with sqlite3.connect(small_bank_dir / DB_FILE) as db:
        changed = (
            db.execute("SELECT count(*) FROM nodes WHERE load_seq > 1").fetchone()[0]
            + db.execute("SELECT count(*) FROM relationships WHERE load_seq > 1").fetchone()[0]
        )
    assert changed == 1  # the refresh below has one row to read, not the whole graph
    assert asyncio.run(serving.refresh()) is True
    [after] = asyncio.run(serving.get_nodes("Person", ["P3"]))
    assert after is not None and dict(after.props) == {
        "name": "Carol", "segment": "private", "blocked": False,
    }  # fmt: skip
    assert counts(serving) == SMALL_BANK_COUNTS


def test_an_empty_file_is_not_a_store(tmp_path: Path) -> None:
    (tmp_path / DB_FILE).touch()
    with pytest.raises(StoreUnavailableError, match="no graph store in"):
        EmbeddedStore(tmp_path, create=False)
    assert (tmp_path / DB_FILE).stat().st_size == 0  # left untouched


def test_first_load_keeps_the_refresh_indexes(tmp_path: Path) -> None:
    # The first load into an empty store builds the load_seq indexes after its rows.
    asyncio.run(EmbeddedStore(tmp_path).write(small_bank_batch()))
    with sqlite3.connect(tmp_path / DB_FILE) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    indexes = {name for (name,) in rows}
    assert {"nodes_by_load", "relationships_by_load"} <= indexes
    assert counts(EmbeddedStore(tmp_path, create=False)) == SMALL_BANK_COUNTS


def test_open_waits_for_a_first_load_holding_its_lock(tmp_path: Path) -> None:
    # A first load runs in rollback-journal mode and holds its write lock until it ends;
    # another load (or a reader) opening meanwhile waits for it, as for any lock.
    asyncio.run(EmbeddedStore(tmp_path).close())
    first_load = sqlite3.connect(tmp_path / DB_FILE, isolation_level=None, check_same_thread=False)
    first_load.execute("PRAGMA journal_mode = DELETE")
    first_load.execute("BEGIN IMMEDIATE")
    first_load.execute("UPDATE meta SET value = '1' WHERE key = 'load_seq'")
    done = threading.Timer(1.0, first_load.execute, ["COMMIT"])
    done.start()
    try:
        store = EmbeddedStore(tmp_path)
    finally:
        done.join()
        first_load.close()
    assert _journal_mode(tmp_path) == "wal"
    asyncio.run(store.write(small_bank_batch()))
    assert counts(EmbeddedStore(tmp_path, create=False)) == SMALL_BANK_COUNTS


class _SignalAfter:
    """A store connection that raises KeyboardInterrupt (as Ctrl-C does) once a statement
    starting with ``prefix`` has run: a signal arriving during it takes effect then."""

    def __init__(self, db: sqlite3.Connection, prefix: str) -> None:
        self._db, self._prefix = db, prefix

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        cursor = self._db.execute(sql, *args)
        if sql.startswith(self._prefix):
            raise KeyboardInterrupt
        return cursor

    def __getattr__(self, name: str) -> object:
        return getattr(self._db, name)


def test_interrupt_before_commit_rolls_back_and_during_commit_loads(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    db = store._record._db
    store._record._db = _SignalAfter(db, "UPDATE meta")  # type: ignore[assignment]
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(store.write(small_bank_batch()))
    with pytest.raises(StoreUnavailableError, match="no graph store"):
        EmbeddedStore(tmp_path, create=False)
    store._record._db = _SignalAfter(db, "COMMIT")  # type: ignore[assignment]
    report = asyncio.run(store.write(small_bank_batch()))
    assert report.total_rejected == 0 and report.total_loaded > 0
    store._record._db = db
    assert counts(store) == SMALL_BANK_COUNTS
    assert counts(EmbeddedStore(tmp_path, create=False)) == SMALL_BANK_COUNTS
