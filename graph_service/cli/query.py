"""The ``query`` command: a GraphQL document run once, or once per line of a .jsonl file."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import warnings
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer

from graph_service.cli.common import (
    Backend,
    DataDir,
    err,
    outside_data_dir,
    progress_bar,
    resolve_settings,
    warn_if_empty,
    writable_file,
)
from graph_service.config import Settings
from graph_service.errors import InvalidInputError, Location
from graph_service.stores import open_store

TRUNCATED_EXIT = 5
"""Exit code of a bulk run that wrote a line whose list was cut at its page size (and no
line with GraphQL errors, which exits 1)."""


def _same_file(a: Path, b: Path) -> bool:
    """Whether paths ``a`` and ``b`` name one file (links followed); ``False`` if one is missing."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


async def _query(
    settings: Settings,
    document: str,
    variables: Path | None,
    output: Path | None,
    fmt: str,
    operation_name: str | None,
    source: str,
    all_pages: bool = False,
    explode: str | None = None,
) -> int:
    from graph_service.bulk import (
        check_document,
        execute_many,
        read_variables,
        read_variables_object,
        run_bulk,
    )

    bulk = variables is not None and variables.suffix == ".jsonl"
    # Every input is read and checked before the store is opened (which may take a while).
    rows = read_variables(variables) if bulk and variables else []
    values = read_variables_object(variables) if variables and not bulk else {}
    check_document(document, source, settings, operation_name, fmt if bulk else "ndjson",
                   explode)
    from graph_service.audit import AuditTrail
    from graph_service.auth import cli_caller

    opening = time.perf_counter()
    store = open_store(settings)
    # Every run is audited as the local admin; closing the trail waits for its records.
    caller, trail = cli_caller(), AuditTrail(settings.audit_path, settings.audit_max_bytes)
    try:
        if settings.backend != "embedded":
            # An unreachable database fails here: one line, exit 4.
            warn_if_empty(settings, await store.counts())
        if not bulk:
            [(data, errors)] = await execute_many(
                store, settings, document, [values], operation_name, caller, trail
            )
            text = json.dumps(
                {"data": data, **({"errors": errors} if errors else {})},
                indent=2,
                ensure_ascii=False,
            )
            if output is None:  # UTF-8 whatever the locale: names print as written
                sys.stdout.flush()
                sys.stdout.buffer.write(text.encode("utf-8") + b"\n")
                sys.stdout.buffer.flush()
            else:
                output.write_text(text + "\n", encoding="utf-8")
            return 1 if errors else 0
        running = time.perf_counter()
        with progress_bar("queries", total=len(rows)) as bar:
            summary = await run_bulk(
                store,
                settings,
                document,
                rows,
                output,
                fmt,
                progress=bar.advance,
                operation_name=operation_name,
                caller=caller,
                audit=trail,
                all_pages=all_pages,
                explode=explode,
            )
        done = time.perf_counter()
        err.print(
            f"{summary.lines} lines run in {done - running:.3f} s "
            f"(store opened in {running - opening:.3f} s)",
            highlight=False,
        )
        if summary.failed:
            err.print(
                f"{summary.failed} of {summary.lines} lines answered with errors "
                "(see the errors column)"
            )
        if summary.truncated:
            err.print(
                f"{summary.truncated} of {summary.lines} lines have a list cut at its page "
                "size, items left out (see the truncated column): rerun with --all-pages",
                highlight=False,
            )
        return 1 if summary.failed else TRUNCATED_EXIT if summary.truncated else 0
    finally:
        trail.close()
        await store.close()


def query(
    document: Annotated[Path, typer.Argument(help="File holding the GraphQL operation.")],
    variables: Annotated[
        Path | None,
        typer.Option(help="Variables: a JSON file (one run) or a .jsonl file (one run per line)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Output file (default standard output).")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="Bulk output format: csv (the default) or ndjson."),
    ] = None,
    operation_name: Annotated[
        str | None,
        typer.Option(help="The operation to run, for a document holding several."),
    ] = None,
    all_pages: Annotated[
        bool,
        typer.Option(
            "--all-pages",
            help="Bulk: answer every list (connection) whole from its `after` on, whatever "
            "its `first` (above 0). Without it, a line whose list was cut at its page size "
            "is flagged in the truncated column and the command exits 5.",
        ),
    ] = False,
    explode: Annotated[
        str | None,
        typer.Option(
            help="Bulk CSV: the list field whose items each get a row (its dotted column "
            "name, e.g. uncoveredEmployees.edges), its items' fields as columns.",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
    backend: Backend = None,
) -> None:
    """Run a GraphQL document against the data dir, once or once per line of a .jsonl file.

    The bulk form writes one CSV or NDJSON row per input line, in order, with a progress
    bar on standard error; the output file appears only when the run is complete. It ends
    by printing on standard error ``N lines run in X s (store opened in Y s)``: ``X`` the
    execution and writing of every line after the store is open, ``Y`` the opening. A
    database that goes down or times out during the run stops it (exit 4, nothing written).
    A document that does not parse, is invalid, or does not say which operation to run
    exits 2 before anything runs, as does ``--format`` without a .jsonl file and an output
    file that is the document or the variables file.

    No list is cut silently: a line whose list (a connection) was cut at its page size with
    items left says so in its ``truncated`` column (NDJSON: key), the summary counts those
    lines and the command exits 5 (1 when lines have errors); ``--all-pages`` answers every
    list whole instead. ``--explode FIELD`` writes one CSV row per item of that list.
    """
    settings = resolve_settings(data_dir, backend)
    try:
        text = document.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InvalidInputError(
            f"cannot read the document: {reason}", Location(str(document))
        ) from None
    if not text.strip():
        raise InvalidInputError("the document is empty", Location(str(document)))
    if fmt is not None:
        from graph_service.bulk.files import check_format

        check_format(fmt)
    for value, option in ((fmt, "--format"), (explode, "--explode"),
                          (all_pages or None, "--all-pages")):
        if value is not None and (variables is None or variables.suffix != ".jsonl"):
            raise InvalidInputError(
                f"{option} applies to a bulk run (--variables FILE.jsonl); a single run "
                "writes its JSON answer"
            )
    if output is not None:
        for given, what in ((document, "document"), (variables, "variables file")):
            if given is not None and _same_file(output, given):
                raise InvalidInputError(
                    f"the output file is the {what}: it would be overwritten",
                    Location(str(output)),
                )
        outside_data_dir(output, settings, "output file")
        writable_file(output, "output file")
    try:
        code = asyncio.run(_interruptible(_query(
            settings, text, variables, output, fmt or "csv", operation_name, str(document),
            all_pages, explode,
        )))
    except KeyboardInterrupt:
        err.print("interrupted: nothing written", highlight=False)
        raise typer.Exit(130) from None
    raise typer.Exit(code)


async def _interruptible(run: Coroutine[Any, Any, int]) -> int:
    """Await ``run``, silencing the warnings of an interrupted run.

    When Ctrl-C cancels ``run`` the process is ending: the warnings of the coroutines the
    cancelled executions leave never awaited (graphql-core's) are noise, so they are ignored.
    """
    try:
        return await run
    except asyncio.CancelledError:
        warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
        raise


