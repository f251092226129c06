"""LDBC FinBench mapping: the real sample, derived employment, rejects, bad input."""

from __future__ import annotations

import asyncio
import csv
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from graph_service.errors import InvalidInputError, Location
from graph_service.ingest import read_input
from graph_service.ingest.finbench import OPTIONAL_FILES, REQUIRED_FILES, read_finbench
from graph_service.ingest.rejects import write_rejects
from graph_service.stores.base import Direction
from graph_service.stores.embedded import EmbeddedStore
from tests.conftest import FINBENCH_SAMPLE
from tests.ingest.conftest import load, write_files


def raw(name: str) -> list[tuple[int, dict[str, str]]]:
    """(line, row) of a sample file, read plainly (the sample has no multi-line fields)."""
    with (FINBENCH_SAMPLE / name).open(encoding="utf-8", newline="") as handle:
        return list(enumerate(csv.DictReader(handle, delimiter="|"), start=2))


class Expected:
    """The sample's expected graph, computed from the raw files without the loader."""

    def __init__(self) -> None:
        ids = {name: {r[key] for _, r in raw(f"{name}.csv")}
               for name, key in (("Person", "personId"), ("Company", "companyId"),
                                 ("Account", "accountId"), ("Loan", "loanId"),
                                 ("Medium", "mediumId"))}
        self.nodes = {"Person": len(ids["Person"]), "Enterprise": len(ids["Company"]),
                      "Account": len(ids["Account"]), "Manager": 0,
                      "Loan": len(ids["Loan"]), "Medium": len(ids["Medium"]), "Referral": 0,
                      "Contact": 0}
        self.rejects: Counter[str] = Counter()
        self.reject_lines: dict[str, list[int]] = defaultdict(list)
        pairs: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
        owners: dict[str, dict[str, set[str]]] = {"Person": defaultdict(set),
                                                  "Company": defaultdict(set)}
        ratios: dict[tuple[str, str], float] = {}
        for file, rel_type, start, end, cols in (
            ("PersonOwnAccount.csv", "OWNS", "Person", "Account", ("personId", "accountId")),
            ("CompanyOwnAccount.csv", "OWNS", "Company", "Account", ("companyId", "accountId")),
            ("PersonInvestCompany.csv", "SHAREHOLDER_OF", "Person", "Company",
             ("investorId", "companyId")),
            ("CompanyInvestCompany.csv", "SHAREHOLDER_OF", "Company", "Company",
             ("investorId", "companyId")),
            ("PersonGuaranteePerson.csv", "GUARANTEES", "Person", "Person", ("fromId", "toId")),
            ("CompanyGuaranteeCompany.csv", "GUARANTEES", "Company", "Company",
             ("fromId", "toId")),
            ("AccountTransferAccount.csv", "TRANSFERRED_TO", "Account", "Account",
             ("fromId", "toId")),
            ("PersonApplyLoan.csv", "APPLIED_FOR", "Person", "Loan", ("personId", "loanId")),
            ("CompanyApplyLoan.csv", "APPLIED_FOR", "Company", "Loan", ("companyId", "loanId")),
            ("AccountWithdrawAccount.csv", "WITHDREW_TO", "Account", "Account",
             ("fromId", "toId")),
            ("LoanDepositAccount.csv", "DEPOSITED_TO", "Loan", "Account", ("loanId", "accountId")),
            ("AccountRepayLoan.csv", "REPAID", "Account", "Loan", ("accountId", "loanId")),
            ("MediumSignInAccount.csv", "SIGNED_IN_TO", "Medium", "Account",
             ("mediumId", "accountId")),
        ):
            for line, row in raw(file):
                a, b = row[cols[0]], row[cols[1]]
                if a not in ids[start] or b not in ids[end]:
                    self.rejects[file] += 1
                    self.reject_lines[file].append(line)
                    continue
                pairs[rel_type].add((start, a, b))
                if rel_type == "OWNS":
                    owners[start][b].add(a)
                if file == "PersonInvestCompany.csv":
                    ratios[(a, b)] = float(row["ratio"])
        self.relationships = {t: len(p) for t, p in pairs.items()}
        self.relationships |= dict.fromkeys(
            ["MANAGES", "REFERS", "REFERRED_TO", "CONTACTED", "LOGGED_BY"], 0)
        executives = {pair for pair, ratio in ratios.items() if ratio >= 0.05}
        payroll = {
            (person, company)
            for _, src, dst in pairs["TRANSFERRED_TO"]
            for company in owners["Company"].get(src, ())
            for person in owners["Person"].get(dst, ())
        }
        self.executives = len(executives)
        self.employees = len(payroll - executives)
        self.relationships["EMPLOYED_BY"] = len(payroll | executives)


@pytest.fixture(scope="module")
def expected() -> Expected:
    return Expected()


def test_sample_loads_with_exact_counts(store: EmbeddedStore, expected: Expected) -> None:
    batch = read_input("ldbc-finbench", FINBENCH_SAMPLE)
    report, counts = load(store, batch)
    assert counts == expected.nodes | expected.relationships
    roles = Counter(r.props["role"] for r in batch.relationships if r.type == "EMPLOYED_BY")
    assert roles == {"executive": expected.executives, "employee": expected.employees}
    derived = ["AccountTransferAccount.csv (derived EMPLOYED_BY)",
               "PersonInvestCompany.csv (derived EMPLOYED_BY)"]  # fmt: skip
    assert report.files == [*REQUIRED_FILES, *OPTIONAL_FILES, *derived]
    assert report.skipped == {"README.md": "not a file of the LDBC FinBench format"}
    assert report.loaded["Person.csv"] == expected.nodes["Person"]
    assert report.loaded[derived[0]] == expected.employees
    assert report.loaded[derived[1]] == expected.executives
    assert report.total_loaded + report.total_rejected == len(batch.nodes) + sum(
        r.source_rows for r in batch.relationships
    )
    # The report counts source rows: per FinBench file, loaded + rejected = its data rows
    # (AccountTransferAccount.csv: every transfer row, not the 28,053 account pairs).
    for file in (*REQUIRED_FILES, *OPTIONAL_FILES):
        assert report.loaded[file] + report.rejected[file] == len(raw(file)), file
    assert report.loaded["AccountTransferAccount.csv"] == len(raw("AccountTransferAccount.csv"))
    assert counts["TRANSFERRED_TO"] < len(raw("AccountTransferAccount.csv"))


def test_sample_rejects_rows_naming_missing_nodes(
    store: EmbeddedStore, expected: Expected, tmp_path: Path
) -> None:
    report, _ = load(store, read_finbench(FINBENCH_SAMPLE))
    # Verified by hand: owners absent from Person.csv / Company.csv; nothing else dangles.
    assert report.rejected == {"PersonOwnAccount.csv": 95, "CompanyOwnAccount.csv": 78}
    assert report.rejected == expected.rejects
    for file, lines in expected.reject_lines.items():
        assert [r.line for r in report.rejects if r.file == file] == lines
    first = next(r for r in report.rejects if r.file == "PersonOwnAccount.csv")
    person = dict(raw("PersonOwnAccount.csv"))[first.line]["personId"]
    assert first.reason == f"start node Person {person!r} does not exist"

    path = tmp_path / "rejects.csv"
    write_rejects(report.rejects, path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["file", "line", "reason"]
    assert rows[1:] == [[r.file, str(r.line), r.reason] for r in report.rejects]
    assert len(rows) == 1 + 95 + 78


def test_loading_twice_changes_nothing(store: EmbeddedStore) -> None:
    batch = read_finbench(FINBENCH_SAMPLE)
    first, counts = load(store, batch)
    second, again = load(store, read_finbench(FINBENCH_SAMPLE))
    assert again == counts
    assert (second.loaded, second.rejected, second.rejects) == (
        first.loaded, first.rejected, first.rejects
    )


# -- a hand-written snapshot ------------------------------------------------------------

HEADERS = {
    "Company.csv": "companyId|companyName|isBlocked|createTime",
    "Person.csv": "personId|personName|isBlocked|createTime",
    "Account.csv": "accountId|createTime|isBlocked|accoutType",
    "PersonOwnAccount.csv": "personId|accountId|createTime",
    "CompanyOwnAccount.csv": "companyId|accountId|createTime",
    "PersonInvestCompany.csv": "investorId|companyId|ratio|createTime",
    "CompanyInvestCompany.csv": "investorId|companyId|ratio|createTime",
    "PersonGuaranteePerson.csv": "fromId|toId|createTime",
    "CompanyGuaranteeCompany.csv": "fromId|toId|createTime",
    "AccountTransferAccount.csv": "fromId|toId|amount|createTime",
}
T = "2020-01-01 10:00:00.5"

TINY = {
    "Company.csv": [f"1|Acme|false|{T}", f"2|Beta|true|{T}", f"3|Gamma|false|{T}"],
    "Person.csv": [f"{p}|Person {p}|false|{T}" for p in range(1, 8)],
    "Account.csv": [f"{a}|{T}|{'true' if a == 'a2' else 'false'}|debit card"
                    for a in ("c1", "c2", "a1", "a2", "a4", "a5", "a9")],
    "PersonOwnAccount.csv": [f"1|a1|{T}", f"2|a2|{T}", f"4|a4|{T}", f"5|a5|{T}",
                             f"99|a9|{T}"],
    "CompanyOwnAccount.csv": [f"1|c1|{T}", f"2|c2|{T}"],
    "PersonInvestCompany.csv": [
        f"2|1|0.05|{T}",     # line 2: exactly the threshold -> executive
        f"3|1|0.0499|{T}",   # line 3: below -> nothing
        f"4|2|0.3|{T}",      # line 4: also paid by Beta -> executive wins
        f"6|3|0.2|{T}",      # line 5: superseded by line 6
        f"6|3|0.01|{T}",     # line 6: last row wins -> nothing
        f"98|3|0.5|{T}",     # line 7: investor missing -> rejected, derives nothing
    ],
    "CompanyInvestCompany.csv": [f"1|2|0.6|{T}"],
    "PersonGuaranteePerson.csv": [f"1|7|{T}"],
    "CompanyGuaranteeCompany.csv": [f"1|3|{T}"],
    "AccountTransferAccount.csv": [
        f"a1|c1|5.0|{T}",     # line 2: person -> company: not payroll
        f"c1|a1|100.0|{T}",   # line 3: Acme pays person 1 -> employee
        f"c1|a1|50.5|{T}",    # line 4: same pair
        f"c2|a4|10|{T}",      # line 5: Beta pays person 4 (also shareholder)
        f"a1|a5|7|{T}",       # line 6: person -> person: not payroll
        f"c1|a9|1|{T}",       # line 7: owner 99 missing -> no employment
    ],
}


def finbench_dir(directory: Path, **changes: list[str] | str) -> Path:
    """The TINY snapshot, with whole files replaced (a list of rows, or raw text)."""
    files = {}
    for name, header in HEADERS.items():
        rows = changes.get(name.replace(".csv", ""), TINY[name])
        files[name] = rows if isinstance(rows, str) else "\n".join([header, *rows]) + "\n"
    return write_files(directory, files)


def test_a_rejected_transfer_pair_counts_all_its_rows(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    transfers = [*TINY["AccountTransferAccount.csv"],
                 f"c1|zz|1|{T}", f"a1|a5|2|{T}", f"c1|zz|2|{T}"]  # lines 8, 9, 10
    batch = read_finbench(finbench_dir(tmp_path / "fb", AccountTransferAccount=transfers))
    assert sorted(r.source_rows for r in batch.relationships if r.type == "TRANSFERRED_TO") == [
        1, 1, 1, 2, 2, 2]
    report, counts = load(store, batch)
    file = "AccountTransferAccount.csv"
    assert (report.loaded[file], report.rejected[file]) == (7, 2)
    assert counts["TRANSFERRED_TO"] == 5
    assert [(r.line, r.reason) for r in report.rejects if r.file == file] == [
        (8, "end node Account 'zz' does not exist")
    ]


def test_derived_employment_rules(tmp_path: Path, store: EmbeddedStore) -> None:
    batch = read_finbench(finbench_dir(tmp_path / "fb"))
    derived = {
        (r.start[1], r.end[1]): (r.props, r.file, r.line)
        for r in batch.relationships
        if r.type == "EMPLOYED_BY"
    }
    assert derived == {
        ("1", "1"): ({"role": "employee", "source": "payroll"},
                     "AccountTransferAccount.csv (derived EMPLOYED_BY)", 3),
        ("2", "1"): ({"role": "executive", "source": "shareholding"},
                     "PersonInvestCompany.csv (derived EMPLOYED_BY)", 2),
        ("4", "2"): ({"role": "executive", "source": "shareholding"},
                     "PersonInvestCompany.csv (derived EMPLOYED_BY)", 4),
    }
    report, counts = load(store, batch)
    assert [(r.file, r.line) for r in report.rejects] == [
        ("PersonInvestCompany.csv", 7), ("PersonOwnAccount.csv", 6)
    ]
    assert counts["EMPLOYED_BY"] == 3
    assert counts["SHAREHOLDER_OF"] == 5  # persons 2, 3, 4, 6 and company 1
    transfer = next(r for r in batch.relationships
                    if r.type == "TRANSFERRED_TO" and r.start[1] == "c1" and r.end[1] == "a1")
    assert (transfer.props, transfer.line) == ({"count": 2, "totalAmount": 150.5}, 3)


def employment(store: EmbeddedStore) -> dict[tuple[str, str], str]:
    """``(person, company): role`` of every stored EMPLOYED_BY of TINY's people."""
    people = [str(p) for p in range(1, 8)]
    found = asyncio.run(store.neighbors("Person", people, "EMPLOYED_BY", Direction.OUTGOING))
    return {(person, company.id): rel.props["role"]
            for person, links in zip(people, found, strict=True) for rel, company in links}


def test_a_changed_snapshot_keeps_what_it_no_longer_derives(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    # As loaders/ldbc-finbench.md says: a load never deletes, so a pair derived only from
    # the earlier snapshot keeps its EMPLOYED_BY; a new data directory answers from one.
    load(store, read_finbench(finbench_dir(tmp_path / "fb")))
    ratios = [f"2|1|0.01|{T}", f"4|2|0.01|{T}"]  # 2: no payroll either; 4: paid by Beta
    changed = read_finbench(finbench_dir(tmp_path / "fb2", PersonInvestCompany=ratios))
    load(store, changed)
    assert employment(store) == {("1", "1"): "employee", ("2", "1"): "executive",
                                 ("4", "2"): "employee"}
    fresh = EmbeddedStore(tmp_path / "new")
    load(fresh, changed)
    assert employment(fresh) == {("1", "1"): "employee", ("4", "2"): "employee"}
    asyncio.run(fresh.close())


def test_node_mapping(tmp_path: Path) -> None:
    batch = read_finbench(finbench_dir(tmp_path / "fb"))
    nodes = {(n.label, n.id): n.props for n in batch.nodes}
    assert nodes[("Enterprise", "2")] == {
        "name": "Beta", "blocked": True, "createdAt": "2020-01-01T10:00:00.500000"
    }
    assert nodes[("Account", "a2")] == {
        "type": "debit card", "status": "blocked", "openedAt": "2020-01-01T10:00:00.500000",
        "lastActivityAt": "2020-01-01T10:00:00.500000",  # no activity: its opening
    }
    assert nodes[("Account", "a1")]["status"] == "active"
    assert nodes[("Person", "7")]["name"] == "Person 7"


@pytest.mark.parametrize(
    ("change", "file", "line", "field"),
    [
        ({"Person": "personId|isBlocked|createTime\n"}, "Person.csv", 1, "personName"),
        ({"AccountTransferAccount": "fromId|toId|createTime\n"},
         "AccountTransferAccount.csv", 1, "amount"),
        ({"Person": [f"1|x|false|{T}", "2|y|false"]}, "Person.csv", 3, None),
        ({"Person": [f"|x|false|{T}"]}, "Person.csv", 2, "personId"),
        ({"Company": [f"1|x|maybe|{T}"]}, "Company.csv", 2, "isBlocked"),
        ({"Account": [f"a1|{T}|nope|debit card"]}, "Account.csv", 2, "isBlocked"),
        ({"Account": ["a1|yesterday|false|debit card"]}, "Account.csv", 2, "createTime"),
        ({"Person": ["1||false|2020-01-01"]}, "Person.csv", 2, "personName"),
        ({"PersonInvestCompany": [f"1|1|lots|{T}"]}, "PersonInvestCompany.csv", 2, "ratio"),
        ({"CompanyInvestCompany": [f"1|2|1.5|{T}"]}, "CompanyInvestCompany.csv", 2, "ratio"),
        ({"AccountTransferAccount": [f"c1|a1|nan|{T}"]},
         "AccountTransferAccount.csv", 2, "amount"),
        ({"CompanyOwnAccount": [f"1||{T}"]}, "CompanyOwnAccount.csv", 2, "accountId"),
        # strict numbers and date-times, shared with canonical CSV (tests/test_model.py)
        ({"PersonInvestCompany": [f"1|1|0.0_5|{T}"]}, "PersonInvestCompany.csv", 2, "ratio"),
        ({"AccountTransferAccount": [f"c1|a1|1_000|{T}"]},
         "AccountTransferAccount.csv", 2, "amount"),
        ({"Person": ["1|x|false|20200101"]}, "Person.csv", 2, "createTime"),
        ({"Company": ["1|x|false|2020-W01-1 10:00:00"]}, "Company.csv", 2, "createTime"),
    ],
)
def test_bad_input_names_file_line_field(
    tmp_path: Path, change: dict[str, list[str] | str], file: str, line: int, field: str | None
) -> None:
    directory = finbench_dir(tmp_path / "fb", **change)
    with pytest.raises(InvalidInputError) as caught:
        read_finbench(directory)
    assert caught.value.location is not None
    assert (caught.value.location.file, caught.value.location.line,
            caught.value.location.field) == (file, line, field)


def test_missing_file_or_directory(tmp_path: Path) -> None:
    directory = finbench_dir(tmp_path / "fb")
    (directory / "CompanyOwnAccount.csv").unlink()
    with pytest.raises(InvalidInputError, match="required FinBench file") as caught:
        read_finbench(directory)
    assert caught.value.location is not None
    assert caught.value.location.file == "CompanyOwnAccount.csv"
    with pytest.raises(InvalidInputError, match="not a directory"):
        read_finbench(tmp_path / "absent")


OPTIONAL = {
    "Loan.csv": ["loanId|loanAmount|balance|createTime", f"L1|1000|800|{T}", f"L2|500|500|{T}"],
    "Medium.csv": ["mediumId|mediumType|isBlocked|createTime",
                   f"m1|PHONE|false|{T}", f"m2|POS|false|{T}", f"m3|IPv4|true|{T}"],
    "PersonApplyLoan.csv": ["personId|loanId|createTime",
                            f"1|L1|{T}", f"99|L2|{T}", f"2|L9|{T}"],  # lines 3, 4 dangle
    "CompanyApplyLoan.csv": ["companyId|loanId|createTime", f"1|L2|{T}"],
    "AccountWithdrawAccount.csv": ["fromId|toId|amount|createTime",
                                   "a1|a5|10|2020-03-01 00:00:00", "a1|a5|5|2020-02-01 00:00:00",
                                   "a4|zz|1|2021-01-01 00:00:00"],  # line 4 dangles
    "LoanDepositAccount.csv": ["loanId|accountId|amount|createTime",
                               "L1|a1|1000|2020-01-05 00:00:00"],
    "AccountRepayLoan.csv": ["accountId|loanId|amount|createTime",
                             "a1|L1|200|2020-04-01 00:00:00"],
    "MediumSignInAccount.csv": ["mediumId|accountId|createTime",
                                "m1|a4|2020-05-01 00:00:00", "m1|a4|2020-02-01 00:00:00",
                                "m9|a5|2022-01-01 00:00:00"],  # line 4 dangles
}


def test_loans_media_and_activity(tmp_path: Path, store: EmbeddedStore) -> None:
    directory = finbench_dir(tmp_path / "fb")
    write_files(directory, {name: "\n".join(rows) + "\n" for name, rows in OPTIONAL.items()})
    write_files(directory, {"notes.txt": "not data\n"})
    (directory / "old").mkdir()
    batch = read_finbench(directory)
    nodes = {(n.label, n.id): n.props for n in batch.nodes}
    assert nodes[("Loan", "L1")] == {
        "loanAmount": 1000.0, "balance": 800.0, "createdAt": "2020-01-01T10:00:00.500000"
    }
    assert nodes[("Medium", "m3")]["blocked"] is True
    assert nodes[("Medium", "m1")]["type"] == "PHONE"
    # The latest of transfers, withdrawals, deposits, repayments and sign-ins whose both
    # ends exist; the opening time without any.
    activity = {a: nodes[("Account", a)]["lastActivityAt"] for a in ("a1", "a2", "a4", "a5")}
    assert activity == {
        "a1": "2020-04-01T00:00:00",  # its repayment
        "a2": "2020-01-01T10:00:00.500000",  # nothing: opened
        "a4": "2020-05-01T00:00:00",  # a sign-in; the withdrawal to zz does not count
        "a5": "2020-03-01T00:00:00",  # a withdrawal into it
    }
    rels = {(r.type, r.start[1], r.end[1]): r.props for r in batch.relationships}
    assert rels[("WITHDREW_TO", "a1", "a5")] == {
        "count": 2, "totalAmount": 15.0, "lastAt": "2020-03-01T00:00:00"
    }
    assert rels[("SIGNED_IN_TO", "m1", "a4")] == {"count": 2, "lastAt": "2020-05-01T00:00:00"}
    assert rels[("APPLIED_FOR", "1", "L2")] == {}
    assert "lastAt" not in rels[("TRANSFERRED_TO", "c1", "a1")]  # unchanged answers
    report, counts = load(store, batch)
    assert report.skipped == {"notes.txt": "not a file of the LDBC FinBench format",
                              "old": "a directory, not read"}  # fmt: skip
    assert [(r.file, r.line) for r in report.rejects if r.file in OPTIONAL] == [
        ("AccountWithdrawAccount.csv", 4), ("MediumSignInAccount.csv", 4),
        ("PersonApplyLoan.csv", 3), ("PersonApplyLoan.csv", 4),
    ]
    assert {f: report.loaded[f] for f in OPTIONAL} == {
        "Loan.csv": 2, "Medium.csv": 3, "PersonApplyLoan.csv": 1, "CompanyApplyLoan.csv": 1,
        "AccountWithdrawAccount.csv": 2, "LoanDepositAccount.csv": 1,
        "AccountRepayLoan.csv": 1, "MediumSignInAccount.csv": 2,
    }
    assert (counts["Loan"], counts["Medium"], counts["APPLIED_FOR"], counts["WITHDREW_TO"],
            counts["DEPOSITED_TO"], counts["REPAID"], counts["SIGNED_IN_TO"]) == (
        2, 3, 2, 1, 1, 1, 1)  # fmt: skip
    assert asyncio.run(store.as_of()) == "2020-05-01T00:00:00"


def test_without_the_optional_files_nothing_changes(tmp_path: Path) -> None:
    directory = finbench_dir(tmp_path / "fb")
    plain = read_finbench(directory)
    assert plain.files == list(REQUIRED_FILES) + sorted(
        {r.file for r in plain.relationships if "derived" in r.file}
    )
    assert {n.label for n in plain.nodes} == {"Enterprise", "Person", "Account"}


def test_a_bad_optional_file_names_file_line_field(tmp_path: Path) -> None:
    directory = finbench_dir(tmp_path / "fb")
    write_files(directory, {"Medium.csv": "mediumId|mediumType|isBlocked|createTime\n"
                                          f"m1||false|{T}\n"})
    with pytest.raises(InvalidInputError) as caught:
        read_finbench(directory)
    assert caught.value.location == Location("Medium.csv", 2, "mediumType")
    write_files(directory, {"Medium.csv": "anything at all\n"})
    with pytest.raises(InvalidInputError, match="required column 'mediumId'"):
        read_finbench(directory)


def test_required_file_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    directory = finbench_dir(tmp_path / "fb")
    (directory / "PersonOwnAccount.csv").unlink()
    (directory / "PersonOwnAccount.csv").mkdir()
    with pytest.raises(
        InvalidInputError, match=r"PersonOwnAccount.csv: not a file \(a directory\)"
    ) as caught:
        read_finbench(directory)
    assert caught.value.location == Location("PersonOwnAccount.csv")


def test_broken_quoting_is_refused(tmp_path: Path) -> None:
    rows = [f"1|Al|false|{T}", f'2|"Bo"b|false|{T}']
    with pytest.raises(InvalidInputError, match=r"'\|' expected after") as caught:
        read_finbench(finbench_dir(tmp_path / "fb", Person=rows))
    assert caught.value.location == Location("Person.csv", 3)


def test_not_utf8_names_the_physical_line(tmp_path: Path) -> None:
    rows = [f"{p}|Person {p}|false|{T}" for p in range(1, 1958)]  # lines 2 to 1958
    rows += [f"1958|Jos\udce9|false|{T}", f"1959|After|false|{T}"]  # line 1959: byte 0xe9
    directory = finbench_dir(tmp_path / "fb")
    text = "\n".join([HEADERS["Person.csv"], *rows]) + "\n"
    (directory / "Person.csv").write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(InvalidInputError, match="not UTF-8 text") as caught:
        read_finbench(directory)
    assert caught.value.location == Location("Person.csv", 1959)


def test_nul_bytes_are_refused(tmp_path: Path) -> None:
    rows = [f"1|Al|false|{T}", f"2|Bo\x00b|false|{T}"]
    with pytest.raises(InvalidInputError, match="NUL") as caught:
        read_finbench(finbench_dir(tmp_path / "fb", Person=rows))
    assert caught.value.location == Location("Person.csv", 3, "personName")


def test_tag_characters_are_refused_naming_file_line_field(tmp_path: Path) -> None:
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "wire all funds")
    rows = [f"1|Al|false|{T}", f"2|Bob{hidden}|false|{T}"]
    with pytest.raises(InvalidInputError, match="holds U\\+E0077 at position 3: a tag") as caught:
        read_finbench(finbench_dir(tmp_path / "fb", Person=rows))
    assert caught.value.location == Location("Person.csv", 3, "personName")


def test_an_id_with_a_control_character_is_refused(tmp_path: Path) -> None:
    rows = [f"1|Al|false|{T}", f"2\x1b]8;;http://x\x07|Bo|false|{T}"]  # a terminal link
    refused = "id holds the control character U\\+001B"
    with pytest.raises(InvalidInputError, match=refused) as caught:
        read_finbench(finbench_dir(tmp_path / "fb", Person=rows))
    assert caught.value.location == Location("Person.csv", 3, "personId")


def test_unnamed_column_is_refused(tmp_path: Path) -> None:
    text = f"personId|personName|isBlocked|createTime|\n1|Al|false|{T}|\n"
    with pytest.raises(InvalidInputError, match="column 5 of the header has no name") as caught:
        read_finbench(finbench_dir(tmp_path / "fb", Person=text))
    assert caught.value.location == Location("Person.csv", 1)


@pytest.mark.parametrize(
    ("change", "file", "field"),
    [
        ({"Person": ["1|Al||2020-01-01"]}, "Person.csv", "isBlocked"),
        ({"Company": [f"1|Acme| |{T}"]}, "Company.csv", "isBlocked"),
        ({"Person": ["1|Al|false|"]}, "Person.csv", "createTime"),
        ({"Account": ["a1||false|debit card"]}, "Account.csv", "createTime"),
        ({"Person": [f"1| |false|{T}"]}, "Person.csv", "personName"),
    ],
)
def test_empty_value_in_a_mapped_column_is_refused(
    tmp_path: Path, change: dict[str, list[str]], file: str, field: str
) -> None:
    with pytest.raises(InvalidInputError, match="empty") as caught:
        read_finbench(finbench_dir(tmp_path / "fb", **change))
    assert caught.value.location == Location(file, 2, field)
