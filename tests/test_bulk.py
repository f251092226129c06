"""The bulk path: the CSV header comes from the document; the document is parsed once a run;
lines executed in chunks answer exactly as lines executed one by one."""

from __future__ import annotations

import asyncio
import csv
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from graph_service.api.context import make_context
from graph_service.auth import Caller, Role
from graph_service.bulk import CHUNK_SIZE, BulkSummary, check_document, run_bulk
from graph_service.bulk.merge import Answer, Merger
from graph_service.bulk.runner import _execute_each
from graph_service.config import Settings
from graph_service.errors import InvalidInputError, Location, StoreUnavailableError
from graph_service.linkage import commands
from graph_service.stores.base import GraphStore
from graph_service.stores.cypher import CypherStore
from graph_service.stores.embedded import EmbeddedStore
from graph_service.stores.falkordb_server import running_falkordb
from tests.conftest import FINBENCH_SAMPLE

MERGING = Settings(fast_path=True)
"""Settings that merge a chunk's lines: on the fast path's executor only (the stock path's run
of this file, GRAPH_SERVICE_FAST_PATH=0, runs every line alone elsewhere)."""
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
        "truncated",  # the document selects a list that pages
    ]


def test_cells_follow_the_columns(small_bank: GraphStore, tmp_path: Path) -> None:
    summary, rows = bulk(small_bank, MIXED, ["E1", "nope"], tmp_path)
    assert summary == BulkSummary(lines=2, failed=1, truncated=1)
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
        "truncated": "true",  # 2 of 4 employees
    }
    cells = dict(zip(header, missing, strict=True))
    assert cells.pop("line") == "2" and "not found" in cells.pop("errors")
    assert cells.pop("truncated") == "false"
    assert set(cells.values()) == {""}  # null objects leave their columns empty


def test_a_document_that_does_not_parse_has_no_data_columns(
    small_bank: GraphStore, tmp_path: Path
) -> None:
    summary, rows = bulk(small_bank, "query($id: ID!) { payrollCoverage(", ["E1"], tmp_path)
    assert summary == BulkSummary(lines=1, failed=1)
    assert rows[0] == ["line", "errors"] and rows[1][0] == "1" and "Syntax Error" in rows[1][1]


def test_a_document_is_parsed_once_and_validated_once_per_way_it_runs(
    small_bank: GraphStore, tmp_path: Path, parse_counts: dict[str, int]
) -> None:
    """Validated by the merger (over the schema's types) for the merged chunks, and by the
    schema for the last chunk's single line, which runs alone: twice in all, not per line
    (once on the stock path, which runs every line alone)."""
    document = f"# {uuid.uuid4()}\n{COVERAGE}"  # not in the process-wide caches yet
    lines = 2 * CHUNK_SIZE + 1
    summary, rows = bulk(small_bank, document, ["E1", "E2", "E3"] * (lines // 3), tmp_path)
    assert summary == BulkSummary(lines=lines, failed=0)
    assert rows[0] == COVERAGE_COLUMNS and len(rows) == lines + 1
    assert parse_counts == {"parse": 1, "validate": 2 if Settings().fast_path else 1}


FORMULA = '=HYPERLINK("http://evil","x")'
REFERRAL = "query($id: ID!) { referral(id: $id) { id product note version } }"


def test_csv_cells_a_spreadsheet_would_run_are_written_as_text(
    small_bank: GraphStore, tmp_path: Path
) -> None:
    # OWASP's CSV Injection: a staff member's referral texts reach an analyst's spreadsheet.
    referral, _ = asyncio.run(commands.create_referral(
        small_bank, Caller("sam", Role.STAFF), party=("Person", "P1"), to_manager_id="M1",
        idempotency_key="csv-injection", product=FORMULA, note="@SUM(1)"))
    _, rows = bulk(small_bank, REFERRAL, [referral.id], tmp_path)
    cells = dict(zip(rows[0], rows[1], strict=True))
    assert cells["referral.product"] == "'" + FORMULA
    assert cells["referral.note"] == "'@SUM(1)"
    assert (cells["line"], cells["referral.id"], cells["referral.version"]) == (
        "1", referral.id, "1")  # numbers and plain texts as they are
    # NDJSON is read by programs: its texts stay as they are.
    (record,) = bulk_records(small_bank, REFERRAL, [{"id": referral.id}], Settings(), tmp_path)
    assert record["data"]["referral"]["product"] == FORMULA
    assert record["data"]["referral"]["note"] == "@SUM(1)"


# -- chunks: the same answers as one execution per line ------------------------------------

VARIED = """
query Varied($id: ID!, $n: Int, $withName: Boolean = false, $types: [String!]) {
  enterprise(id: $id) {
    id
    name @include(if: $withName)
    employees(first: $n) { totalCount edges { role node { id ...Who } } pageInfo { endCursor } }
  }
  payrollCoverage(enterpriseId: $id, productTypes: $types) { covered rate }
  uncovered: uncoveredEmployees(enterpriseId: $id, first: $n) { totalCount }
  __typename
}
fragment Who on Person { name segment }
"""
ROOT_FRAGMENT = """
query($id: ID!) { ...Root }
fragment Root on Query { payrollCoverage(enterpriseId: $id) { rate } }
"""
TWO_OPERATIONS = """
query A($id: ID!) { enterprise(id: $id) { id } }
query B($id: ID!) { person(id: $id) { id } }
"""
VARIED_LINES = [
    {"id": "E1", "n": 2},
    {"id": "E2", "n": 1, "withName": True},
    {"id": "nope"},  # NOT_FOUND in a non-null root field: the whole data is null
    {"id": "E3", "n": 1001},  # refused at run time (BAD_USER_INPUT), within the budget
    {"id": "E1", "n": "two"},  # a variable of the wrong type
    {"n": 3},  # a required variable missing
    {"id": "E2", "types": ["credit card"], "extra": 1},
    {"id": "E1", "types": []},  # refused by the rules (BAD_USER_INPUT)
]


def alone(store: GraphStore, document: str, lines: list[dict[str, Any]], settings: Settings,
          merged: bool = False, all_pages: bool = False) -> list[Answer]:
    """Each line's ``(data, errors, truncated)``, chunk by chunk: one execution per line, or
    (``merged``) the chunk's lines that can run together as one operation."""
    merger = Merger.of(document, None, settings) if merged else None
    answers: list[Answer] = []
    for start in range(0, len(lines), CHUNK_SIZE):
        context = make_context(store, settings)
        answers += asyncio.run(_execute_each(context, document, lines[start : start + CHUNK_SIZE],
                                             None, all_pages, merger))
    return answers


def reference(store: GraphStore, document: str, lines: list[dict[str, Any]],
              settings: Settings) -> list[dict[str, Any]]:
    """The NDJSON records of one execution per line, chunk by chunk (the reference path)."""
    return [
        {"line": number, "data": data, "errors": errors or None, "truncated": bool(cut)}
        for number, (data, errors, cut) in enumerate(alone(store, document, lines, settings),
                                                     start=1)
    ]


def bulk_records(store: GraphStore, document: str, lines: list[dict[str, Any]],
                 settings: Settings, tmp_path: Path) -> list[dict[str, Any]]:
    out = tmp_path / f"{uuid.uuid4()}.ndjson"
    rows = list(enumerate(lines, start=1))
    asyncio.run(run_bulk(store, settings, document, rows, out, "ndjson"))
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for record in records:  # written only for a document that pages
        record.setdefault("truncated", False)
    return records


@pytest.mark.parametrize(
    ("document", "lines"),
    [
        (COVERAGE, [{"id": i} for i in ["E1", "E2", "E3"] * 100]),
        (COVERAGE, [{"id": i} for i in ["E1", "nope", "E2", "E3", "nada"] * 60]),
        (MIXED, [{"id": i} for i in ["E1", "E2", "nope", "E3"] * 70]),
        (VARIED, VARIED_LINES * 40),
        (ROOT_FRAGMENT, [{"id": "E1"}, {"id": "nope"}]),
        (TWO_OPERATIONS, [{"id": "E1"}]),
        ("query($id: ID!) { payrollCoverage(", [{"id": "E1"}]),
        ("{ nope }", [{}, {}]),
    ],
)
def test_chunked_lines_answer_as_lines_run_alone(
    small_bank: GraphStore, tmp_path: Path, document: str, lines: list[dict[str, Any]],
) -> None:
    settings = Settings()
    expected = reference(small_bank, document, lines, settings)
    assert bulk_records(small_bank, document, lines, settings, tmp_path) == expected


def test_the_node_budget_is_checked_per_line(small_bank: GraphStore, tmp_path: Path) -> None:
    settings = Settings(max_query_nodes=300)  # 100 + 3 (first) + 100 + 3 (uncovered) fits
    lines = [{"id": "E1", "n": n} for n in (3, 200, None, 3)]
    expected = reference(small_bank, VARIED, lines, settings)
    assert [bool(r["errors"]) for r in expected] == [False, True, True, False]
    assert expected[1]["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert bulk_records(small_bank, VARIED, lines, settings, tmp_path) == expected


PAGES = """
query Pages($id: ID!, $n: Int) {
  enterprise(id: $id) { employees(first: $n) { edges { node { id } } } }
}
"""


@pytest.mark.parametrize("all_pages", [False, True])
@pytest.mark.parametrize("document", [COVERAGE, MIXED, VARIED, ROOT_FRAGMENT, PAGES])
def test_merged_lines_answer_exactly_as_lines_run_alone(
    small_bank: GraphStore, document: str, all_pages: bool
) -> None:
    # Good and bad variables mixed: the bad lines run alone and spoil none of the others.
    lines = [*VARIED_LINES, {"id": "E1", "n": 1}, {"id": "E2", "n": 0}, {"id": None},
             {"id": "E3", "n": 2}] * 3
    settings = MERGING
    assert Merger.of(document, None, settings) is not None
    assert Merger.of(document, None, Settings(fast_path=False)) is None
    merged = alone(small_bank, document, lines, settings, merged=True, all_pages=all_pages)
    expected = alone(small_bank, document, lines, settings, all_pages=all_pages)
    assert merged == expected
    codes = {e["extensions"]["code"] for _, errors, _ in expected for e in errors}
    assert {"BAD_USER_INPUT", "NOT_FOUND"} <= codes
    if document in (VARIED, PAGES):
        assert any(cut for *_, cut in expected) != all_pages


def test_a_merged_chunk_has_one_audit_record_and_bad_lines_their_own(
    small_bank: GraphStore, tmp_path: Path
) -> None:
    from graph_service.audit import AuditTrail, read_records

    trail = AuditTrail(tmp_path / "audit", max_bytes=10**6)
    rows = list(enumerate([{"id": "E1"}, {"id": "E2"}, {"id": 5.5}, {"id": "nope"}], start=1))
    document = "query Ids($id: ID!) { payrollCoverage(enterpriseId: $id) { enterprise { id } } }"
    summary = asyncio.run(run_bulk(small_bank, MERGING, document, rows, tmp_path / "o.csv",
                                   "csv", audit=trail))
    trail.close()
    assert summary == BulkSummary(lines=4, failed=2)
    records = sorted(read_records(tmp_path / "audit"), key=lambda r: r["outcome"])
    assert [(r["outcome"], r["error_codes"], r["node_ids"]) for r in records] == [
        ("error", ["BAD_USER_INPUT"], []),  # the line of a float id, run alone
        ("partial", ["NOT_FOUND"], ["E1", "E2"]),  # E1, E2 and nope, one operation
    ]
    assert {r["operation"] for r in records} == {"Ids"}


def test_a_merged_chunks_record_lists_as_many_ids_per_line_as_a_lines_own_record(
    small_bank: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph_service.api import trail as api_trail
    from graph_service.audit import AuditTrail, read_records

    monkeypatch.setattr(api_trail, "MAX_NODE_IDS", 1)  # one id per line
    document = "query Ids($id: ID!) { payrollCoverage(enterpriseId: $id) { enterprise { id } } }"
    for lines, listed in (([{"id": "E1"}, {"id": "E2"}], ["E1", "E2"]), ([{"id": "E1"}], ["E1"])):
        audit = AuditTrail(tmp_path / f"audit-{len(lines)}", max_bytes=10**6)
        asyncio.run(run_bulk(small_bank, MERGING, document, list(enumerate(lines, start=1)),
                             tmp_path / "o.csv", "csv", audit=audit))  # fmt: skip
        audit.close()
        [record] = read_records(tmp_path / f"audit-{len(lines)}")
        assert (record["node_ids"], record["node_count"]) == (listed, len(listed))
    # A lone operation reading two nodes lists none past its one id (the count is kept).
    audit = AuditTrail(tmp_path / "audit-two", max_bytes=10**6)
    two = "{ a: enterprise(id: \"E1\") { id } b: enterprise(id: \"E2\") { id } }"
    asyncio.run(run_bulk(small_bank, MERGING, two, [(1, {})], tmp_path / "o.csv", "csv",
                         audit=audit))  # fmt: skip
    audit.close()
    [record] = read_records(tmp_path / "audit-two")
    assert (record["node_ids"], record["node_count"]) == (None, 2)


@pytest.fixture(scope="module")
def finbench(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    from graph_service.ingest import read_input

    store = EmbeddedStore(tmp_path_factory.mktemp("finbench-bulk"))
    asyncio.run(store.write(read_input("ldbc-finbench", FINBENCH_SAMPLE)))
    return store


def test_chunked_lines_answer_as_lines_run_alone_on_finbench(
    finbench: EmbeddedStore, tmp_path: Path
) -> None:
    ids = asyncio.run(finbench.list_ids("Enterprise"))
    lines = [{"id": i, "n": 5} for i in ids] + [{"id": "missing"}]
    settings = Settings()
    for document in (COVERAGE, MIXED, VARIED):
        expected = reference(finbench, document, lines, settings)
        assert bulk_records(finbench, document, lines, settings, tmp_path) == expected


def test_a_store_that_is_down_stops_the_run_writing_nothing(tmp_path: Path) -> None:
    with running_falkordb(tmp_path / "falkordb") as url:
        settings = Settings(backend="falkordb", falkordb_url=url, falkordb_graph="gone")
    out = tmp_path / "out.csv"
    rows = [(number, {"id": f"E{number}"}) for number in range(1, CHUNK_SIZE + 2)]
    lines: list[int] = []

    async def run() -> None:
        store = CypherStore(settings)
        try:
            await run_bulk(store, settings, COVERAGE, rows, out, "csv", progress=lines.append)
        finally:
            await store.close()

    with pytest.raises(StoreUnavailableError, match=r"^line 1: FalkorDB at .* is unreachable"):
        asyncio.run(run())
    assert lines == []  # stopped in the first chunk
    assert list(tmp_path.glob("out.csv*")) == []


def test_a_document_repeating_fields_too_often_is_refused_before_running() -> None:
    from tests.api.test_errors_and_limits import repeated

    with pytest.raises(InvalidInputError, match="same response name") as refused:
        check_document(repeated("__typename", 900), "doc.graphql", Settings())
    assert refused.value.code == "BAD_USER_INPUT"


def test_a_document_with_an_empty_selection_set_is_refused_before_running() -> None:
    with pytest.raises(InvalidInputError, match="selects nothing") as refused:
        check_document('{\n  enterprise(id: "E1") {}\n}', "doc.graphql", Settings())
    assert refused.value.location == Location("doc.graphql", 2)


def test_a_document_whose_fragments_expand_too_far_is_refused_before_running() -> None:
    from tests.api.test_errors_and_limits import doubling_fragments

    with pytest.raises(InvalidInputError, match="fragment spreads expand to") as refused:
        check_document(doubling_fragments(30), "doc.graphql", Settings())
    assert refused.value.code == "BAD_USER_INPUT"
