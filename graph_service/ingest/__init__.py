"""Loaders: input formats turned into one :class:`~graph_service.records.GraphBatch`.

Every loader (canonical CSV, LDBC FinBench, the synthetic generator's output) produces a
``GraphBatch``; :meth:`GraphStore.write <graph_service.stores.base.GraphStore.write>`, the
one write path, writes it. Canonical CSV can also be streamed: its batch reads the
files while the store writes (:func:`stream_canonical`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from graph_service.errors import InvalidInputError, Location
from graph_service.ingest.canonical import (
    NODE_FILES,
    RELATIONSHIP_FILES,
    read_canonical,
    stream_canonical,
)
from graph_service.ingest.finbench import OPTIONAL_FILES, REQUIRED_FILES, read_finbench
from graph_service.records import GraphBatch

FORMATS = ("canonical", "ldbc-finbench")
"""Input formats :func:`read_input` accepts (``graph-service load --format``)."""

_READERS: dict[str, Callable[[Path], GraphBatch]] = {
    "canonical": stream_canonical,
    "ldbc-finbench": read_finbench,
}


_FILES_OF = {
    "canonical": frozenset([*NODE_FILES, *RELATIONSHIP_FILES]),
    "ldbc-finbench": frozenset([*REQUIRED_FILES, *OPTIONAL_FILES]),
}
_LOOKS_LIKE = {"canonical": "canonical CSV", "ldbc-finbench": "an LDBC FinBench snapshot"}


def check_format(fmt: str, path: Path) -> None:
    """Refuse a directory that holds files of the other format and none of ``fmt``'s.

    Parameters
    ----------
    fmt : str
        One of :data:`FORMATS`.
    path : Path
        The input directory (anything else is left to the reader).

    Raises
    ------
    InvalidInputError
        Naming the format to use, e.g. ``"looks like an LDBC FinBench snapshot (Person.csv,
        ...), not canonical CSV: load it with --format ldbc-finbench"``.
    """
    if not path.is_dir():
        return
    names = {entry.name for entry in path.iterdir()}
    if names & _FILES_OF[fmt]:
        return
    for other, files in _FILES_OF.items():
        found = sorted(names & files)
        if other != fmt and found:
            raise InvalidInputError(
                f"looks like {_LOOKS_LIKE[other]} ({', '.join(found[:3])}, ...), not "
                f"{_LOOKS_LIKE[fmt]}: load it with --format {other}",
                Location(str(path)),
            )


def read_input(fmt: str, path: Path, *, stream: bool = False) -> GraphBatch:
    """Read the input at ``path`` in format ``fmt`` into one batch.

    Parameters
    ----------
    fmt : str
        One of :data:`FORMATS`.
    path : Path
        The input directory.
    stream : bool, default False
        Answer a batch whose rows are read while a store writes them, where the format
        allows (canonical: :func:`stream_canonical`; LDBC FinBench derives relationships
        from all rows, so it is always read whole). Errors in rows then surface from the
        store's write, which undoes the load.

    Returns
    -------
    GraphBatch
        What the format's reader returns (:func:`read_canonical`, :func:`read_finbench`),
        or with ``stream``, :func:`stream_canonical`'s lazy batch.

    Raises
    ------
    InvalidInputError
        If ``fmt`` is not one of :data:`FORMATS` (the message lists them), the input is of
        the other format (:func:`check_format`), or the reader refuses the input.
    """
    reader = _READERS.get(fmt)
    if reader is None:
        raise InvalidInputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    check_format(fmt, path)
    batch = reader(path)
    return batch if stream else batch.materialized()


__all__ = [
    "FORMATS", "check_format", "read_canonical", "read_finbench", "read_input", "stream_canonical"
]
