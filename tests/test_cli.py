"""The ``graph-service`` command line, run as a real process against real files."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer
from tests.conftest import FINBENCH_SAMPLE

CLI = [sys.executable, "-c", "from graph_service.cli import main; main()"]


def run(*args: str | Path, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    if data_dir is not None:
        env["GRAPH_SERVICE_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, env=env, timeout=300
    )


def free_port() -> int:
    """A loopback port free at the time of asking."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def until_healthy(server: subprocess.Popen[Any], port: int, log: IO[str] | None = None) -> None:
    """Wait (up to 120 s) until ``server`` answers ``/health``; fail, with its log, if it exits."""
    deadline = time.monotonic() + 120
    while True:
        if server.poll() is not None:
            if log is not None:
                log.seek(0)
            pytest.fail(f"the server exited: {log.read() if log is not None else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not become healthy"
        time.sleep(0.2)


@contextmanager
def serve_cli(data_dir: Path, command: str = "serve", *options: str) -> Iterator[httpx.Client]:
    """Run ``graph-service serve`` (or ``demo``) on a free loopback port; yield a client once
    healthy, then stop it with SIGINT as Ctrl-C would.

    The client sends an admin token of the data directory's local issuer (for ``demo``,
    whose data directory must start empty, the analyst token the demo prints); none with
    ``--insecure-no-auth``.
    """
    port = free_port()
    env = {**os.environ, "GRAPH_SERVICE_DATA_DIR": str(data_dir)}
    insecure = "--insecure-no-auth" in options
    if command == "serve" and not insecure:
        token = LocalIssuer(data_dir).issue("test-admin", Role.ADMIN)
    with tempfile.TemporaryFile("w+") as log, httpx.Client(
        base_url=f"http://127.0.0.1:{port}", timeout=30
    ) as client:
        server = subprocess.Popen(
            [*CLI, command, "--port", str(port), *options], env=env, stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            until_healthy(server, port, log)
            if command == "demo" and not insecure:
                log.seek(0)
                [token] = re.findall(r"analyst: (\S+)", log.read())
            if not insecure:
                client.headers["Authorization"] = f"Bearer {token}"
            yield client
        finally:
            server.send_signal(signal.SIGINT)
            assert server.wait(timeout=30) in (0, 130)  # 130: stopped by Ctrl-C


def test_load_finbench_reports_and_lists_rejects(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = run("load", "--format", "ldbc-finbench", FINBENCH_SAMPLE, "--data-dir", data)
    assert result.returncode == 0, result.stderr
    assert "Load report" in result.stdout and "Person.csv" in result.stdout
    with (data / "rejects.csv").open(newline="") as stream:
        rejects = list(csv.DictReader(stream))
    assert rejects, "the sample holds rows that reference missing nodes"
    assert set(rejects[0]) == {"file", "line", "reason"}
    assert all(r["line"].isdigit() and "does not exist" in r["reason"] for r in rejects)
    assert f"{len(rejects)} rejected rows listed in" in " ".join(result.stdout.split())
    # Loading the same snapshot again changes nothing and rejects the same rows.
    again = run("load", "--format", "ldbc-finbench", FINBENCH_SAMPLE, "--data-dir", data)
    assert again.returncode == 0 and again.stdout == result.stdout


def _record(data: Path) -> tuple[int, list[tuple[str, int, int]], str]:
    """Size of the store file, rows and highest load number per table, the load counter."""
    with closing(sqlite3.connect(data / "graph.sqlite3")) as db:
        tables = [(t, *db.execute(f"SELECT count(*), max(load_seq) FROM {t}").fetchone())
                  for t in ("nodes", "relationships")]  # fmt: skip
        [(seq,)] = db.execute("SELECT value FROM meta WHERE key = 'load_seq'").fetchall()
    return (data / "graph.sqlite3").stat().st_size, tables, seq


def test_loading_the_same_snapshot_again_writes_nothing(tmp_path: Path) -> None:
    # It used to rewrite every row with a new load number: 9.0 MB grew to 10.3 MB.
    data = tmp_path / "data"
    for _ in range(2):
        result = run("load", "--format", "ldbc-finbench", FINBENCH_SAMPLE, "--data-dir", data)
        assert result.returncode == 0, result.stderr
        if _ == 0:
            first = _record(data)
            modified = (data / "graph.sqlite3").stat().st_mtime_ns
    assert _record(data) == first
    assert first[2] == "1"
    assert not (data / "graph.sqlite3-wal").exists()
    assert (data / "graph.sqlite3").stat().st_mtime_ns == modified


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["load", "--format", "graphml", "."], "unknown format 'graphml'"),
        (["load", "--format", "canonical", "does-not-exist"], "does-not-exist"),
        (["generate", "--people", "0", "--out", "x"], "people"),
        (["load", "--format", "canonical", str(FINBENCH_SAMPLE)],
         "looks like an LDBC FinBench snapshot (Account.csv, AccountRepayLoan.csv, "
         "AccountTransferAccount.csv, ...), not canonical CSV: load it with --format "
         "ldbc-finbench"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run(*args, data_dir=tmp_path / "data")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_canonical_directory_loaded_as_finbench_names_the_format(tmp_path: Path) -> None:
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "persons.csv").write_text("id,name\nP1,Ann\n", encoding="utf-8")
    result = run("load", "--format", "ldbc-finbench", tmp_path / "bank",
                 data_dir=tmp_path / "data")  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'bank'}: looks like canonical CSV (persons.csv, ...), not an LDBC "
        "FinBench snapshot: load it with --format canonical"
    ]
    assert not (tmp_path / "data").exists()


def test_query_prints_utf8(tmp_path: Path) -> None:
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "persons.csv").write_text(
        "id,name\nP1,大同煤业 Zoë\n", encoding="utf-8"
    )
    assert run("load", tmp_path / "bank", data_dir=tmp_path / "data").returncode == 0
    doc = tmp_path / "q.graphql"
    doc.write_text('{ person(id: "P1") { name } }')
    env = {**os.environ, "GRAPH_SERVICE_DATA_DIR": str(tmp_path / "data"), "LC_ALL": "C",
           "PYTHONIOENCODING": "ascii"}  # fmt: skip
    result = subprocess.run([*CLI, "query", str(doc)], capture_output=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "大同煤业 Zoë".encode() in result.stdout
    assert json.loads(result.stdout)["data"]["person"]["name"] == "大同煤业 Zoë"


def test_query_needs_a_loaded_store_and_a_document(tmp_path: Path) -> None:
    doc = tmp_path / "q.graphql"
    doc.write_text("{ __typename }")
    missing = run("query", doc, "--data-dir", tmp_path / "typo")
    assert missing.returncode == 4
    assert f"no graph store in {tmp_path / 'typo'}" in missing.stderr
    assert not (tmp_path / "typo").exists()
    doc.write_text("  \n")
    empty = run("query", doc, "--data-dir", tmp_path / "typo")
    assert empty.returncode == 2 and "the document is empty" in empty.stderr


def test_bad_setting_exits_2(tmp_path: Path) -> None:
    doc = tmp_path / "q.graphql"
    doc.write_text("{ __typename }")
    env = {"GRAPH_SERVICE_PAYROLL_PRODUCTS": "debit card"}  # not a JSON list
    result = subprocess.run([*CLI, "query", str(doc), "--data-dir", str(tmp_path / "d")],
                            capture_output=True, text=True, env={**os.environ, **env})  # fmt: skip
    assert result.returncode == 2
    assert "GRAPH_SERVICE_PAYROLL_PRODUCTS" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "env, args, says",
    [
        ({"FALKORDB_GRAPH": ""}, [],
         "error: invalid setting: FALKORDB_GRAPH='': String should have at least 1 character"),
        ({"GRAPH_SERVICE_BACKEND": ""}, [],
         "error: invalid setting: GRAPH_SERVICE_BACKEND='': Input should be 'embedded', "),
        ({"GRAPH_SERVICE_MAX_PAGE_SIZE": "0"}, [],
         "error: invalid setting: GRAPH_SERVICE_MAX_PAGE_SIZE='0': "),
        ({}, ["--backend", "Falkordb"],
         "Invalid value for '--backend': Value error, 'Falkordb' is not one of"),
    ],
)  # fmt: skip
def test_bad_setting_names_what_the_user_set(
    tmp_path: Path, env: dict[str, str], args: list[str], says: str
) -> None:
    doc = tmp_path / "q.graphql"
    doc.write_text("{ __typename }")
    result = subprocess.run(
        [*CLI, "query", str(doc), "--data-dir", str(tmp_path / "d"), *args],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "200", **env},
    )  # fmt: skip
    assert result.returncode == 2
    assert says in result.stderr
    assert "GRAPH_SERVICE_GRAPH_SERVICE" not in result.stderr


def test_bad_option_value_is_named_by_its_option(tmp_path: Path) -> None:
    result = run("serve", "--port", "-5", "--data-dir", tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: invalid setting: --port=-5: ")


def test_malformed_canonical_row_names_file_line_field(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    assert run("generate", "--people", "50", "--seed", "3", "--out", bank).returncode == 0
    data = tmp_path / "data"
    assert run("load", bank, "--data-dir", data).returncode == 0
    before = (data / "graph.sqlite3").read_bytes()
    lines = (bank / "accounts.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("status")] = "frozen"
    lines[3] = ",".join(row)
    (bank / "accounts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("load", bank, "--data-dir", data)
    assert result.returncode == 2
    assert "accounts.csv, line 4, field 'status'" in result.stderr
    assert (data / "graph.sqlite3").read_bytes() == before  # nothing half-applied
    # Rows are read while they are written: into a new data directory, the error (after the
    # node files before it were written) leaves no directory behind, not an empty store.
    fresh = tmp_path / "fresh"
    result = run("load", bank, "--data-dir", fresh)
    assert result.returncode == 2 and "accounts.csv, line 4" in result.stderr
    assert not fresh.exists()
    # Every directory the load created goes, and an existing empty directory stays empty.
    nested = tmp_path / "nest" / "a" / "b"
    assert run("load", bank, "--data-dir", nested).returncode == 2
    assert not (tmp_path / "nest").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("load", bank, "--data-dir", empty).returncode == 2
    assert list(empty.iterdir()) == []
    doc = tmp_path / "q.graphql"
    doc.write_text("{ __typename }")
    refused = run("query", doc, "--data-dir", empty)
    assert refused.returncode == 4 and f"no graph store in {empty}" in refused.stderr


def test_a_text_with_a_forging_character_is_refused_naming_file_line_field(
    tmp_path: Path,
) -> None:
    bank = tmp_path / "bank"
    assert run("generate", "--people", "20", "--seed", "3", "--out", bank).returncode == 0
    lines = (bank / "persons.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[2].split(",")
    row[header.index("name")] = "Ann \x1b[2J\u202eYLLAS"  # clears a terminal; shown reversed
    lines[2] = ",".join(row)
    (bank / "persons.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = tmp_path / "data"
    result = run("load", bank, "--data-dir", data)
    assert result.returncode == 2
    assert "persons.csv, line 3, field 'name'" in result.stderr
    assert "holds the control character U+001B at position 4" in result.stderr
    assert not data.exists()


def test_generate_is_deterministic(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert (
            run("generate", "--people", "300", "--seed", "11", "--out", tmp_path / name).returncode
            == 0
        )
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "persons.csv" in files and "employed_by.csv" in files
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


COVERAGE = """
query Coverage($id: ID!) {
  payrollCoverage(enterpriseId: $id) { employees covered uncovered rate }
}
"""


def test_query_single_and_bulk(tmp_path: Path, small_bank_dir: Path) -> None:
    doc = tmp_path / "coverage.graphql"
    doc.write_text(COVERAGE)
    variables = tmp_path / "one.json"
    variables.write_text(json.dumps({"id": "E1"}))
    single = run("query", doc, "--variables", variables, data_dir=small_bank_dir)
    assert single.returncode == 0, single.stderr
    assert json.loads(single.stdout)["data"]["payrollCoverage"] == {
        "employees": 4, "covered": 2, "uncovered": 2, "rate": 0.5,
    }  # fmt: skip

    bulk = tmp_path / "all.jsonl"
    bulk.write_text("\n".join(json.dumps({"id": e}) for e in ["E1", "E2", "E3"]) + "\n")
    out = tmp_path / "coverage.csv"
    result = run("query", doc, "--variables", bulk, "-o", out, data_dir=small_bank_dir)
    assert result.returncode == 0, result.stderr
    with out.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    columns = ("line", "payrollCoverage.employees", "payrollCoverage.rate")
    assert [tuple(r[c] for c in columns) for r in rows] == [
        ("1", "4", "0.5"), ("2", "4", "0.0"), ("3", "0", ""),
    ]  # fmt: skip
    assert all(r["errors"] == "" for r in rows)
    # the benchmark reads the execution time from this line (benchmarks/peers.py)
    assert re.search(r"^3 lines run in \d+\.\d{3} s \(store opened in \d+\.\d{3} s\)$",
                     result.stderr, re.MULTILINE), result.stderr  # fmt: skip

    ndjson = tmp_path / "coverage.ndjson"
    result = run("query", doc, "--variables", bulk, "-o", ndjson, "--format", "ndjson",
                 data_dir=small_bank_dir)  # fmt: skip
    assert result.returncode == 0
    records = [json.loads(line) for line in ndjson.read_text().splitlines()]
    assert [r["data"]["payrollCoverage"]["covered"] for r in records] == [2, 0, 0]


def test_bulk_query_errors_are_kept_per_line(tmp_path: Path, small_bank_dir: Path) -> None:
    doc = tmp_path / "coverage.graphql"
    doc.write_text(COVERAGE)
    bulk = tmp_path / "all.jsonl"
    bulk.write_text('{"id": "E1"}\n{"id": "nope"}\n')
    out = tmp_path / "coverage.csv"
    result = run("query", doc, "--variables", bulk, "-o", out, data_dir=small_bank_dir)
    assert result.returncode == 1
    assert "1 of 2 lines answered with errors" in result.stderr
    with out.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [r["line"] for r in rows] == ["1", "2"]
    assert rows[0]["errors"] == ""
    assert rows[1]["errors"] == "NOT_FOUND: Enterprise 'nope' not found"


def test_bulk_query_bad_line_stops_before_running(tmp_path: Path, small_bank_dir: Path) -> None:
    doc = tmp_path / "coverage.graphql"
    doc.write_text(COVERAGE)
    bulk = tmp_path / "vars.jsonl"
    bulk.write_text('{"id": "E1"}\n\n{"id": "E2"\n')
    out = tmp_path / "out.csv"
    result = run("query", doc, "--variables", bulk, "-o", out, data_dir=small_bank_dir)
    assert result.returncode == 2
    assert "vars.jsonl, line 3" in result.stderr and "not valid JSON" in result.stderr
    assert not out.exists() and not list(tmp_path.glob("out.csv*"))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9" * 5000, "an integer has more than 4,300 digits"),
        ("[" * 5000 + "]" * 5000, "the JSON is nested too deeply"),
    ],
)
@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_query_refuses_json_python_cannot_read(
    tmp_path: Path, small_bank_dir: Path, value: str, message: str, suffix: str
) -> None:
    doc = tmp_path / "coverage.graphql"
    doc.write_text(COVERAGE)
    variables = tmp_path / f"vars{suffix}"
    first = '{"id": "E1"}\n' if suffix == ".jsonl" else ""
    variables.write_text(f'{first}{{"id": "E1", "x": {value}}}\n')
    out = tmp_path / "out.csv"
    result = run("query", doc, "--variables", variables, "-o", out, data_dir=small_bank_dir)
    assert result.returncode == 2, result.stderr
    where = "vars.jsonl, line 2" if suffix == ".jsonl" else str(variables)
    assert result.stderr == f"error: {where}: {message}\n"
    assert not list(tmp_path.glob("out.csv*"))


TWO_OPERATIONS = """
query Coverage($id: ID!) { payrollCoverage(enterpriseId: $id) { rate } }
query Name($id: ID!) { enterprise(id: $id) { name } }
"""


@pytest.mark.parametrize(
    ("document", "extra", "message"),
    [
        ("query($id: ID!) {\n  payrollCoverage(", [],
         "q.graphql, line 2: Syntax Error: Expected Name, found <EOF>. (column 19)"),
        ("query($id: ID!) {\n  payrollCoverage(enterpriseId: $id) { nope } }", [],
         "q.graphql, line 2: Cannot query field 'nope' on type 'PayrollCoverage'."),
        (TWO_OPERATIONS, [],
         "q.graphql: the document holds 2 operations; choose one with --operation-name"),
        (TWO_OPERATIONS, ["--operation-name", "Nope"],
         "q.graphql: the document has no operation named 'Nope' (named operations: "
         "Coverage, Name)"),
        ("query($id: ID!) { line: __typename errors: enterprise(id: $id) { name } }", [],
         "q.graphql: the CSV output would have two columns named 'line'"),
    ],
)  # fmt: skip
def test_bulk_query_document_errors_exit_2_before_running(
    tmp_path: Path, small_bank_dir: Path, document: str, extra: list[str], message: str
) -> None:
    doc = tmp_path / "q.graphql"
    doc.write_text(document)
    bulk = tmp_path / "vars.jsonl"
    bulk.write_text('{"id": "E1"}\n{"id": "E2"}\n')
    out = tmp_path / "out.csv"
    result = run("query", doc, "--variables", bulk, "-o", out, *extra, data_dir=small_bank_dir)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: {tmp_path}/{message}")
    assert result.stderr.count("\n") == 1
    assert not list(tmp_path.glob("out.csv*"))


def test_bulk_query_runs_the_named_operation(tmp_path: Path, small_bank_dir: Path) -> None:
    doc = tmp_path / "q.graphql"
    doc.write_text(TWO_OPERATIONS)
    bulk = tmp_path / "vars.jsonl"
    bulk.write_text('{"id": "E1"}\n')
    result = run("query", doc, "--variables", bulk, "--operation-name", "Name",
                 data_dir=small_bank_dir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["line,enterprise.name,errors", "1,Acme Ltd,"]
    ndjson = run("query", doc, "--variables", bulk, "--operation-name", "Coverage",
                 "--format", "ndjson", data_dir=small_bank_dir)  # fmt: skip
    assert json.loads(ndjson.stdout)["data"] == {"payrollCoverage": {"rate": 0.5}}
    one = tmp_path / "one.json"
    one.write_text('{"id": "E2"}')
    single = run("query", doc, "--operation-name", "Name", "--variables", one,
                 data_dir=small_bank_dir)  # fmt: skip
    assert single.returncode == 0, single.stderr
    assert json.loads(single.stdout)["data"] == {"enterprise": {"name": "Beta GmbH"}}


def test_bulk_query_csv_spells_booleans_as_json(tmp_path: Path, small_bank_dir: Path) -> None:
    doc = tmp_path / "q.graphql"
    doc.write_text(
        "query($id: ID!) { clientNetwork(node: {label: ENTERPRISE, id: $id}, depth: 1)"
        ' { truncated } __type(name: "Enterprise") { fields { isDeprecated } } }'
    )
    bulk = tmp_path / "vars.jsonl"
    bulk.write_text('{"id": "E1"}\n')
    result = run("query", doc, "--variables", bulk, data_dir=small_bank_dir)
    assert result.returncode == 0, result.stderr
    [row] = list(csv.DictReader(result.stdout.splitlines()))
    assert row["clientNetwork.truncated"] == "false"  # as in JSON, and in the list cells:
    assert {field["isDeprecated"] for field in json.loads(row["__type.fields"])} == {False}


@pytest.mark.parametrize("which", ["document", "variables"])
def test_query_refuses_to_overwrite_its_inputs(
    tmp_path: Path, small_bank_dir: Path, which: str
) -> None:
    doc = tmp_path / "coverage.graphql"
    doc.write_text(COVERAGE)
    bulk = tmp_path / "vars.jsonl"
    bulk.write_text('{"id": "E1"}\n')
    before = {p: p.read_bytes() for p in (doc, bulk)}
    target = tmp_path / "sub" / ".." / (doc.name if which == "document" else bulk.name)
    (tmp_path / "sub").mkdir()
    result = run("query", doc, "--variables", bulk, "-o", target, data_dir=small_bank_dir)
    assert result.returncode == 2
    what = "document" if which == "document" else "variables file"
    assert f"the output file is the {what}: it would be overwritten" in result.stderr
    assert {p: p.read_bytes() for p in (doc, bulk)} == before


def test_query_format_needs_a_bulk_run(tmp_path: Path, small_bank_dir: Path) -> None:
    doc = tmp_path / "coverage.graphql"
    doc.write_text(COVERAGE)
    one = tmp_path / "one.json"
    one.write_text('{"id": "E1"}')
    result = run("query", doc, "--variables", one, "--format", "csv", data_dir=small_bank_dir)
    assert result.returncode == 2
    assert "--format applies to a bulk run (--variables FILE.jsonl)" in result.stderr


def test_interrupted_bulk_query_is_quiet(tmp_path: Path, small_bank_dir: Path) -> None:
    doc = tmp_path / "coverage.graphql"
    doc.write_text(COVERAGE)
    bulk = tmp_path / "vars.jsonl"
    bulk.write_text('{"id": "E1"}\n{"id": "E2"}\n{"id": "nope"}\n' * 150_000)
    out = tmp_path / "out.csv"
    process = subprocess.Popen(
        [*CLI, "query", str(doc), "--variables", str(bulk), "-o", str(out),
         "--data-dir", str(small_bank_dir)],
        stderr=subprocess.PIPE, text=True,
        # SIGINT as a terminal leaves it, also when the suite runs in a background job
        # (which ignores it, and a child inherits that)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    time.sleep(6)  # running by then: reading and checking the lines takes about a second
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr.splitlines()[-1] == "interrupted: nothing written"
    assert "Warning" not in stderr and "Traceback" not in stderr, stderr
    assert not list(tmp_path.glob("out.csv*"))


def test_query_unknown_id_exits_1_with_code(tmp_path: Path, small_bank_dir: Path) -> None:
    doc = tmp_path / "q.graphql"
    doc.write_text('{ enterprise(id: "nope") { name } }')
    result = run("query", doc, data_dir=small_bank_dir)
    assert result.returncode == 1
    [error] = json.loads(result.stdout)["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"


def test_query_undefined_fragment_exits_2_with_one_line(tmp_path: Path,
                                                        small_bank_dir: Path) -> None:
    doc = tmp_path / "q.graphql"
    doc.write_text('{ enterprise(id: "E1") { ...Nope } }')
    result = run("query", doc, data_dir=small_bank_dir)
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"error: {doc}, line 1: Unknown fragment 'Nope'.\n"
    assert result.stdout == ""


def test_serve_picks_up_a_load_made_meanwhile(tmp_path: Path, small_bank_dir: Path) -> None:
    late = tmp_path / "late"
    late.mkdir()
    (late / "persons.csv").write_text("id,name,segment\nP9,Ivy,private\n", encoding="utf-8")
    (late / "employed_by.csv").write_text(
        "person_id,enterprise_id,role,title\nP9,E3,executive,CEO\n", encoding="utf-8"
    )
    query = '{ enterprise(id: "E3") { executives { totalCount edges { node { name } } } } }'
    with serve_cli(small_bank_dir) as client:
        before = client.post("/graphql", json={"query": query}).json()
        assert before["data"]["enterprise"]["executives"]["totalCount"] == 0
        assert run("load", late, data_dir=small_bank_dir).returncode == 0
        after = client.post("/graphql", json={"query": query}).json()
        assert after["data"]["enterprise"]["executives"] == {
            "totalCount": 1, "edges": [{"node": {"name": "Ivy"}}],
        }  # fmt: skip
        assert client.get("/health").json()["counts"]["Person"] == 9


def test_bad_reject_path_fails_before_loading(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    assert run("generate", "--people", "30", "--out", bank).returncode == 0
    data = tmp_path / "data"
    for bad in (tmp_path / "missing" / "r.csv", tmp_path):
        result = run("load", bank, "--rejects", bad, "--data-dir", data)
        assert result.returncode == 2, result.stderr
        assert "reject file" in result.stderr and "Traceback" not in result.stderr
        assert not data.exists()  # nothing loaded, not even an empty store


def test_a_reject_file_is_never_written_over_the_store_or_the_audit_trail(
    tmp_path: Path,
) -> None:
    bank = tmp_path / "bank"
    assert run("generate", "--people", "30", "--out", bank).returncode == 0
    data = tmp_path / "data"
    assert run("load", bank, "--data-dir", data).returncode == 0
    (tmp_path / "link").symlink_to(data)
    before = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    for bad in (data / "graph.sqlite3", tmp_path / "link" / "audit" / "audit.jsonl"):
        result = run("load", bank, "--rejects", bad, "--data-dir", data)
        assert result.returncode == 2, result.stderr
        assert "the reject file is inside the data directory" in result.stderr, result.stderr
    assert {p: p.read_bytes() for p in data.rglob("*") if p.is_file()} == before
    # The default reject file, named as it is, is the one file of the data dir allowed.
    assert run("load", bank, "--rejects", data / "rejects.csv", "--data-dir", data
               ).returncode == 0  # fmt: skip


def test_default_reject_path_is_checked_before_loading(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    assert run("generate", "--people", "30", "--out", bank).returncode == 0
    data = tmp_path / "data"
    (data / "rejects.csv").mkdir(parents=True)
    result = run("load", bank, "--data-dir", data)
    assert result.returncode == 2 and "the reject file is a directory" in result.stderr
    assert not (data / "graph.sqlite3").exists()


def test_reject_file_is_rewritten_by_every_load(tmp_path: Path) -> None:
    dirty, clean = tmp_path / "dirty", tmp_path / "clean"
    dirty.mkdir()
    clean.mkdir()
    (dirty / "guarantees.csv").write_text("label,from_id,to_id\nPerson,1,2\n")
    (clean / "persons.csv").write_text("id,name\n1,Ann\n")
    data = tmp_path / "data"
    assert run("load", dirty, "--data-dir", data).returncode == 0
    assert len((data / "rejects.csv").read_text().splitlines()) == 2
    assert run("load", clean, "--data-dir", data).returncode == 0
    assert (data / "rejects.csv").read_text().splitlines() == ["file,line,reason"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--variables", "missing.json"], "cannot read the variables file"),
        (["--variables", "."], "cannot read the variables file"),
        (["-o", "missing/out.json"], "does not exist"),
        (["--format", "xml"], "unknown output format 'xml'"),
    ],
)
def test_query_argument_errors(
    tmp_path: Path, small_bank_dir: Path, extra: list[str], message: str
) -> None:
    doc = tmp_path / "q.graphql"
    doc.write_text("{ __typename }")
    result = subprocess.run(
        [*CLI, "query", str(doc), *extra], capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "GRAPH_SERVICE_DATA_DIR": str(small_bank_dir)},
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_busy_port_fails_fast(tmp_path: Path, small_bank_dir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        served = run("serve", "--port", port, data_dir=small_bank_dir)
        assert served.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in served.stderr
        demo_dir = tmp_path / "demo"
        demo = run("demo", "--port", port, "--data-dir", demo_dir)
        assert demo.returncode == 2 and "cannot listen" in demo.stderr
        assert not demo_dir.exists() or not any(demo_dir.iterdir())


def test_demo_serves_a_fresh_bank(tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    with serve_cli(demo_dir, "demo") as client:
        counts = client.get("/health").json()["counts"]
        assert counts["Person"] == 2000 and counts["EMPLOYED_BY"] > 0
        body = client.post(
            "/graphql", json={"query": "{ executivesWithoutPrivateBanking { totalCount } }"}
        ).json()
        assert body["data"]["executivesWithoutPrivateBanking"]["totalCount"] > 0
    assert (demo_dir / "graph.sqlite3").is_file()  # a given data dir is kept


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_demo_removes_its_temporary_directory(tmp_path: Path, signum: int) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "GRAPH_SERVICE_DATA_DIR"}
    env["TMPDIR"] = str(tmp_path)  # tempfile puts the demo's directory here
    demo = subprocess.Popen([*CLI, "demo", "--port", str(port), "--people", "200"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        until_healthy(demo, port)
        [made] = list(tmp_path.glob("graph-service-demo-*"))
        assert (made / "graph.sqlite3").is_file()
        demo.send_signal(signum)
        assert demo.wait(timeout=60) == 128 + signum
        assert not made.exists()
    finally:
        if demo.poll() is None:
            demo.kill()


@pytest.fixture(scope="module")
def bank_20k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated bank of 20,000 people: its load writes for about a second."""
    out = tmp_path_factory.mktemp("bank") / "bank20k"
    assert run("generate", "--people", "20000", "--seed", "2", "--out", out).returncode == 0
    return out


def _load_seq(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "graph.sqlite3") as db:
        (seq,) = db.execute("SELECT value FROM meta WHERE key = 'load_seq'").fetchone()
    return int(seq)


def _signal_inside_load(input_dir: Path, data_dir: Path, signum: int) -> str:
    """Start a load, send ``signum`` once it holds the store's write lock; return stderr."""
    process = subprocess.Popen(
        [*CLI, "load", str(input_dir), "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    store = data_dir / "graph.sqlite3"
    deadline = time.monotonic() + 60
    while True:  # the write lock is held from the load's BEGIN IMMEDIATE to its end
        assert process.poll() is None, "the load ended before it could be interrupted"
        assert time.monotonic() < deadline, "the load never took the write lock"
        if store.exists():
            probe = sqlite3.connect(store, timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc):
                    break
            finally:
                probe.close()
        time.sleep(0.01)
    time.sleep(0.2)
    assert process.poll() is None, "the load ended before it could be interrupted"
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, stderr
    return stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_load_commits_nothing(tmp_path: Path, bank_20k: Path, signum: int) -> None:
    data = tmp_path / "data"
    assert run("load", bank_20k, data_dir=data).returncode == 0
    rejects = (data / "rejects.csv").stat().st_mtime_ns
    stderr = _signal_inside_load(bank_20k, data, signum)
    assert stderr.splitlines() == ["interrupted: nothing loaded"], stderr
    assert _load_seq(data) == 1
    assert (data / "rejects.csv").stat().st_mtime_ns == rejects


def test_interrupted_first_load_leaves_no_directory(tmp_path: Path, bank_20k: Path) -> None:
    nested = tmp_path / "nest" / "a" / "b"
    stderr = _signal_inside_load(bank_20k, nested, signal.SIGINT)
    assert stderr.splitlines() == ["interrupted: nothing loaded"], stderr
    assert list(tmp_path.iterdir()) == []


def test_load_failing_to_write_exits_4_and_keeps_the_store(
    tmp_path: Path, bank_20k: Path
) -> None:
    # A file size limit (RLIMIT_FSIZE) makes SQLite's writes fail as a full disk does:
    # SQLite rolls the transaction back itself, and the load must say so in one line.
    import resource

    small = tmp_path / "small"
    assert run("generate", "--people", "50", "--seed", "3", "--out", small).returncode == 0
    data = tmp_path / "data"
    assert run("load", small, "--data-dir", data).returncode == 0

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, do not kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (2**20, 2**20))

    result = subprocess.run(
        [*CLI, "load", str(bank_20k), "--data-dir", str(data)],
        capture_output=True, text=True, preexec_fn=limit_file_size, timeout=300,
    )  # fmt: skip
    assert result.returncode == 4, result.stderr
    assert result.stderr.splitlines() == [
        f"error: cannot write {data / 'graph.sqlite3'}: disk I/O error"
    ]
    assert _load_seq(data) == 1


def test_load_refuses_a_data_dir_overlapping_the_input(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    assert run("generate", "--people", "50", "--seed", "3", "--out", bank).returncode == 0
    files = sorted(bank.iterdir())
    for data in (bank, bank / "store", tmp_path):
        result = run("load", bank, "--data-dir", data)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"error: the data directory {data} and the input")
    assert sorted(bank.iterdir()) == files
