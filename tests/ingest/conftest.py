"""Helpers for the loader tests: write small input files, load batches into a real store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_service.records import GraphBatch, LoadReport
from graph_service.stores.embedded import EmbeddedStore


def write_files(directory: Path, files: dict[str, str]) -> Path:
    """Write each ``name: text`` into ``directory`` (created); return the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def load(store: EmbeddedStore, batch: GraphBatch) -> tuple[LoadReport, dict[str, int]]:
    """Upsert ``batch``; return the report and the store's counts afterwards."""
    report = asyncio.run(store.write(batch))
    return report, asyncio.run(store.counts())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    """An empty embedded store in a fresh data directory."""
    opened = EmbeddedStore(tmp_path / "data")
    yield opened
    asyncio.run(opened.close())
