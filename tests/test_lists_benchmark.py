"""The lists benchmark (benchmarks/lists.py) on a generated bank: every case answered alike by
the generic rule and the embedded store's pushdown, and a row per case and caller.

No timing is asserted; ``run`` stops with the case's name when the answers differ.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from benchmarks.lists import CASES, run
from graph_service.ingest import read_input
from graph_service.ingest.generator import generate
from graph_service.stores.embedded import EmbeddedStore


def test_every_case_answers_as_the_generic_rule(tmp_path: Path) -> None:
    generate(800, 2, tmp_path / "input")
    store = EmbeddedStore(tmp_path / "data")
    asyncio.run(store.write(read_input("canonical", tmp_path / "input")))
    asyncio.run(store.close())
    lines = asyncio.run(run(tmp_path / "data"))
    assert lines[0] == "800 people, 80 enterprises."
    rows = [line for line in lines if line.startswith("| ") and line.endswith(" | yes |")]
    assert len(rows) == len(CASES)
    assert [line.split(" | ")[0] for line in lines[-2:]] == ["| as admin", "| as manager"]
