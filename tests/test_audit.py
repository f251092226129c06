"""The audit trail: a record per GraphQL operation, durable, rotated, and read back."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from graph_service.audit import (
    MAX_NODE_IDS,
    AuditTrail,
    matches,
    parse_time,
    read_records,
    returned_ids,
    trail_files,
)
from tests.test_cli import run

SECRET = "zz-secret-product-type"


def records(directory: Path) -> list[dict[str, Any]]:
    return list(read_records(directory))


def test_the_trail_rotates_by_size_and_keeps_every_record(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path, max_bytes=4096)
    for i in range(300):
        trail.append({"n": i, "subject": "s", "pad": "x" * 50})
    trail.close()
    files = trail_files(tmp_path)
    assert len(files) > 3 and files[-1].name == "audit.jsonl"
    assert all(p.stat().st_size <= 4096 for p in files)
    assert [r["n"] for r in records(tmp_path)] == list(range(300))


def test_two_writers_on_one_trail_lose_nothing(tmp_path: Path) -> None:
    """A serve and a CLI query writing one trail: each reopens the file the other rotated."""
    trails = [AuditTrail(tmp_path, max_bytes=8192) for _ in range(2)]

    def write(k: int) -> None:
        for i in range(200):
            trails[k].write({"writer": k, "n": i, "pad": "y" * 40})

    threads = [threading.Thread(target=write, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for trail in trails:
        trail.close()
    found = records(tmp_path)
    for k in range(2):
        assert [r["n"] for r in found if r["writer"] == k] == list(range(200))
    assert len(trail_files(tmp_path)) > 2


def test_a_record_whose_waiter_gave_up_is_written_and_the_writer_keeps_going(
    tmp_path: Path,
) -> None:
    """An operation past its time limit cancels its wait for the record (``wrap_future``):
    the record is still written, and the records after it too (once the writer thread died
    of it, and every later request waited for its record until its own time limit)."""
    trail = AuditTrail(tmp_path, max_bytes=1 << 20)
    with trail._wake:  # the writer cannot take the record before the wait is cancelled
        given_up = trail.append({"n": 1})
        assert given_up.cancel()
    trail.append({"n": 2}).result(timeout=5)
    trail.write({"n": 3})
    trail.close()
    assert [r["n"] for r in records(tmp_path)] == [1, 2, 3]


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path, max_bytes=1 << 20)
    trail.write({"n": 1})
    trail.close()
    with (tmp_path / "audit.jsonl").open("a") as stream:
        stream.write('{"n": 2, "cut sho')
    assert records(tmp_path) == [{"n": 1}]


def test_a_lone_surrogate_is_written_as_its_escape(tmp_path: Path) -> None:
    """UTF-8 cannot hold one: the record is written all the same, read back as it was."""
    trail = AuditTrail(tmp_path, max_bytes=1 << 20)
    trail.write({"subject": "s\udcff", "note": "café"})
    trail.close()
    assert (tmp_path / "audit.jsonl").read_bytes() == (
        '{"subject":"s\\udcff","note":"café"}\n'.encode())
    assert records(tmp_path) == [{"subject": "s\udcff", "note": "café"}]


def test_node_ids_above_the_bound_are_counted_only() -> None:
    data = {"a": [{"id": str(i), "b": {"id": "shared"}} for i in range(MAX_NODE_IDS + 5)]}
    ids, count = returned_ids(data)
    assert ids is None and count == MAX_NODE_IDS + 6
    assert returned_ids({"x": [{"id": "P1"}, {"id": "P1"}, {"id": "E1"}]}) == (["P1", "E1"], 2)


def test_matches_filters_by_subject_time_and_node() -> None:
    record = {"subject": "ann", "time": "2026-12-03T01:00:00.000000Z", "node_ids": ["P1"]}
    assert matches(record, subject="ann", node="P1", since=parse_time("2026-12-03T00:59"))
    assert not matches(record, subject="bob")
    assert not matches(record, since=parse_time("2026-12-03T01:00:01"))
    assert not matches(record, node="P2")
    assert not matches({**record, "node_ids": None}, node="P1")


def test_the_audit_command_prints_matching_records(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit", max_bytes=1 << 20)
    for subject, time, ids in (("ann", "2026-12-01T10:00:00.000000Z", ["P1"]),
                               ("bob", "2026-12-02T10:00:00.000000Z", ["P2", "E1"]),
                               ("ann", "2026-12-03T10:00:00.000000Z", ["E1"])):
        trail.write({"time": time, "subject": subject, "node_ids": ids})
    trail.close()

    def shown(*args: str) -> list[dict[str, Any]]:
        result = run("audit", *args, "--data-dir", tmp_path)
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    assert [r["time"][:10] for r in shown("--subject", "ann")] == ["2026-12-01", "2026-12-03"]
    assert [r["subject"] for r in shown("--node", "E1")] == ["bob", "ann"]
    since = [r["subject"] for r in shown("--since", "2026-12-02T00:00")]
    assert since[:2] == ["bob", "ann"] and all(s.startswith("cli:") for s in since[2:])
    assert shown("--subject", "ann", "--node", "P2") == []
    # Each reading is itself audited, as the local admin.
    own = [r for r in records(tmp_path / "audit") if r.get("operation") == "audit"]
    assert len(own) == 4 and all(r["subject"].startswith("cli:") for r in own)
    assert {r["role"] for r in own} == {"admin"}
    bad = run("audit", "--since", "yesterday", "--data-dir", tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "--since 'yesterday'" in bad.stderr


def test_the_query_command_is_audited_as_the_local_admin(small_bank_dir: Path,
                                                         tmp_path: Path) -> None:
    document = tmp_path / "q.graphql"
    document.write_text('query One($id: ID!) { person(id: $id) { id name } }')
    single = tmp_path / "v.json"
    single.write_text('{"id": "P1"}')
    lines = tmp_path / "v.jsonl"
    lines.write_text('{"id": "P1"}\n{"id": "P2"}\n{"id": "NOPE"}\n')
    assert run("query", document, "--variables", single, data_dir=small_bank_dir).returncode == 0
    bulk = run("query", document, "--variables", lines, "-o", tmp_path / "out.csv",
               data_dir=small_bank_dir)
    assert bulk.returncode == 1, bulk.stderr  # the NOPE line answers NOT_FOUND
    found = records(small_bank_dir / "audit")
    assert len(found) == 2  # the bulk run's lines ran as one operation: one record
    assert {(r["subject"].startswith("cli:"), r["role"]) for r in found} == {(True, "admin")}
    assert [r["node_ids"] for r in found] == [["P1"], ["P1", "P2"]]
    assert [r["outcome"] for r in found] == ["ok", "partial"]
    assert found[1]["error_codes"] == ["NOT_FOUND"]
    assert {r["operation"] for r in found} == {"One"}
