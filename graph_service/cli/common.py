"""What the command groups share: consoles, options, settings, file checks, progress bars."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import AliasChoices, ValidationError
from pydantic_settings import SettingsError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from graph_service.config import BackendName, Settings
from graph_service.errors import InvalidInputError, Location

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


def resolve_settings(
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



def writable_file(path: Path, what: str) -> Path:
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


def outside_data_dir(path: Path, settings: Settings, what: str) -> Path:
    """Check that the output file ``path`` is outside the data and audit directories.

    They hold the store, the token signing keys and the audit trail, which an output
    written over one of them would destroy (``report -o data/graph.sqlite3``,
    ``-o data/audit/audit.jsonl``); links are followed.

    Raises
    ------
    InvalidInputError
        If ``path`` is inside ``settings.data_dir`` or ``settings.audit_path``.
    """
    resolved = path.resolve()
    for directory, name, holds in (
        (settings.data_dir, "the data directory", "the store, its keys and the audit trail"),
        (settings.audit_path, "the audit trail's directory", "the audit trail"),
    ):
        if resolved.is_relative_to(directory.resolve()):
            raise InvalidInputError(
                f"the {what} is inside {name} {directory}, which holds {holds}: write it "
                "elsewhere",
                Location(str(path)),
            )
    return path


def exit_status(received: list[int]) -> int:
    """The exit status of a run stopped by the first of ``received`` signals (SIGINT if none)."""
    import signal

    return 128 + (received[0] if received else signal.SIGINT)


def warn_if_empty(settings: Settings, counts: dict[str, int]) -> None:
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


class Bar:
    """A progress bar being shown (or not): what a command tells it as its work advances."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress, self.task = progress, task

    @property
    def shown(self) -> bool:
        """Whether the bar is drawn (standard error is a terminal)."""
        return not self.progress.disable

    def advance(self, done: int) -> None:
        """Count ``done`` more units of work done."""
        self.progress.advance(self.task, done)

    def total(self, total: int) -> None:
        """Set the units of work in all (unknown until then: the bar pulses)."""
        self.progress.update(self.task, total=total)


@contextmanager
def progress_bar(description: str, total: int | None = None) -> Iterator[Bar]:
    """Show a rich progress bar on standard error while the block runs, if it is a terminal.

    The ``load``, ``generate``, ``report`` and bulk ``query`` commands' bar: the description,
    the bar, done of all, the time spent and the time left. When standard error is not a
    terminal (a pipe, a file, CI) nothing is drawn, so logs hold no bar frames.

    Parameters
    ----------
    description : str
        What is counted (``"enterprises"``, ``"rows"``).
    total : int, optional
        Units of work in all; unknown (a pulsing bar) until :meth:`Bar.total` says.
    """
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
    ) as progress:
        yield Bar(progress, progress.add_task(description, total=total))
