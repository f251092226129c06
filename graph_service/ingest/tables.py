"""Delimited text tables read row by row, with the physical line numbers errors need.

Both file formats (canonical CSV, LDBC FinBench) are header-first delimited text; this module
is the one place that opens them, checks the header and numbers the lines, so that every
loader reports problems the same way (:class:`~graph_service.errors.Location`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterator
from pathlib import Path

from graph_service.errors import InvalidInputError, Location
from graph_service.model import unprintable

Row = dict[str, str]
"""One data row: column name (from the header) to its raw text."""
_NUL = "\x00"


def require_file(path: Path) -> None:
    """Refuse ``path`` unless it is a regular file (or a symbolic link to one).

    Parameters
    ----------
    path : Path
        An input file's expected path.

    Raises
    ------
    InvalidInputError
        If ``path`` is a directory, a broken symbolic link, a FIFO, socket or device: reading
        it would fail, block or be skipped. The message and the location name the file,
        e.g. ``"owns.csv: not a file (a directory)"``.
    """
    if path.is_file():
        return
    if path.is_dir():
        kind = "a directory"
    elif path.is_symlink() and not path.exists():
        kind = "a broken symbolic link"
    else:
        kind = "not a regular file"
    raise InvalidInputError(f"not a file ({kind})", Location(path.name))


def read_table(
    path: Path, required: Collection[str], delimiter: str = ","
) -> Iterator[tuple[int, Row]]:
    """Yield the data rows of a delimited text file with their physical line numbers.

    Parameters
    ----------
    path, required, delimiter
        As for :func:`read_records`.

    Yields
    ------
    (int, Row)
        The 1-based physical line where the row starts (the header is line 1) and the row as
        a mapping from header name to raw text. Blank lines are skipped.

    Raises
    ------
    InvalidInputError
        As :func:`read_records`.

    Notes
    -----
    Streaming, one row in memory at a time; :func:`read_records` without the dict per row.
    """
    records = read_records(path, required, delimiter)
    for _, header in records:
        for line, values in records:
            yield line, dict(zip(header, values, strict=True))


def read_records(
    path: Path, required: Collection[str], delimiter: str = ","
) -> Iterator[tuple[int, list[str]]]:
    """Yield the header, then the data rows of a delimited text file as lists of fields.

    Parameters
    ----------
    path : Path
        The file; UTF-8, with or without a byte-order mark.
    required : collection of str
        Columns the header must contain.
    delimiter : str, default ","
        Field separator (``"|"`` for LDBC FinBench).

    Yields
    ------
    (int, list of str)
        First ``(1, header)`` with the column names stripped of blanks; then, per data row,
        the 1-based physical line where it starts and its raw fields, as many as the header
        has columns. Blank lines are skipped.

    Raises
    ------
    InvalidInputError
        Before the first row: the file is empty or line 1 blank, a header column has no
        name (``id,name,``: a trailing delimiter), the header repeats a column or lacks a
        required one (the location names the file and the column), or the file cannot be
        opened (the location names the file). While reading: a byte is not UTF-8 (the
        location names the physical line of that byte), a row has more or fewer
        fields than the header (the location names the file and the row's first line), or
        a field holds a NUL byte (the location names the file, the row's first line and the
        column), or the text is not valid CSV: text after a closing quote (``"Bro"ken``) on
        the physical line where it occurs, a quoted field never closed (before the end of
        the file or the 128 KiB field limit) on the line where its record starts, a field
        longer than the limit.

    Notes
    -----
    Streaming: one row in memory at a time, O(row) work per row in C apart from the loop.
    The line number is that of the row's first physical line, also when a quoted field
    spans several lines. Quoting is RFC 4180, read with the ``csv`` module in strict mode; a
    quote inside an unquoted field (``5'10"``) is kept as text.
    """
    name = path.name
    line = 1
    reader = None
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            first = next(reader, None)
            if first is None:
                raise InvalidInputError("empty file: expected a header row", Location(name, 1))
            header = [column.strip() for column in first]
            if header in ([], [""]):
                raise InvalidInputError(
                    "line 1 is blank: expected the header row", Location(name, 1)
                )
            _check_header(header, required, name)
            yield 1, header
            width = len(header)
            line = reader.line_num + 1
            for values in reader:
                if values:
                    if len(values) != width:
                        raise InvalidInputError(
                            f"expected {width} fields as in the header, got {len(values)}",
                            Location(name, line),
                        )
                    if _NUL in "".join(values):
                        column = next(c for c, v in zip(header, values, strict=True) if _NUL in v)
                        raise InvalidInputError(
                            "NUL byte in a field", Location(name, line, column)
                        )
                    yield line, values
                line = reader.line_num + 1
    except csv.Error as exc:
        raise _syntax_error(exc, name, line, reader.line_num if reader else line) from None
    except UnicodeDecodeError as exc:
        found = _first_undecodable_line(path)
        where, reason = found if found else (line, exc.reason)
        raise InvalidInputError(f"not UTF-8 text: {reason}", Location(name, where)) from None
    except OSError as exc:
        raise InvalidInputError(f"cannot read: {exc.strerror or exc}", Location(name)) from None


_AFTER_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")
"""Zero-width split point after a CR that does not start a CRLF."""


def _first_undecodable_line(path: Path) -> tuple[int, str] | None:
    """Find the first physical line of ``path`` that is not UTF-8.

    The text decoder reads ahead in chunks, so the line being parsed when it fails is not
    the line of the bad byte. This rescans the raw bytes, splitting lines as the CSV reader
    counts them (LF, CRLF or a lone CR: universal newlines), and decodes each line alone,
    which is exact because no byte of a multi-byte UTF-8 sequence is CR or LF.

    Returns
    -------
    (int, str) or None
        The 1-based line and the reason with the byte's position in the line, e.g.
        ``"invalid continuation byte 0xe9 at byte 8 of the line"``; None if every line
        decodes (the file changed since it was read).
    """
    number = 0
    with path.open("rb") as handle:
        for chunk in handle:  # ends at LF
            for piece in _AFTER_LONE_CR.split(chunk):
                if not piece:
                    continue
                number += 1
                try:
                    piece.decode("utf-8")
                except UnicodeDecodeError as exc:
                    byte = piece[exc.start]
                    return number, f"{exc.reason} 0x{byte:02x} at byte {exc.start + 1} of the line"
    return None


def _syntax_error(exc: csv.Error, name: str, start: int, current: int) -> InvalidInputError:
    """Word a ``csv.Error``; locate it on the record's first line or on the current one.

    A field over ``csv.field_size_limit()`` (128 KiB, the ``csv`` module's default, kept:
    it stops a runaway quoted field early) is, when its record spans several lines, a
    quoted field never closed: it is reported at the record's first line, where the quote
    opens, not where the limit was reached.
    """
    if str(exc) == "unexpected end of data":  # strict mode, end of file in a quoted field
        return InvalidInputError(
            "malformed CSV: a quoted field is not closed before the end of the file",
            Location(name, start),
        )
    if str(exc).startswith("field larger than field limit"):
        limit = f"the field limit of {csv.field_size_limit()} characters"
        if current > start:
            return InvalidInputError(
                f"malformed CSV: a quoted field is not closed: it runs from line {start} to "
                f"line {current}, past {limit}",
                Location(name, start),
            )
        return InvalidInputError(
            f"malformed CSV: a field is longer than {limit}", Location(name, start)
        )
    return InvalidInputError(f"malformed CSV: {exc}", Location(name, current))


def _check_header(header: list[str], required: Collection[str], name: str) -> None:
    seen: set[str] = set()
    for number, column in enumerate(header, start=1):
        if _NUL in column:
            raise InvalidInputError(
                f"NUL byte in column {number} of the header", Location(name, 1)
            )
        if not column:
            raise InvalidInputError(
                f"column {number} of the header has no name (a delimiter at the end of the"
                " line?)",
                Location(name, 1),
            )
        if column in seen:
            raise InvalidInputError("column appears twice in the header", Location(name, 1, column))
        seen.add(column)
    for column in required:
        if column not in seen:
            raise InvalidInputError(
                f"required column {column!r} is missing from the header",
                Location(name, 1, column),
            )


def require_id(row: Row, column: str, location: Location) -> str:
    """Return the id in ``row[column]``, stripped of surrounding blanks.

    An id is refused as a text is (:func:`~graph_service.model.unprintable`, no line break
    allowed): it is shown wherever its node is (answers, the explorer, report files opened
    in a terminal or a spreadsheet, the audit trail), where a control, bidirectional or
    invisible character would forge or hide what is shown.

    Raises
    ------
    InvalidInputError
        If the id is empty or holds such a character; the location names the column.
    """
    value = row[column].strip()
    if not value:
        raise InvalidInputError(
            "id must not be empty", Location(location.file, location.line, column)
        )
    if not (value.isascii() and value.isprintable()):
        reason = unprintable(value)
        if reason is not None:
            raise InvalidInputError(
                f"id {reason}", Location(location.file, location.line, column)
            )
    return value


def skipped_entries(directory: Path, read: Collection[str], reason: str) -> dict[str, str]:
    """Every entry of ``directory`` not in ``read``, with why it is not loaded.

    Parameters
    ----------
    directory : Path
        The input directory.
    read : collection of str
        The names the loader reads.
    reason : str
        Why a file is skipped (e.g. ``"not a file of the LDBC FinBench format"``).

    Returns
    -------
    dict of str to str
        Entry name to reason, in name order; a directory is "a directory, not read".
    """
    return {
        entry.name: "a directory, not read" if entry.is_dir() else reason
        for entry in sorted(directory.iterdir(), key=lambda e: e.name)
        if entry.name not in read
    }
