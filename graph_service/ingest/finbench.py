"""LDBC FinBench snapshots mapped onto the linkage graph (``loaders/ldbc-finbench.md``).

The mapping follows issue #2, section 4b, extended by issue 14: companies, persons,
accounts, loans and media become nodes; ownership, investment, guarantee and loan
application files become relationships one row each; transfers, withdrawals, loan deposits,
loan repayments and sign-ins become one relationship per ordered pair; ``EMPLOYED_BY`` is
derived from payroll transfers and large shareholdings, and each account's
``lastActivityAt`` from the times of its money movements and sign-ins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph_service.errors import InvalidInputError, Location
from graph_service.ingest.tables import (
    Row,
    read_table,
    require_file,
    require_id,
    skipped_entries,
)
from graph_service.model import (
    NODE_SPECS,
    RELATIONSHIP_SPECS,
    ElementSpec,
    NodeKey,
    NodeLabel,
    PropertySpec,
    RelationshipType,
)
from graph_service.records import GraphBatch, NodeRow, RelationshipRow

DELIMITER = "|"
EXECUTIVE_MIN_RATIO = 0.05
"""A person holding at least this SHAREHOLDER_OF ratio in a company is its executive."""

_P, _E, _A = NodeLabel.PERSON.value, NodeLabel.ENTERPRISE.value, NodeLabel.ACCOUNT.value
_OWNS = RelationshipType.OWNS.value
_SHAREHOLDER_OF = RelationshipType.SHAREHOLDER_OF.value
_TRANSFERRED_TO = RelationshipType.TRANSFERRED_TO.value
_EMPLOYED_BY = RelationshipType.EMPLOYED_BY.value
_APPLIED_FOR = RelationshipType.APPLIED_FOR.value
_L, _M = NodeLabel.LOAN.value, NodeLabel.MEDIUM.value
_IS_BLOCKED = PropertySpec("blocked", "isBlocked", "bool")
_AMOUNT = PropertySpec("amount", "amount", "float")
_CREATE_TIME = PropertySpec("lastAt", "createTime", "datetime")
TRANSFER_FILE = "AccountTransferAccount.csv"


@dataclass(frozen=True, slots=True)
class _Source:
    """One FinBench file: its key columns and the property each source column feeds."""

    file: str
    element: str
    keys: tuple[tuple[str, str], ...]  # (label, id column) per key: one for a node, two else
    columns: Mapping[str, str]  # property name -> FinBench column

    @property
    def spec(self) -> ElementSpec:
        return NODE_SPECS.get(self.element) or RELATIONSHIP_SPECS[self.element]

    @property
    def required(self) -> list[str]:
        return [column for _, column in self.keys] + list(self.columns.values())

    def coerce(self, raw: Mapping[str, Any], location: Location) -> dict[str, Any]:
        """``ElementSpec.coerce``, with the error's field renamed to the FinBench column."""
        try:
            return self.spec.coerce(raw, location)
        except InvalidInputError as exc:
            names = {p.column: p.name for p in self.spec.properties}
            field = exc.location.field if exc.location else None
            column = self.columns.get(names.get(field or "", ""), field)
            raise InvalidInputError(
                exc.message, Location(location.file, location.line, column)
            ) from None


_TIME = "createTime"
NODE_SOURCES = (
    _Source("Company.csv", _E, ((_E, "companyId"),),
            {"name": "companyName", "blocked": "isBlocked", "createdAt": _TIME}),
    _Source("Person.csv", _P, ((_P, "personId"),),
            {"name": "personName", "blocked": "isBlocked", "createdAt": _TIME}),
    _Source("Account.csv", _A, ((_A, "accountId"),),
            {"type": "accoutType", "status": "isBlocked", "openedAt": _TIME}),
)
"""FinBench node files, read in this order."""

OPTIONAL_NODE_SOURCES = (
    _Source("Loan.csv", _L, ((_L, "loanId"),),
            {"loanAmount": "loanAmount", "balance": "balance", "createdAt": _TIME}),
    _Source("Medium.csv", _M, ((_M, "mediumId"),),
            {"type": "mediumType", "blocked": "isBlocked", "createdAt": _TIME}),
)
"""Node files read when present (snapshots of older tools lack them), after the others."""

RELATIONSHIP_SOURCES = (
    _Source("PersonOwnAccount.csv", _OWNS, ((_P, "personId"), (_A, "accountId")), {}),
    _Source("CompanyOwnAccount.csv", _OWNS, ((_E, "companyId"), (_A, "accountId")), {}),
    _Source("PersonInvestCompany.csv", _SHAREHOLDER_OF,
            ((_P, "investorId"), (_E, "companyId")), {"ratio": "ratio"}),
    _Source("CompanyInvestCompany.csv", _SHAREHOLDER_OF,
            ((_E, "investorId"), (_E, "companyId")), {"ratio": "ratio"}),
    _Source("PersonGuaranteePerson.csv", RelationshipType.GUARANTEES.value,
            ((_P, "fromId"), (_P, "toId")), {}),
    _Source("CompanyGuaranteeCompany.csv", RelationshipType.GUARANTEES.value,
            ((_E, "fromId"), (_E, "toId")), {}),
)
"""FinBench relationship files mapped one row to one relationship, read in this order."""

OPTIONAL_RELATIONSHIP_SOURCES = (
    _Source("PersonApplyLoan.csv", _APPLIED_FOR, ((_P, "personId"), (_L, "loanId")), {}),
    _Source("CompanyApplyLoan.csv", _APPLIED_FOR, ((_E, "companyId"), (_L, "loanId")), {}),
)
"""Loan applications, one ``APPLIED_FOR`` per row, read when present."""

TRANSFER_SOURCE = _Source(TRANSFER_FILE, _TRANSFERRED_TO, ((_A, "fromId"), (_A, "toId")),
                          {"totalAmount": "amount", "lastAt": _TIME})
"""Transfers, aggregated to one ``TRANSFERRED_TO`` per ordered pair of accounts."""

OPTIONAL_AGGREGATE_SOURCES = (
    _Source("AccountWithdrawAccount.csv", RelationshipType.WITHDREW_TO.value,
            ((_A, "fromId"), (_A, "toId")), {"totalAmount": "amount", "lastAt": _TIME}),
    _Source("LoanDepositAccount.csv", RelationshipType.DEPOSITED_TO.value,
            ((_L, "loanId"), (_A, "accountId")), {"totalAmount": "amount", "lastAt": _TIME}),
    _Source("AccountRepayLoan.csv", RelationshipType.REPAID.value,
            ((_A, "accountId"), (_L, "loanId")), {"totalAmount": "amount", "lastAt": _TIME}),
    _Source("MediumSignInAccount.csv", RelationshipType.SIGNED_IN_TO.value,
            ((_M, "mediumId"), (_A, "accountId")), {"lastAt": _TIME}),
)
"""Money movements around accounts and sign-ins, one relationship per ordered pair with
``count``, ``totalAmount`` (not for sign-ins) and ``lastAt``, read when present."""

REQUIRED_FILES = tuple(s.file for s in (*NODE_SOURCES, *RELATIONSHIP_SOURCES, TRANSFER_SOURCE))
"""The files :func:`read_finbench` requires: a snapshot without one is refused."""
OPTIONAL_FILES = tuple(
    s.file for s in (*OPTIONAL_NODE_SOURCES, *OPTIONAL_RELATIONSHIP_SOURCES,
                     *OPTIONAL_AGGREGATE_SOURCES)
)
"""The files :func:`read_finbench` reads when present. Any other entry of the directory is
listed in the load report as skipped, with the reason."""


def _rows(
    directory: Path, source: _Source
) -> Iterator[tuple[int, Row, Location, list[NodeKey]]]:
    """Yield ``(line, row, location, keys)`` for each row of ``source``'s file.

    Every mapped column must hold a value: FinBench always writes one, and an empty
    ``isBlocked`` or ``createTime`` would otherwise become a default or an unset property.
    """
    for line, row in read_table(directory / source.file, source.required, DELIMITER):
        location = Location(source.file, line)
        keys = [(label, require_id(row, column, location)) for label, column in source.keys]
        for column in source.columns.values():
            if not row[column].strip():
                raise InvalidInputError(
                    f"empty value in FinBench column {column}", Location(source.file, line, column)
                )
        yield line, row, location, keys


def _read_nodes(directory: Path, source: _Source, nodes: list[NodeRow]) -> None:
    for line, row, location, ((label, node_id),) in _rows(directory, source):
        raw = {name: row[column] for name, column in source.columns.items()}
        if label == _A:
            blocked = _coerce_value(_IS_BLOCKED, row, location)
            raw["status"] = "blocked" if blocked else "active"
        nodes.append(NodeRow(label, node_id, source.coerce(raw, location), source.file, line))


def _coerce_value(spec: PropertySpec, row: Row, location: Location) -> Any:
    try:
        return spec.parse(row[spec.column])
    except ValueError as exc:
        raise InvalidInputError(
            str(exc), Location(location.file, location.line, spec.column)
        ) from None


def _read_relationships(
    directory: Path, source: _Source, relationships: list[RelationshipRow]
) -> None:
    for line, row, location, (start, end) in _rows(directory, source):
        raw = {name: row[column] for name, column in source.columns.items()}
        props = source.coerce(raw, location)
        relationships.append(
            RelationshipRow(source.element, start, end, props, source.file, line)
        )


def _read_aggregated(
    directory: Path, source: _Source, known: set[NodeKey], activity: dict[str, str]
) -> list[RelationshipRow]:
    """One relationship per ordered pair (line of its first row), in that line order.

    Each row's ``source_rows`` is the pair's number of rows (its ``count``), so the load
    report counts the file's rows, not pairs. ``totalAmount`` sums ``amount``; ``lastAt``
    is the latest ``createTime`` of the pair, kept where the relationship type declares
    it (not ``TRANSFERRED_TO``). A pair whose both ends are in ``known`` updates the
    ``activity`` of its accounts (account id to the latest time as ISO text). Times are
    compared as that text, which is chronological for FinBench's times (one format, no
    offset).
    """
    pairs: dict[tuple[NodeKey, NodeKey], list[Any]] = {}  # -> [first line, count, total, last]
    has_amount = "totalAmount" in source.columns
    for line, row, location, (start, end) in _rows(directory, source):
        amount = _coerce_value(_AMOUNT, row, location) if has_amount else 0.0
        time = _coerce_value(_CREATE_TIME, row, location)
        pair = pairs.setdefault((start, end), [line, 0, 0.0, time])
        pair[1] += 1
        pair[2] += amount
        pair[3] = max(pair[3], time)
    declared = source.spec.by_name
    rows = []
    for (start, end), (line, count, total, last) in pairs.items():
        if start in known and end in known:
            for label, node_id in (start, end):
                if label == _A and activity.get(node_id, "") < last:
                    activity[node_id] = last
        values = {"count": count, "totalAmount": total, "lastAt": last}
        location = Location(source.file, line)
        props = source.coerce({k: v for k, v in values.items() if k in declared}, location)
        rows.append(RelationshipRow(source.element, start, end, props, source.file, line, count))
    return rows


def _with_activity(nodes: list[NodeRow], activity: Mapping[str, str]) -> list[NodeRow]:
    """``nodes`` with each account's ``lastActivityAt``: its latest activity, else ``openedAt``."""
    rows = []
    for row in nodes:
        if row.label == _A:
            last = activity.get(row.id) or row.props["openedAt"]
            row = row._replace(props={**row.props, "lastActivityAt": last})
        rows.append(row)
    return rows


def derived_file(evidence_file: str) -> str:
    """Name under which the load report counts EMPLOYED_BY rows derived from a file.

    The line number of such a row is the line of its evidence in ``evidence_file``, so the
    name keeps the file: ``"AccountTransferAccount.csv (derived EMPLOYED_BY)"``.
    """
    return f"{evidence_file} (derived EMPLOYED_BY)"


def derive_employment(
    known: set[NodeKey],
    relationships: list[RelationshipRow],
    transfers: list[RelationshipRow],
) -> list[RelationshipRow]:
    """Derive one ``EMPLOYED_BY`` per (person, company) from payroll and shareholding evidence.

    Parameters
    ----------
    known : set of NodeKey
        Nodes of the snapshot; evidence touching any other node is ignored.
    relationships : list of RelationshipRow
        The mapped OWNS and SHAREHOLDER_OF rows (others are ignored), in file order; for a
        repeated (person, company) shareholding the last row wins.
    transfers : list of RelationshipRow
        The aggregated TRANSFERRED_TO rows, each carrying the line of the pair's first
        transfer, in order of those lines.

    Returns
    -------
    list of RelationshipRow
        ``role="executive", source="shareholding"`` when the person's ratio in the company is
        at least :data:`EXECUTIVE_MIN_RATIO` (provenance: that ``PersonInvestCompany.csv``
        row); otherwise ``role="employee", source="payroll"`` when at least one transfer goes
        from an account the company owns to an account the person owns (provenance: the
        earliest such line of ``AccountTransferAccount.csv``). Ordered by provenance.

    Notes
    -----
    Rule from issue #2, section 4b; executive wins when both hold. O(R + T * o^2) for R
    ownership and shareholding rows, T transfer pairs and o owners per account (1 in
    FinBench).
    """
    owners: dict[str, dict[str, list[str]]] = {_P: defaultdict(list), _E: defaultdict(list)}
    derived: dict[tuple[NodeKey, NodeKey], RelationshipRow] = {}
    for rel in relationships:
        if rel.start not in known or rel.end not in known:
            continue
        if rel.type == _OWNS:
            owners[rel.start[0]][rel.end[1]].append(rel.start[1])
        elif rel.type == _SHAREHOLDER_OF and rel.start[0] == _P:
            derived.pop((rel.start, rel.end), None)  # the last row for a pair wins
            if rel.props["ratio"] >= EXECUTIVE_MIN_RATIO:
                props = {"role": "executive", "source": "shareholding"}
                derived[(rel.start, rel.end)] = RelationshipRow(
                    _EMPLOYED_BY, rel.start, rel.end, props, derived_file(rel.file), rel.line
                )
    persons, companies = owners[_P], owners[_E]
    for transfer in transfers:  # in order of first transfer: the first evidence is kept
        for company in companies.get(transfer.start[1], ()):
            for person in persons.get(transfer.end[1], ()):
                pair = ((_P, person), (_E, company))
                if pair not in derived:
                    props = {"role": "employee", "source": "payroll"}
                    derived[pair] = RelationshipRow(
                        _EMPLOYED_BY, *pair, props, derived_file(TRANSFER_FILE), transfer.line
                    )
    return sorted(derived.values(), key=lambda r: (r.file, r.line, r.start, r.end))


def read_finbench(directory: Path) -> GraphBatch:
    """Read an LDBC FinBench snapshot directory into one batch.

    Parameters
    ----------
    directory : Path
        Holds the pipe-separated files of :data:`REQUIRED_FILES`, and those of
        :data:`OPTIONAL_FILES` that it has, with their header rows (format and mapping:
        ``loaders/ldbc-finbench.md``).

    Returns
    -------
    GraphBatch
        Enterprise, Person, Account, Loan and Medium nodes, each account with its
        ``lastActivityAt`` (the latest ``createTime`` of its transfers and withdrawals in or
        out, repayments from it, loan deposits to it and sign-ins to it, among the rows whose
        both ends are in the snapshot; else its ``openedAt``); OWNS, SHAREHOLDER_OF,
        GUARANTEES, APPLIED_FOR rows one per source row; TRANSFERRED_TO, WITHDREW_TO,
        DEPOSITED_TO, REPAID and SIGNED_IN_TO one per ordered pair with ``count``
        (``source_rows``), ``totalAmount`` (sum of ``amount``) and, but for
        TRANSFERRED_TO, ``lastAt``; derived EMPLOYED_BY (:func:`derive_employment`).
        Every row carries the file and physical line it comes from. Rows naming a node
        absent from the snapshot are kept, so that the store rejects them with file, line
        and reason. ``files`` lists the files read, ``skipped`` every other entry of the
        directory with the reason.

    Raises
    ------
    InvalidInputError
        If the directory or a required file is missing, a file to read is not a regular
        file (a directory, a broken link, a FIFO) or cannot be read, a required column is
        missing (file and column named), or a row is malformed: wrong number of fields,
        empty id, an empty value in a mapped column, a value of the wrong type or range
        (file, line and FinBench column named). Syntax and encoding errors as for
        :func:`~graph_service.ingest.tables.read_table`.

    Notes
    -----
    O(rows) time and memory. Repeated rows for the same pair (OWNS, SHAREHOLDER_OF,
    GUARANTEES, APPLIED_FOR) are all passed on; the store merges them, the last row winning.
    """
    if not directory.is_dir():
        raise InvalidInputError(f"not a directory: {directory}", Location(str(directory)))
    for file in REQUIRED_FILES:
        path = directory / file
        if not path.exists() and not path.is_symlink():
            raise InvalidInputError(
                f"required FinBench file is missing from {directory}", Location(file)
            )
        require_file(path)
    present = [
        file for file in OPTIONAL_FILES
        if (directory / file).exists() or (directory / file).is_symlink()
    ]
    for file in present:
        require_file(directory / file)
    nodes: list[NodeRow] = []
    for source in (*NODE_SOURCES, *OPTIONAL_NODE_SOURCES):
        if source.file in REQUIRED_FILES or source.file in present:
            _read_nodes(directory, source, nodes)
    mapped: list[RelationshipRow] = []
    for source in (*RELATIONSHIP_SOURCES, *OPTIONAL_RELATIONSHIP_SOURCES):
        if source.file in REQUIRED_FILES or source.file in present:
            _read_relationships(directory, source, mapped)
    known = {row.key for row in nodes}
    activity: dict[str, str] = {}
    transfers = _read_aggregated(directory, TRANSFER_SOURCE, known, activity)
    movements = [
        row
        for source in OPTIONAL_AGGREGATE_SOURCES if source.file in present
        for row in _read_aggregated(directory, source, known, activity)
    ]
    employment = derive_employment(known, mapped, transfers)
    derived_files = dict.fromkeys(row.file for row in employment)
    read = [file for file in (*REQUIRED_FILES, *OPTIONAL_FILES)
            if file in REQUIRED_FILES or file in present]  # fmt: skip
    return GraphBatch(
        _with_activity(nodes, activity),
        [*mapped, *transfers, *movements, *employment],
        files=[*read, *derived_files],
        skipped=skipped_entries(directory, read, "not a file of the LDBC FinBench format"),
    )
