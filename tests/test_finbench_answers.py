"""Issue 14's acceptance on real data: the LDBC FinBench sample, loaded as the README says,
answers crossSellGaps for every person, each account's lastActivityAt, the store's as-of
time and the load report's per-file counts exactly as an independent route computes them:
SQL (DuckDB) over the raw pipe-separated files, the mapping and rules restated plainly, no
project code. The embedded store and FalkorDB both give those answers.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from graph_service.bulk import execute_many
from graph_service.config import Settings
from graph_service.ingest import read_input
from graph_service.records import LoadReport
from graph_service.stores import open_store
from graph_service.stores.base import GraphStore
from graph_service.stores.loading import load
from tests.conftest import FINBENCH_SAMPLE
from tests.test_cli import CLI

CATALOGUE = ["debit card", "e-banking", "credit card", "personal loan", "wealth management",
             "trust account"]  # fmt: skip
E_BANKING_MEDIA = ["PHONE", "IPv4", "IPv6", "MAC", "WIFI"]

# FinBench file -> (start table, start column, end table, end column) of a relationship file
RELATIONSHIP_FILES = {
    "PersonOwnAccount": ("Person", "personId", "Account", "accountId"),
    "CompanyOwnAccount": ("Company", "companyId", "Account", "accountId"),
    "PersonInvestCompany": ("Person", "investorId", "Company", "companyId"),
    "CompanyInvestCompany": ("Company", "investorId", "Company", "companyId"),
    "PersonGuaranteePerson": ("Person", "fromId", "Person", "toId"),
    "CompanyGuaranteeCompany": ("Company", "fromId", "Company", "toId"),
    "AccountTransferAccount": ("Account", "fromId", "Account", "toId"),
    "PersonApplyLoan": ("Person", "personId", "Loan", "loanId"),
    "CompanyApplyLoan": ("Company", "companyId", "Loan", "loanId"),
    "AccountWithdrawAccount": ("Account", "fromId", "Account", "toId"),
    "LoanDepositAccount": ("Loan", "loanId", "Account", "accountId"),
    "AccountRepayLoan": ("Account", "accountId", "Loan", "loanId"),
    "MediumSignInAccount": ("Medium", "mediumId", "Account", "accountId"),
}
NODE_FILES = {"Company": "companyId", "Person": "personId", "Account": "accountId",
              "Loan": "loanId", "Medium": "mediumId"}  # fmt: skip
# Account-side columns of the files whose rows are activity of an account
ACTIVITY = [("AccountTransferAccount", "fromId"), ("AccountTransferAccount", "toId"),
            ("AccountWithdrawAccount", "fromId"), ("AccountWithdrawAccount", "toId"),
            ("AccountRepayLoan", "accountId"), ("LoanDepositAccount", "accountId"),
            ("MediumSignInAccount", "accountId")]  # fmt: skip


class Oracle:
    """The sample's answers, from SQL over the raw files."""

    def __init__(self) -> None:
        self.db = duckdb.connect()
        for name in [*NODE_FILES, *RELATIONSHIP_FILES]:
            path = FINBENCH_SAMPLE / f"{name}.csv"
            self.db.execute(
                f"CREATE TABLE {name} AS SELECT * FROM read_csv('{path}', delim='|', "
                "header=true, all_varchar=true, quote='\"')"
            )

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.db.execute(sql, list(params)).fetchall()

    def file_counts(self) -> dict[str, tuple[int, int]]:
        """(loaded, rejected) per file: a relationship row is loaded when both ends exist."""
        counts = {}
        for name in NODE_FILES:
            [(n,)] = self.rows(f"SELECT count(*) FROM {name}")
            counts[f"{name}.csv"] = (n, 0)
        for name, (start, start_col, end, end_col) in RELATIONSHIP_FILES.items():
            [(loaded, rejected)] = self.rows(f"""
                SELECT count(*) FILTER (WHERE s.ok AND e.ok),
                       count(*) FILTER (WHERE s.ok IS NULL OR e.ok IS NULL)
                FROM {name} r
                LEFT JOIN (SELECT DISTINCT {NODE_FILES[start]} AS id, true AS ok
                           FROM {start}) s ON s.id = r.{start_col}
                LEFT JOIN (SELECT DISTINCT {NODE_FILES[end]} AS id, true AS ok
                           FROM {end}) e ON e.id = r.{end_col}""")
            counts[f"{name}.csv"] = (loaded, rejected)
        return counts

    def held(self) -> dict[str, set[str]]:
        """Person id -> products held: active account types, personal loan, e-banking."""
        held: dict[str, set[str]] = {p: set() for (p,) in self.rows("SELECT personId FROM Person")}
        active = """
            SELECT DISTINCT o.personId, a.accountId, a.accoutType FROM PersonOwnAccount o
            JOIN Person p ON p.personId = o.personId
            JOIN Account a ON a.accountId = o.accountId AND a.isBlocked = 'false'"""
        for person, _, kind in self.rows(active):
            held[person].add(kind)
        for (person,) in self.rows("""
                SELECT DISTINCT a.personId FROM PersonApplyLoan a
                JOIN Person p ON p.personId = a.personId JOIN Loan l ON l.loanId = a.loanId"""):
            held[person].add("personal loan")
        for (person,) in self.rows(f"""
                SELECT DISTINCT o.personId FROM ({active}) o
                JOIN MediumSignInAccount s ON s.accountId = o.accountId
                JOIN Medium m ON m.mediumId = s.mediumId AND m.isBlocked = 'false'
                WHERE list_contains(?, m.mediumType)""", E_BANKING_MEDIA):
            held[person].add("e-banking")
        return held

    def last_activity(self) -> dict[str, str]:
        """Account id -> latest activity time (ISO text), else its creation time."""
        movements = " UNION ALL ".join(
            f"SELECT r.{column} AS account, CAST(r.createTime AS TIMESTAMP) AS at FROM {name} r "
            f"JOIN {start} s ON s.{NODE_FILES[start]} = r.{start_col} "
            f"JOIN {end} e ON e.{NODE_FILES[end]} = r.{end_col}"
            for name, column in ACTIVITY
            for start, start_col, end, end_col in [RELATIONSHIP_FILES[name]]
        )
        return {
            account: at.isoformat()
            for account, at in self.rows(f"""
                SELECT a.accountId, coalesce(max(m.at), CAST(a.createTime AS TIMESTAMP))
                FROM Account a LEFT JOIN ({movements}) m ON m.account = a.accountId
                GROUP BY a.accountId, a.createTime""")
        }


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return Oracle()


@pytest.fixture(scope="module", params=["embedded", "falkordb"])
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GraphStore, LoadReport]]:
    """The sample loaded the CLI's way (``load``, reading while the store writes)."""
    if request.param == "embedded":
        settings = Settings(data_dir=tmp_path_factory.mktemp("finbench") / "data")
    else:
        settings = Settings(backend="falkordb",
                            falkordb_url=request.getfixturevalue("falkordb_url"),
                            falkordb_graph=f"finbench-answers-{os.getpid()}")  # fmt: skip
    report = load(settings, read_input("ldbc-finbench", FINBENCH_SAMPLE, stream=True))
    store = open_store(settings)
    yield store, report
    asyncio.run(store.close())


def test_load_report_counts_every_file(
    loaded: tuple[GraphStore, LoadReport], oracle: Oracle
) -> None:
    _, report = loaded
    expected = oracle.file_counts()
    found = {f: (report.loaded[f], report.rejected[f]) for f in report.files if f in expected}
    assert found == expected
    entries = {p.name for p in FINBENCH_SAMPLE.iterdir()}
    assert entries == set(found) | set(report.skipped) == {*expected, "README.md"}
    assert report.skipped == {"README.md": "not a file of the LDBC FinBench format"}


def test_cross_sell_gaps_of_every_person(
    loaded: tuple[GraphStore, LoadReport], oracle: Oracle
) -> None:
    store, _ = loaded
    held = oracle.held()
    # The figures, from the raw files.
    assert sum("personal loan" in h for h in held.values()) == 1153
    assert sum("e-banking" in h for h in held.values()) == 288
    people = sorted(held)
    document = "query($p: ID!) { crossSellGaps(personId: $p) { held missing } "\
               "person(id: $p) { productsHeld } }"
    answers = asyncio.run(execute_many(store, Settings(), document, [{"p": p} for p in people]))
    for person, (data, errors) in zip(people, answers, strict=True):
        assert not errors, errors
        expected = [p for p in CATALOGUE if p in held[person]]
        assert data["crossSellGaps"] == {
            "held": expected, "missing": [p for p in CATALOGUE if p not in held[person]]
        }, person
        assert data["person"]["productsHeld"] == len(expected)


def test_last_activity_and_as_of(loaded: tuple[GraphStore, LoadReport], oracle: Oracle) -> None:
    store, _ = loaded
    expected = oracle.last_activity()
    ids = sorted(expected)
    nodes = asyncio.run(store.get_nodes("Account", ids))
    assert {n.id: n.props["lastActivityAt"] for n in nodes if n} == expected
    assert asyncio.run(store.as_of()) == max(expected.values())
    document = 'query($a: ID!) { account(id: $a) { lastActivityAt } }'
    [(data, errors)] = asyncio.run(execute_many(store, Settings(), document, [{"a": ids[0]}]))
    assert not errors
    assert data["account"]["lastActivityAt"] == expected[ids[0]]


def test_the_cli_report_lists_every_file(tmp_path: Path) -> None:
    env = {**os.environ, "GRAPH_SERVICE_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
    done = subprocess.run([*CLI, "load", "--format", "ldbc-finbench", str(FINBENCH_SAMPLE)],
                          env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for entry in FINBENCH_SAMPLE.iterdir():
        assert any(entry.name in line for line in lines), entry.name
    [readme] = [line for line in lines if "README.md" in line]
    assert "skipped" in readme and "not a file of the LDBC FinBench format" in readme
