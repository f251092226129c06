"""A first load's snapshot written by a forked process (``stores.embedded.forked``)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from graph_service.config import Settings
from graph_service.errors import StoreUnavailableError
from graph_service.ingest import read_input
from graph_service.ingest.generator import generate
from graph_service.stores.embedded import EmbeddedStore, questions, record, snapshot
from graph_service.stores.embedded.forked import ForkedSnapshot
from graph_service.stores.loading import load


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated bank of 500 people (canonical CSVs)."""
    out = tmp_path_factory.mktemp("bank-500") / "input"
    generate(500, 3, out)
    return out


def _temp_files(data_dir: Path) -> list[str]:
    if not data_dir.exists():
        return []
    return [p.name for p in data_dir.iterdir() if p.name.endswith(".tmp")]


def _counts(data_dir: Path) -> dict[str, int]:
    store = EmbeddedStore(data_dir, create=False)
    try:
        assert store.snapshot_unused is None  # opened from the snapshot
        return asyncio.run(store.counts())
    finally:
        asyncio.run(store.close())


def test_the_snapshot_is_put_in_place_by_the_forked_process(
    bank: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed_by = tmp_path / "installed-by"
    install = snapshot.install

    def noted(temp: Path) -> Path:
        installed_by.write_text(str(os.getpid()))
        return install(temp)

    monkeypatch.setattr(snapshot, "install", noted)  # the child runs the parent's functions
    data_dir = tmp_path / "data"
    load(Settings(data_dir=data_dir), read_input("canonical", bank))
    assert int(installed_by.read_text()) != os.getpid()
    assert _temp_files(data_dir) == []
    stamp = snapshot.read_stamp(data_dir).stamp
    assert stamp.load_seq == 1 and stamp.fingerprint == snapshot.fingerprint()
    assert _counts(data_dir)["Person"] == 500


def test_a_failed_forked_process_leaves_the_snapshot_to_the_load(
    bank: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str],
) -> None:
    parent, warm = os.getpid(), questions.warm

    def warm_here_only(graph: object, rules: object) -> None:
        if os.getpid() != parent:
            raise MemoryError("the child ran out of memory")
        warm(graph, rules)  # type: ignore[arg-type]

    monkeypatch.setattr(questions, "warm", warm_here_only)
    data_dir = tmp_path / "data"
    with caplog.at_level(logging.WARNING):
        load(Settings(data_dir=data_dir), read_input("canonical", bank))
    assert "the process writing the load's snapshot ended with status 1" in caplog.text
    assert "MemoryError('the child ran out of memory')" in capfd.readouterr().err
    assert _temp_files(data_dir) == []
    assert _counts(data_dir)["Person"] == 500  # written by the load itself


def test_a_first_load_failing_after_the_fork_leaves_no_snapshot_and_no_child(
    bank: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[ForkedSnapshot] = []
    start = ForkedSnapshot.start

    def kept(*args: object) -> ForkedSnapshot | None:
        forked = start(*args)  # type: ignore[arg-type]
        assert forked is not None
        started.append(forked)
        return forked

    def disk_full(self: record.Record, *args: object) -> None:
        raise StoreUnavailableError("database or disk is full")

    monkeypatch.setattr(ForkedSnapshot, "start", kept)
    monkeypatch.setattr(record.Record, "_write_kept", disk_full)
    data_dir = tmp_path / "data"
    with pytest.raises(StoreUnavailableError, match="disk is full"):
        load(Settings(data_dir=data_dir), read_input("canonical", bank))
    (forked,) = started
    with pytest.raises(ChildProcessError):  # stopped and waited for: no zombie left
        os.waitpid(forked._pid, os.WNOHANG)  # noqa: SLF001
    assert not data_dir.exists()  # the directory the failed first load made is removed


# Loads, and is killed (SIGKILL, by itself) after the fork, while SQLite writes the rows.
_KILLED_LOADER = """
import os, signal, sys
from pathlib import Path
from graph_service.config import Settings
from graph_service.ingest import read_input
from graph_service.stores.embedded import record
from graph_service.stores.loading import load
record.Record._write_kept = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
load(Settings(data_dir=Path(sys.argv[2])), read_input("canonical", Path(sys.argv[1])))
"""


def test_a_load_killed_after_the_fork_leaves_no_snapshot(bank: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    command = [sys.executable, "-c", _KILLED_LOADER, str(bank), str(data_dir)]
    loader = subprocess.run(command, check=False, timeout=120)
    assert loader.returncode == -9
    # The orphaned child (the same command line: forked) builds and writes its file, then
    # reads the end of its pipe rather than a commit, removes the file and exits.
    orphans = [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == command]
    assert len(orphans) <= 1
    _, alive = psutil.wait_procs(orphans, timeout=60)
    assert alive == []
    assert _temp_files(data_dir) == []
    assert not (data_dir / snapshot.SNAPSHOT_FILE).exists()
    with pytest.raises(StoreUnavailableError, match="no graph store"):
        EmbeddedStore(data_dir, create=False)  # never committed: readers refuse it


def test_a_load_interrupted_while_waiting_for_the_child_leaves_no_temporary_file(
    bank: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Ctrl-C once the rows are committed, while the load waits for the child: the signal
    # reaches both (the process group); the child dies with its file written, not in place.
    def interrupted(temp: Path) -> Path:
        os.kill(os.getppid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
        raise AssertionError("not reached: SIGINT ends the child")

    monkeypatch.setattr(snapshot, "install", interrupted)  # the child runs the parent's
    data_dir = tmp_path / "data"
    with caplog.at_level(logging.WARNING):
        report = load(Settings(data_dir=data_dir), read_input("canonical", bank))
    assert report.loaded["persons.csv"] == 500  # committed before the signal
    assert "the load is committed but its snapshot was not written" in caplog.text
    assert _temp_files(data_dir) == []
    assert not (data_dir / snapshot.SNAPSHOT_FILE).exists()
