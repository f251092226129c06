"""Reports: whole-set answers of the registered questions, as files analysts' tools read."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import io
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pandas as pd
import pytest
from typer.testing import CliRunner

from graph_service.audit import read_records
from graph_service.auth import Caller, Role, cli_caller
from graph_service.auth.tokens import LocalIssuer
from graph_service.cli import app
from graph_service.config import Settings
from graph_service.errors import ForbiddenError, InvalidInputError, StoreUnavailableError
from graph_service.ingest import read_input
from graph_service.ingest.generator import generate
from graph_service.linkage import commands
from graph_service.linkage.conversion import ConversionGroupBy
from graph_service.linkage.question import Id, Question, fixed_cost
from graph_service.records import GraphBatch, NodeRow
from graph_service.reports import (
    output_format,
    plan,
    report_questions,
    report_rows,
    shown_rows,
    spreadsheet_text,
    subjects,
    write_report,
)
from graph_service.reports import planning as report_plan
from graph_service.reports import run as report_run
from graph_service.stores.base import Direction, GraphStore
from graph_service.stores.base import Path as GraphPath
from graph_service.stores.embedded import EmbeddedStore
from tests.api.conftest import CountingStore, running
from tests.conftest import REPO_ROOT, backend_settings, close, store_for

EXAMPLES = REPO_ROOT / "queries" / "examples"

COVERAGE = [
    ("E1", 4, 2, 2, 0.5),
    ("E2", 4, 0, 4, 0.0),
    ("E3", 0, 0, 0, None),
]
"""payrollCoverage of every enterprise of the small bank (tests/conftest.py), by hand."""


def rows(store: GraphStore, name: str, by: str | None = None, where: tuple[str, ...] = (),
         args: tuple[str, ...] = (), caller: Caller | None = None) -> list[tuple[Any, ...]]:
    """Every row of a report, in order, as ``caller`` reads them (the command line's admin)."""
    report = plan(name, by, where, args)

    async def collect() -> list[tuple[Any, ...]]:
        chosen = await subjects(report, store)
        reader = caller or cli_caller()
        return [row async for chunk in
                report_rows(report, store, Settings(), reader, chosen) for row in chunk]

    return asyncio.run(collect())


# -- answers on every store -------------------------------------------------------------------

def test_payroll_coverage_of_every_enterprise(bank: GraphStore) -> None:
    assert plan("payrollCoverage").columns[0].name == "enterpriseId"
    assert [c.name for c in plan("payrollCoverage").columns] == [
        "enterpriseId", "employees", "covered", "uncovered", "rate"]
    assert rows(bank, "payrollCoverage") == COVERAGE


def test_executives_without_private_banking_across_the_book_and_per_enterprise(
    bank: GraphStore,
) -> None:
    assert rows(bank, "executivesWithoutPrivateBanking") == [("P4",), ("P8",)]
    assert rows(bank, "executivesWithoutPrivateBanking", by="enterprise") == [
        ("E1", "P4"), ("E2", "P4"), ("E2", "P8")]


def test_uncovered_employees_one_row_per_enterprise_and_person(bank: GraphStore) -> None:
    assert rows(bank, "uncoveredEmployees") == [
        ("E1", "P2"), ("E1", "P4"), ("E2", "P4"), ("E2", "P5"), ("E2", "P6"), ("E2", "P8")]
    assert rows(bank, "uncoveredEmployees", args=('productTypes=["credit card"]',)) == [
        ("E1", "P1"), ("E1", "P2"), ("E1", "P3"), ("E1", "P4"),
        ("E2", "P4"), ("E2", "P5"), ("E2", "P8")]


def test_where_selects_the_subjects(bank: GraphStore) -> None:
    assert rows(bank, "payrollCoverage", where=("industry=manufacturing",)) == COVERAGE[:1]
    assert rows(bank, "payrollCoverage", where=("id=E3",)) == COVERAGE[2:]
    assert rows(bank, "payrollCoverage", where=("blocked=false", "id=E2")) == COVERAGE[1:2]
    assert rows(bank, "payrollCoverage", where=("industry=banking",)) == []


def test_where_takes_loaded_extra_columns_and_refuses_a_property_no_node_has(
    bank: GraphStore,
) -> None:
    # An extra CSV column is a property of its nodes (loaders/canonical-csv.md): filterable.
    asyncio.run(bank.write(GraphBatch(nodes=[NodeRow(
        "Enterprise", "E9", {"name": "Neun AG", "country": "DE"}, "test", 0)])))
    assert rows(bank, "payrollCoverage", where=("country=DE",)) == [("E9", 0, 0, 0, None)]
    assert rows(bank, "payrollCoverage", where=("country=FR",)) == []  # none matches
    # A property neither declared nor loaded is a mistake, not a filter matching nothing.
    with pytest.raises(InvalidInputError) as refused:
        rows(bank, "payrollCoverage", where=("industry=manufacturing", "nosuch=x"))
    assert str(refused.value) == (
        "where 'nosuch': no Enterprise has that property (Enterprise declares id, name, "
        "industry, region, blocked, createdAt; loaded from extra columns: country)")


def test_cross_sell_gaps_have_list_columns(bank: GraphStore) -> None:
    by_person = {row[0]: row for row in rows(bank, "crossSellGaps")}
    assert len(by_person) == 8
    assert by_person["P3"][1] == ["debit card", "trust account"]
    assert "trust account" in by_person["P8"][2]  # dormant: not held


# -- planning --------------------------------------------------------------------------------

def test_questions_whose_answers_are_not_rows_are_no_reports() -> None:
    assert set(report_questions()) >= {
        "payrollCoverage", "uncoveredEmployees", "executivesWithoutPrivateBanking",
        "crossSellGaps"}
    assert not {"clientNetwork", "linkagePaths"} & set(report_questions())
    with pytest.raises(InvalidInputError, match="no report question 'clientNetwork'"):
        plan("clientNetwork")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"by": "manager"}, "by 'manager'"),
    ({"args": ("productTypes",)}, "arg must be NAME=VALUE"),
    ({"args": ("nope=1",)}, "arg must be NAME=VALUE"),
    ({"args": ('productTypes=["a"]', 'productTypes=["b"]')}, "given twice"),
    ({"where": ("industry",)}, "where must be PROPERTY=VALUE"),
    # Checked against the argument's type, as GraphQL checks a variable.
    ({"args": ("productTypes=[1]",)},
     r"^arg productTypes: expected a list of text, got '\[1\]' \(item 1: expected text, got 1\)$"),
    ({"args": ('productTypes={"a":1}',)}, "arg productTypes: expected a list of text"),
    ({"args": ('productTypes=[["a"]]',)}, "arg productTypes: expected a list of text"),
    ({"args": ("productTypes=[null]",)}, "arg productTypes: expected a list of text"),
    ({"args": ('enterpriseId={"a":1}',)}, "arg enterpriseId: expected an id"),
    ({"args": ('enterpriseId=["E1"]',)}, "arg enterpriseId: expected an id"),
    ({"args": ("productTypes=" + "[" * 5000 + "]" * 5000,)},
     "^arg productTypes: the JSON is nested too deeply$"),
])
def test_bad_options_are_refused_before_anything_runs(kwargs: dict[str, Any],
                                                        message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        plan("payrollCoverage", **kwargs)


def test_where_and_arg_are_capped_at_twenty_each() -> None:
    """Each condition tests every subject: 2,900 of them held a 20,000-person bank 7 s."""
    assert len(plan("payrollCoverage", where=("blocked=false",) * 20).filters) == 20
    for kwargs, message in [({"where": ("blocked=false",) * 21}, "where is given 21 times"),
                            ({"args": ("nope=1",) * 2_900}, "arg is given 2,900 times")]:
        with pytest.raises(InvalidInputError, match=f"^{message}; a report takes at most 20$"):
            plan("payrollCoverage", **kwargs)


def test_values_are_repeated_at_most_100_characters_long() -> None:
    """A 60 KB value came back whole in the message (and in HTTP's 400 body)."""
    long = "x" * 60_000
    for name, kwargs in [
        ("uncoveredEmployees", {"by": long}),
        ("uncoveredEmployees", {"where": (long,)}),
        ("uncoveredEmployees", {"args": (long,)}),
        ("uncoveredEmployees", {"args": (f'productTypes=[1, "{long}"]',)}),
        ("uncoveredEmployees", {"args": (f'productTypes=[["{long}"]]',)}),
        ("uncoveredEmployees", {"args": (f'enterpriseId={{"a": "{long}"}}',)}),
        ("referralConversion", {"args": (f'groupBy="{long}"',)}),
        (long, {}),
    ]:
        with pytest.raises(InvalidInputError) as refused:
            plan(name, **kwargs)  # type: ignore[arg-type]
        assert len(str(refused.value)) < 400 and "x\u2026" in str(refused.value), kwargs
    with pytest.raises(InvalidInputError, match="^unknown report format 'x{99}\u2026'"):
        output_format(long)


def test_arguments_take_their_types_values() -> None:
    def values(arg: str) -> Any:
        return dict(plan("uncoveredEmployees", args=(arg,)).values)

    assert values('productTypes=["credit card", "debit card"]') == {
        "product_types": ("credit card", "debit card")}
    assert values("productTypes=credit card") == {"product_types": ("credit card",)}  # one
    assert values("productTypes=2024") == {"product_types": ("2024",)}  # as typed
    assert values("enterpriseId=E1") == {"enterprise_id": "E1"}
    assert dict(plan("referralConversion", args=('groupBy="branch"',)).values) == {
        "group_by": ConversionGroupBy.BRANCH}


def test_where_reads_a_property_not_stored_as_its_default(bank: GraphStore) -> None:
    # A node loaded without `blocked` is not blocked (NODE_DEFAULTS), as every reader answers.
    asyncio.run(bank.write(GraphBatch(nodes=[NodeRow(
        "Enterprise", "E9", {"name": "Neun AG"}, "test", 0)])))
    assert ("E9", 0, 0, 0, None) in rows(bank, "payrollCoverage", where=("blocked=false",))
    assert rows(bank, "payrollCoverage", where=("blocked=true", "id=E9")) == []


def test_where_needs_a_set_to_select_from() -> None:
    with pytest.raises(InvalidInputError, match="asked once for the whole book"):
        plan("executivesWithoutPrivateBanking", where=("industry=x",))


def test_an_argument_the_question_refuses_stops_the_report(small_bank: GraphStore,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "out" / "c.csv"
    out.parent.mkdir()
    report = plan("payrollCoverage", args=("productTypes=[]",))
    with pytest.raises(InvalidInputError, match="productTypes"):
        asyncio.run(write_report(report, small_bank, Settings(), cli_caller(), out, "csv"))
    assert list(out.parent.iterdir()) == []


# -- files -----------------------------------------------------------------------------------

def write(store: GraphStore, name: str, out: Path, fmt: str, **kwargs: Any) -> None:
    report = plan(name, **kwargs)
    asyncio.run(write_report(report, store, Settings(), cli_caller(), out, fmt))


def same(a: Any, b: Any) -> bool:
    """Equal, NaN and None standing for the same missing value."""
    def missing(value: Any) -> bool:
        return value is None or (isinstance(value, float) and math.isnan(value))

    return (missing(a) and missing(b)) or a == b


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "parquet"])
def test_pandas_and_duckdb_read_every_format(small_bank: GraphStore, tmp_path: Path,
                                             fmt: str) -> None:
    out = tmp_path / f"coverage.{fmt}"
    write(small_bank, "payrollCoverage", out, fmt)
    frame = {"csv": pd.read_csv, "parquet": pd.read_parquet,
             "ndjson": lambda p: pd.read_json(p, lines=True)}[fmt](out)
    assert list(frame.columns) == ["enterpriseId", "employees", "covered", "uncovered", "rate"]
    assert frame["employees"].dtype.kind == "i" and frame["rate"].dtype.kind == "f"
    for got, want in zip(frame.itertuples(index=False), COVERAGE, strict=True):
        assert all(same(g, w) for g, w in zip(got, want, strict=True)), (got, want)
    reader = {"csv": "read_csv", "parquet": "read_parquet", "ndjson": "read_json"}[fmt]
    found = duckdb.execute(
        f"select enterpriseId, employees, covered, uncovered, rate from {reader}('{out}') "
        "order by enterpriseId"
    ).fetchall()
    assert found == COVERAGE


def test_list_columns_are_lists_in_parquet_and_ndjson_and_json_in_csv(
    small_bank: GraphStore, tmp_path: Path
) -> None:
    for fmt in ("csv", "ndjson", "parquet"):
        write(small_bank, "crossSellGaps", tmp_path / f"gaps.{fmt}", fmt)
    held = duckdb.execute(
        f"select held from read_parquet('{tmp_path / 'gaps.parquet'}') where personId = 'P3'"
    ).fetchall()
    assert held == [(["debit card", "trust account"],)]
    lines = pd.read_json(tmp_path / "gaps.ndjson", lines=True)
    assert lines.set_index("personId").loc["P3", "held"] == ["debit card", "trust account"]
    text = pd.read_csv(tmp_path / "gaps.csv").set_index("personId")
    assert text.loc["P3", "held"] == '["debit card", "trust account"]'


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(1)", "\tx", "\rx",
                                  '=HYPERLINK("http://evil","x")'])
def test_a_text_a_spreadsheet_would_run_is_quoted(text: str) -> None:
    assert spreadsheet_text(text) == "'" + text


@pytest.mark.parametrize("value", ["a=1", "", "x-1", "'=1", -1, -0.5, 3, None, True, ["=1"]])
def test_other_values_are_left_as_they_are(value: Any) -> None:
    assert spreadsheet_text(value) == value


FORMULA = '=HYPERLINK("http://evil","x")'


def test_only_the_csv_quotes_formula_like_texts(small_bank: EmbeddedStore,
                                                tmp_path: Path) -> None:
    # OWASP's CSV Injection: a branch loaded as a formula, a key column of referralConversion.
    asyncio.run(small_bank.write(GraphBatch(nodes=[NodeRow(
        "Manager", "M9", {"name": "Max", "kind": "retail", "branch": FORMULA}, "test", 0)])))
    asyncio.run(commands.create_referral(
        small_bank, Caller("sam", Role.STAFF), party=("Person", "P1"), to_manager_id="M9",
        idempotency_key="csv-injection", product="@SUM(1)"))
    for fmt in ("csv", "ndjson", "parquet"):
        write(small_bank, "referralConversion", tmp_path / f"conversion.{fmt}", fmt,
              args=("groupBy=BRANCH",))
    text = (tmp_path / "conversion.csv").read_bytes().decode("utf-8")
    assert text == (
        "key,referred,contacted,converted,rate\r\n"
        '"\'=HYPERLINK(""http://evil"",""x"")",1,0,0,0.0\r\n'
    )
    (record,) = pd.read_json(tmp_path / "conversion.ndjson", lines=True).to_dict("records")
    assert record["key"] == FORMULA
    assert list(pd.read_parquet(tmp_path / "conversion.parquet")["key"]) == [FORMULA]


class FailingLater(CountingStore):
    """A real store whose ``payroll_coverage`` pushdown fails from its second call on."""

    def __getattr__(self, name: str) -> Any:
        call = super().__getattr__(name)
        if name != "payroll_coverage":
            return call

        async def later(*args: Any, **kwargs: Any) -> Any:
            if self.calls.get(name, 0) >= 1:
                self.calls[name] += 1
                raise StoreUnavailableError("the database went away")
            return await call(*args, **kwargs)

        return later


def test_a_failure_mid_report_leaves_no_file(small_bank: EmbeddedStore, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_run, "CHUNK_SIZE", 1)  # one enterprise per batch call
    out = tmp_path / "out" / "coverage.parquet"
    out.parent.mkdir()
    store = FailingLater(small_bank)
    with pytest.raises(StoreUnavailableError):
        write(store, "payrollCoverage", out, "parquet")  # type: ignore[arg-type]
    assert store.calls["payroll_coverage"] == 2  # the first chunk was written, then it failed
    assert list(out.parent.iterdir()) == []
    out.write_text("yesterday's report")
    with pytest.raises(StoreUnavailableError):
        write(FailingLater(small_bank), "payrollCoverage", out, "parquet")  # type: ignore[arg-type]
    assert out.read_text() == "yesterday's report"
    assert list(out.parent.iterdir()) == [out]


# -- the same rows on the embedded store and on FalkorDB ------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bank") / "bank"
    generate(3_000, 7, out)
    return out


def test_same_rows_on_both_stores(request: pytest.FixtureRequest, generated: Path,
                                  tmp_path: Path) -> None:
    stores = []
    for backend in ("embedded", "falkordb"):
        store = store_for(backend_settings(request, backend, tmp_path))
        asyncio.run(store.write(read_input("canonical", generated)))
        stores.append(store)
    try:
        for name, by in [("payrollCoverage", None), ("uncoveredEmployees", None),
                         ("executivesWithoutPrivateBanking", None),
                         ("executivesWithoutPrivateBanking", "enterprise")]:
            embedded, falkordb = (rows(s, name, by) for s in stores)
            assert embedded == falkordb, name
            assert len(embedded) > 100, name
    finally:
        for store in stores:
            close(store)


# -- the command line ------------------------------------------------------------------------

def test_the_command_writes_the_file_and_says_so(small_bank_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.parquet"
    result = CliRunner().invoke(app, ["report", "payrollCoverage", "--output", str(out),
                                      "--data-dir", str(small_bank_dir)])
    assert result.exit_code == 0, result.output
    assert list(pd.read_parquet(out)["enterpriseId"]) == ["E1", "E2", "E3"]
    assert "3 rows (3 enterprises) written to" in result.stderr
    assert "━" not in result.stderr  # not a terminal: no progress bar
    [record] = [r for r in read_records(small_bank_dir / "audit")
                if r["operation_type"] == "report"]  # fmt: skip
    assert record["subject"].startswith("cli:") and record["role"] == "admin"
    assert (record["operation"], record["root_fields"]) == ("payrollCoverage", ["payrollCoverage"])
    assert record["outcome"] == "ok" and record["variables_sha256"]


def test_a_failed_report_is_audited_with_its_code(small_bank_dir: Path, tmp_path: Path) -> None:
    # A filter on a property no enterprise has is found once the store is read (main()
    # exits 2 for it, test_the_command_refuses_bad_options_in_one_line).
    result = CliRunner().invoke(app, ["report", "payrollCoverage", "--where", "nosuch=x",
                                      "--output", str(tmp_path / "r.csv"),
                                      "--data-dir", str(small_bank_dir)])  # fmt: skip
    assert isinstance(result.exception, InvalidInputError), result.output
    [record] = [r for r in read_records(small_bank_dir / "audit")
                if r["operation_type"] == "report"]  # fmt: skip
    assert (record["error_codes"], record["outcome"]) == (["BAD_USER_INPUT"], "error")


@pytest.mark.parametrize("inside", ["graph.sqlite3", "audit/audit.jsonl", "new.csv"])
def test_the_command_will_not_write_into_the_data_directory(small_bank_dir: Path,
                                                            inside: str) -> None:
    before = {p: p.read_bytes() for p in small_bank_dir.rglob("*") if p.is_file()}
    for command in (["report", "payrollCoverage", "--format", "csv"],
                    ["query", str(EXAMPLES / "payroll-coverage.graphql"),
                     "--variables", str(EXAMPLES / "payroll-coverage.variables.json")]):
        result = CliRunner().invoke(app, [*command, "--output", str(small_bank_dir / inside),
                                          "--data-dir", str(small_bank_dir)])  # fmt: skip
        assert isinstance(result.exception, InvalidInputError), result.output
        assert "is inside the data directory" in str(result.exception)
    assert {p: p.read_bytes() for p in small_bank_dir.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(("options", "summary"), [
    (["payrollCoverage", "--where", "id=E3"], "1 row (1 enterprise) written to"),
    (["uncoveredEmployees", "--where", "id=E3"], "0 rows (1 enterprise) written to"),
    (["uncoveredEmployees", "--where", "id=E1"], "2 rows (1 enterprise) written to"),
    (["uncoveredEmployees", "--where", "blocked=false"], "6 rows (3 enterprises) written to"),
    (["executivesWithoutPrivateBanking"], "2 rows (one answer for the whole book) written to"),
])
def test_the_summary_counts_in_singular_and_plural(small_bank_dir: Path, tmp_path: Path,
                                                    options: list[str], summary: str) -> None:
    result = CliRunner().invoke(app, ["report", *options, "--output", str(tmp_path / "r.csv"),
                                      "--data-dir", str(small_bank_dir)])
    assert result.exit_code == 0, result.output
    assert summary in result.stderr, result.stderr


@pytest.mark.parametrize(("argv", "message"), [
    (["report", "clientNetwork", "-o", "x.csv"], "no report question 'clientNetwork'"),
    (["report", "payrollCoverage", "-o", "x.xlsx"], "cannot tell the format"),
    (["report", "payrollCoverage", "-o", "x.csv", "--format", "xml"], "unknown report format"),
    (["report", "payrollCoverage", "-o", "x.csv", "--by", "branch"], "by 'branch'"),
    (["report", "uncoveredEmployees", "-o", "x.csv", "--arg", "productTypes=[1]"],
     "arg productTypes: expected a list of text, got '[1]'"),
    (["report", "uncoveredEmployees", "-o", "x.csv", "--arg", 'productTypes={"a":1}'],
     "arg productTypes: expected a list of text"),
    (["report", "payrollCoverage", "-o", "x.csv", "--where", "nosuch=x"],
     "where 'nosuch': no Enterprise has that property (Enterprise declares id, name, "
     "industry, region, blocked, createdAt; no extra columns loaded)"),
    (["report", "payrollCoverage", "-o", "x.csv", "--arg", "productTypes=[]"],
     "productTypes must list at least one non-blank type"),
    (["report", "guaranteeCircles", "-o", "x.csv", "--arg", "maxLength=99"],
     "maxLength must be between 1 and 6, got 99"),
    (["report", "guaranteeCircles", "-o", "x.csv", "--arg", "maxLength=x"],
     "arg maxLength: expected an integer, got 'x'"),
])
def test_the_command_refuses_bad_options_in_one_line(small_bank_dir: Path, tmp_path: Path,
                                                      argv: list[str], message: str,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from graph_service.cli import main

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr("sys.argv", ["graph-service", *argv, "--data-dir", str(small_bank_dir)])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1, error
    assert list(work.iterdir()) == []


# -- over HTTP -------------------------------------------------------------------------------

def test_analysts_and_admins_download_reports_others_are_refused(small_bank_dir: Path) -> None:
    issuer = LocalIssuer(small_bank_dir)
    with running(small_bank_dir) as client:
        http: httpx.Client = client.http
        analyst = {"Authorization": f"Bearer {issuer.issue('ann', Role.ANALYST)}"}
        csv = http.get("/reports/payrollCoverage", headers=analyst)
        assert csv.status_code == 200, csv.text
        assert csv.headers["content-type"].startswith("text/csv")
        assert 'filename="payrollCoverage.csv"' in csv.headers["content-disposition"]
        frame = pd.read_csv(io.StringIO(csv.text))
        assert list(frame["covered"]) == [2, 0, 0]
        parquet = http.get("/reports/executivesWithoutPrivateBanking",
                           params={"format": "parquet", "by": "enterprise"})  # admin
        assert parquet.status_code == 200
        assert pd.read_parquet(io.BytesIO(parquet.content)).values.tolist() == [
            ["E1", "P4"], ["E2", "P4"], ["E2", "P8"]]
        lines = http.get("/reports/payrollCoverage",
                         params={"format": "ndjson", "where": ["id=E2"]}, headers=analyst)
        assert lines.json() == {"enterpriseId": "E2", "employees": 4, "covered": 0,
                                "uncovered": 4, "rate": 0.0}
        for role, manager in [(Role.MANAGER, "M1"), (Role.APP, None), (Role.STAFF, None)]:
            token = issuer.issue("someone", role, manager)
            refused = http.get("/reports/payrollCoverage",
                               headers={"Authorization": f"Bearer {token}"})
            assert refused.status_code == 403
            assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        anonymous = httpx.get(f"{http.base_url}/reports/payrollCoverage")
        assert anonymous.status_code == 401
        unknown = http.get("/reports/clientNetwork", headers=analyst)
        assert unknown.status_code == 404
        # Search ranks nodes by name: not a report (its rows would skip the masking rules).
        names = http.get("/reports/search", params={"arg": ["text=Alice"]}, headers=analyst)
        assert names.status_code == 404, names.text
        assert names.json()["errors"][0]["message"].endswith(
            "payrollCoverage, crossSellGaps, crossSellRollup, enterpriseGroups, "
            "guaranteeCircles, influence, referralConversion")
        bad = http.get("/reports/payrollCoverage", params={"by": "branch"}, headers=analyst)
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        # Persons' products held are personal data an analyst may not read (access rules).
        gaps = http.get("/reports/crossSellGaps", headers=analyst)
        assert gaps.status_code == 403, gaps.text
        assert gaps.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert http.get("/reports/crossSellGaps").status_code == 200  # admin
        # Counting other products than the payroll ones tells who holds them: admins only.
        for report in ("uncoveredEmployees", "payrollCoverage"):
            held = http.get(f"/reports/{report}", headers=analyst,
                            params={"arg": 'productTypes=["savings account"]'})
            assert held.status_code == 403, held.text
            [error] = held.json()["errors"]
            assert error["extensions"]["code"] == "FORBIDDEN"
            assert error["message"] == (f"report {report} with arg productTypes tells which "
                                        "products people hold: for admins, not analyst")
        admin = http.get("/reports/uncoveredEmployees",
                         params={"arg": 'productTypes=["savings account"]'})
        assert admin.status_code == 200, admin.text
    downloads = [r for r in read_records(small_bank_dir / "audit")
                 if r["operation_type"] == "report"]
    assert [(r["subject"], r["operation"]) for r in downloads if r["outcome"] == "ok"] == [
        ("ann", "payrollCoverage"), ("test-admin", "executivesWithoutPrivateBanking"),
        ("ann", "payrollCoverage"), ("test-admin", "crossSellGaps"),
        ("test-admin", "uncoveredEmployees")]
    # The refusals name the report asked for (the 401 is refused before: no report yet).
    assert [(r["subject"], r["operation"], r["error_codes"]) for r in downloads
            if r["outcome"] == "error"] == [
        *[("someone", "payrollCoverage", ["FORBIDDEN"])] * 3,
        ("ann", "clientNetwork", ["NOT_FOUND"]), ("ann", "search", ["NOT_FOUND"]),
        ("ann", "payrollCoverage", ["BAD_USER_INPUT"]), ("ann", "crossSellGaps", ["FORBIDDEN"]),
        ("ann", "uncoveredEmployees", ["FORBIDDEN"]), ("ann", "payrollCoverage", ["FORBIDDEN"])]


def test_bad_parameters_are_refused_over_http_as_on_the_command_line(
    small_bank_dir: Path,
) -> None:
    with running(small_bank_dir) as client:
        http: httpx.Client = client.http
        for report, params, message in [
            ("uncoveredEmployees", {"arg": "productTypes=[1]"},
             "arg productTypes: expected a list of text, got '[1]'"),
            ("uncoveredEmployees", {"arg": 'productTypes={"a":1}'},
             "arg productTypes: expected a list of text"),
            ("payrollCoverage", {"where": "nosuch=x"},
             "where 'nosuch': no Enterprise has that property (Enterprise declares id, name"),
            ("uncoveredEmployees", {"arg": "productTypes=" + "[" * 5000 + "]" * 5000},
             "arg productTypes: the JSON is nested too deeply"),  # was HTTP 500, plain text
            # The question's own check, before the download starts (was a cut download).
            ("payrollCoverage", {"arg": "productTypes=[]"},
             "productTypes must list at least one non-blank type"),
        ]:
            refused = http.get(f"/reports/{report}", params=params)
            assert refused.status_code == 400, refused.text
            (error,) = refused.json()["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert error["message"].startswith(message), error


# -- a question registered later is a report without a change to the report code ------------

class GroupBy(enum.Enum):
    INDUSTRY = "industry"
    BRANCH = "branch"


@dataclass(frozen=True, slots=True)
class RollupArgs:
    group_by: GroupBy


@dataclass(frozen=True, slots=True)
class Group:
    key: str | None
    enterprises: int


async def rollup(store: GraphStore, settings: Settings, many: Sequence[RollupArgs]
                 ) -> list[list[Group]]:
    ids = await store.list_ids("Enterprise")
    nodes = await store.get_nodes("Enterprise", ids)
    answers = []
    for args in many:
        counts = Counter(n.props.get(args.group_by.value) for n in nodes if n is not None)
        answers.append([Group(k, c) for k, c in sorted(counts.items(), key=str)])
    return answers


class Kind(enum.Enum):
    CLIENT = "CLIENT"


@dataclass(frozen=True, slots=True)
class LeadArgs:
    manager_id: Id
    max_hops: int = 1


@dataclass(frozen=True, slots=True)
class Lead:
    node_id: str
    kinds: tuple[Kind, ...]
    why: GraphPath


async def leads(store: GraphStore, settings: Settings, many: Sequence[LeadArgs]
                ) -> list[list[Lead]]:
    managers = await store.get_nodes("Manager", [a.manager_id for a in many])
    clients = await store.neighbors("Manager", [a.manager_id for a in many], "MANAGES",
                                    Direction.OUTGOING)
    return [[Lead(node.id, (Kind.CLIENT,), GraphPath((manager, node), (rel,)))
             for rel, node in found if manager is not None]
            for manager, found in zip(managers, clients, strict=True)]


LATER = (
    Question(name="enterprise_rollup", description="", arguments=RollupArgs, answer=list[Group],
             subjects=lambda args: (), batch=rollup, cost=fixed_cost(1)),
    Question(name="manager_clients", description="", arguments=LeadArgs, answer=list[Lead],
             subjects=lambda args: (("Manager", args.manager_id),), batch=leads,
             cost=fixed_cost(1)),
)


def test_questions_registered_later_are_reports(small_bank: GraphStore,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_plan, "QUESTIONS", (*report_plan.QUESTIONS, *LATER))
    assert rows(small_bank, "enterpriseRollup", by="industry") == [
        ("manufacturing", 1), (None, 2)]
    assert [c.name for c in plan("enterpriseRollup", by="industry").columns] == [
        "key", "enterprises"]
    found = rows(small_bank, "managerClients")
    assert [row[:3] for row in found] == [("M1", "E1", ["CLIENT"]), ("M2", "P7", ["CLIENT"])]
    assert [c.name for c in plan("managerClients").columns] == [
        "managerId", "nodeId", "kinds", "why.nodes", "why.relationships", "why.length"]
    why = json.loads(found[0][3])
    assert [(n["label"], n["id"]) for n in why] == [("Manager", "M1"), ("Enterprise", "E1")]
    assert found[0][5] == 1
    with pytest.raises(InvalidInputError, match="choices: industry, branch"):
        plan("enterpriseRollup", by="region")
    with pytest.raises(InvalidInputError, match="needs groupBy"):
        plan("enterpriseRollup")


def test_a_report_is_refused_to_the_roles_its_question_leaves_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admins_only = dataclasses.replace(LATER[0], name="admin_rollup", roles=frozenset())
    monkeypatch.setattr(report_plan, "QUESTIONS", (*report_plan.QUESTIONS, admins_only))
    report = plan("adminRollup", by="industry")
    for caller in (Caller("ann", Role.ANALYST), Caller("m", Role.MANAGER, manager_id="M1")):
        with pytest.raises(ForbiddenError, match=(
                f"^adminRollup is for the roles admin, not {caller.role.value}$")):
            shown_rows(caller, report, [])
    assert shown_rows(cli_caller(), report, [("x", 1)]) == [("x", 1)]
