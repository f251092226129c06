"""Canonical CSV: the service's own input format, one file per label and relationship type.

The format is specified in ``loaders/canonical-csv.md``. Files and their columns are declared
once here (:data:`NODE_FILES`, :data:`RELATIONSHIP_FILES`, :func:`header`); the synthetic
generator writes what this module reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from graph_service.errors import InvalidInputError, Location
from graph_service.ingest.tables import (
    Row,
    read_records,
    read_table,
    require_file,
    require_id,
    skipped_entries,
)
from graph_service.model import (
    NODE_SPECS,
    RELATIONSHIP_SPECS,
    SUSPECT_CHARS,
    ElementSpec,
    NodeKey,
    NodeLabel,
    PropertySpec,
    RelationshipType,
    check_endpoints,
    parse_label,
)
from graph_service.records import GraphBatch, NodeRow, RelationshipRow


@dataclass(frozen=True, slots=True)
class Endpoint:
    """How a relationship file names one endpoint.

    Parameters
    ----------
    id_column : str
        Column holding the node id.
    label : str or None
        The endpoint's fixed label, when the file allows only one.
    label_column : str or None
        Otherwise, the column holding the label (case-insensitive, see ``parse_label``).
    """

    id_column: str
    label: str | None = None
    label_column: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns naming this endpoint: label column (if any) then id column."""
        return (self.label_column, self.id_column) if self.label_column else (self.id_column,)

    def key(self, row: Row, location: Location) -> NodeKey:
        """Return the endpoint's ``(label, id)`` in ``row``.

        Raises
        ------
        InvalidInputError
            If the id is empty or the label is unknown (the location names the column).
        """
        if self.label_column is None:
            assert self.label is not None
            label = self.label
        else:
            column = self.label_column
            label = parse_label(row[column], Location(location.file, location.line, column))
        return label, require_id(row, self.id_column, location)


@dataclass(frozen=True, slots=True)
class RelationshipFile:
    """One canonical relationship file.

    Parameters
    ----------
    type : str
        The relationship type it holds.
    start, end : Endpoint
        How the start and end nodes are named.
    optional : bool
        For a relationship of a node file (:data:`NODE_LINKS`): a row whose end id is
        blank, or whose file lacks the end's column, has none.
    """

    type: str
    start: Endpoint
    end: Endpoint
    optional: bool = False

    @property
    def spec(self) -> ElementSpec:
        """The model's declaration of the relationship type."""
        return RELATIONSHIP_SPECS[self.type]

    @property
    def key_columns(self) -> tuple[str, ...]:
        """Endpoint columns in file order, each once (``guarantees.csv`` shares ``label``)."""
        return tuple(dict.fromkeys(self.start.columns + self.end.columns))


_P, _E, _A, _M = (NodeLabel.PERSON.value, NodeLabel.ENTERPRISE.value,
                  NodeLabel.ACCOUNT.value, NodeLabel.MANAGER.value)
_L, _MD = NodeLabel.LOAN.value, NodeLabel.MEDIUM.value
_R, _C = NodeLabel.REFERRAL.value, NodeLabel.CONTACT.value

NODE_FILES: dict[str, str] = {
    "enterprises.csv": _E,
    "persons.csv": _P,
    "accounts.csv": _A,
    "managers.csv": _M,
    "loans.csv": _L,
    "media.csv": _MD,
    "referrals.csv": _R,
    "contacts.csv": _C,
}
"""Node file name to the label it holds; each has an ``id`` column."""

_PARTY = Endpoint("party_id", label_column="party_label")
NODE_LINKS: dict[str, tuple[RelationshipFile, ...]] = {
    "referrals.csv": (
        RelationshipFile(RelationshipType.REFERS.value, Endpoint("id", _R), _PARTY),
        RelationshipFile(
            RelationshipType.REFERRED_TO.value, Endpoint("id", _R), Endpoint("to_manager_id", _M)
        ),
    ),
    "contacts.csv": (
        RelationshipFile(RelationshipType.CONTACTED.value, Endpoint("id", _C), _PARTY),
        RelationshipFile(
            RelationshipType.LOGGED_BY.value, Endpoint("id", _C), Endpoint("manager_id", _M),
            optional=True,
        ),
    ),
}
"""The relationships a node file's rows carry besides the node (history: a referral's party
and manager, a contact's party and manager), read after every relationship file. Their
rows count in the node file's report once, as the node's row (``source_rows`` 0): a
relationship whose end does not exist is listed in the rejects, the node is loaded."""

RELATIONSHIP_FILES: dict[str, RelationshipFile] = {
    "employed_by.csv": RelationshipFile(
        RelationshipType.EMPLOYED_BY.value, Endpoint("person_id", _P), Endpoint("enterprise_id", _E)
    ),
    "shareholder_of.csv": RelationshipFile(
        RelationshipType.SHAREHOLDER_OF.value,
        Endpoint("holder_id", label_column="holder_label"),
        Endpoint("enterprise_id", _E),
    ),
    "owns.csv": RelationshipFile(
        RelationshipType.OWNS.value,
        Endpoint("owner_id", label_column="owner_label"),
        Endpoint("account_id", _A),
    ),
    "manages.csv": RelationshipFile(
        RelationshipType.MANAGES.value,
        Endpoint("manager_id", _M),
        Endpoint("client_id", label_column="client_label"),
    ),
    "guarantees.csv": RelationshipFile(
        RelationshipType.GUARANTEES.value,
        Endpoint("from_id", label_column="label"),
        Endpoint("to_id", label_column="label"),
    ),
    "transferred_to.csv": RelationshipFile(
        RelationshipType.TRANSFERRED_TO.value, Endpoint("from_id", _A), Endpoint("to_id", _A)
    ),
    "applied_for.csv": RelationshipFile(
        RelationshipType.APPLIED_FOR.value,
        Endpoint("applicant_id", label_column="applicant_label"),
        Endpoint("loan_id", _L),
    ),
    "deposited_to.csv": RelationshipFile(
        RelationshipType.DEPOSITED_TO.value, Endpoint("loan_id", _L), Endpoint("account_id", _A)
    ),
    "repaid.csv": RelationshipFile(
        RelationshipType.REPAID.value, Endpoint("account_id", _A), Endpoint("loan_id", _L)
    ),
    "withdrew_to.csv": RelationshipFile(
        RelationshipType.WITHDREW_TO.value, Endpoint("from_id", _A), Endpoint("to_id", _A)
    ),
    "signed_in_to.csv": RelationshipFile(
        RelationshipType.SIGNED_IN_TO.value, Endpoint("medium_id", _MD), Endpoint("account_id", _A)
    ),
}
"""Relationship file name to its layout; files are read in this order, after the nodes."""


def _link_columns(file: str, *, required: bool = False) -> tuple[str, ...]:
    """The columns of a node file's :data:`NODE_LINKS` ends (only the required ones)."""
    return tuple(dict.fromkeys(
        column for link in NODE_LINKS.get(file, ()) if not (required and link.optional)
        for column in link.end.columns
    ))  # fmt: skip


def _layout(file: str) -> tuple[tuple[str, ...], ElementSpec]:
    if file in NODE_FILES:
        return ("id", *_link_columns(file)), NODE_SPECS[NODE_FILES[file]]
    layout = RELATIONSHIP_FILES[file]
    return layout.key_columns, layout.spec


def header(file: str) -> list[str]:
    """Return the canonical columns of ``file``, in the order the generator writes them.

    Parameters
    ----------
    file : str
        A name from :data:`NODE_FILES` or :data:`RELATIONSHIP_FILES`.

    Returns
    -------
    list of str
        Key columns (``id``, or the endpoint columns), then one column per declared property
        (``PropertySpec.column``).
    """
    keys, spec = _layout(file)
    return [*keys, *(p.column for p in spec.properties)]


def required_columns(file: str) -> list[str]:
    """Return the columns ``file`` must have: key columns and required properties' columns.

    A node file's optional link columns (``contacts.csv``'s ``manager_id``) are not required.
    """
    keys, spec = _layout(file)
    if file in NODE_FILES:
        keys = ("id", *_link_columns(file, required=True))
    return [*keys, *(p.column for p in spec.properties if p.required)]


def _properties(
    spec: ElementSpec, row: Row, keys: tuple[str, ...], location: Location
) -> dict[str, Any]:
    """Coerce the non-key columns of ``row``; undeclared columns stay text, under their name.

    A column named like a declared property (``createdAt``) is read as that property; if the
    property's own column (``created_at``) is there too, one would silently override the
    other, so that is an error on the header line, naming the second of the two columns.
    """
    names = _PROPERTY_NAMES[spec.name]
    raw = {names.get(column, column): value for column, value in row.items() if column not in keys}
    if len(raw) + len(keys) != len(row):
        first: dict[str, str] = {}
        for column in row:
            if column not in keys:
                other = first.setdefault(names.get(column, column), column)
                if other != column:
                    raise InvalidInputError(
                        f"columns {column!r} and {other!r} both give property"
                        f" {names.get(column, column)}; keep one",
                        Location(location.file, 1, column),
                    )
    return spec.coerce(raw, location)


_PROPERTY_NAMES = {
    spec.name: {p.column: p.name for p in spec.properties}
    for spec in (*NODE_SPECS.values(), *RELATIONSHIP_SPECS.values())
}
"""CSV column to property name, per label and relationship type."""


MEMO_LIMIT = 65_536
"""Distinct raw texts remembered per column by :class:`_FastRows` (dates, texts, flags)."""
_MEMO_KINDS = frozenset({"datetime", "bool", "int", "text"})
_ABSENT = object()


class _SlowPath(Exception):
    """A row the fast path does not convert; the reference path reads it (or refuses it)."""


def _plain_float(raw: str) -> float:
    """``_parse_float`` of plain ASCII decimal text, without its regular expression.

    For ASCII text without ``_``, ``float`` accepts what the model's decimal pattern
    accepts (with the same surrounding blanks), and also ``nan``, ``inf`` and
    ``infinity``: those are refused here by the finiteness test.

    Raises
    ------
    ValueError
        For anything else; the caller then reads the row with the reference path.
    """
    if not raw.isascii() or "_" in raw:
        raise ValueError(raw)
    value = float(raw)
    if value - value != 0.0:  # nan or infinite
        raise ValueError(raw)
    return value + 0.0  # -0.0 becomes 0.0, as _parse_float does


def _plain_text(raw: str) -> str:
    """``raw`` when no character in it needs a look (:data:`SUSPECT_CHARS`).

    Raises
    ------
    ValueError
        Otherwise; the caller then reads the row with the reference path, which names why.
    """
    if SUSPECT_CHARS.search(raw) is not None:
        raise ValueError(raw)
    return raw


def _converter(prop: PropertySpec) -> Callable[[str], Any]:
    """A cheaper equivalent of ``prop.parse`` for non-blank text (kinds not remembered)."""
    if prop.kind == "float" and prop.minimum is None and prop.maximum is None:
        return _plain_float
    return prop.parse


class _FastRows:
    """Convert raw fields of one file to ids and properties without a dict per row.

    Gives the same results as ``require_id``, ``Endpoint.key`` and :func:`_properties` for
    every row it accepts; it raises :class:`_SlowPath`, ``KeyError`` or ``ValueError`` for
    any row it does not handle (an empty id or required property, a label text or label
    pair not seen yet, a value that does not parse), which the caller then reads with the
    reference functions, so errors keep their wording and location.

    Parameters
    ----------
    spec : ElementSpec
        The label's or relationship type's declared properties.
    header : list of str
        The file's columns.
    keys : tuple of str
        The key columns (ids, labels), which are not properties.

    Notes
    -----
    Parsed values of dates, booleans, integers and texts are remembered per column (up to
    :data:`MEMO_LIMIT` distinct texts), as parsing is a pure function of the text: a
    repeated text (a type, a status, a role, a name) is looked up rather than checked
    again, and its rows share one object; floats are parsed by :func:`_plain_float`. A row
    costs about a third of the reference path.
    """

    def __init__(self, spec: ElementSpec, header: list[str], keys: tuple[str, ...]) -> None:
        names = _PROPERTY_NAMES[spec.name]
        columns = [(i, names.get(c, c)) for i, c in enumerate(header) if c not in keys]
        at = {name: i for i, name in columns}
        # Two columns for one property: the reference path refuses the first row.
        self.usable = len(at) == len(columns)
        self.declared: list[
            tuple[str, int | None, dict[str, Any] | None, Callable[[str], Any], PropertySpec]
        ] = [
            (p.name, at.get(p.name), {} if p.kind in _MEMO_KINDS or p.choices else None,
             _converter(p), p)
            for p in spec.properties
        ]  # fmt: skip
        self.extras = [(name, i) for i, name in columns if name not in spec.by_name]
        self.column = {c: i for i, c in enumerate(header)}
        self.labels: dict[str, str] = {}

    def props(self, values: list[str]) -> dict[str, Any]:
        """The stored properties of a row (``ElementSpec.coerce`` of its non-key fields)."""
        props: dict[str, Any] = {}
        for name, i, memo, convert, prop in self.declared:
            if i is not None:
                raw = values[i]
                if memo is not None:
                    parsed = memo.get(raw, _ABSENT)
                    if parsed is _ABSENT:
                        parsed = None if not raw.strip() else prop.parse(raw)
                        if len(memo) < MEMO_LIMIT:
                            memo[raw] = parsed
                    if parsed is not None:
                        props[name] = parsed
                        continue
                elif raw and not raw.isspace():  # raw.strip() is not empty
                    props[name] = convert(raw)
                    continue
            if prop.required:
                raise _SlowPath
        for name, i in self.extras:
            if values[i] != "":
                props[name] = _plain_text(values[i])
        return props

    def node_id(self, values: list[str], column: str) -> str:
        """``require_id`` without its error: the stripped id in ``column``."""
        node_id = values[self.column[column]].strip()
        if not node_id or not (node_id.isascii() and node_id.isprintable()):
            raise _SlowPath  # require_id reads it, or refuses it
        return node_id

    def key(self, values: list[str], endpoint: Endpoint) -> NodeKey:
        """``Endpoint.key`` for label texts already seen (:meth:`learn`)."""
        if endpoint.label_column is None:
            assert endpoint.label is not None
            return endpoint.label, self.node_id(values, endpoint.id_column)
        label = self.labels[values[self.column[endpoint.label_column]]]
        return label, self.node_id(values, endpoint.id_column)

    def learn(self, values: list[str], endpoint: Endpoint, key: NodeKey) -> None:
        """Remember the label the reference path read for this row's label text."""
        if endpoint.label_column is not None:
            self.labels[values[self.column[endpoint.label_column]]] = key[0]


_new_row = tuple.__new__
"""Build a row (a named tuple) from all its fields in C: ``NodeRow(...)`` runs the named
tuple's Python ``__new__``, a measurable share of a load (see
benchmarks/README.md#tuning-constants)."""


def _read_nodes(path: Path) -> Iterator[NodeRow]:
    file = path.name
    label = NODE_FILES[file]
    spec = NODE_SPECS[label]
    keys = _layout(file)[0]
    records = read_records(path, required_columns(file))
    for _, header in records:
        fast = _FastRows(spec, header, keys)
        for line, values in records:
            try:
                if not fast.usable:
                    raise _SlowPath
                node_id = fast.node_id(values, "id")
                props = fast.props(values)
            except (_SlowPath, KeyError, ValueError):
                row = dict(zip(header, values, strict=True))
                location = Location(file, line)
                node_id = require_id(row, "id", location)
                props = _properties(spec, row, keys, location)
            yield _new_row(NodeRow, (label, node_id, props, file, line))


def _read_links(path: Path) -> Iterator[RelationshipRow]:
    """The :data:`NODE_LINKS` relationships of a node file's rows (reference path only)."""
    file = path.name
    links = NODE_LINKS[file]
    for line, row in read_table(path, required_columns(file)):
        location = Location(file, line)
        for link in links:
            if link.optional and not row.get(link.end.id_column, "").strip():
                continue
            start = link.start.key(row, location)
            end = link.end.key(row, location)
            check_endpoints(link.type, start[0], end[0], location)
            yield _new_row(RelationshipRow, (link.type, start, end, {}, file, line, 0))


def _read_relationships(path: Path) -> Iterator[RelationshipRow]:
    file = path.name
    layout = RELATIONSHIP_FILES[file]
    keys = layout.key_columns
    records = read_records(path, required_columns(file))
    allowed: set[tuple[str, str]] = set()
    for _, header in records:
        fast = _FastRows(layout.spec, header, keys)
        for line, values in records:
            try:
                if not fast.usable:
                    raise _SlowPath
                start = fast.key(values, layout.start)
                end = fast.key(values, layout.end)
                if (start[0], end[0]) not in allowed:
                    raise _SlowPath
                props = fast.props(values)
            except (_SlowPath, KeyError, ValueError):
                row = dict(zip(header, values, strict=True))
                location = Location(file, line)
                start = layout.start.key(row, location)
                end = layout.end.key(row, location)
                check_endpoints(layout.type, start[0], end[0], location)
                fast.learn(values, layout.start, start)
                fast.learn(values, layout.end, end)
                allowed.add((start[0], end[0]))
                props = _properties(layout.spec, row, keys, location)
            yield _new_row(RelationshipRow, (layout.type, start, end, props, file, line, 1))


def stream_canonical(directory: Path) -> GraphBatch:
    """Check a directory of canonical CSV files; answer a batch that reads them lazily.

    Parameters
    ----------
    directory : Path
        Holds any of the files of :data:`NODE_FILES` and :data:`RELATIONSHIP_FILES`
        (format: ``loaders/canonical-csv.md``); other ``*.csv`` names are refused.

    Returns
    -------
    GraphBatch
        ``files`` lists the files present, ``skipped`` the directory's other entries
        (``README.md``, ...) with the reason. ``nodes`` and ``relationships`` are one-pass
        iterators that read the files when iterated: node rows (in :data:`NODE_FILES`
        order) and relationship rows (in :data:`RELATIONSHIP_FILES` order), each with its
        file name and physical line. A relationship whose endpoint exists nowhere is not
        checked here: the store rejects it with file, line and reason.

    Raises
    ------
    InvalidInputError
        Here: if the directory is missing or holds none of the files, or an entry whose
        name ends in ``.csv`` (in any case) is not one of the files or is not a regular
        file (a directory, a broken link, a FIFO). While the rows are iterated: the errors
        of the rows listed by :func:`read_canonical`.

    Notes
    -----
    O(1) memory: one row of one file at a time (a store's write streams them into its
    transaction, :class:`~graph_service.records.GraphBatch`).
    """
    if not directory.is_dir():
        raise InvalidInputError(f"not a directory: {directory}", Location(str(directory)))
    known = [*NODE_FILES, *RELATIONSHIP_FILES]
    entries = sorted(p for p in directory.iterdir() if p.name.lower().endswith(".csv"))
    unknown = [p.name for p in entries if p.name not in known]
    if unknown:
        raise InvalidInputError(
            f"unknown canonical file; expected any of {', '.join(known)} (names are"
            " case-sensitive)",
            Location(unknown[0]),
        )
    for entry in entries:
        require_file(entry)
    present = [name for name in known if (directory / name).is_file()]
    if not present:
        raise InvalidInputError(
            f"no canonical CSV file found; expected any of {', '.join(known)}",
            Location(str(directory)),
        )
    return GraphBatch(
        nodes=chain.from_iterable(
            _read_nodes(directory / name) for name in present if name in NODE_FILES
        ),
        relationships=chain(
            chain.from_iterable(_read_relationships(directory / name)
                                for name in present if name not in NODE_FILES),
            chain.from_iterable(_read_links(directory / name)
                                for name in present if name in NODE_LINKS),
        ),
        files=present,
        skipped=skipped_entries(directory, present, "not a file of the canonical CSV format"),
    )


def read_canonical(directory: Path) -> GraphBatch:
    """Read a directory of canonical CSV files into one batch.

    Parameters
    ----------
    directory : Path
        As for :func:`stream_canonical`.

    Returns
    -------
    GraphBatch
        :func:`stream_canonical`'s batch with every row read into lists.

    Raises
    ------
    InvalidInputError
        As :func:`stream_canonical`; and if a file cannot be read or lacks a required
        column or has both a property's column and its name (``created_at``,
        ``createdAt``); if a row has the wrong number of fields, an empty id, an unknown
        label, a label pair the model does not allow, or a value of the wrong type or
        choice; syntax and encoding errors as for
        :func:`~graph_service.ingest.tables.read_table`. The location names file, line
        (header = 1) and column. Nothing is returned then, so nothing is half-applied.

    Notes
    -----
    O(rows) time; the batch holds every row. Values are converted by
    ``ElementSpec.coerce`` (CSV column to property through ``PropertySpec.column``).
    """
    return stream_canonical(directory).materialized()
