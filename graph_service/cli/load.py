"""The commands that write data: ``load`` (into a store) and ``generate`` (CSV files)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from graph_service.cli.common import (
    Backend,
    DataDir,
    err,
    exit_status,
    out,
    resolve_settings,
    stopped_by_signals,
    writable_file,
)
from graph_service.config import Settings
from graph_service.errors import GraphServiceError, InvalidInputError
from graph_service.records import LoadReport
from graph_service.stores import open_store


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
    """Print the load report: rows loaded and rejected per file, then where rejects are listed."""
    table = Table(title="Load report")
    table.add_column("file")
    table.add_column("loaded", justify="right")
    table.add_column("rejected", justify="right")
    for name in report.files:
        table.add_row(name, str(report.loaded[name]), str(report.rejected[name]))
    table.add_row("total", str(report.total_loaded), str(report.total_rejected), style="bold")
    out.print(table)
    if rejects_path is not None and report.rejects:
        out.print(f"{len(report.rejects)} rejected rows listed in {rejects_path}")


def _created_dir(path: Path) -> Path | None:
    """The outermost directory that creating ``path`` (with its parents) would create."""
    if path.exists():
        return None
    while not path.parent.exists():
        path = path.parent
    return path


async def load_input(settings: Settings, fmt: str, path: Path) -> LoadReport:
    """Stream the input into the store; a failed load leaves the data directory as it was.

    The input directory is checked before the store is opened; its rows are read while
    the store writes them (``read_input(..., stream=True)``), so an error in a row is
    raised from the upsert, which undoes the load. If the load fails (or is interrupted),
    the embedded store files it created are removed, and every directory it created: the
    directory is as before, never an empty store that readers would accept.
    """
    from graph_service.ingest import read_input
    from graph_service.stores.embedded import DB_FILE

    batch = read_input(fmt, path, stream=True)
    embedded = settings.backend == "embedded"
    created_dir = _created_dir(settings.data_dir) if embedded else None
    new_store = embedded and not (settings.data_dir / DB_FILE).exists()
    try:
        store = open_store(settings, create=True)
        try:
            return await store.upsert(batch)
        finally:
            await store.close()
    except BaseException:
        if created_dir is not None:
            shutil.rmtree(created_dir, ignore_errors=True)
        elif new_store:
            for suffix in ("", "-wal", "-shm", "-journal"):
                (settings.data_dir / (DB_FILE + suffix)).unlink(missing_ok=True)
        raise



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
    rejects_path = rejects or (settings.data_dir if embedded else Path()) / "rejects.csv"
    # A new embedded data dir is checked when it is created.
    if rejects is not None or not embedded or settings.data_dir.is_dir():
        writable_file(rejects_path, "reject file")
    with stopped_by_signals() as received:
        try:
            report = asyncio.run(load_input(settings, fmt, path))
        except (KeyboardInterrupt, GraphServiceError):
            if not received:
                raise
            # Rolled back either way: the interrupt, raised where Python code was running,
            # comes out of SQLite as an error when that code was one of its callbacks.
            err.print("interrupted: nothing loaded", highlight=False)
            raise typer.Exit(exit_status(received)) from None
    # Always (re)written, header only when nothing was rejected: never a stale list.
    write_rejects(report.rejects, rejects_path)
    print_report(report, rejects_path)


def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the canonical CSVs.")],
    people: Annotated[int, typer.Option(help="Number of people in the bank.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 1,
) -> None:
    """Write a synthetic bank as canonical CSV files (deterministic by seed)."""
    from graph_service.ingest.generator import generate as generate_bank

    counts = generate_bank(people, seed, out_dir)
    for name, rows in counts.items():
        out.print(f"{name}: {rows} rows")

