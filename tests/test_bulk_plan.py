"""The set-oriented bulk plan answers every line byte for byte as its own execution does.

Differential: the same documents and line files run through the bulk path on the fast path
(its chunks answered by :class:`~graph_service.bulk.plan.BulkPlan`) and on the stock path
(``GRAPH_SERVICE_FAST_PATH=0``: one GraphQL execution per line) write the same CSV and
NDJSON bytes; a planned chunk's audit record is the merged chunk's, field for field.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from graph_service.api.context import make_context
from graph_service.audit import AuditTrail, read_records
from graph_service.auth import Caller, Role
from graph_service.bulk import run_bulk
from graph_service.bulk.merge import Merger
from graph_service.bulk.plan import BulkPlan
from graph_service.bulk.runner import _execute_each
from graph_service.config import Settings
from graph_service.stores.base import GraphStore

PLANNED = Settings(fast_path=True)
PER_LINE = Settings(fast_path=False)

EXAMPLE = (Path(__file__).parents[1] / "queries" / "examples" /
           "payroll-coverage.graphql").read_text(encoding="utf-8")
ALIASED = """
query Aliased($id: ID!) {
  a: payrollCoverage(enterpriseId: $id, productTypes: ["debit card", "credit card"]) {
    __typename
    r: rate
    who: enterprise { __typename n: name id masked industry }
    employees
  }
}
"""
TWO_QUESTIONS = """
query Two($id: ID!, $types: [String!]) {
  rollup: crossSellRollup(enterpriseId: $id) { productsPerEmployee employees }
  payrollCoverage(enterpriseId: $id, productTypes: $types) { covered enterprise { name } }
}
"""
LITERAL = '{ payrollCoverage(enterpriseId: "E1") { covered uncovered } }'

LINES: list[dict[str, Any]] = [
    {"id": "E1", "enterpriseId": "E1"},
    {"id": "E2", "enterpriseId": "E2"},
    {"id": "nope", "enterpriseId": "nope"},  # NOT_FOUND from the batch form
    {"id": "E3", "enterpriseId": "E3", "types": ["credit card"], "productTypes": ["credit card"]},
    {"id": "E1", "enterpriseId": "E1", "types": [], "productTypes": []},  # INVALID (rules)
    {"id": 5, "enterpriseId": 5},  # an integer id: coerced to "5" by graphql-core
    {"id": 5.5, "enterpriseId": 5.5},  # not an ID: refused before running
    {"id": None, "enterpriseId": None},  # null for a required variable
    {},  # the required variable missing
    {"id": "E2", "enterpriseId": "E2", "types": "debit card", "productTypes": "debit card"},
    {"id": "E2", "enterpriseId": "E2", "types": [1], "productTypes": [1]},  # bad item
    {"id": "E3", "enterpriseId": "E3", "types": None, "productTypes": None, "extra": {"x": 1}},
    {"id": "E1", "enterpriseId": "E1", "types": ["debit card", "  "],
     "productTypes": ["debit card", "  "]},  # a blank type: refused by the rules
]
"""Good ids, unknown ids, bad variable types, nulls, extra keys: each line of every case."""

CALLERS = [
    None,
    Caller("root", Role.ADMIN),
    Caller("mona", Role.MANAGER, manager_id="M1"),  # manages E1 only: E2's, E3's names masked
    Caller("ann", Role.ANALYST),
    Caller("sam", Role.STAFF),  # may not read the graph: every field refused, merged
]


def run_file(store: GraphStore, settings: Settings, document: str, lines: list[dict[str, Any]],
             fmt: str, tmp_path: Path, caller: Caller | None) -> bytes:
    out = tmp_path / f"{uuid.uuid4()}.{fmt}"
    rows = list(enumerate(lines, start=1))
    asyncio.run(run_bulk(store, settings, document, rows, out, fmt, caller=caller))
    return out.read_bytes()


@pytest.mark.parametrize("document", [EXAMPLE, ALIASED, TWO_QUESTIONS, LITERAL])
@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.role.value if c else "none")
def test_planned_lines_write_the_bytes_of_lines_run_one_by_one(
    small_bank: GraphStore, tmp_path: Path, document: str, caller: Caller | None
) -> None:
    merger = Merger.of(document, None, PLANNED)
    assert BulkPlan.of(merger, PLANNED) is not None
    lines = LINES * 25  # chunks of 256 lines and a last, shorter one
    for fmt in ("csv", "ndjson"):
        planned = run_file(small_bank, PLANNED, document, lines, fmt, tmp_path, caller)
        per_line = run_file(small_bank, PER_LINE, document, lines, fmt, tmp_path, caller)
        assert planned == per_line
    text = planned.decode()
    if caller is not None and caller.role is Role.STAFF:
        assert "FORBIDDEN" in text
    elif document is ALIASED and caller is not None and caller.role is not Role.ADMIN:
        # productTypes given: only for who sees the enterprises' people (access rules)
        assert "FORBIDDEN" in text
    elif document is not LITERAL:
        assert "NOT_FOUND" in text and "BAD_USER_INPUT" in text
    if document is ALIASED and caller is not None and caller.role is Role.MANAGER:
        assert '"n": "Acme Ltd"' in text  # E1, in the portfolio
        assert "productTypes tells which products" in text  # E2, outside: FORBIDDEN


def chunk_records(store: GraphStore, document: str, lines: list[dict[str, Any]],
                  caller: Caller | None, planned: bool, directory: Path) -> list[dict[str, Any]]:
    """The audit records of one chunk run merged, or planned; without times."""
    merger = Merger.of(document, None, PLANNED)
    plan = BulkPlan.of(merger, PLANNED) if planned else None
    trail = AuditTrail(directory, max_bytes=10**7)
    context = make_context(store, PLANNED, caller=caller, audit=trail)
    answers = asyncio.run(_execute_each(context, document, lines, None, False, merger, plan))
    trail.close()
    records = list(read_records(directory))
    for record in records:
        del record["time"], record["duration_ms"]
    return [{"answers": answers}, *sorted(records, key=repr)]


@pytest.mark.parametrize("document", [EXAMPLE, ALIASED, TWO_QUESTIONS])
@pytest.mark.parametrize("caller", CALLERS[1:4], ids=lambda c: c.role.value)
def test_a_planned_chunk_is_audited_as_the_merged_chunk(
    small_bank: GraphStore, tmp_path: Path, document: str, caller: Caller
) -> None:
    # A line of two failing root fields (TWO_QUESTIONS, "nope") runs alone, planned or merged.
    merged = chunk_records(small_bank, document, LINES, caller, False, tmp_path / "merged")
    planned = chunk_records(small_bank, document, LINES, caller, True, tmp_path / "planned")
    assert planned == merged
    assert any(r.get("root_fields") and r["outcome"] == "partial" for r in planned[1:])


NOT_PLANNED = [
    "query($id: ID!) { enterprise(id: $id) { id name } }",  # not a question
    "query($id: ID!) { uncoveredEmployees(enterpriseId: $id) { totalCount } }",  # a list
    "query($id: ID!) { payrollCoverage(enterpriseId: $id) { ...F } } "
    "fragment F on PayrollCoverage { rate }",  # a fragment
    "query($id: ID!, $x: Boolean!) { payrollCoverage(enterpriseId: $id) "
    "{ rate @include(if: $x) } }",  # a directive
    "query($id: ID!) { payrollCoverage(enterpriseId: $id) "
    "{ enterprise { employees { totalCount } } } }",  # a connection of the node
    "query($id: ID!) { payrollCoverage(enterpriseId: $id) { rate } __typename }",
    "query($id: ID!) { payrollCoverage(enterpriseId: $id) { enterprise { createdAt } } }",
]


@pytest.mark.parametrize("document", NOT_PLANNED)
def test_a_document_the_plan_does_not_cover_runs_merged(
    small_bank: GraphStore, tmp_path: Path, document: str
) -> None:
    merger = Merger.of(document, None, PLANNED)
    assert merger is not None
    assert BulkPlan.of(merger, PLANNED) is None
    lines = [{"id": i, "x": True} for i in ("E1", "E2", "nope", "E3")] * 3
    for fmt in ("csv", "ndjson"):
        assert (run_file(small_bank, PLANNED, document, lines, fmt, tmp_path, None)
                == run_file(small_bank, PER_LINE, document, lines, fmt, tmp_path, None))


def test_the_cheaper_coercion_answers_what_graphql_core_does(small_bank: GraphStore) -> None:
    from graphql import get_variable_values

    merger = Merger.of(TWO_QUESTIONS, None, PLANNED)
    plan = BulkPlan.of(merger, PLANNED)
    assert merger is not None and plan is not None
    definitions = merger.operation.variable_definitions
    told = 0
    for line in LINES:
        cheap = plan.coerce(line)
        if cheap is not None:
            told += 1
            assert cheap == get_variable_values(plan.types, definitions, dict(line)).coerced
    assert told >= 6
