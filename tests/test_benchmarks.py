"""Smoke test of the benchmark (benchmarks/): it runs at 10k and reports every measure.

No timing is asserted: figures on a CI machine mean nothing. What must hold is that every
peer that could run produced a number for every measure, and answered as ours did.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytest.importorskip("ladybug")
pytest.importorskip("psutil")

MEASURES = ["load_s", "load_peak_rss_mb", "bulk_coverage_s"]
QUESTIONS = ["uncovered_employees", "executives_without_private_banking", "payroll_coverage",
             "linkage_paths", "client_network", "coverage_rollup", "manager_leads",
             "search"]  # fmt: skip
UNANSWERED = {("ladybug", "search")}
"""Questions a peer records as unanswered, with the reason (LadybugDB's full-text index is an
extension downloaded at INSTALL time)."""
SERVICES = {"embedded", "falkordb-service"}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench")
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--sizes", "10k", "--quick",
         "--results", str(out), "--workdir", str(out)],
        check=True, cwd=REPO, timeout=600,
    )  # fmt: skip
    return json.loads((out / "latest-10k.json").read_text())


def test_every_peer_has_every_measure(results: dict) -> None:
    peers = results["peers"]
    assert set(peers) == {"embedded", "falkordb-service", "falkordb-direct", "ladybug",
                          "networkx"}  # fmt: skip
    assert peers["embedded"]["status"] == "ok"
    for name, peer in peers.items():
        if name == "falkordb-service" and peer["status"].startswith("unavailable"):
            continue  # the FalkorDB backend is not in this checkout yet
        assert peer["status"] == "ok", (name, peer["status"])
        figures = peer["figures"]
        modes = ["in-process", "http"] if name in SERVICES else ["in-process"]
        expected = MEASURES + [
            f"latency/{mode}/{question}/{stat}"
            for mode in modes
            for question in QUESTIONS
            for stat in ("p50_ms", "p95_ms", "p99_ms")
            if (name, question) != ("falkordb-direct", "linkage_paths")  # may time out
            and (name, question) not in UNANSWERED
        ]
        if name in SERVICES:
            expected += ["startup_s", "first_answer_s", "throughput_rps", "serve_rss_mb",
                         "bulk_coverage_execution_s", "bulk_coverage_open_s",
                         "report_coverage_s"]  # fmt: skip
        for measure in expected:
            assert isinstance(figures.get(measure), int | float), (name, measure)
        assert set(peer["unanswered"]) == {q for n, q in UNANSWERED if n == name}, name
        assert all(peer["unanswered"].values()), name  # each with its reason


def test_answers_match_ours(results: dict) -> None:
    for name, peer in results["peers"].items():
        if peer["status"] == "ok":
            assert peer["guard"]["checked"] > 0, name
            assert peer["guard"]["mismatches"] == [], name


def test_report_is_written_from_results(results: dict, tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from report import section
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    text = section(results)
    assert "## 10k people" in text
    assert "uncovered_employees" in text


@pytest.mark.parametrize("engine", ["falkordb", "ladybug"])
def test_client_network_cypher_follows_the_types_ours_is_asked(engine: str) -> None:
    """Every pattern of a direct peer's clientNetwork names the types of our document."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from questions import NETWORK_TYPES
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    text = (REPO / "benchmarks" / "cypher" / engine / "client_network.cypher").read_text()
    patterns = re.findall(r"-\[\w*:([A-Z_|]+)", text)
    assert len(patterns) == 3  # the walk, the walk again, the relationships among the nodes
    assert set(patterns) == {"|".join(NETWORK_TYPES)}
