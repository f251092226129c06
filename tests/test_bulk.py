"""The bulk path: the CSV header comes from the document; the document is parsed once a run."""

from __future__ import annotations

import asyncio
import csv
import json
import uuid
from pathlib import Path

from graph_service.bulk import CHUNK_SIZE, BulkSummary, run_bulk
from graph_service.config import Settings
from graph_service.stores.base import GraphStore

COVERAGE = """
query Coverage($id: ID!) {
  payrollCoverage(enterpriseId: $id) { employees covered uncovered rate }
}
"""
COVERAGE_COLUMNS = [
    "line",
    "payrollCoverage.employees",
    "payrollCoverage.covered",
    "payrollCoverage.uncovered",
    "payrollCoverage.rate",
    "errors",
]

MIXED = """
query Mixed($id: ID!) {
  c: payrollCoverage(enterpriseId: $id) { rate enterprise { id ...Named } }
  e: enterprise(id: $id) {
    __typename
    ... on Enterprise { employees(first: 2) { totalCount edges { node { id } } } }
  }
  again: enterprise(id: $id) { id }
  again: enterprise(id: $id) { name }
}
fragment Named on Enterprise { name }
"""


def bulk(
    store: GraphStore, document: str, ids: list[str], tmp_path: Path
) -> tuple[BulkSummary, list[list[str]]]:
    """Run ``document`` once per id (variable ``id``); answer the summary and the CSV rows."""
    out = tmp_path / f"{uuid.uuid4()}.csv"
    rows = [(number, {"id": i}) for number, i in enumerate(ids, start=1)]
    summary = asyncio.run(run_bulk(store, Settings(), document, rows, out, "csv"))
    with out.open(newline="", encoding="utf-8") as stream:
        return summary, list(csv.reader(stream))


def test_every_line_failing_keeps_the_documents_columns(
    small_bank: GraphStore, tmp_path: Path
) -> None:
    summary, rows = bulk(small_bank, COVERAGE, ["nope", "nada"], tmp_path)
    assert summary == BulkSummary(lines=2, failed=2)
    assert rows[0] == COVERAGE_COLUMNS
    assert [row[:5] for row in rows[1:]] == [["1", "", "", "", ""], ["2", "", "", "", ""]]
    assert all("not found" in row[5] for row in rows[1:])


def test_the_header_does_not_depend_on_which_lines_succeed(
    small_bank: GraphStore, tmp_path: Path
) -> None:
    headers = [
        bulk(small_bank, MIXED, ids, tmp_path)[1][0]
        for ids in (["E1"], ["nope"], ["nope", "E2"], ["E3", "E1"])
    ]
    assert headers == [headers[0]] * 4
    assert headers[0] == [
        "line",
        "c.rate",
        "c.enterprise.id",
        "c.enterprise.name",
        "e.__typename",
        "e.employees.totalCount",
        "e.employees.edges",  # a list: one column of JSON
        "again.id",
        "again.name",
        "errors",
    ]


def test_cells_follow_the_columns(small_bank: GraphStore, tmp_path: Path) -> None:
    summary, rows = bulk(small_bank, MIXED, ["E1", "nope"], tmp_path)
    assert summary == BulkSummary(lines=2, failed=1)
    header, found, missing = rows
    cells = dict(zip(header, found, strict=True))
    assert cells == {
        "line": "1",
        "c.rate": "0.5",
        "c.enterprise.id": "E1",
        "c.enterprise.name": "Acme Ltd",
        "e.__typename": "Enterprise",
        "e.employees.totalCount": "4",
        "e.employees.edges": json.dumps([{"node": {"id": "P1"}}, {"node": {"id": "P2"}}]),
        "again.id": "E1",
        "again.name": "Acme Ltd",
        "errors": "",
    }
    cells = dict(zip(header, missing, strict=True))
    assert cells.pop("line") == "2" and "not found" in cells.pop("errors")
    assert set(cells.values()) == {""}  # null objects leave their columns empty


def test_a_document_that_does_not_parse_has_no_data_columns(
    small_bank: GraphStore, tmp_path: Path
) -> None:
    summary, rows = bulk(small_bank, "query($id: ID!) { payrollCoverage(", ["E1"], tmp_path)
    assert summary == BulkSummary(lines=1, failed=1)
    assert rows[0] == ["line", "errors"] and rows[1][0] == "1" and "Syntax Error" in rows[1][1]


def test_a_document_is_parsed_and_validated_once_per_run(
    small_bank: GraphStore, tmp_path: Path, parse_counts: dict[str, int]
) -> None:
    document = f"# {uuid.uuid4()}\n{COVERAGE}"  # not in the process-wide caches yet
    lines = 2 * CHUNK_SIZE + 1
    summary, rows = bulk(small_bank, document, ["E1", "E2", "E3"] * (lines // 3), tmp_path)
    assert summary == BulkSummary(lines=lines, failed=0)
    assert rows[0] == COVERAGE_COLUMNS and len(rows) == lines + 1
    assert parse_counts == {"parse": 1, "validate": 1}
