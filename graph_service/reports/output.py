"""Report files: CSV, NDJSON or Parquet bytes from rows, and files that appear only when whole.

Each format is an :class:`Encoder` turning rows into bytes as they come, so that a report is
written (or downloaded) a chunk at a time:

- ``csv``: a header of the column names, then one line per row (RFC 4180 quoting, UTF-8).
  A null is an empty cell, a boolean ``true``/``false``, a list its JSON text; a text
  that a spreadsheet would run as a formula is written after an apostrophe
  (:func:`spreadsheet_text`);
- ``ndjson``: one JSON object per row, keyed by column name; a list is a JSON array;
- ``parquet``: one row group per chunk, each column typed (``string``, ``int64``,
  ``double``, ``bool`` or a list of one; every column nullable), written with pyarrow.

pandas (``read_csv``, ``read_json(lines=True)``, ``read_parquet``), polars and DuckDB read
each directly; a spreadsheet opens the CSV.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from graph_service.errors import InvalidInputError, shorten
from graph_service.reports.planning import Column, Row

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}
"""The report formats and the media type of each."""
SUFFIXES: dict[str, str] = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson",
                            ".parquet": "parquet", ".pq": "parquet"}
"""The format a file name's suffix stands for (``--format`` omitted)."""


def output_format(fmt: str | None, output: Path | None = None) -> str:
    """The format of a report: ``fmt`` when given, else the one ``output``'s suffix names.

    Raises
    ------
    InvalidInputError
        If ``fmt`` is not a format, or is omitted and the suffix names none.
    """
    if fmt is not None:
        if fmt not in FORMATS:
            raise InvalidInputError(
                f"unknown report format {shorten(fmt)!r}; expected one of {', '.join(FORMATS)}"
            )
        return fmt
    suffix = output.suffix.lower() if output is not None else ""
    if suffix not in SUFFIXES:
        raise InvalidInputError(
            f"cannot tell the format from the file name {str(output)!r}: give the format "
            f"({', '.join(FORMATS)}) or a suffix ({', '.join(SUFFIXES)})"
        )
    return SUFFIXES[suffix]


class Encoder(Protocol):
    """Turns a report's rows into the bytes of its file, in order."""

    def header(self) -> bytes:
        """The bytes before the first row."""
        ...

    def rows(self, rows: Sequence[Row]) -> bytes:
        """The bytes of ``rows``."""
        ...

    def close(self) -> bytes:
        """The bytes after the last row."""
        ...


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a CSV cell as a formula (OWASP's
CSV Injection, https://owasp.org/www-community/attacks/CSV_Injection)."""


def spreadsheet_text(value: Any) -> Any:
    """A CSV cell's value made safe to open in a spreadsheet: a formula-like text quoted.

    A text starting with one of :data:`FORMULA_STARTS` is prefixed with an apostrophe,
    which makes Excel, LibreOffice and Google Sheets show it as text instead of running it
    (OWASP's CSV Injection, https://owasp.org/www-community/attacks/CSV_Injection; the
    explorer's CSV export applies the same rule). Every CSV the service writes passes its
    text cells here; numbers and other values, and NDJSON and Parquet (read by programs),
    are left as they are.

    Examples
    --------
    >>> spreadsheet_text("@SUM(1)")
    "'@SUM(1)"
    >>> spreadsheet_text("a=1"), spreadsheet_text(-1)
    ('a=1', -1)
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    """A CSV cell: empty for null, JSON's spelling of booleans and lists, texts made safe.

    A formula-like text is quoted (:func:`spreadsheet_text`).
    """
    if value is None:
        return ""
    if isinstance(value, bool | list):
        return json.dumps(value, ensure_ascii=False)
    return spreadsheet_text(value)


class _Csv:
    def __init__(self, columns: Sequence[Column]) -> None:
        self.names = [c.name for c in columns]

    def _lines(self, rows: Sequence[Sequence[Any]]) -> bytes:
        text = io.StringIO()
        csv.writer(text, lineterminator="\r\n").writerows(rows)
        return text.getvalue().encode("utf-8")

    def header(self) -> bytes:
        return self._lines([self.names])

    def rows(self, rows: Sequence[Row]) -> bytes:
        return self._lines([[_cell(v) for v in row] for row in rows])

    def close(self) -> bytes:
        return b""


class _Ndjson:
    def __init__(self, columns: Sequence[Column]) -> None:
        self.names = [c.name for c in columns]

    def header(self) -> bytes:
        return b""

    def rows(self, rows: Sequence[Row]) -> bytes:
        names = self.names
        return "".join(
            json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) + "\n"
            for row in rows
        ).encode("utf-8")

    def close(self) -> bytes:
        return b""


def arrow_schema(columns: Sequence[Column]) -> pa.Schema:
    """The Parquet schema of a report's columns (every column nullable).

    pyarrow is imported here, on first use, so that commands without Parquet output start
    without it.
    """
    import pyarrow as pa

    types = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}
    return pa.schema([
        (c.name, pa.list_(types[c.kind]) if c.is_list else types[c.kind]) for c in columns
    ])


def arrow_array(values: Sequence[Any], arrow_type: pa.DataType) -> pa.Array:
    """``pyarrow.array(values, type=arrow_type)`` for a report column, built from its buffers.

    The column's validity bitmap, offsets and data are laid out with NumPy as Arrow's
    columnar format defines them (https://arrow.apache.org/docs/format/Columnar.html) and
    assembled with :meth:`pyarrow.Array.from_buffers`. ``pyarrow.array`` answers the same,
    but first asks whether ``values`` is a pandas object, which imports pandas wherever it
    is installed: about 0.4 s of every Parquet report, when the rows take less.

    Parameters
    ----------
    values : sequence
        Python values of ``arrow_type``, ``None`` for null: ``str``, ``int``, ``float`` or
        ``bool``, or lists of one (their items not null).
    arrow_type : pyarrow.DataType
        ``string``, ``int64``, ``double``, ``bool_`` or a ``list_`` of one
        (:func:`arrow_schema`).

    Returns
    -------
    pyarrow.Array
        ``len(values)`` items.

    Raises
    ------
    OverflowError
        If an ``int64`` value does not fit in 64 bits, or the strings of ``values`` (or
        the items of its lists) pass 2 GiB (the 32-bit offsets of ``string`` and ``list_``).
    """
    import numpy as np
    import pyarrow as pa

    size = len(values)
    present = np.fromiter((v is not None for v in values), dtype=np.bool_, count=size)
    nulls = size - int(present.sum())
    validity = pa.py_buffer(np.packbits(present, bitorder="little")) if nulls else None

    def offsets(lengths: Iterator[int]) -> pa.Buffer:
        ends = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.fromiter(lengths, dtype=np.int64, count=size), out=ends[1:])
        if ends[-1] > np.iinfo(np.int32).max:
            raise OverflowError(f"{ends[-1]:,} items or bytes: above 32-bit offsets")
        return pa.py_buffer(ends.astype(np.int32))

    if pa.types.is_list(arrow_type):
        items = arrow_array([i for v in values if v is not None for i in v],
                            arrow_type.value_type)  # fmt: skip
        lengths = (0 if v is None else len(v) for v in values)
        return pa.Array.from_buffers(arrow_type, size, [validity, offsets(lengths)], nulls,
                                     children=[items])  # fmt: skip
    if pa.types.is_string(arrow_type):
        encoded = [b"" if v is None else v.encode("utf-8") for v in values]
        buffers = [validity, offsets(map(len, encoded)), pa.py_buffer(b"".join(encoded))]
        return pa.Array.from_buffers(arrow_type, size, buffers, nulls)
    if pa.types.is_boolean(arrow_type):
        bits = np.fromiter((v is True for v in values), dtype=np.bool_, count=size)
        data = pa.py_buffer(np.packbits(bits, bitorder="little"))
    else:
        dtype = np.int64 if pa.types.is_integer(arrow_type) else np.float64
        data = pa.py_buffer(np.fromiter((0 if v is None else v for v in values), dtype=dtype,
                                        count=size))  # fmt: skip
    return pa.Array.from_buffers(arrow_type, size, [validity, data], nulls)


class _Drain(io.RawIOBase):
    """A write-only stream whose bytes are taken as they are written (Parquet's sink)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


class _Parquet:
    def __init__(self, columns: Sequence[Column]) -> None:
        import pyarrow.parquet as pq

        self.schema = arrow_schema(columns)
        self.sink = _Drain()
        self.writer = pq.ParquetWriter(self.sink, self.schema)

    def header(self) -> bytes:
        return self.sink.take()

    def rows(self, rows: Sequence[Row]) -> bytes:
        import pyarrow as pa

        if rows:
            arrays = [
                arrow_array([row[i] for row in rows], field.type)
                for i, field in enumerate(self.schema)
            ]
            self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        return self.sink.take()

    def close(self) -> bytes:
        self.writer.close()
        return self.sink.take()


def encoder(fmt: str, columns: Sequence[Column]) -> Encoder:
    """The encoder of format ``fmt`` (see :data:`FORMATS`) for ``columns``."""
    kinds: dict[str, Callable[[Sequence[Column]], Encoder]] = {
        "csv": _Csv, "ndjson": _Ndjson, "parquet": _Parquet,
    }
    return kinds[output_format(fmt)](columns)


@contextmanager
def atomic_output(output: Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """Yield a stream to write ``output`` with; the file appears only if the block completes.

    The stream writes a hidden temporary file beside ``output`` (``.NAME.XXXXXXXX.partial``,
    same directory, so the rename cannot cross file systems), renamed over ``output``
    with :func:`os.replace` when the block ends without error; on any error or interrupt
    it is removed, and an existing ``output`` is left as it was.

    Parameters
    ----------
    output : Path
    binary : bool
        Bytes (``True``) or UTF-8 text with untranslated newlines.
    """
    handle, name = tempfile.mkstemp(
        prefix=f".{output.name}.", suffix=".partial", dir=output.parent or Path()
    )
    partial = Path(name)
    try:
        mode = "wb" if binary else "w"
        with (os.fdopen(handle, mode) if binary
              else os.fdopen(handle, mode, encoding="utf-8", newline="")) as stream:
            yield stream
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


__all__ = ["FORMATS", "FORMULA_STARTS", "SUFFIXES", "Encoder", "arrow_array", "arrow_schema",
           "atomic_output", "encoder", "output_format", "spreadsheet_text"]
