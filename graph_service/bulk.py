"""The analysts' bulk path: one GraphQL document run once per line of a JSON Lines file.

Each line of the variables file is a JSON object of variables. Lines are parsed and checked
before anything runs (a bad line stops the run, naming file and line), then executed
in-process in concurrent chunks that share one request context, so DataLoaders batch the
store calls of a whole chunk. Results are written as CSV (nested fields flattened to dotted
column names, lists as JSON text) or NDJSON, one output row per input line, in input order,
with the line number and any GraphQL errors; the output file appears only when complete.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from graph_service.config import Settings
from graph_service.errors import InvalidInputError, Location
from graph_service.stores.base import GraphStore

OUTPUT_FORMATS = ("csv", "ndjson")
CHUNK_SIZE = 256
"""Lines executed concurrently with one shared context (and so one DataLoader batch)."""


@dataclass(frozen=True, slots=True)
class BulkSummary:
    """Outcome of a bulk run: lines run and lines whose result carries GraphQL errors."""

    lines: int
    failed: int


def read_variables(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Parse a JSON Lines variables file.

    Returns
    -------
    list of (int, dict)
        ``(line number, variables)`` per non-blank line, 1-based.

    Raises
    ------
    InvalidInputError
        If the file is missing or unreadable, or a line is not a JSON object (file and line
        named).

    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read variables file: {exc}", Location(str(path))) from exc
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(
                f"not valid JSON: {exc.msg}", Location(path.name, number)
            ) from None
        if not isinstance(value, dict):
            raise InvalidInputError(
                "each line must be a JSON object of variables", Location(path.name, number)
            )
        rows.append((number, value))
    if not rows:
        raise InvalidInputError("the variables file has no lines", Location(path.name))
    return rows


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten nested mappings to dotted keys; lists become JSON text.

    Examples
    --------
    >>> flatten({"payrollCoverage": {"rate": 0.5, "enterprise": {"id": "E1"}}})
    {'payrollCoverage.rate': 0.5, 'payrollCoverage.enterprise.id': 'E1'}

    """
    if isinstance(value, Mapping):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list):
        return {prefix: json.dumps(value, ensure_ascii=False)}
    return {prefix: value}


@contextmanager
def _atomic_output(output: Path | None) -> Iterator[IO[str]]:
    """Yield a text stream; for a file, write beside it and rename only on success."""
    if output is None:
        yield sys.stdout
        return
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


async def execute_many(
    store: GraphStore, settings: Settings, document: str, variables: list[dict[str, Any]]
) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Execute ``document`` once per variables dict, concurrently, sharing one context.

    Returns
    -------
    list of (data, errors)
        Aligned with ``variables``; ``errors`` holds the formatted GraphQL errors (with
        ``extensions.code``), empty when the execution succeeded.

    """
    from graph_service.api.context import make_context
    from graph_service.api.schema import schema

    context = make_context(store, settings)
    results = await asyncio.gather(
        *(schema.execute(document, variable_values=v, context_value=context) for v in variables)
    )
    return [(r.data, [dict(e.formatted) for e in r.errors or ()]) for r in results]


async def run_bulk(
    store: GraphStore,
    settings: Settings,
    document: str,
    rows: list[tuple[int, dict[str, Any]]],
    output: Path | None,
    fmt: str,
    progress: Callable[[int], None] | None = None,
) -> BulkSummary:
    """Run every variables row and write one output row per input line.

    Parameters
    ----------
    store : GraphStore
    settings : Settings
    document : str
        The GraphQL operation to run for every line.
    rows : list of (int, dict)
        From :func:`read_variables`.
    output : Path or None
        Output file (written atomically), or ``None`` for standard output.
    fmt : {"csv", "ndjson"}
    progress : callable, optional
        Called with the number of lines just finished.

    Returns
    -------
    BulkSummary

    Raises
    ------
    InvalidInputError
        If ``fmt`` is not an output format.

    """
    if fmt not in OUTPUT_FORMATS:
        raise InvalidInputError(
            f"unknown output format {fmt!r}; expected one of {', '.join(OUTPUT_FORMATS)}"
        )
    results: list[tuple[int, Any, list[dict[str, Any]]]] = []
    for start in range(0, len(rows), CHUNK_SIZE):
        chunk = rows[start : start + CHUNK_SIZE]
        answers = await execute_many(store, settings, document, [v for _, v in chunk])
        results.extend(
            (number, data, errors)
            for (number, _), (data, errors) in zip(chunk, answers, strict=True)
        )
        if progress is not None:
            progress(len(chunk))
    failed = sum(1 for _, _, errors in results if errors)
    with _atomic_output(output) as stream:
        if fmt == "ndjson":
            for number, data, errors in results:
                record = {"line": number, "data": data, "errors": errors or None}
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            flat_rows = []
            columns: dict[str, None] = {"line": None}
            for number, data, errors in results:
                flat = {"line": number, **flatten(data or {})}
                flat["errors"] = "; ".join(e.get("message", "") for e in errors) if errors else ""
                columns.update(dict.fromkeys(flat))
                flat_rows.append(flat)
            columns.pop("errors")
            writer = csv.DictWriter(stream, fieldnames=[*columns, "errors"])
            writer.writeheader()
            writer.writerows(flat_rows)
    return BulkSummary(len(results), failed)
