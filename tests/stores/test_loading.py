"""A load as one call (``stores.loading.load``): undone on failure or signal, files included."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_service.config import Settings
from graph_service.errors import InvalidInputError, LoadInterruptedError, StoreUnavailableError
from graph_service.records import GraphBatch, NodeRow
from graph_service.stores.embedded import EmbeddedStore
from graph_service.stores.loading import load
from tests.conftest import small_bank_batch


def _rows_then(stop: str) -> Iterator[NodeRow]:
    """Two node rows, then a bad row (``stop="error"``) or a SIGINT to this process."""
    yield NodeRow("Person", "1", {"name": "A"})
    yield NodeRow("Person", "2", {"name": "B"})
    if stop == "error":
        raise InvalidInputError("row 3 is bad")
    signal.raise_signal(signal.SIGINT)


def _settings(data_dir: Path) -> Settings:
    return Settings(backend="embedded", data_dir=data_dir)


def test_a_load_writes_and_closes(tmp_path: Path) -> None:
    report = load(_settings(tmp_path / "data"), small_bank_batch())
    assert report.total_loaded == 39
    assert EmbeddedStore(tmp_path / "data", create=False)  # readable by a reader


@pytest.mark.parametrize("stop", ["error", "signal"])
def test_a_failed_first_load_removes_the_directories_it_created(tmp_path: Path, stop: str) -> None:
    nested = tmp_path / "nest" / "a" / "b"
    expected = InvalidInputError if stop == "error" else LoadInterruptedError
    before = signal.getsignal(signal.SIGINT)  # (ignored when the suite runs in a background job)
    with pytest.raises(expected) as raised:
        load(_settings(nested), GraphBatch(nodes=_rows_then(stop)))
    assert list(tmp_path.iterdir()) == []
    if stop == "signal":
        assert raised.value.exit_code == 130 and str(raised.value) == "interrupted: nothing loaded"
    assert signal.getsignal(signal.SIGINT) is before  # restored


def test_a_failed_first_load_leaves_an_existing_directory_empty(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError):
        load(_settings(tmp_path), GraphBatch(nodes=_rows_then("error")))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(StoreUnavailableError, match="no graph store"):
        EmbeddedStore(tmp_path, create=False)


def test_an_interrupted_load_into_a_store_keeps_it(tmp_path: Path) -> None:
    load(_settings(tmp_path), small_bank_batch())
    with pytest.raises(LoadInterruptedError):
        load(_settings(tmp_path), GraphBatch(nodes=_rows_then("signal")))
    store = EmbeddedStore(tmp_path, create=False)
    found = asyncio.run(store.get_nodes("Person", ["1", "P1"]))
    assert [node is not None for node in found] == [False, True]


def test_a_signal_once_the_load_is_committed_does_not_say_nothing_was_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C while the committed load closes the store (or asyncio.run tears down: the
    # graph's memory freed, 0.2 s at 100,000 people): the rows and the snapshot are there.
    close = EmbeddedStore.close

    async def interrupted(self: EmbeddedStore) -> None:
        await close(self)
        signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(EmbeddedStore, "close", interrupted)
    report = load(_settings(tmp_path), small_bank_batch())
    monkeypatch.undo()
    assert report.total_loaded == 39
    store = EmbeddedStore(tmp_path, create=False)
    try:
        assert store.snapshot_unused is None
        (node,) = asyncio.run(store.get_nodes("Person", ["P1"]))
        assert node is not None
    finally:
        asyncio.run(store.close())


def test_a_failed_first_load_says_why_when_its_files_cannot_be_removed(tmp_path: Path) -> None:
    # What SQLite cannot use (here its journal's name taken by a directory; a read-only
    # file system likewise) cannot be removed either: the load's own error is the one told.
    (tmp_path / "graph.sqlite3-journal").mkdir()
    with pytest.raises(StoreUnavailableError, match="cannot open the embedded store"):
        load(_settings(tmp_path), small_bank_batch())
    assert [p.name for p in tmp_path.iterdir()] == ["graph.sqlite3-journal"]
