"""The analytics questions as reports: one row per ranked item, as their connections list them.

enterpriseGroups, guaranteeCircles and influence over the small bank (tests/conftest.py)
with a few more enterprises, shareholdings and guarantees between enterprises: two groups,
two circles, seven influence nodes. Their rows are their GraphQL connections paged to the
end, on every store; they hold ids, labels and figures only, so that analysts read them as
they read the fields; other roles are refused as the fields refuse them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pandas as pd
import pytest
from typer.testing import CliRunner

from graph_service.auth import Caller, Role, cli_caller
from graph_service.auth.tokens import LocalIssuer
from graph_service.bulk import execute_many
from graph_service.cli import app
from graph_service.config import Settings
from graph_service.errors import ForbiddenError, InvalidInputError
from graph_service.linkage import dormant, leads, rollup
from graph_service.linkage.question import Question, Ranked
from graph_service.linkage.registry import QUESTIONS
from graph_service.records import GraphBatch, NodeRow, RelationshipRow
from graph_service.reports import plan, report_questions, write_report
from graph_service.reports import planning as report_plan
from graph_service.reports.planning import report_name
from graph_service.stores.base import GraphStore
from graph_service.stores.embedded import EmbeddedStore
from tests.api.conftest import running
from tests.reports.test_reports import rows as every_row

ANALYST = Caller("ann", Role.ANALYST)
E, P = "Enterprise", "Person"


def _r(rel_type: str, start: tuple[str, str], end: tuple[str, str], **props: Any
       ) -> RelationshipRow:
    return RelationshipRow(rel_type, start, end, props, "analytics", 0)


MORE = GraphBatch(
    nodes=[NodeRow(E, "E4", {"name": "Delta SA"}, "analytics", 0),
           NodeRow(E, "E5", {"name": "Echo BV"}, "analytics", 0)],
    relationships=[
        # E1 -> E2 -> E3 -> E1 and E2 <-> E3: two circles, one group with E1 -> E2's shares.
        _r("GUARANTEES", (E, "E1"), (E, "E2")),
        _r("GUARANTEES", (E, "E2"), (E, "E3")),
        _r("GUARANTEES", (E, "E3"), (E, "E2")),
        _r("GUARANTEES", (E, "E3"), (E, "E1")),
        # E4 holding E5: a second group; P5 and P3 hold shares too.
        _r("SHAREHOLDER_OF", (E, "E4"), (E, "E5"), ratio=0.5),
        _r("SHAREHOLDER_OF", (P, "P5"), (E, "E5"), ratio=0.2),
        _r("SHAREHOLDER_OF", (P, "P3"), (E, "E4"), ratio=0.1),
    ],
    files=["analytics"],
)
"""What the small bank gains here: groups {E1, E2, E3} and {E4, E5}, circles [E2, E3] and
[E1, E2, E3]; influence over E1, E2, E4, E5, P3, P4, P5."""
GROUPS = [(["E1", "E2", "E3"], 3, 8, 2, 0.25), (["E4", "E5"], 2, 0, 0, None)]
"""enterpriseGroups by hand: staff and covered from payrollCoverage's (tests/reports)."""
CIRCLES = [(["E2", "E3"], 2), (["E1", "E2", "E3"], 3)]
"""guaranteeCircles by hand, from the smallest id in guarantee order."""
NAMES = ("Acme Ltd", "Beta GmbH", "Delta SA", "Echo BV", "Carol", "Dan", "Eve")
"""Names of nodes in the rows' reach: never in a report."""


@pytest.fixture
def analytics_bank(bank: GraphStore) -> GraphStore:
    """The small bank and :data:`MORE`, on every store."""
    asyncio.run(bank.write(MORE))
    return bank


@pytest.fixture
def analytics_dir(small_bank_dir: Path) -> Path:
    """A data directory holding the small bank and :data:`MORE` (embedded store)."""
    async def build() -> None:
        store = EmbeddedStore(small_bank_dir)
        await store.write(MORE)
        await store.close()

    asyncio.run(build())
    return small_bank_dir


def rows(store: GraphStore, name: str, args: tuple[str, ...] = (),
         caller: Caller = ANALYST) -> list[tuple[Any, ...]]:
    """Every row of a report over the whole book, in order, as ``caller`` reads them."""
    return every_row(store, name, args=args, caller=caller)


@dataclasses.dataclass(frozen=True)
class Field:
    """A connection field, its arguments, and an edge as the report's row."""

    report: str
    args: tuple[str, ...]
    declared: str
    given: str
    variables: dict[str, Any]
    selection: str
    row: Callable[[dict[str, Any]], tuple[Any, ...]]

    def paged(self, store: GraphStore) -> list[tuple[Any, ...]]:
        """Every edge of the connection as an analyst reads it, as a row, two a page."""
        document = (
            f"query($after: String{self.declared}) {{ {self.report}(first: 2, after: $after"
            f"{self.given}) {{ edges {{ {self.selection} }} "
            "pageInfo { hasNextPage endCursor } } }"
        )
        found, after, pages = [], None, 0
        while True:
            [(data, errors)] = asyncio.run(execute_many(
                store, Settings(), document, [{**self.variables, "after": after}], caller=ANALYST
            ))  # fmt: skip
            assert not errors, errors
            connection = data[self.report]
            found += [self.row(edge) for edge in connection["edges"]]
            pages += 1
            if not connection["pageInfo"]["hasNextPage"]:
                assert pages > 1 or len(found) <= 2
                return found
            after = connection["pageInfo"]["endCursor"]


def _members(edge: dict[str, Any]) -> list[str]:
    return [member["id"] for member in edge["members"]]


def _circle(edge: dict[str, Any]) -> tuple[Any, ...]:
    return (_members(edge), edge["length"])


def _scored(edge: dict[str, Any]) -> tuple[Any, ...]:
    return (edge["node"]["__typename"], edge["node"]["id"], edge["score"])


CIRCLE, SCORED = "members { id } length", (
    "score node { __typename ... on Enterprise { id } ... on Person { id } }")
FIELDS = [
    Field("enterpriseGroups", (), "", "", {}, "members { id } size staff covered rate",
          lambda e: (_members(e), e["size"], e["staff"], e["covered"], e["rate"])),
    Field("guaranteeCircles", (), "", "", {}, CIRCLE, _circle),
    Field("guaranteeCircles", ("maxLength=2",), ", $maxLength: Int", ", maxLength: $maxLength",
          {"maxLength": 2}, CIRCLE, _circle),
    Field("influence", (), "", "", {}, SCORED, _scored),
    Field("influence", ('labels=["ENTERPRISE"]',), ", $labels: [PartyLabel!]",
          ", labels: $labels", {"labels": ["ENTERPRISE"]}, SCORED, _scored),
]


# -- the rows are the connection's items, on every store ------------------------------------

def test_rows_are_the_connections_items_paged_to_the_end(analytics_bank: GraphStore) -> None:
    for field in FIELDS:
        found = rows(analytics_bank, field.report, field.args)
        assert found == field.paged(analytics_bank), field.report
        assert found, field.report
    assert rows(analytics_bank, "enterpriseGroups") == GROUPS
    assert rows(analytics_bank, "guaranteeCircles") == CIRCLES
    assert rows(analytics_bank, "guaranteeCircles", ("maxLength=2",)) == CIRCLES[:1]
    scores = rows(analytics_bank, "influence")
    assert sorted((label, i) for label, i, _ in scores) == [
        (E, "E1"), (E, "E2"), (E, "E4"), (E, "E5"), (P, "P3"), (P, "P4"), (P, "P5")]
    assert sum(score for *_, score in scores) == pytest.approx(1.0)
    assert rows(analytics_bank, "influence", ('labels=["ENTERPRISE"]',)) == [
        row for row in scores if row[0] == E]
    assert rows(analytics_bank, "influence", caller=cli_caller()) == scores  # as for admins


def test_columns_hold_ids_labels_and_figures() -> None:
    def columns(name: str) -> list[tuple[str, type, bool]]:
        return [(c.name, c.kind, c.is_list) for c in plan(name).columns]

    assert columns("enterpriseGroups") == [("members", str, True), ("size", int, False),
                                           ("staff", int, False), ("covered", int, False),
                                           ("rate", float, False)]  # fmt: skip
    assert columns("guaranteeCircles") == [("members", str, True), ("length", int, False)]
    assert columns("influence") == [("node.label", str, False), ("node.id", str, False),
                                    ("score", float, False)]  # fmt: skip


def test_only_the_rankings_that_say_so_are_reports() -> None:
    reports = report_questions()
    for question in QUESTIONS:
        if question.answer is Ranked:
            assert question.ranking is not None
            assert (report_name(question) in reports) == question.ranking.rows, question.name
    assert {"enterpriseGroups", "guaranteeCircles", "influence"} <= set(reports)
    assert not {"search", "enterprises", "persons", "managers", "managerLeads",
                "dormantAccounts", "privateBankingProspects", "coverageRollup",
                "neighbors"} & set(reports)


def _flagged(question: Question[Any, Any]) -> Question[Any, Any]:
    assert question.ranking is not None
    return dataclasses.replace(question, name=question.name + "_flagged",
                               ranking=dataclasses.replace(question.ranking, rows=True))


def test_a_ranking_said_to_be_rows_still_holds_no_personal_data_nor_ambiguous_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    later = (_flagged(leads.QUESTION), _flagged(dormant.QUESTION), _flagged(rollup.QUESTION))
    monkeypatch.setattr(report_plan, "QUESTIONS", (*report_plan.QUESTIONS, *later))
    reports = report_questions()
    assert "managerLeadsFlagged" not in reports  # kinds and signal: Personal, masked per caller
    assert "dormantAccountsFlagged" not in reports  # owners: enterprises and persons, by id
    assert [c.name for c in plan("coverageRollupFlagged", by="branch").columns] == [
        "key", "enterprises", "employees", "covered", "uncovered", "rate"]


# -- files -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "ndjson", "parquet"])
def test_pandas_and_duckdb_read_every_format(analytics_dir: Path, tmp_path: Path,
                                             fmt: str) -> None:
    store = EmbeddedStore(analytics_dir)
    paths = {}
    for name in ("enterpriseGroups", "guaranteeCircles", "influence"):
        paths[name] = tmp_path / f"{name}.{fmt}"
        asyncio.run(write_report(plan(name), store, Settings(), ANALYST, paths[name], fmt))
        if fmt != "parquet":
            text = paths[name].read_text(encoding="utf-8")
            assert not [n for n in NAMES if n in text], text
    read = {"csv": pd.read_csv, "parquet": pd.read_parquet,
            "ndjson": lambda p: pd.read_json(p, lines=True)}[fmt]
    groups, circles, influence = (read(paths[n]) for n in paths)
    assert list(groups.columns) == ["members", "size", "staff", "covered", "rate"]
    assert list(influence.columns) == ["node.label", "node.id", "score"]
    members = [json.loads(m) if fmt == "csv" else list(m) for m in circles["members"]]
    assert members == [ids for ids, _ in CIRCLES]
    assert list(groups["size"]) == [3, 2] and list(groups["staff"]) == [8, 0]
    assert influence["score"].dtype.kind == "f" and len(influence) == 7
    assert not [n for n in NAMES if n in influence.to_string() + groups.to_string()]
    reader = {"csv": "read_csv", "parquet": "read_parquet", "ndjson": "read_json"}[fmt]
    top = duckdb.execute(
        f"""select "node.id" from {reader}('{paths["influence"]}') order by score desc, "node.id"
        limit 1"""
    ).fetchone()
    assert top == (rows(store, "influence")[0][1],)
    if fmt == "parquet":
        assert duckdb.execute(
            f"select len(members) from read_parquet('{paths['enterpriseGroups']}')"
        ).fetchall() == [(3,), (2,)]


# -- the command line ------------------------------------------------------------------------

def test_the_command_writes_each(analytics_dir: Path, tmp_path: Path) -> None:
    for argv, rows_written in [
        (["enterpriseGroups", "-o", str(tmp_path / "groups.parquet")], 2),
        (["guaranteeCircles", "-o", str(tmp_path / "circles.csv"), "--arg", "maxLength=6"], 2),
        (["influence", "-o", str(tmp_path / "influence.parquet"),
          "--arg", 'labels=["ENTERPRISE"]'], 4),
    ]:
        result = CliRunner().invoke(app, ["report", *argv, "--data-dir", str(analytics_dir)])
        assert result.exit_code == 0, result.output
        assert (f"{rows_written} rows (one answer for the whole book) written to"
                in result.stderr), result.stderr
    groups = pd.read_parquet(tmp_path / "groups.parquet")
    assert [list(m) for m in groups["members"]] == [ids for ids, *_ in GROUPS]
    circles = pd.read_csv(tmp_path / "circles.csv")
    assert circles.values.tolist() == [[json.dumps(ids), n] for ids, n in CIRCLES]
    influence = pd.read_parquet(tmp_path / "influence.parquet")
    assert set(influence["node.label"]) == {E}


# -- over HTTP and the roles -----------------------------------------------------------------

def test_analysts_download_them_managers_and_applications_are_refused(
    analytics_dir: Path,
) -> None:
    issuer = LocalIssuer(analytics_dir)
    store = EmbeddedStore(analytics_dir)
    expected = FIELDS[3].paged(store)  # influence's connection, both labels
    asyncio.run(store.close())

    def bearer(role: Role, manager: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.issue('someone', role, manager)}"}

    with running(analytics_dir) as client:
        http: httpx.Client = client.http
        analyst = bearer(Role.ANALYST)
        scores = http.get("/reports/influence", headers=analyst)
        assert scores.status_code == 200, scores.text
        frame = pd.read_csv(io.StringIO(scores.text))
        assert list(frame.columns) == ["node.label", "node.id", "score"]
        assert [tuple(r) for r in frame.itertuples(index=False)] == expected
        assert not [n for n in NAMES if n in scores.text]
        groups = http.get("/reports/enterpriseGroups", params={"format": "parquet"},
                          headers=analyst)  # fmt: skip
        assert groups.status_code == 200, groups.text
        assert list(pd.read_parquet(io.BytesIO(groups.content))["size"]) == [3, 2]
        lines = http.get("/reports/guaranteeCircles",
                         params={"format": "ndjson", "arg": "maxLength=2"}, headers=analyst)
        assert lines.json() == {"members": ["E2", "E3"], "length": 2}
        for headers in (bearer(Role.MANAGER, "M1"), bearer(Role.APP)):
            for name in ("influence", "enterpriseGroups", "guaranteeCircles"):
                refused = http.get(f"/reports/{name}", headers=headers)
                assert refused.status_code == 403, refused.text
                assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        for arg, message in [("maxLength=99", "maxLength must be between 1 and 6, got 99"),
                             ("maxLength=0", "maxLength must be between 1 and 6, got 0")]:
            bad = http.get("/reports/guaranteeCircles", params={"arg": arg}, headers=analyst)
            assert bad.status_code == 400, bad.text
            [error] = bad.json()["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert error["message"] == message
        empty = http.get("/reports/influence", params={"arg": "labels=[]"}, headers=analyst)
        assert empty.status_code == 400, empty.text
        assert "labels must name at least one" in empty.json()["errors"][0]["message"]
    # An answer the question refuses is a refusal, not a header and a cut file.
    with running(analytics_dir, max_circles=1) as client:
        too_many = client.http.get("/reports/guaranteeCircles", headers=analyst)
        assert too_many.status_code == 400, too_many.text
        [error] = too_many.json()["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"].startswith("more than 1 guarantee circles of at most 4")


@pytest.mark.parametrize("caller", [Caller("m", Role.MANAGER, manager_id="M1"),
                                    Caller("x", Role.APP)])  # fmt: skip
def test_every_reader_of_rows_refuses_the_roles_the_field_refuses(caller: Caller) -> None:
    # shown_rows, whichever way a report is read (a route admitting more roles included).
    for name in ("enterpriseGroups", "guaranteeCircles", "influence"):
        with pytest.raises(ForbiddenError, match=(
                f"^{name} is for the roles admin, analyst, not {caller.role.value}$")):
            report_plan.shown_rows(caller, plan(name), [])


def test_plan_refuses_what_the_field_refuses() -> None:
    with pytest.raises(InvalidInputError, match="maxLength must be between 1 and 6, got 99"):
        plan("guaranteeCircles", args=("maxLength=99",)).check_arguments(Settings())
    with pytest.raises(InvalidInputError, match="labels: expected a list of"):
        plan("influence", args=('labels=["ACCOUNT"]',))
    with pytest.raises(InvalidInputError, match="asked once for the whole book"):
        plan("influence", where=("id=E1",))
