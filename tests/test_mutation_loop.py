"""The mutation benchmark (benchmarks/mutation_loop.py): its client against a real ``serve``,
and its rows in BENCHMARKS.md (benchmarks/report.py).

No timing is asserted: what must hold is that both phases ran, every answer was a 200
without GraphQL errors (``Sender.post`` raises otherwise), and each run is a row.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from benchmarks.mutation_loop import CLIENT, Sender, measure, serve
from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer
from tests.conftest import write_small_bank

REPO = Path(__file__).resolve().parent.parent


def test_the_loop_measures_both_phases_against_serve(tmp_path: Path) -> None:
    data_dir = write_small_bank(tmp_path / "bank")
    token = LocalIssuer(data_dir).issue("bench-admin", Role.ADMIN)
    process, url = serve(data_dir)
    try:
        args = argparse.Namespace(sequential=5, seconds=1.0, writers=2, readers=1, rate=None,
                                  read_rate=None)  # fmt: skip
        figures = measure(url, token, args)
        paced = measure(url, token, argparse.Namespace(**{**vars(args), "rate": 20.0,
                                                          "read_rate": 10.0}))
        refused = Sender(url, "not-a-token")
        with pytest.raises(RuntimeError, match="401"):
            refused.post("{ __typename }", {})
        refused.close()
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert figures["sequential"]["samples"] == 5
    load = figures["under_load"]
    assert load["mutations"]["samples"] > 0 and load["queries"]["samples"] > 0
    assert (load["writers"], load["readers"]) == (2, 1)
    # On a schedule: 20 a second for 1 s is 20 mutations (none sent after the end).
    assert paced["under_load"]["offered_per_s"] == 20.0
    assert paced["under_load"]["mutations"]["samples"] == 20
    assert paced["under_load"]["queries_offered_per_s"] == 10.0
    assert paced["under_load"]["queries"]["samples"] == 10


def test_the_report_has_a_row_per_run_naming_its_client() -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from report import mutation_section
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    phase = {"p50_ms": 1.0, "p99_ms": 2.0, "max_ms": 3.0, "samples": 10}
    load = {"seconds": 20.0, "writers": 4, "readers": 2, "mutations_per_s": 150.0,
            "mutations": phase, "queries_per_s": 90.0, "queries": phase}
    before = {"people": 1000, "date": "2026-12-03T00:00:00+00:00", "sequential": phase,
              "under_load": load, "machine": {"cores": 2, "load_average": [1.0, 1.0, 1.0]}}
    after = {**before, "date": "2026-12-04T00:00:00+00:00", "client": CLIENT,
             "under_load": {**load, "client_cpu_s": 0.9}}
    rows = [line for line in mutation_section([before, after]).splitlines()
            if line.startswith("| 1,000 |")]
    assert [row.split(" | ")[2] for row in rows] == ["httpx", f"{CLIENT} (0.9 s)"]
    paced = {**after, "under_load": {**after["under_load"], "offered_per_s": 200.0}}
    row = next(line for line in mutation_section([paced]).splitlines()
               if line.startswith("| 1,000 |"))
    assert "150.0 (4 writers, 200 a second offered)" in row
