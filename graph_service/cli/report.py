"""The ``report`` command: a registered linkage question answered for a whole set, to a file."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
from graph_service.cli.query import _interruptible
from graph_service.config import Settings
from graph_service.errors import GraphServiceError, LoadInterruptedError
from graph_service.stores import open_store

if TYPE_CHECKING:
    from graph_service.reports import Report


_PLURALS = {"Medium": "media"}
"""The node labels whose plural is not the label and an ``s``."""


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` and ``noun``, singular for one and plural otherwise (``0 rows``, ``1 row``).

    ``plural`` defaults to ``noun`` and an ``s``.

    Examples
    --------
    >>> counted(1, "row"), counted(0, "row"), counted(2, "medium", "media")
    ('1 row', '0 rows', '2 media')
    """
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def _label_plural(label: str) -> str:
    """The plural of a node label in running text (``enterprises``, ``media``)."""
    return _PLURALS.get(label, label + "s").lower()


async def _report(settings: Settings, report: Report, output: Path, fmt: str,
                  parameters: dict[str, Any], written: list[Path]) -> int:  # fmt: skip
    """Run ``report`` to ``output``, audited; ``output`` goes on ``written`` once it is."""
    from graph_service.audit import AuditTrail, new_record
    from graph_service.auth import cli_caller
    from graph_service.reports import write_report

    opening = time.perf_counter()
    store = open_store(settings)
    # Audited as the local admin, as `query` is and as a download is (operation type report).
    caller, trail = cli_caller(), AuditTrail(settings.audit_path, settings.audit_max_bytes)
    codes: list[str] = []
    try:
        if settings.backend != "embedded":
            # An unreachable database fails here: one line, exit 4.
            warn_if_empty(settings, await store.counts())
        else:
            await store.counts()  # the embedded store reads its record here
        running = time.perf_counter()
        what = _label_plural(report.label) if report.label else "the whole book"
        with progress_bar(what) as bar:
            summary = await write_report(
                report, store, settings, caller, output, fmt,
                progress=bar.advance, total=bar.total,
            )
        written.append(output)
    except GraphServiceError as exc:
        codes.append(exc.code)
        raise
    except (KeyboardInterrupt, asyncio.CancelledError):
        codes.append(LoadInterruptedError.code)
        raise
    finally:
        trail.append(new_record(caller, opening, operation=report.name, operation_type="report",
                                variables=parameters, fields=[report.name], error_codes=codes))
        trail.close()
        await store.close()
    subjects = (counted(summary.subjects, report.label.lower(), what) if report.label
                else f"one answer for {what}")
    err.print(
        f"{counted(summary.rows, 'row')} ({subjects}) written to {output} in "
        f"{summary.seconds:.3f} s (store opened in {running - opening:.3f} s)",
        highlight=False, markup=False,
    )
    return 0


def report(
    question: Annotated[
        str, typer.Argument(help="The question, by its GraphQL name (payrollCoverage).")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The report file.")],
    by: Annotated[
        str | None,
        typer.Option(
            help="What each answer is per: an id argument or its label (enterprise), or a "
            "value of an enum argument (branch). Default: the question's required id "
            "argument, else the whole book once.",
            show_default=False,
        ),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            help="PROPERTY=VALUE: only the subjects whose property equals VALUE "
            "(repeatable up to 20 times, all must hold; 'id' is the node's id); a property "
            "no node of the label has, declared or loaded, is refused.",
            show_default=False,
        ),
    ] = None,
    arg: Annotated[
        list[str] | None,
        typer.Option(
            "--arg",
            help="NAME=VALUE: an argument of the question for every answer, VALUE as JSON "
            "where it parses (productTypes='[\"debit card\"]'). Repeatable.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv, ndjson or parquet; default: from the output file's suffix (.csv, "
            ".ndjson or .jsonl, .parquet).",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
    backend: Backend = None,
) -> None:
    """Answer a linkage question for a whole set at once and write one row per item.

    Every enterprise's payrollCoverage (one row per enterprise), every enterprise's
    uncoveredEmployees (one row per enterprise and person), executivesWithoutPrivateBanking
    across the book (one row per person; --by enterprise for one row per enterprise and
    executive), every person's crossSellGaps, the analytics enterpriseGroups, guaranteeCircles
    and influence (one row per group, circle or node, in rank order, ids and figures only);
    any registered question whose answer is rows.
    Written as CSV, NDJSON or Parquet, with a progress bar on a terminal; the file appears
    only once complete (a failure or Ctrl-C leaves none). It ends by printing on standard
    error ``N rows (M enterprises) written to FILE in X s (store opened in Y s)``.
    """
    from graph_service.reports import output_format, plan

    settings = resolve_settings(data_dir, backend)
    chosen = output_format(fmt, output)
    planned = plan(question, by, where or (), arg or ())
    planned.check_arguments(settings)
    outside_data_dir(output, settings, "output file")
    writable_file(output, "output file")
    written: list[Path] = []
    try:
        asyncio.run(_interruptible(_report(settings, planned, output, chosen, {
            "format": chosen, "by": by, "where": where, "arg": arg}, written)))
    except KeyboardInterrupt:
        err.print(f"interrupted after {output} was written" if written
                  else "interrupted: nothing written", highlight=False, markup=False)
        raise typer.Exit(130) from None

