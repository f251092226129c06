"""The ``graph-service`` command line: load, serve, query, token, audit and the rest.

Its commands: load, generate, serve, demo, query, report, token, audit, falkordb-server.

Every command that reads or writes a store takes ``--backend`` (default:
``GRAPH_SERVICE_BACKEND``, else ``embedded``) and ``--data-dir`` (the embedded store's
directory; default: ``GRAPH_SERVICE_DATA_DIR``, else ``./graph-data``). ``generate`` only
writes files, so it takes neither. Errors print one line naming what and where, and exit
with the code of the domain error (:mod:`graph_service.errors`): 2 bad input, 3 not found,
4 store unavailable or timed out, 1 anything else, including GraphQL errors in a query's
answer.

One module per command group: :mod:`~graph_service.cli.load` (``load``, ``generate``),
:mod:`~graph_service.cli.serve` (``serve``, ``demo``, ``falkordb-server``),
:mod:`~graph_service.cli.query` (``query``), :mod:`~graph_service.cli.report` (``report``),
:mod:`~graph_service.cli.token` (``token``),
:mod:`~graph_service.cli.audit` (``audit``); :mod:`~graph_service.cli.common` holds what
they share. The commands are registered here, in the order ``--help`` lists them.
"""

from __future__ import annotations

import sys

import typer

from graph_service.cli import audit, load, query, report, serve, token
from graph_service.cli.common import err
from graph_service.errors import GraphServiceError

app = typer.Typer(
    help="Linkage graph service: a bank's client network as a property graph, over GraphQL.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # reflows docstring paragraphs to the terminal's width
)
app.command()(load.load)
app.command()(load.generate)
app.command()(serve.serve)
app.command()(serve.demo)
app.command()(query.query)
app.command()(report.report)
app.command()(token.token)
app.command()(audit.audit)
app.command("falkordb-server")(serve.falkordb_server)


def main() -> None:
    """Entry point of the ``graph-service`` script: run the CLI, map domain errors to exits."""
    try:
        app()
    except GraphServiceError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(exc.exit_code)
