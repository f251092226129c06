"""Snapshots of the embedded store: a load writes one, opening starts from it and replays the
writes committed after it, and anything wrong with it falls back to a rebuild with one log
line; a writer killed (SIGKILL) midway leaves a store that opens with the same answers."""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import shutil
import signal
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph_service.api.execution import decode_in_background
from graph_service.auth.caller import Caller, Role
from graph_service.cli.serve import _renew_snapshot
from graph_service.config import Settings
from graph_service.errors import NotFoundError
from graph_service.ingest import read_input
from graph_service.ingest.generator import generate
from graph_service.linkage import commands
from graph_service.linkage import coverage as payroll
from graph_service.linkage.coverage import PayrollArgs
from graph_service.linkage.question import Id, answer_many
from graph_service.records import GraphBatch, NodeRow, RelationshipRow
from graph_service.stores.base import Direction
from graph_service.stores.embedded import EmbeddedStore, adjacency, questions, record, snapshot
from graph_service.stores.embedded.adjacency import (
    CACHES,
    DEFERRED,
    IN_RUNS,
    NEIGHBOURHOODS,
    SNAPSHOT_KINDS,
    Adjacency,
    pairs,
)
from graph_service.stores.embedded.properties import Fields
from graph_service.stores.loading import load
from tests.api.conftest import running
from tests.test_differential import _answers, _operations

REBUILDING = "rebuilding the graph from the record"


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated bank of 2,000 people (canonical CSVs)."""
    out = tmp_path_factory.mktemp("bank-2k") / "input"
    generate(2_000, 5, out)
    return out


@pytest.fixture(scope="module")
def loaded_once(bank: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir the bank was loaded into by ``load`` (which writes the snapshot)."""
    data_dir = tmp_path_factory.mktemp("loaded") / "data"
    load(Settings(data_dir=data_dir), read_input("canonical", bank))
    assert (data_dir / snapshot.SNAPSHOT_FILE).is_file()
    return data_dir


@pytest.fixture
def loaded(loaded_once: Path, tmp_path: Path) -> Path:
    """A copy of ``loaded_once`` for one test to change."""
    return Path(shutil.copytree(loaded_once, tmp_path / "data"))


def _mutations(store: EmbeddedStore) -> GraphBatch:
    """Writes after the snapshot: new, changed and deleted nodes and relationships."""
    persons = asyncio.run(store.list_ids("Person"))
    enterprises = asyncio.run(store.list_ids("Enterprise"))
    accounts = asyncio.run(store.list_ids("Account"))
    new = [NodeRow("Person", f"NEW{i}", {"name": f"New {i}", "segment": "mass"}, "m", i)
           for i in range(20)]  # fmt: skip
    changed = [NodeRow("Person", p, {"segment": "private", "nickname": "x"}, "m", 0)
               for p in persons[:30]]  # fmt: skip
    rels = [RelationshipRow("EMPLOYED_BY", ("Person", f"NEW{i}"), ("Enterprise", enterprises[i]),
                            {"role": "executive" if i % 2 else "employee"}, "m", i)
            for i in range(20)]  # fmt: skip
    rels += [RelationshipRow("OWNS", ("Person", f"NEW{i}"), ("Account", accounts[i]), {}, "m", i)
             for i in range(0, 20, 3)]  # fmt: skip
    return GraphBatch(
        nodes=[*new, *changed],
        relationships=rels,
        deleted_nodes=[("Person", p) for p in persons[40:60]] + [("Enterprise", enterprises[-1])],
        deleted_relationships=[("OWNS", ("Person", persons[70]), ("Account", a))
                               for a in accounts[:200]],  # fmt: skip
    )


def _mutate(data_dir: Path, writes: int = 3) -> None:
    """Commit ``writes`` mutation batches (each its own load_seq) after the snapshot."""
    store = EmbeddedStore(data_dir, create=False)
    for i in range(writes):
        batch = _mutations(store)
        if i:
            batch.deleted_nodes = [("Person", f"NEW{i}")]
        asyncio.run(store.write(batch))
    asyncio.run(store.close())


def _answers_of(data_dir: Path) -> list[str]:
    """The differential test's answers (the linkage questions and nodes) on ``data_dir``."""
    store = EmbeddedStore(data_dir, create=False)
    try:
        return _answers(store, asyncio.run(_operations(store, "bank")))
    finally:
        asyncio.run(store.close())


def _rebuilt_copy(data_dir: Path, tmp_path: Path) -> Path:
    """A copy of ``data_dir`` without its snapshot (opening it rebuilds)."""
    copy = tmp_path / "rebuilt"
    shutil.copytree(data_dir, copy)
    (copy / snapshot.SNAPSHOT_FILE).unlink()
    return copy


def _opens_from_snapshot(data_dir: Path, caplog: pytest.LogCaptureFixture) -> bool:
    caplog.clear()
    with caplog.at_level(logging.INFO):
        asyncio.run(EmbeddedStore(data_dir, create=False).close())
    return not any(REBUILDING in r.getMessage() for r in caplog.records)


def test_open_from_snapshot_and_replay_answers_as_a_rebuild(
    loaded: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _mutate(loaded)
    assert _opens_from_snapshot(loaded, caplog)
    rebuilt = _rebuilt_copy(loaded, tmp_path)
    assert not _opens_from_snapshot(rebuilt, caplog)
    assert "there is none" in caplog.text
    ours, theirs = _answers_of(loaded), _answers_of(rebuilt)
    assert len(ours) > 500
    assert ours == theirs
    ids = [f"NEW{i}" for i in range(20)] + [f"P{i}" for i in range(1, 2_000, 5)]
    nodes = []
    for data_dir in (loaded, rebuilt):
        store = EmbeddedStore(data_dir, create=False)
        nodes.append([n and (n.id, dict(n.props)) for n in
                      asyncio.run(store.get_nodes("Person", ids))])  # fmt: skip
        asyncio.run(store.close())
    assert nodes[0] == nodes[1]
    assert None in nodes[0] and nodes[0][0] is not None  # deleted ones, and NEW0


def test_the_snapshot_holds_every_attribute_of_the_graph(
    loaded: Path, tmp_path: Path
) -> None:
    """Generic: a structure added to Adjacency is in the snapshot (or this test fails)."""
    ours = EmbeddedStore(loaded, create=False)
    theirs = EmbeddedStore(_rebuilt_copy(loaded, tmp_path), create=False)
    mine, rebuilt = ours._memory, theirs._memory  # noqa: SLF001 (the state compared whole)
    assert not DEFERRED & vars(mine).keys()  # opened without decoding the deferred part
    mine.state()  # which decodes it
    assert set(vars(mine)) == set(vars(rebuilt))
    for name in set(vars(rebuilt)) - CACHES:
        a, b = getattr(mine, name), getattr(rebuilt, name)
        if name == "fields":
            assert {k: f.names for k, f in a.items()} == {k: f.names for k, f in b.items()}
        elif name in ("succ", "pred"):  # the same neighbours, in any order and form
            assert [_hood(h) for h in a] == [_hood(h) for h in b], name
        else:
            assert a == b, name
    for store in (ours, theirs):
        asyncio.run(store.close())


def test_a_report_from_kept_indexes_leaves_the_neighbourhoods_undecoded(loaded: Path) -> None:
    """Coverage answers from the snapshot's kept counts; a traversal then decodes the rest.

    Through the reports' path (``answer_many`` without a node reader): the enterprises'
    existence is checked without reading them, so their property values stay undecoded too.
    """
    store = EmbeddedStore(loaded, create=False)
    settings = Settings(data_dir=loaded)
    memory, rules = store._memory, settings.rules()  # noqa: SLF001
    enterprises = asyncio.run(store.list_ids("Enterprise"))
    many = [PayrollArgs(Id(e)) for e in [*enterprises, "NO-SUCH"]]
    *coverage, absent = asyncio.run(answer_many(payroll.QUESTION, store, settings, many))
    assert not DEFERRED & vars(memory).keys()
    assert isinstance(absent, NotFoundError)
    assert coverage == asyncio.run(store.payroll_coverage(enterprises, rules))
    assert sum(c.employees for c in coverage) > 0 and len(coverage) == len(enterprises)
    [node] = asyncio.run(store.get_nodes("Enterprise", enterprises[:1]))
    assert node is not None and node.props  # a node read: its runs of values and ids alone
    assert not DEFERRED & vars(memory).keys()
    assert [len(runs) for runs in memory._runs.values()] == [1, 1]  # noqa: SLF001
    employees = asyncio.run(
        store.neighbors("Enterprise", enterprises[:1], "EMPLOYED_BY", Direction.INCOMING)
    )
    assert DEFERRED & vars(memory).keys() == NEIGHBOURHOODS and employees[0]
    rebuilt = EmbeddedStore(loaded, create=False)
    rebuilt._memory.state()  # noqa: SLF001 (decoded at once)
    assert asyncio.run(rebuilt.payroll_coverage(enterprises, rules)) == coverage
    for each in (store, rebuilt):
        asyncio.run(each.close())


def test_a_server_decodes_the_deferred_parts_in_a_thread_once_started(loaded: Path) -> None:
    """``serve`` (its app's lifespan) decodes every deferred part beside its first requests,
    joined before the store closes; what a request reads is the same either way."""
    store = EmbeddedStore(loaded, create=False)
    memory = store._memory  # noqa: SLF001
    assert not DEFERRED & vars(memory).keys()
    theirs = EmbeddedStore(_rebuilt_copy(loaded, loaded.parent / "decoded"), create=False)
    enterprise = asyncio.run(theirs.list_ids("Enterprise"))[0]
    query = ("query($e: ID!) { payrollCoverage(enterpriseId: $e) { employees covered } "
             "enterprise(id: $e) { name employees(first: 3) { edges { node { id name } } } } }")
    with running(loaded, store=store) as client:
        answer = client.post(query, {"e": enterprise})
    assert DEFERRED <= vars(memory).keys() and not memory._later  # noqa: SLF001
    assert memory.ids == theirs._memory.ids and memory.values == theirs._memory.values  # noqa: SLF001
    with running(loaded, store=theirs) as client:
        assert answer == client.post(query, {"e": enterprise})
    assert answer["data"]["enterprise"]["employees"]["edges"], answer
    assert decode_in_background(object()) is None  # a Cypher store: nothing deferred
    for each in (store, theirs):
        asyncio.run(each.close())


def test_a_node_read_decodes_its_runs_of_values_and_ids_alone(
    bank: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adjacency, "VALUE_RUN", 1_000)  # (written and read alike)
    data_dir = tmp_path / "data"
    load(Settings(data_dir=data_dir), read_input("canonical", bank))
    runs = snapshot.read_stamp(data_dir).deferred[:-1]
    assert len(runs) > 10 and all(len(names) == 1 for names in runs)
    store = EmbeddedStore(data_dir, create=False)
    theirs = EmbeddedStore(_rebuilt_copy(data_dir, tmp_path), create=False)
    memory, whole = store._memory, theirs._memory  # noqa: SLF001
    enterprises = asyncio.run(theirs.list_ids("Enterprise"))[:3]
    ours = asyncio.run(store.get_nodes("Enterprise", enterprises))
    assert ours == asyncio.run(theirs.get_nodes("Enterprise", enterprises))
    assert ours[0] is not None and ours[0].props["name"]
    numbered = {n // 1_000 for n in whole.index["Enterprise"].values()}
    read = {whole.find(("Enterprise", e)) // 1_000 for e in enterprises}  # type: ignore[operator]
    assert not IN_RUNS & vars(memory).keys()
    assert memory._runs["values"].keys() == read  # noqa: SLF001
    assert memory._runs["ids"] and memory._runs["ids"].keys() <= numbered  # noqa: SLF001
    persons = asyncio.run(theirs.list_ids("Person"))
    in_runs = {whole.find(("Person", p)) // 1_000: p for p in persons}  # type: ignore[operator]
    second, third = [p for run, p in in_runs.items() if run not in read][:2]
    asyncio.run(store.get_nodes("Person", [second]))
    assert "values" not in vars(memory) and len(memory._runs["values"]) == 2  # noqa: SLF001
    assert asyncio.run(store.get_nodes("Person", [third])) == asyncio.run(
        theirs.get_nodes("Person", [third]))  # a third run: all decoded at once
    assert memory._runs == {"values": {}, "ids": {}}  # noqa: SLF001 (each whole)
    assert memory.values == whole.values and memory.ids == whole.ids  # every run, in order
    assert dict(memory.index["Person"].items()) == dict(whole.index["Person"].items())
    for each in (store, theirs):
        asyncio.run(each.close())


def _persons_snapshot(data_dir: Path, size: int) -> tuple[Adjacency, list[str]]:
    """A graph of ``size`` persons ``P00000``... (property ``n``: their number), written as
    ``data_dir``'s snapshot; and their ids."""
    ids = [f"P{i:05d}" for i in range(size)]
    graph = Adjacency(defaultdict(Fields))
    graph.fields["Person"].add("n")
    graph.apply_nodes("Person", ids, [(i,) for i in range(size)], new=True)
    stamp = snapshot.Stamp("store", 1, size, snapshot.fingerprint())
    snapshot.write(data_dir, stamp, *graph.snapshot_state())
    return graph, ids


def test_a_run_whose_decoding_was_interrupted_is_decoded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deferred run stays deferred until its part is decoded: an interrupt (Ctrl-C, or a
    MemoryError) in the middle of it leaves it to the next read. When the part was taken
    out first, the next read of the run raised ``KeyError``, and the whole ids made later
    lacked the run: every id after it shifted."""
    monkeypatch.setattr(adjacency, "VALUE_RUN", 10)
    graph, ids = _persons_snapshot(tmp_path, 35)
    state, later = snapshot.read_state(tmp_path, snapshot.read_stamp(tmp_path))
    interrupted: list[str] = []

    def once_interrupted(
        names: frozenset[str], decode: Callable[[], dict[str, Any]]
    ) -> Callable[[], dict[str, Any]]:
        def deferred() -> dict[str, Any]:
            if names == {"ids@10"} and not interrupted:
                interrupted.append("ids@10")
                raise KeyboardInterrupt
            return decode()

        return deferred

    copy = Adjacency(graph.fields)
    copy.restore(state, [(names, once_interrupted(names, decode)) for names, decode in later])
    with pytest.raises(KeyboardInterrupt):
        copy.node(12)
    assert interrupted and "ids" not in vars(copy)
    assert copy.node(12) == graph.node(12) and copy.index["Person"].get("P00013") == 13
    assert copy.ids == ids and copy.index["Person"].get("P00030") == 30


def test_threads_reading_nodes_while_their_runs_decode_read_them_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs are decoded under a lock (``_decoded_run``, ``_undefer``): threads reading ids
    and nodes and looking ids up at once (a batch moving the id index's base into its
    dict), while one of them makes the ids whole, each read right. Small runs and a short
    switch interval make the threads meet; before the deferred parts were listed under the
    lock, a thread making an attribute whole raised ``dictionary changed size during
    iteration`` in almost every round (and a lookup whose base was thawed meanwhile,
    ``IndexError``)."""
    monkeypatch.setattr(adjacency, "VALUE_RUN", 5)
    size = 20_000
    graph, ids = _persons_snapshot(tmp_path, size)
    found, wrong = snapshot.read_stamp(tmp_path), []

    def read(copy: Adjacency, reader: int, start: threading.Barrier) -> None:
        numbers = [(reader * 7_919 + i * 104_729) % size for i in range(40)]
        start.wait()
        try:
            for n in numbers:
                if reader == 0:
                    got: object = copy.index["Person"].get(ids[n])
                elif reader == 1:
                    got = copy.node(n).props["n"] + (copy.id_of(n) != ids[n])
                elif reader == 2:
                    got = copy.index["Person"].numbers_of(ids[n : n + 400])[0]
                elif reader == 4:  # what a server runs in a thread once started
                    copy.decode_deferred()
                    got = n
                else:
                    got = copy.ids[n] == ids[n] and n  # the whole ids, made by one thread
                if got != n:
                    wrong.append((reader, n, got))
        except Exception as exc:  # noqa: BLE001 - reported as a wrong read
            wrong.append((reader, repr(exc)))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for _ in range(10):
            copy = Adjacency(graph.fields)
            copy.restore(*snapshot.read_state(tmp_path, found))
            start = threading.Barrier(5)
            threads = [threading.Thread(target=read, args=(copy, k, start)) for k in range(5)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert copy.ids == ids and copy.values == graph.values and not copy._later  # noqa: SLF001
    finally:
        sys.setswitchinterval(interval)
    assert wrong == []


def _hood(hood: object) -> dict[int, object] | None:
    """A neighbourhood as a dict (``None``: a removed node), whatever its form and order."""
    return None if hood is None else dict(pairs(hood))


def _damage_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    at = data.index(b'"fingerprint": "') + len(b'"fingerprint": "')
    data[at : at + 4] = b"0000"
    path.write_bytes(bytes(data))


def _flip_payload_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    with open(path, "r+b") as out:
        out.truncate(path.stat().st_size // 2)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_truncate, "truncated"),
        (_flip_payload_byte, "checksum does not match"),
        (_damage_header, "another version of the service"),
        (lambda path: path.write_bytes(b"not a snapshot"), "not a graph snapshot"),
        (lambda path: path.write_bytes(b""), "not a graph snapshot"),
    ],
)
def test_a_damaged_snapshot_falls_back_to_a_rebuild(
    loaded: Path, caplog: pytest.LogCaptureFixture, damage: Any, reason: str
) -> None:
    expected = _answers_of(loaded)
    damage(loaded / snapshot.SNAPSHOT_FILE)
    assert not _opens_from_snapshot(loaded, caplog)
    lines = [r.getMessage() for r in caplog.records if REBUILDING in r.getMessage()]
    assert len(lines) == 1 and reason in lines[0], caplog.text
    assert _answers_of(loaded) == expected


def test_serve_writes_a_new_snapshot_when_the_store_opened_without_one(
    loaded: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """After an upgrade (a snapshot of another version), ``serve`` writes a new one before
    serving, so that only its first start rebuilds the graph."""
    expected = _answers_of(loaded)
    _damage_header(loaded / snapshot.SNAPSHOT_FILE)
    store = EmbeddedStore(loaded, create=False)
    assert store.snapshot_unused is not None
    assert "another version of the service" in store.snapshot_unused
    _renew_snapshot(Settings(data_dir=loaded), store)
    assert store.snapshot_unused is None
    assert "Writing a new snapshot" in capsys.readouterr().out
    asyncio.run(store.close())
    assert _opens_from_snapshot(loaded, caplog)
    assert _answers_of(loaded) == expected
    current = EmbeddedStore(loaded, create=False)
    assert current.snapshot_unused is None
    _renew_snapshot(Settings(data_dir=loaded), current)  # nothing to do: nothing said
    assert capsys.readouterr().out == ""
    asyncio.run(current.close())


def test_serve_starts_when_the_new_snapshot_cannot_be_written(
    loaded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (loaded / snapshot.SNAPSHOT_FILE).unlink()
    (loaded / snapshot.SNAPSHOT_FILE).mkdir()  # os.replace cannot put a file there
    store = EmbeddedStore(loaded, create=False)
    _renew_snapshot(Settings(data_dir=loaded), store)
    assert "serving anyway, the next start rebuilds the graph again" in capsys.readouterr().err
    assert store.snapshot_unused is not None
    assert asyncio.run(store.counts())["Person"] == 2_000
    asyncio.run(store.close())


def test_a_snapshot_of_another_store_is_refused(
    bank: Path, loaded: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = tmp_path / "other"
    load(Settings(data_dir=other), read_input("canonical", bank))  # same rows, same load_seq
    shutil.copy(other / snapshot.SNAPSHOT_FILE, loaded / snapshot.SNAPSHOT_FILE)
    assert not _opens_from_snapshot(loaded, caplog)
    assert "it is of another store" in caplog.text


def test_a_snapshot_newer_than_the_record_is_refused(
    loaded: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    expected = _answers_of(loaded)
    backup = tmp_path / "backup.sqlite3"
    shutil.copy(loaded / "graph.sqlite3", backup)  # closed: no write-ahead log beside it
    _mutate(loaded, writes=1)
    asyncio.run(_save(loaded))
    shutil.copy(backup, loaded / "graph.sqlite3")  # the record restored from before
    assert not _opens_from_snapshot(loaded, caplog)
    assert "it is of load 2, newer than the record's 1" in caplog.text
    assert _answers_of(loaded) == expected


async def _save(data_dir: Path) -> None:
    store = EmbeddedStore(data_dir, create=False)
    await store.save_snapshot()
    await store.close()


def test_a_snapshot_stale_beyond_replay_falls_back_to_a_rebuild(
    bank: Path, loaded: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record, "REPLAY_MAX_SHARE", 0.2)
    store = EmbeddedStore(loaded, create=False)
    bound = store._memory.size() * record.REPLAY_MAX_SHARE  # noqa: SLF001
    persons, accounts = (asyncio.run(store.list_ids(label)) for label in ("Person", "Account"))
    assert len(persons) < bound <= len(persons) + len(accounts)
    renamed = [NodeRow("Person", p, {"name": "renamed"}, "m", 0) for p in persons]
    asyncio.run(store.write(GraphBatch(nodes=renamed)))  # replayed...
    assert _opens_from_snapshot(loaded, caplog)
    dormant = [NodeRow("Account", a, {"status": "dormant"}, "m", 0) for a in accounts]
    asyncio.run(store.write(GraphBatch(nodes=dormant)))  # ... too many to replay
    asyncio.run(store.close())
    assert not _opens_from_snapshot(loaded, caplog)
    assert "rebuilding costs less than replaying" in caplog.text


def test_a_payload_naming_another_global_is_refused(
    loaded: Path, caplog: pytest.LogCaptureFixture
) -> None:
    found = snapshot.read_stamp(loaded)
    snapshot.write(loaded, found.stamp, {"index": os.getcwd})
    assert not _opens_from_snapshot(loaded, caplog)
    assert "names posix.getcwd, which is not allowed" in caplog.text


def test_a_store_without_a_store_id_gets_one_on_its_next_write(loaded: Path) -> None:
    import sqlite3

    with sqlite3.connect(loaded / "graph.sqlite3") as db:
        db.execute("DELETE FROM meta WHERE key = 'store_id'")
    store = EmbeddedStore(loaded, create=False)
    with pytest.raises(Exception, match="has no store id"):
        asyncio.run(store.save_snapshot())
    asyncio.run(store.write(GraphBatch(nodes=[NodeRow("Person", "X", {}, "m", 0)])))
    assert asyncio.run(store.save_snapshot()).is_file()
    asyncio.run(store.close())


# Writes a snapshot and is killed (SIGKILL, by itself) once the temporary file is written,
# before it is renamed into place: the moment a crash leaves the most behind.
_WRITER = """
import asyncio, os, signal, sys
from graph_service.stores.embedded import EmbeddedStore
store = EmbeddedStore(sys.argv[1], create=False)
os.replace = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
asyncio.run(store.save_snapshot())
"""


@pytest.mark.parametrize("previous", [True, False], ids=["over-a-snapshot", "first-snapshot"])
def test_a_writer_killed_midway_leaves_a_store_that_opens_with_the_same_answers(
    loaded: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, previous: bool
) -> None:
    _mutate(loaded, writes=1)
    expected = _answers_of(_rebuilt_copy(loaded, tmp_path))
    if not previous:
        (loaded / snapshot.SNAPSHOT_FILE).unlink()
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(loaded)])
    temp = loaded / f".{snapshot.SNAPSHOT_FILE}.{writer.pid}.tmp"
    assert writer.wait(timeout=120) == -signal.SIGKILL
    assert temp.stat().st_size > 0  # killed with its snapshot written but not in place
    assert _answers_of(loaded) == expected
    asyncio.run(_save(loaded))
    assert not temp.exists()  # the next writer removes what the killed one left
    assert _opens_from_snapshot(loaded, caplog)
    assert _answers_of(loaded) == expected


def test_snapshot_write_leaves_the_previous_one_when_it_fails(loaded: Path) -> None:
    before = (loaded / snapshot.SNAPSHOT_FILE).read_bytes()
    found = snapshot.read_stamp(loaded)
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        snapshot.write(loaded, found.stamp, {"unpicklable": lambda: None})
    assert (loaded / snapshot.SNAPSHOT_FILE).read_bytes() == before
    assert [p.name for p in loaded.iterdir() if p.name.endswith(".tmp")] == []


def test_a_large_container_marshal_cannot_encode_is_pickled(tmp_path: Path) -> None:
    """The containers are first all taken for marshal's; one that is not is pickled instead."""
    plain = list(range(snapshot.EXTERN_MIN))
    mixed = [Counter({i: 1}) for i in range(snapshot.EXTERN_MIN)]  # a Counter: not marshal's
    state = {"plain": plain, "mixed": mixed, "again": plain}
    stamp = snapshot.Stamp("store", 1, 0, snapshot.fingerprint())
    snapshot.write(tmp_path, stamp, state)
    read, _ = snapshot.read_state(tmp_path, snapshot.read_stamp(tmp_path))
    assert read == state
    assert read["again"] is read["plain"]


def test_adjacency_state_round_trips(loaded: Path) -> None:
    store = EmbeddedStore(loaded, create=False)
    memory = store._memory  # noqa: SLF001
    copy = Adjacency(memory.fields)
    copy.restore(pickle.loads(pickle.dumps(memory.state())))
    assert copy.counts() == memory.counts()
    # The load warmed the whole-graph indexes (questions.warm) and the snapshot kept them.
    kinds = {"owners", "coverage", "executives", "lead facts"}
    assert {key[0] for key in copy.derived} == SNAPSHOT_KINDS == kinds
    assert copy.derived == {k: v for k, v in memory.derived.items() if k[0] in SNAPSHOT_KINDS}
    asyncio.run(store.close())


def test_a_store_opened_from_the_snapshot_has_every_persons_lead_facts(loaded: Path) -> None:
    # What a first managerLeads read of each person (most of its time at 1M), read already.
    store = EmbeddedStore(loaded, create=False)
    asyncio.run(store.counts())
    assert store.snapshot_unused is None
    memory, rules = store._memory, Settings().rules()  # noqa: SLF001
    people = list(memory.index["Person"].values())
    fresh = questions._lead_facts(memory, rules)  # noqa: SLF001

    def unread(person: int) -> Any:
        raise AssertionError(f"person {person}'s facts were not in the snapshot")

    kept = memory.derived["lead facts", rules]
    assert list(kept.each(people, unread)) == [fresh(p) for p in people]
    assert sum(f.employed for f in kept.each(people, unread)) > 0
    asyncio.run(store.close())


def test_a_load_whose_snapshot_fails_is_still_committed(
    bank: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    unpicklable = ({"unpicklable": lambda: None}, [])
    monkeypatch.setattr(Adjacency, "snapshot_state", lambda self: unpicklable)
    data_dir = tmp_path / "data"
    with caplog.at_level(logging.WARNING):
        report = load(Settings(data_dir=data_dir), read_input("canonical", bank))
    assert "the load is committed but its snapshot was not written" in caplog.text
    assert not (data_dir / snapshot.SNAPSHOT_FILE).exists()
    store = EmbeddedStore(data_dir, create=False)
    assert asyncio.run(store.counts())["Person"] == 2_000
    assert sum(report.loaded.values()) > 0
    asyncio.run(store.close())


def test_a_referral_recorded_after_the_snapshot_is_replayed(
    loaded: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The record's write path (a command's batch with its preconditions) commits through the
    # same load_seq as a load, so opening from the snapshot replays it: created, then moved.
    staff, admin = Caller("sam", Role.STAFF), Caller("root", Role.ADMIN)
    store = EmbeddedStore(loaded, create=False)
    created, _ = asyncio.run(commands.create_referral(
        store, staff, party=("Person", "P7"), to_manager_id="M1", idempotency_key="after-snap",
        note="asked about a mortgage"))
    asyncio.run(commands.update_referral(store, admin, referral_id=created.id,
                                         status="CONTACTED", expected_version=1))
    asyncio.run(store.close())
    assert _opens_from_snapshot(loaded, caplog)
    store = EmbeddedStore(loaded, create=False)
    try:
        (node,) = asyncio.run(store.get_nodes("Referral", [created.id]))
        assert node is not None
        assert (node.props["status"], node.props["version"], node.props["note"]) == (
            "CONTACTED", 2, "asked about a mortgage")
        [[(_, party)]] = asyncio.run(store.neighbors("Referral", [created.id], "REFERS",
                                                     Direction.OUTGOING))
        assert party.key == ("Person", "P7")
        [received] = asyncio.run(store.neighbors("Manager", ["M1"], "REFERRED_TO",
                                                 Direction.INCOMING))
        assert ("Referral", created.id) in {node.key for _, node in received}
    finally:
        asyncio.run(store.close())


def test_loading_the_same_input_again_leaves_the_snapshot_as_it_is(
    bank: Path, loaded: Path
) -> None:
    path = loaded / snapshot.SNAPSHOT_FILE
    before, written = path.read_bytes(), path.stat().st_mtime_ns
    report = load(Settings(data_dir=loaded), read_input("canonical", bank))
    assert sum(report.loaded.values()) > 0  # every row read again, none changed
    assert path.read_bytes() == before and path.stat().st_mtime_ns == written
    # A damaged one is written again by the next load, even one that changes nothing.
    damaged = bytearray(before)
    damaged[-1] ^= 0xFF
    path.write_bytes(bytes(damaged))
    load(Settings(data_dir=loaded), read_input("canonical", bank))
    assert path.read_bytes() != bytes(damaged)
    store = EmbeddedStore(loaded, create=False)
    asyncio.run(store.counts())
    assert store.snapshot_unused is None
    asyncio.run(store.close())
