"""The commands that write data: ``load`` (into a store) and ``generate`` (CSV files)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sized
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from graph_service.cli.common import (
    Backend,
    DataDir,
    err,
    out,
    outside_data_dir,
    progress_bar,
    resolve_settings,
    writable_file,
)
from graph_service.config import Settings
from graph_service.errors import InvalidInputError, LoadInterruptedError
from graph_service.records import LoadReport

T = TypeVar("T")


def _check_apart(data_dir: Path, input_dir: Path) -> None:
    """Refuse a data directory that is, holds, or lies inside the input directory.

    The store writes its own files there (``graph.sqlite3``, ``rejects.csv``), which the
    next load of that input would read as unknown input files.

    Raises
    ------
    InvalidInputError
        If one directory is the other or lies inside it (links followed).
    """
    data, given = data_dir.resolve(), input_dir.resolve()
    if data == given or given in data.parents or data in given.parents:
        raise InvalidInputError(
            f"the data directory {data_dir} and the input directory {input_dir} overlap: "
            "keep the store's files out of the input"
        )


def print_report(report: LoadReport, rejects_path: Path | None) -> None:
    """Print the load report and where the rejects are listed.

    Rows loaded and rejected per file read and the total, then one line per other entry of
    the input directory: ``README.md: skipped (not a file of the LDBC FinBench format)``.
    """
    table = Table(title="Load report")
    table.add_column("file")
    table.add_column("loaded", justify="right")
    table.add_column("rejected", justify="right")
    for name in report.files:
        table.add_row(name, str(report.loaded[name]), str(report.rejected[name]))
    table.add_row("total", str(report.total_loaded), str(report.total_rejected), style="bold")
    out.print(table)
    for name, reason in report.skipped.items():
        out.print(f"{name}: skipped ({reason})", highlight=False)
    if rejects_path is not None and report.rejects:
        out.print(f"{len(report.rejects)} rejected rows listed in {rejects_path}")


PROGRESS_STEP = 10_000
"""Rows between two advances of ``load``'s progress bar."""


def _counted(rows: Iterable[T], advance: Callable[[int], None]) -> Iterator[T]:
    """``rows``, advancing a progress bar every :data:`PROGRESS_STEP` rows read and at the end."""
    read = 0
    for row in rows:
        yield row
        read += 1
        if read == PROGRESS_STEP:
            advance(read)
            read = 0
    advance(read)


def load_input(settings: Settings, fmt: str, path: Path) -> LoadReport:
    """Stream the input at ``path`` into the store (:func:`graph_service.stores.loading.load`).

    The input directory is checked before the store is opened; its rows are read while
    the store writes them (``read_input(..., stream=True)``), so an error in a row is
    raised from the write, which the store undoes. On a terminal, a progress bar counts
    the rows read (:func:`~graph_service.cli.common.progress_bar`; their number is known
    beforehand only for an input read whole, such as LDBC FinBench's).

    Raises
    ------
    LoadInterruptedError
        If SIGINT or SIGTERM stopped the load (undone).
    GraphServiceError
        The input's errors, or the store's.
    """
    from graph_service.ingest import read_input
    from graph_service.stores.loading import load

    batch = read_input(fmt, path, stream=True)
    with progress_bar("rows") as bar:
        if bar.shown:  # counting costs a generator step per row: only when it is seen
            if isinstance(batch.nodes, Sized) and isinstance(batch.relationships, Sized):
                bar.total(len(batch.nodes) + len(batch.relationships))
            batch.nodes = _counted(batch.nodes, bar.advance)
            batch.relationships = _counted(batch.relationships, bar.advance)
        return load(settings, batch)


def load(
    path: Annotated[Path, typer.Argument(help="Input directory.")],
    fmt: Annotated[
        str, typer.Option("--format", help="Input format: canonical or ldbc-finbench.")
    ] = "canonical",
    rejects: Annotated[
        Path | None,
        typer.Option(
            help="Reject file, CSV of file, line, reason (default DATA_DIR/rejects.csv; "
            "./rejects.csv with a server backend).",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
    backend: Backend = None,
) -> None:
    """Load (upsert) an input directory into the store (all or nothing on the embedded one).

    Rows that reference missing nodes are not loaded; they are counted per file and listed
    in the reject file. Loading the same input twice changes nothing. On the embedded
    store, a failed load, Ctrl-C (exit 130) or SIGTERM (exit 143) rolls everything back,
    the store files and directories the load created included. A server backend
    writes in batches of GRAPH_SERVICE_WRITE_BATCH_SIZE rows, each its own transaction: if
    the connection is lost the error says how many rows were written, and loading the same
    input again completes the load.
    """
    from graph_service.ingest.rejects import write_rejects

    settings = resolve_settings(data_dir, backend)
    embedded = settings.backend == "embedded"
    if embedded:
        _check_apart(settings.data_dir, path)
    default_rejects = (settings.data_dir if embedded else Path()) / "rejects.csv"
    rejects_path = rejects or default_rejects
    if rejects is not None and rejects.resolve() != default_rejects.resolve():
        outside_data_dir(rejects, settings, "reject file")  # not over the store or the trail
    # A new embedded data dir is checked when it is created.
    if rejects is not None or not embedded or settings.data_dir.is_dir():
        writable_file(rejects_path, "reject file")
    try:
        report = load_input(settings, fmt, path)
    except LoadInterruptedError as exc:
        err.print(str(exc), highlight=False)
        raise typer.Exit(exc.exit_code) from None
    # Always (re)written, header only when nothing was rejected: never a stale list.
    write_rejects(report.rejects, rejects_path)
    print_report(report, rejects_path)


def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the canonical CSVs.")],
    people: Annotated[int, typer.Option(help="Number of people in the bank.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 1,
) -> None:
    """Write a synthetic bank as canonical CSV files (deterministic by seed).

    On a terminal, a progress bar counts the persons written.
    """
    from graph_service.ingest.generator import generate as generate_bank

    with progress_bar("persons", total=people) as bar:
        counts = generate_bank(people, seed, out_dir, bar.advance)
    for name, rows in counts.items():
        out.print(f"{name}: {rows} rows")

