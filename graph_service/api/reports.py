"""Reports over HTTP: ``GET /reports/{question}``, a whole-book answer as a streamed download.

The same reports as ``graph-service report`` (:mod:`graph_service.reports`), for the roles
that read the whole book: ``analyst`` and ``admin`` (:data:`REPORT_ROLES`). Query
parameters: ``format`` (``csv``, the default, ``ndjson`` or ``parquet``) and ``by``, once
each, ``where`` and ``arg``, repeatable, meaning what the command's options of the same
names mean; any other parameter, or ``format`` or ``by`` given twice, is refused
(:func:`check_parameters`)::

    GET /reports/payrollCoverage?format=parquet
    GET /reports/executivesWithoutPrivateBanking?by=enterprise&where=industry%3Dretail

The body is streamed a chunk of subjects at a time
(:data:`~graph_service.reports.run.CHUNK_SIZE`), with ``Content-Disposition: attachment;
filename="<question>.<format>"``. Refusals are GraphQL-shaped JSON
(:func:`~graph_service.api.router.request_error`): 403 ``FORBIDDEN`` for another role, 404
``NOT_FOUND`` for a name that is no report, 400 ``BAD_USER_INPUT`` for a bad parameter (an
argument value the question refuses too, as its GraphQL field refuses it, and an answer it
refuses: more guarantee circles than ``GRAPH_SERVICE_MAX_CIRCLES``), 503
``STORE_UNAVAILABLE``/``STORE_TIMEOUT`` when the store fails before the first byte, and 503
``QUERY_TIMEOUT`` (GraphQL's code of an operation past its time limit) when the report's
work passes ``Settings.report_timeout_s`` before it. The first chunk of rows is computed
before the first byte is sent (a whole-book question's one answer among them), so that
these refuse the download rather than cut it after its header. A store failing or the time limit
passing once the download has begun ends it early (the connection is closed without the
last chunk: a Parquet file then has no footer and does not open). Every download appends
an audit record (:mod:`graph_service.audit`), operation type ``report``, operation and root
field the report's name; so does every refusal of one, with its code (the name as asked, cut
to 100 characters, and no root field when it is no report); a download the client abandons
before its end is recorded with outcome ``error`` and code :data:`CLIENT_DISCONNECTED`.
Rows pass through :func:`~graph_service.reports.planning.shown_rows`, where masking
applies.

The store's refresh, the subjects and each chunk of the body (its rows and their encoding:
the :func:`~graph_service.reports.run.encoded` stream advanced one chunk at a time) run
where GraphQL runs (:func:`~graph_service.api.execution.run_on`): on the embedded store,
its execution thread, the only one that may touch the in-memory graph and the SQLite
record, interleaved with GraphQL operations at their awaits; the server's loop only sends
the bytes, and keeps answering ``/health`` while a report computes. Those steps' time is
the report's work, which ``Settings.report_timeout_s`` bounds (:class:`_WorkBudget`); the
time the client takes to read the bytes is not counted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.datastructures import QueryParams

from graph_service.api.execution import ExecutionThread, run_on
from graph_service.api.router import QUERY_TIMEOUT, request_error
from graph_service.audit import new_record
from graph_service.auth.caller import Role
from graph_service.config import Settings
from graph_service.errors import GraphServiceError, InvalidInputError, shorten
from graph_service.reports import (
    FORMATS,
    encoded,
    output_format,
    plan,
    report_questions,
    report_rows,
    shown_rows,
    subjects,
)
from graph_service.reports.planning import Row

REPORTS_PATH = "/reports"
"""Prefix of the report downloads."""
REPORT_ROLES = frozenset({Role.ADMIN, Role.ANALYST})
"""The roles that may download reports."""
FORBIDDEN = "FORBIDDEN"
"""Code of a download refused to the caller's role (HTTP 403)."""
CLIENT_DISCONNECTED = "CLIENT_DISCONNECTED"
"""Code, in the audit trail, of a download the client abandoned before its end."""

SINGLE_PARAMETERS = ("format", "by")
"""The query parameters a report takes once."""
REPEATED_PARAMETERS = ("where", "arg")
"""The query parameters a report takes any number of times (up to
:data:`~graph_service.linkage.lists.MAX_WHERE_CONDITIONS` each)."""

_STATUS = {"BAD_USER_INPUT": 400, "FORBIDDEN": 403, "NOT_FOUND": 404}
"""HTTP status of a domain error refusing a report before it starts (503 otherwise)."""


T = TypeVar("T")


def check_parameters(params: QueryParams) -> None:
    """Refuse a query parameter no report takes, or a single-valued one given twice.

    FastAPI ignores an unknown parameter (a misspelt ``args=``) and keeps the last of a
    repeated one (``format=csv&format=parquet``): either would answer another report than
    the one asked for.

    Raises
    ------
    InvalidInputError
        Naming the parameter (cut to 100 characters) and the known ones, or the parameter
        given more than once.
    """
    known = (*SINGLE_PARAMETERS, *REPEATED_PARAMETERS)
    for name in params:
        if name not in known:
            raise InvalidInputError(
                f"unknown query parameter {shorten(name)!r}; a report takes {', '.join(known)}"
            )
    for name in SINGLE_PARAMETERS:
        if (count := len(params.getlist(name))) > 1:
            raise InvalidInputError(f"{name} is given {count:,} times; it takes one value")


class _ReportTimeout(GraphServiceError):
    """A download's work passed ``Settings.report_timeout_s``."""

    code = QUERY_TIMEOUT


class _WorkBudget:
    """The seconds a download may still work, spent step by step where GraphQL runs.

    Parameters
    ----------
    execution : ExecutionThread or None
        The application's execution thread (:func:`~graph_service.api.execution.run_on`).
    limit_s : float
        ``Settings.report_timeout_s``.

    Notes
    -----
    A step is cancelled at its next await once the budget is spent, as a GraphQL operation
    past its time limit is; a step that does not await (the embedded store answers
    synchronously) runs to its end, and :meth:`run` refuses its result.
    """

    def __init__(self, execution: ExecutionThread | None, limit_s: float) -> None:
        self.execution, self.limit_s, self.left_s = execution, limit_s, limit_s

    def _expired(self) -> _ReportTimeout:
        return _ReportTimeout(
            f"the report ran longer than {self.limit_s:g} s (GRAPH_SERVICE_REPORT_TIMEOUT_S); "
            "ask for fewer subjects (where)"
        )

    async def _bounded(self, work: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self.left_s) as deadline:
                return await work
        except TimeoutError:
            if deadline.expired():
                raise self._expired() from None
            raise

    async def run(self, work: Awaitable[T]) -> T:
        """Await ``work`` on the execution thread within the seconds left; spend them.

        Raises
        ------
        _ReportTimeout
            If the budget is spent when ``work`` ends (or cancels it).
        """
        begun = time.perf_counter()
        done = await run_on(self.execution, self._bounded(work))
        self.left_s -= time.perf_counter() - begun
        if self.left_s < 0:
            raise self._expired()
        return done


def report_router(settings: Settings) -> APIRouter:
    """The router of ``GET /reports/{question}`` (see the module's docstring)."""
    router = APIRouter()

    @router.get(REPORTS_PATH + "/{question}", summary="A report, as a streamed download")
    async def download(
        request: Request,
        question: str,
        format: str = "csv",
        by: str | None = None,
        where: Annotated[list[str] | None, Query()] = None,
        arg: Annotated[list[str] | None, Query()] = None,
    ) -> Response:
        """Stream the report of ``question`` (see :mod:`graph_service.api.reports`)."""
        started = time.perf_counter()
        caller = request.state.caller
        reports = report_questions()
        parameters = {"format": format, "by": by, "where": where, "arg": arg}

        def record(codes: list[str]) -> None:
            """Append the download's audit record (of its refusal, or of its end)."""
            request.state.audited = True  # not again by RefusalAudit
            request.app.state.audit.append(new_record(
                caller, started, request_id=request.state.request_id, operation=question,
                operation_type="report", variables=parameters,
                fields=[question] if question in reports else [], error_codes=codes,
            ))

        def refuse(message: str, status: int, code: str) -> Response:
            record([code])
            return request_error(message, status, code)

        if caller is None or caller.role not in REPORT_ROLES:
            roles = " and ".join(sorted(r.value for r in REPORT_ROLES))
            return refuse(f"reports are for the {roles} roles", 403, FORBIDDEN)
        if question not in reports:
            return refuse(f"no report {shorten(question)!r}; reports: {', '.join(reports)}",
                          404, "NOT_FOUND")
        store = request.app.state.store
        budget = _WorkBudget(request.app.state.execution, settings.report_timeout_s)
        try:
            check_parameters(request.query_params)
            fmt = output_format(format)
            report = plan(question, by, where or (), arg or ())
            report.check_arguments(settings)
            shown_rows(caller, report, [])  # refused before any row is computed
            await budget.run(store.refresh())
            chosen = await budget.run(subjects(report, store))
            # The first rows before the first byte: a question refusing its answer (too many
            # guarantee circles) or the time limit is then a refusal, not a cut file.
            rows = report_rows(report, store, settings, caller, chosen)
            first = await budget.run(anext(rows, None))
        except GraphServiceError as exc:
            return refuse(str(exc), _STATUS.get(exc.code, 503), exc.code)

        async def resumed() -> AsyncIterator[list[Row]]:
            if first is not None:
                yield first
                async for chunk in rows:
                    yield chunk

        async def body() -> AsyncIterator[bytes]:
            codes: list[str] = []
            finished = False
            stream = encoded(report, resumed(), fmt)
            try:
                while (data := await budget.run(anext(stream, None))) is not None:
                    yield data
                finished = True
            except GraphServiceError as exc:
                codes.append(exc.code)
                raise
            except Exception:
                codes.append(GraphServiceError.code)  # INTERNAL_SERVER_ERROR
                raise
            finally:
                if not (finished or codes):  # stopped from outside: the client went away
                    codes.append(CLIENT_DISCONNECTED)
                record(codes)

        return StreamingResponse(
            body(), media_type=FORMATS[fmt],
            headers={"content-disposition": f'attachment; filename="{report.name}.{fmt}"'},
        )

    return router


__all__ = ["CLIENT_DISCONNECTED", "FORBIDDEN", "REPEATED_PARAMETERS", "REPORTS_PATH",
           "REPORT_ROLES", "SINGLE_PARAMETERS", "check_parameters", "report_router"]
