"""Loaders: input formats turned into one :class:`~graph_service.records.GraphBatch`.

Every loader (canonical CSV, LDBC FinBench, the synthetic generator's output) produces a
``GraphBatch``; :meth:`GraphStore.write <graph_service.stores.base.GraphStore.write>`, the
one write path, writes it. Canonical CSV can also be streamed: its batch reads the
files while the store writes (:func:`stream_canonical`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from graph_service.errors import InvalidInputError
from graph_service.ingest.canonical import read_canonical, stream_canonical
from graph_service.ingest.finbench import read_finbench
from graph_service.records import GraphBatch

FORMATS = ("canonical", "ldbc-finbench")
"""Input formats :func:`read_input` accepts (``graph-service load --format``)."""

_READERS: dict[str, Callable[[Path], GraphBatch]] = {
    "canonical": stream_canonical,
    "ldbc-finbench": read_finbench,
}


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
        If ``fmt`` is not one of :data:`FORMATS` (the message lists them), or the reader
        refuses the input.
    """
    reader = _READERS.get(fmt)
    if reader is None:
        raise InvalidInputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    batch = reader(path)
    return batch if stream else batch.materialized()


__all__ = ["FORMATS", "read_canonical", "read_finbench", "read_input", "stream_canonical"]
