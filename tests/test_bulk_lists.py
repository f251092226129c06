"""The bulk path loses no list item silently: truncated lines are flagged, --all-pages pages
to the end, --explode writes one CSV row per item."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graph_service.auth import cli_caller
from graph_service.cli import app
from graph_service.config import Settings
from graph_service.errors import GraphServiceError
from graph_service.ingest import read_input
from graph_service.ingest.generator import generate
from graph_service.reports import plan, report_rows, subjects
from graph_service.stores.embedded import EmbeddedStore

PAGE = Settings().default_page_size
UNCOVERED = """
query($id: ID!) {
  uncoveredEmployees(enterpriseId: $id) { totalCount edges { node { id } } }
}
"""


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """A generated bank where some enterprises have more uncovered employees than a page.

    Returns its data directory, a variables file naming every enterprise, and the ids.
    """
    root = tmp_path_factory.mktemp("bulk-lists")
    generate(3_000, 1, root / "bank")

    async def load() -> list[str]:
        store = EmbeddedStore(root / "data")
        await store.write(read_input("canonical", root / "bank"))
        ids = await store.list_ids("Enterprise")
        await store.close()
        return ids

    ids = asyncio.run(load())
    variables = root / "enterprises.jsonl"
    variables.write_text("".join(json.dumps({"id": i}) + "\n" for i in ids))
    return root / "data", variables, ids


def run(tmp_path: Path, bank: tuple[Path, Path, list[str]], document: str, *options: str
        ) -> tuple[int, str, Path]:
    data_dir, variables, _ = bank
    doc = tmp_path / "doc.graphql"
    doc.write_text(document)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["query", str(doc), "--variables", str(variables),
                                      "-o", str(out), "--data-dir", str(data_dir), *options])
    if isinstance(result.exception, GraphServiceError):  # what main() prints and exits with
        return result.exception.exit_code, str(result.exception), out
    return result.exit_code, result.stderr, out


def read(out: Path) -> list[dict[str, str]]:
    with out.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def uncovered_by_report(data_dir: Path) -> set[tuple[str, str]]:
    """(enterprise, person) of every uncovered employee, from the whole-book report."""

    async def collect() -> set[tuple[str, str]]:
        store = EmbeddedStore(data_dir)
        report = plan("uncoveredEmployees")
        chosen = await subjects(report, store)
        found = {row async for chunk in
                 report_rows(report, store, Settings(), cli_caller(), chosen) for row in chunk}
        await store.close()
        return found

    return asyncio.run(collect())


def test_lines_cut_at_their_page_are_flagged_and_the_command_says_so(
    tmp_path: Path, bank: tuple[Path, Path, list[str]]
) -> None:
    code, stderr, out = run(tmp_path, bank, UNCOVERED)
    rows = read(out)
    assert len(rows) == len(bank[2])
    long = [r for r in rows if int(r["uncoveredEmployees.totalCount"]) > PAGE]
    assert long  # the bank has an enterprise with more uncovered employees than a page
    for row in rows:
        edges = json.loads(row["uncoveredEmployees.edges"])
        total = int(row["uncoveredEmployees.totalCount"])
        assert row["truncated"] == ("true" if total > PAGE else "false")
        assert len(edges) == min(total, PAGE)
    assert code == 5
    assert f"{len(long)} of {len(rows)} lines have a list cut at its page size" in stderr
    assert "--all-pages" in stderr


def test_all_pages_answers_every_list_to_its_end(
    tmp_path: Path, bank: tuple[Path, Path, list[str]]
) -> None:
    code, stderr, out = run(tmp_path, bank, UNCOVERED, "--all-pages")
    assert code == 0, stderr
    found = set()
    for row in read(out):
        edges = json.loads(row["uncoveredEmployees.edges"])
        assert len(edges) == int(row["uncoveredEmployees.totalCount"])
        assert row["truncated"] == "false"
        found |= {(row["line"], e["node"]["id"]) for e in edges}
    ids = bank[2]
    assert {(ids[int(line) - 1], p) for line, p in found} == uncovered_by_report(bank[0])


def test_explode_writes_one_row_per_item(tmp_path: Path, bank: tuple[Path, Path, list[str]]
                                         ) -> None:
    document = UNCOVERED.replace("totalCount", "totalCount enterprise: __typename")
    code, stderr, out = run(tmp_path, bank, document, "--all-pages",
                            "--explode", "uncoveredEmployees.edges")
    assert code == 0, stderr
    rows = read(out)
    assert list(rows[0]) == ["line", "uncoveredEmployees.totalCount",
                             "uncoveredEmployees.enterprise",
                             "uncoveredEmployees.edges.node.id", "errors", "truncated"]
    ids = bank[2]
    pairs = {(ids[int(r["line"]) - 1], r["uncoveredEmployees.edges.node.id"])
             for r in rows if r["uncoveredEmployees.edges.node.id"]}
    assert pairs == uncovered_by_report(bank[0])
    assert len(rows) == len(pairs) + sum(  # a line with no item keeps one row
        1 for r in rows if r["uncoveredEmployees.totalCount"] == "0")
    assert {r["line"] for r in rows} == {str(n) for n in range(1, len(ids) + 1)}


def test_a_list_not_asked_for_is_not_truncated(tmp_path: Path,
                                              bank: tuple[Path, Path, list[str]]) -> None:
    code, _, out = run(tmp_path, bank, "query($id: ID!) { uncoveredEmployees("
                       "enterpriseId: $id, first: 0) { totalCount } }")
    assert code == 0
    assert {r["truncated"] for r in read(out)} == {"false"}


def test_a_list_inside_a_list_is_watched_too(small_bank_dir: Path, tmp_path: Path) -> None:
    variables = tmp_path / "e1.jsonl"
    variables.write_text('{"id": "E1"}\n')
    document = ("query($id: ID!) { enterprise(id: $id) { employees { edges { node { "
                "accounts(first: 1) { edges { node { id } } } } } } } }")
    code, stderr, out = run(tmp_path, (small_bank_dir, variables, ["E1"]), document)
    assert code == 5  # Carol (P3) owns two accounts
    assert read(out)[0]["truncated"] == "true"
    code, stderr, out = run(tmp_path, (small_bank_dir, variables, ["E1"]), document,
                            "--all-pages")
    assert code == 0, stderr
    employees = json.loads(read(out)[0]["enterprise.employees.edges"])
    carol = next(e for e in employees if e["node"]["accounts"]["edges"][1:])
    assert [a["node"]["id"] for a in carol["node"]["accounts"]["edges"]] == ["A3", "A4"]


@pytest.mark.parametrize(("options", "message"), [
    (["--explode", "uncoveredEmployees.totalCount"],
     "names no list field of the document (list fields: uncoveredEmployees.edges)"),
    (["--explode", "uncoveredEmployees.edges", "--format", "ndjson"], "it needs --format csv"),
])
def test_explode_is_checked_before_anything_runs(
    tmp_path: Path, bank: tuple[Path, Path, list[str]], options: list[str], message: str
) -> None:
    code, stderr, out = run(tmp_path, bank, UNCOVERED, *options)
    assert code == 2 and message in stderr
    assert not out.exists()


def test_ndjson_records_say_whether_a_list_was_cut(
    tmp_path: Path, bank: tuple[Path, Path, list[str]]
) -> None:
    code, _, out = run(tmp_path, bank, UNCOVERED, "--format", "ndjson")
    assert code == 5
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(r["truncated"] == (r["data"]["uncoveredEmployees"]["totalCount"] > PAGE)
               for r in records)
