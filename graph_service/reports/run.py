"""Running a report: its subjects, then their answers in chunks, as rows.

:func:`report_rows` is what the command line (``graph-service report``) and the HTTP
download (``GET /reports/{question}``) both iterate; :func:`write_report` writes it to a
file, atomically.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from graph_service.auth.caller import Caller
from graph_service.config import Settings
from graph_service.errors import GraphServiceError
from graph_service.linkage.question import answer_many
from graph_service.model import NODE_DEFAULTS
from graph_service.reports.output import Encoder, atomic_output, encoder
from graph_service.reports.planning import Report, Row, shown_rows
from graph_service.stores.base import GraphStore

CHUNK_SIZE = 10_000
"""Argument sets answered by one call of the question's batch form (one progress step).

A whole-book pushdown answers a chunk in one store call; chunks bound the memory a report
holds besides the subjects' ids, and let a download start before the last answer."""


async def subjects(report: Report, store: GraphStore) -> list[str | None]:
    """The subjects a report runs over, sorted as text; ``[None]`` for a question asked once.

    Every node of the report's label (``store.list_ids``), kept when they pass every filter
    (their properties read with ``store.get_nodes``, a chunk at a time).

    Raises
    ------
    InvalidInputError
        If a filter tests a property that the label does not declare and none of its nodes
        has (:meth:`~graph_service.reports.planning.Report.check_filters`).
    """
    if report.label is None:
        return [None]
    ids = await store.list_ids(report.label)
    if not report.filters:
        return list(ids)
    gather = bool(report.undeclared_filters())
    defaults = NODE_DEFAULTS.get(report.label, {})
    present: set[str] = set()
    kept: list[str | None] = []
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        for node in await store.get_nodes(report.label, chunk):
            if node is None:
                continue
            if gather:
                present.update(node.props)
            if all(f.passes(node.id, node.props, defaults) for f in report.filters):
                kept.append(node.id)
    if gather:
        report.check_filters(present)
    return kept


async def report_rows(
    report: Report,
    store: GraphStore,
    settings: Settings,
    caller: Caller,
    chosen: Sequence[str | None],
    progress: Callable[[int], None] | None = None,
) -> AsyncIterator[list[Row]]:
    """The rows of ``report`` over the subjects ``chosen``, a chunk at a time, in order.

    Parameters
    ----------
    report : Report
    store : GraphStore
    settings : Settings
    caller : Caller
        Who reads them: each chunk passes :func:`~graph_service.reports.planning.shown_rows`.
    chosen : sequence
        From :func:`subjects`.
    progress : callable, optional
        Called with the number of subjects just answered.

    Yields
    ------
    list of Row
        The rows of up to :data:`CHUNK_SIZE` subjects, in subject order.

    Raises
    ------
    GraphServiceError
        The first error of an argument set (``BAD_USER_INPUT`` for an argument the question
        refuses; ``NOT_FOUND`` for a subject deleted meanwhile), or the store's.
    """
    for start in range(0, len(chosen), CHUNK_SIZE):
        chunk = chosen[start : start + CHUNK_SIZE]
        answers = await answer_many(
            report.question, store, settings, [report.arguments(s) for s in chunk]
        )
        rows: list[Row] = []
        for subject, answer in zip(chunk, answers, strict=True):
            if isinstance(answer, GraphServiceError):
                raise answer
            rows.extend(report.rows(subject, answer))
        yield shown_rows(caller, report, rows)
        if progress is not None:
            progress(len(chunk))


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """What a written report holds: its subjects, its rows, and the seconds it took."""

    subjects: int
    rows: int
    seconds: float


async def encoded(report: Report, rows: AsyncIterator[list[Row]], fmt: str
                  ) -> AsyncIterator[bytes]:
    """The bytes of a report's file in format ``fmt``, as its rows come."""
    out: Encoder = encoder(fmt, report.columns)
    yield out.header()
    async for chunk in rows:
        yield out.rows(chunk)
    yield out.close()


async def write_report(
    report: Report,
    store: GraphStore,
    settings: Settings,
    caller: Caller,
    output: Path,
    fmt: str,
    progress: Callable[[int], None] | None = None,
    total: Callable[[int], None] | None = None,
) -> ReportSummary:
    """Run ``report`` and write it to ``output`` in format ``fmt``, atomically.

    The file is written beside ``output`` under a temporary name and renamed to it only
    once complete (:func:`~graph_service.reports.output.atomic_output`): a failure or an
    interrupt leaves no file, and an existing ``output`` as it was.

    Parameters
    ----------
    report, store, settings, caller
        As :func:`report_rows`.
    output : Path
    fmt : {"csv", "ndjson", "parquet"}
    progress : callable, optional
        Called with the number of subjects just answered.
    total : callable, optional
        Called once with the number of subjects, before the first answer.

    Raises
    ------
    GraphServiceError
        As :func:`report_rows`; nothing is written then.
    """
    started = time.perf_counter()
    chosen = await subjects(report, store)
    if total is not None:
        total(len(chosen))
    count = 0

    async def counted() -> AsyncIterator[list[Row]]:
        nonlocal count
        async for chunk in report_rows(report, store, settings, caller, chosen, progress):
            count += len(chunk)
            yield chunk

    with atomic_output(output, binary=True) as stream:
        async for data in encoded(report, counted(), fmt):
            stream.write(data)
    return ReportSummary(len(chosen), count, time.perf_counter() - started)


__all__ = [
    "CHUNK_SIZE",
    "ReportSummary",
    "encoded",
    "report_rows",
    "subjects",
    "write_report",
]
