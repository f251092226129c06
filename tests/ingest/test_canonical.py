"""Canonical CSV: round trip of the small bank, BOM, extra columns, every bad input."""

from __future__ import annotations

import asyncio
import csv
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph_service.errors import InvalidInputError, Location
from graph_service.ingest import FORMATS, read_input
from graph_service.ingest.canonical import NODE_FILES, RELATIONSHIP_FILES, header, read_canonical
from graph_service.model import NODE_SPECS
from graph_service.records import GraphBatch
from graph_service.stores.embedded import EmbeddedStore
from tests.conftest import FINBENCH_SAMPLE, small_bank_batch
from tests.ingest.conftest import load, write_files

FILE_OF_LABEL = {label: file for file, label in NODE_FILES.items()}
FILE_OF_TYPE = {layout.type: file for file, layout in RELATIONSHIP_FILES.items()}


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def write_canonical(batch: GraphBatch, directory: Path) -> None:
    """Write ``batch`` as canonical CSV, straight from the column layout."""
    rows: dict[str, list[list[str]]] = {}
    for node in batch.nodes:
        file = FILE_OF_LABEL[node.label]
        row = {"id": node.id} | {p.column: node.props.get(p.name)
                                 for p in NODE_SPECS[node.label].properties}  # fmt: skip
        rows.setdefault(file, []).append([text(row[c]) for c in header(file)])
    for rel in batch.relationships:
        file = FILE_OF_TYPE[rel.type]
        layout = RELATIONSHIP_FILES[file]
        values = {p.column: rel.props.get(p.name) for p in layout.spec.properties}
        for end, key in ((layout.start, rel.start), (layout.end, rel.end)):
            values[end.id_column] = key[1]
            if end.label_column:
                values[end.label_column] = key[0]
        rows.setdefault(file, []).append([text(values.get(c)) for c in header(file)])
    directory.mkdir()
    for file, lines in rows.items():
        with (directory / file).open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([header(file), *lines])


def test_round_trip_of_the_small_bank(tmp_path: Path, store: EmbeddedStore) -> None:
    original = small_bank_batch()
    write_canonical(original, tmp_path / "bank")
    batch = read_input("canonical", tmp_path / "bank")
    assert [(n.label, n.id, n.props) for n in batch.nodes] == sorted(
        ((n.label, n.id, n.props) for n in original.nodes),
        key=lambda n: list(NODE_FILES.values()).index(n[0]),
    )
    assert sorted((r.type, r.start, r.end, sorted(r.props.items()))
                  for r in batch.relationships) == sorted(
        (r.type, r.start, r.end, sorted(r.props.items())) for r in original.relationships)
    assert batch.files == [f for f in (*NODE_FILES, *RELATIONSHIP_FILES)
                           if (tmp_path / "bank" / f).exists()]  # fmt: skip
    assert len(batch.files) == 10
    persons = [n for n in batch.nodes if n.label == "Person"]
    assert (persons[0].file, persons[0].line, persons[-1].line) == ("persons.csv", 2, 9)
    report, counts = load(store, batch)
    assert report.total_rejected == 0
    assert counts == {"Enterprise": 3, "Person": 8, "Account": 6, "Manager": 2,
                      "EMPLOYED_BY": 8, "SHAREHOLDER_OF": 2, "OWNS": 6, "MANAGES": 2,
                      "GUARANTEES": 1, "TRANSFERRED_TO": 1, "Loan": 0, "Medium": 0,
                      "APPLIED_FOR": 0, "DEPOSITED_TO": 0, "REPAID": 0, "WITHDREW_TO": 0,
                      "SIGNED_IN_TO": 0, "Referral": 0, "Contact": 0, "REFERS": 0,
                      "REFERRED_TO": 0, "CONTACTED": 0, "LOGGED_BY": 0}


def test_the_finbench_sample_round_trips(tmp_path: Path) -> None:
    # Every FinBench fact (loans, media, sign-ins, withdrawals, lastActivityAt) has its
    # canonical file or column: a bank's own export can carry the same graph.
    finbench = read_input("ldbc-finbench", FINBENCH_SAMPLE)
    write_canonical(finbench, tmp_path / "bank")
    canonical = read_input("canonical", tmp_path / "bank")

    def graph(batch: GraphBatch) -> tuple[dict[Any, Any], dict[Any, Any]]:
        nodes = {(n.label, n.id): n.props for n in batch.nodes}
        rels = {(r.type, r.start, r.end): r.props for r in batch.relationships}
        return nodes, rels

    assert graph(canonical) == graph(finbench)
    assert {"loans.csv", "media.csv", "applied_for.csv", "signed_in_to.csv", "withdrew_to.csv",
            "deposited_to.csv", "repaid.csv"} <= set(canonical.files)  # fmt: skip


def test_bom_extra_columns_and_optional_files(tmp_path: Path) -> None:
    directory = write_files(tmp_path / "in", {
        "persons.csv": "\ufeffid,name,nickname,segment\nP1,Alice,Al,private\nP2,Bob,,\n",
        "owns.csv": "owner_label,owner_id,account_id,since\nperson,P1,A1,2020\n",
        "README.md": "not a CSV file: ignored\n",
    })
    batch = read_canonical(directory)
    assert [(n.id, n.props) for n in batch.nodes] == [
        ("P1", {"name": "Alice", "segment": "private", "nickname": "Al"}),
        ("P2", {"name": "Bob"}),
    ]
    (owns,) = batch.relationships
    assert (owns.start, owns.end, owns.props) == (("Person", "P1"), ("Account", "A1"),
                                                  {"since": "2020"})
    assert batch.files == ["persons.csv", "owns.csv"]


@pytest.mark.parametrize("again", ["id,name\nP1,Eve\n", "id,name,blocked,segment\nP1,Eve,,\n",
                                   "id,name,blocked\nP1,Eve, \n"])
def test_an_absent_or_empty_field_leaves_the_stored_value(
    tmp_path: Path, store: EmbeddedStore, again: str
) -> None:
    # A default (blocked: false) is answered when read, never written by a load.
    first = write_files(tmp_path / "one", {
        "persons.csv": "id,name,blocked,segment\nP1,Dee,true,private\nP2,Ann,,\n"})
    load(store, read_canonical(first))
    load(store, read_canonical(write_files(tmp_path / "two", {"persons.csv": again})))
    p1, p2 = asyncio.run(store.get_nodes("Person", ["P1", "P2"]))
    assert p1 is not None and dict(p1.props) == {"name": "Eve", "blocked": True,
                                                 "segment": "private"}
    assert p2 is not None and dict(p2.props) == {"name": "Ann"}


def test_dangling_relationship_is_rejected_by_the_store(
    tmp_path: Path, store: EmbeddedStore
) -> None:
    directory = write_files(tmp_path / "in", {
        "persons.csv": "id,name\nP1,Alice\n",
        "enterprises.csv": "id,name\nE1,Acme\n",
        "employed_by.csv": "person_id,enterprise_id,role,title\nP1,E1,employee,\nP9,E1,employee,\n",
    })
    report, counts = load(store, read_canonical(directory))
    assert [(r.file, r.line, r.reason) for r in report.rejects] == [
        ("employed_by.csv", 3, "start node Person 'P9' does not exist")
    ]
    assert counts["EMPLOYED_BY"] == 1


BAD_INPUTS = [
    # (files, file, line, field)
    ({"people.csv": "id,name\n"}, "people.csv", None, None),
    ({"persons.csv": "id,segment\nP1,mass\n"}, "persons.csv", 1, "name"),
    ({"owns.csv": "owner_label,account_id\n"}, "owns.csv", 1, "owner_id"),
    ({"transferred_to.csv": "from_id,to_id,count\n"}, "transferred_to.csv", 1, "total_amount"),
    ({"persons.csv": "id,name\nP1,Alice\nP2,Bob,extra\n"}, "persons.csv", 3, None),
    ({"persons.csv": "id,name\nP1,Alice\nP2\n"}, "persons.csv", 3, None),
    ({"persons.csv": "id,name\n ,Alice\n"}, "persons.csv", 2, "id"),
    ({"persons.csv": "id,name\nP1,\n"}, "persons.csv", 2, "name"),
    ({"persons.csv": "id,name\nP1,   \n"}, "persons.csv", 2, "name"),
    ({"persons.csv": "id,name,blocked\nP1,Al,maybe\n"}, "persons.csv", 2, "blocked"),
    ({"persons.csv": "id,name,segment\nP1,Al,vip\n"}, "persons.csv", 2, "segment"),
    ({"persons.csv": "id,name,created_at\nP1,Al,June\n"}, "persons.csv", 2, "created_at"),
    ({"accounts.csv": "id,type,status,balance\nA1,x,active,lots\n"}, "accounts.csv", 2,
     "balance"),
    ({"accounts.csv": "id,type,status\nA1,x,closed\n"}, "accounts.csv", 2, "status"),
    ({"managers.csv": "id,name,kind\nM1,Mo,wholesale\n"}, "managers.csv", 2, "kind"),
    ({"transferred_to.csv": "from_id,to_id,count,total_amount\nA1,A2,0,1.0\n"},
     "transferred_to.csv", 2, "count"),
    ({"shareholder_of.csv": "holder_label,holder_id,enterprise_id,ratio\nPerson,P1,E1,1.2\n"},
     "shareholder_of.csv", 2, "ratio"),
    # strict numbers and date-times, and the GraphQL Int bound (see tests/test_model.py)
    ({"transferred_to.csv": "from_id,to_id,count,total_amount\nA1,A2,1,1\nA1,A3,3000000000,1\n"},
     "transferred_to.csv", 3, "count"),
    ({"transferred_to.csv": "from_id,to_id,count,total_amount\nA1,A2,1_000,1.0\n"},
     "transferred_to.csv", 2, "count"),
    ({"transferred_to.csv": "from_id,to_id,count,total_amount\nA1,A2,١٢,1.0\n"},
     "transferred_to.csv", 2, "count"),
    ({"shareholder_of.csv": "holder_label,holder_id,enterprise_id,ratio\nPerson,P1,E1,0.0_5\n"},
     "shareholder_of.csv", 2, "ratio"),
    ({"shareholder_of.csv": "holder_label,holder_id,enterprise_id,ratio\nPerson,P1,E1,٠.٥\n"},
     "shareholder_of.csv", 2, "ratio"),
    ({"persons.csv": "id,name,created_at\nP1,Al,20200101\n"}, "persons.csv", 2, "created_at"),
    ({"persons.csv": "id,name,created_at\nP1,Al,2020-W01-1\n"}, "persons.csv", 2,
     "created_at"),
    ({"owns.csv": "owner_label,owner_id,account_id\nBank,B1,A1\n"}, "owns.csv", 2,
     "owner_label"),
    ({"manages.csv": "manager_id,client_label,client_id\nM1,Account,A1\n"}, "manages.csv", 2,
     None),
    ({"guarantees.csv": "label,from_id,to_id\nPerson,P1,\n"}, "guarantees.csv", 2, "to_id"),
    ({"employed_by.csv": "person_id,enterprise_id,role\nP1,E1,\n"}, "employed_by.csv", 2,
     "role"),
    # a quoted field over two physical lines: the bad row after it starts on line 4
    ({"persons.csv": 'id,name,note\nP1,Al,"two\nlines"\nP2,Bo,x,y\n'}, "persons.csv", 4, None),
    ({"persons.csv": ""}, "persons.csv", 1, None),
    ({"persons.csv": "id,name,name\n"}, "persons.csv", 1, "name"),
]


@pytest.mark.parametrize(("files", "file", "line", "field"), BAD_INPUTS)
def test_bad_input_names_file_line_field(
    tmp_path: Path, files: dict[str, str], file: str, line: int | None, field: str | None
) -> None:
    directory = write_files(tmp_path / "in", files)
    with pytest.raises(InvalidInputError) as caught:
        read_canonical(directory)
    location = caught.value.location
    assert location is not None
    assert (location.file, location.line, location.field) == (file, line, field)


LONG_ROWS = b"".join(b"P%d,%s\n" % (i, b"N" * 200) for i in range(2, 52))  # lines 2 to 51


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        (b"id,name\nP1,Jos\xe9\n", 2, "invalid continuation byte"),
        # a Latin-1 byte on line 52, after more text than one read-ahead chunk
        (b"id,name\n" + LONG_ROWS + b"P52,Jos\xe9\n", 52, "byte 8 of the line"),
        (b"id,na\xffme\nP1,Al\n", 1, "invalid start byte"),
        # CR-only and CRLF line ends count as lines the way the CSV reader counts them
        (b"id,name\rP1,Al\rP2,Bo\rP3,\xe9\r", 4, "byte 4 of the line"),
        (b"id,name\r\nP1,Al\r\nP2,\xc3\r\n", 3, "byte 4 of the line"),
        # a line break inside a quoted field is a physical line too
        (b'id,name\nP1,"Al\nice"\nP2,Bo\xe9\n', 4, "byte 6 of the line"),
    ],
)
def test_not_utf8_names_the_physical_line(
    tmp_path: Path, content: bytes, line: int, reason: str
) -> None:
    directory = tmp_path / "in"
    directory.mkdir()
    (directory / "persons.csv").write_bytes(content)
    with pytest.raises(InvalidInputError, match=f"not UTF-8 text: .*{reason}") as caught:
        read_canonical(directory)
    assert caught.value.location == Location("persons.csv", line)


def test_missing_or_empty_directory_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not a directory"):
        read_canonical(tmp_path / "absent")
    write_files(tmp_path / "empty", {"notes.txt": "no CSV here"})
    with pytest.raises(InvalidInputError, match="no canonical CSV file found"):
        read_canonical(tmp_path / "empty")
    with pytest.raises(InvalidInputError, match="canonical, ldbc-finbench"):
        read_input("graphml", tmp_path)
    assert FORMATS == ("canonical", "ldbc-finbench")


# -- entries that are not regular files ---------------------------------------------------


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _broken_link(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere")


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("owns.csv", Path.mkdir, "a directory"),
        ("persons.csv", _broken_link, "a broken symbolic link"),
        ("managers.csv", _fifo, "not a regular file"),
    ],
)
def test_an_entry_named_like_a_file_that_is_not_one_is_refused(
    tmp_path: Path, name: str, make: Callable[[Path], None], kind: str
) -> None:
    directory = write_files(tmp_path / "in", {"enterprises.csv": "id,name\nE1,Acme\n"})
    make(directory / name)
    with pytest.raises(InvalidInputError, match=f"{name}: not a file \\({kind}\\)") as caught:
        read_canonical(directory)
    assert caught.value.location == Location(name)


def test_csv_suffix_in_any_case_is_not_skipped(tmp_path: Path) -> None:
    directory = write_files(tmp_path / "in", {
        "persons.CSV": "id,name\nP1,Alice\n",
        "owns.csv": "owner_label,owner_id,account_id\nperson,P1,A1\n",
    })
    with pytest.raises(InvalidInputError, match="unknown canonical file") as caught:
        read_canonical(directory)
    assert caught.value.location == Location("persons.CSV")


def test_unreadable_file_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = write_files(tmp_path / "in", {"persons.csv": "id,name\nP1,Alice\n"})

    def denied(self: Path, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(InvalidInputError, match="cannot read: Permission denied") as caught:
        read_canonical(directory)
    assert caught.value.location == Location("persons.csv")


# -- CSV syntax --------------------------------------------------------------------------

P = "id,name,segment,blocked,created_at\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        # text after a closing quote: not "Broken", not '"Bro"ken'
        (P + 'P1,Al,mass,false,2010-01-01\nP994,"Bro"ken,mass,false,2010-01-01\n', 3,
         "',' expected after '\"'"),
        # the same inside a record that spans two lines: the physical line of the bad quote
        ('id,name,note\nP1,Al,"two\nlines"x\n', 3, "',' expected after '\"'"),
        # an unclosed quote in the last column would swallow the rest of the file
        ('id,name\nP1,Al\nP2,"Bo\nP3,Cy\nP4,Di\n', 3, "quoted field is not closed"),
        # ... or run past the field limit (128 KiB) long before the end of a big file
        ('id,name\nP1,Al\nP2,"Bo\n' + "P3,Cy\n" * 30_000, 3,
         "a quoted field is not closed: it runs from line 3 to line 21848, past the field "
         "limit of 131072 characters"),
        # a field over the limit on one line: too long, no quote to blame
        ("id,name\nP1," + "x" * 140_000 + "\n", 2,
         "a field is longer than the field limit of 131072 characters"),
    ],
)
def test_broken_quoting_is_refused(tmp_path: Path, text: str, line: int, message: str) -> None:
    directory = write_files(tmp_path / "in", {"persons.csv": text})
    with pytest.raises(InvalidInputError, match=message) as caught:
        read_canonical(directory)
    assert caught.value.location == Location("persons.csv", line)


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        (P + "P1,Al,mass,false,2010-01-01\nP2,A\x00B,mass,false,2010-01-01\n", 3, "name"),
        (P + 'P1,"A\x00",mass,false,2010-01-01\n', 2, "name"),
        (P + "P1,Al,mass,false,2010-01-01\x00\n", 2, "created_at"),
        ("id,na\x00me\nP1,Al\n", 1, None),
    ],
)
def test_nul_bytes_are_refused(tmp_path: Path, text: str, line: int, field: str | None) -> None:
    directory = write_files(tmp_path / "in", {"persons.csv": text})
    with pytest.raises(InvalidInputError, match="NUL") as caught:
        read_canonical(directory)
    assert caught.value.location == Location("persons.csv", line, field)


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        (P + "P1,Al,mass,false,2010-01-01\nP2,Bo\u200bb,mass,false,2010-01-01\n", 3, "name",
         "Person.name: holds U+200B at position 2: an invisible character"),
        # a tag character after a plain row that the fast path reads
        (P + "P1,Al,mass,false,2010-01-01\nP2,Bob\U000e0041\U000e0042,mass,false,2010-01-01\n",
         3, "name", "Person.name: holds U+E0041 at position 3: a tag character"),
        ('id,name,remark\nP1,Al,"ok"\nP2,Bo,"x\u2060y"\n', 3, "remark",
         "Person.remark holds U+2060 at position 1: an invisible character"),
        ("id,name\nP1,A\u200dl\n", 2, "name",
         "Person.name: holds U+200D at position 1: a zero width joiner outside"),
        ("id,name\nP1,\ufeffAl\n", 2, "name", "holds U+FEFF at position 0"),
    ],
)
def test_invisible_characters_are_refused_naming_file_line_field(
    tmp_path: Path, text: str, line: int, field: str, message: str
) -> None:
    directory = write_files(tmp_path / "in", {"persons.csv": text})
    with pytest.raises(InvalidInputError) as caught:
        read_canonical(directory)
    assert message in str(caught.value)
    assert caught.value.location == Location("persons.csv", line, field)


@pytest.mark.parametrize(
    ("files", "file", "line", "field", "message"),
    [
        ({"persons.csv": "id,name\nP1,Al\nP\u202e2,Bo\n"}, "persons.csv", 3, "id",
         "id holds U+202E at position 1: a bidirectional control"),
        ({"persons.csv": "id,name\nP\x1b[2J,Al\n"}, "persons.csv", 2, "id",
         "id holds the control character U+001B at position 1"),
        ({"persons.csv": "id,name\nP1,Al\n",
          "enterprises.csv": "id,name\nE1,Acme\n",
          "employed_by.csv":
              "person_id,enterprise_id,role\nP1,E1,employee\nP1,E\u200b1,employee\n"},
         "employed_by.csv", 3, "enterprise_id", "id holds U+200B at position 1: an invisible"),
    ],
)
def test_ids_with_forging_or_invisible_characters_are_refused(
    tmp_path: Path, files: dict[str, str], file: str, line: int, field: str, message: str
) -> None:
    directory = write_files(tmp_path / "in", files)
    with pytest.raises(InvalidInputError) as caught:
        list(read_canonical(directory).nodes) + list(read_canonical(directory).relationships)
    assert message in str(caught.value)
    assert caught.value.location == Location(file, line, field)


def test_ids_of_any_script_load(tmp_path: Path) -> None:
    text = "id,name\n\u674e1,Li\nP\u00e9,Pe\n"
    directory = write_files(tmp_path / "in", {"persons.csv": text})
    assert [node.id for node in read_canonical(directory).nodes] == ["\u674e1", "P\u00e9"]


def test_names_that_need_joiners_load(tmp_path: Path) -> None:
    """ZWNJ and ZWJ in their scripts' contexts, emoji sequences, a byte order mark that
    starts the file (not a text's)."""
    names = ["\u0639\u0644\u06cc\u200c\u0631\u0636\u0627", "\u0915\u094d\u200d\u0937",
             "Ann \U0001f469\u200d\U0001f4bb"]
    text = "\ufeffid,name\n" + "".join(f"P{n},{name}\n" for n, name in enumerate(names))
    directory = write_files(tmp_path / "in", {"persons.csv": text})
    assert [node.props["name"] for node in read_canonical(directory).nodes] == names


# -- headers and columns -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # a trailing delimiter on every line: an unnamed column, not silently dropped
        ("id,name,\nP1,Alice,\n", "column 3 of the header has no name"),
        ("id,,name\nP1,x,Alice\n", "column 2 of the header has no name"),
        ("id,name, \nP1,Alice,x\n", "column 3 of the header has no name"),
        ("\nid,name\nP1,Alice\n", "line 1 is blank: expected the header row"),
        ("", "empty file: expected a header row"),
        ("\ufeff", "empty file: expected a header row"),
    ],
)
def test_header_problems_are_refused_on_line_1(tmp_path: Path, text: str, message: str) -> None:
    directory = write_files(tmp_path / "in", {"persons.csv": text})
    with pytest.raises(InvalidInputError, match=message) as caught:
        read_canonical(directory)
    assert caught.value.location == Location("persons.csv", 1)


def test_extra_column_named_like_a_declared_property_may_not_override_its_column(
    tmp_path: Path,
) -> None:
    text = "id,name,created_at,createdAt\nP1,Al,2010-01-01,2011-01-01\n"
    directory = write_files(tmp_path / "in", {"persons.csv": text})
    with pytest.raises(InvalidInputError, match="'createdAt' and 'created_at'") as caught:
        read_canonical(directory)
    assert caught.value.location == Location("persons.csv", 1, "createdAt")
    # alone, the property's own name is read as that property (checked like its column)
    write_files(directory, {"persons.csv": "id,name,createdAt\nP1,Al,2011-01-01\n"})
    (node,) = read_canonical(directory).nodes
    assert node.props["createdAt"] == "2011-01-01T00:00:00"


def test_header_only_file_is_read_with_no_rows(tmp_path: Path) -> None:
    directory = write_files(tmp_path / "in", {
        "persons.csv": "id,name\n", "owns.csv": "owner_label,owner_id,account_id\n\n\n",
    })
    batch = read_canonical(directory)
    assert (batch.nodes, batch.relationships, batch.files) == ([], [], ["persons.csv", "owns.csv"])


def test_ids_are_trimmed_the_same_for_nodes_and_endpoints(tmp_path: Path) -> None:
    directory = write_files(tmp_path / "in", {
        "persons.csv": "id,name\n P1 ,Alice\n",
        "owns.csv": "owner_label,owner_id,account_id\nperson,P1\t, A1\n",
    })
    batch = read_canonical(directory)
    assert [n.id for n in batch.nodes] == ["P1"]
    assert [(r.start, r.end) for r in batch.relationships] == [
        (("Person", "P1"), ("Account", "A1"))
    ]
