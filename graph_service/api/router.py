"""GraphQL over HTTP: strawberry's view on a FastAPI route, with request errors answered as GraphQL.

Strawberry refuses a malformed HTTP request (a body that is not JSON, a JSON array when
batching is off, no ``query``, an unknown ``operationName``, an unsupported content type,
unparseable ``variables`` in a GET, ...) by raising ``cross_web.HTTPException`` (from
strawberry's own HTTP layer), which its views answer as *plain text*.
:class:`GraphQLHTTPView` converts every such refusal in one place,
:meth:`GraphQLHTTPView.run`, into a GraphQL-shaped JSON body with the same 4xx status::

    {"data": null, "errors": [{"message": "...", "extensions": {"code": "BAD_REQUEST"}}]}

and answers HTTP 400 for a result whose errors carry ``BAD_REQUEST`` (an operation that
cannot be selected: several operations and no ``operationName``, see
:class:`~graph_service.api.extensions.ExecutionChecks`). Other GraphQL errors keep HTTP 200.
It also refuses what strawberry lets through or fails on: a content type other than
``application/json``, an ``operationName`` that is not a string, JSON nested too deeply or
with too long an integer (:meth:`GraphQLHTTPView.parse_json`); and
:func:`method_not_allowed` answers another method than ``GET`` and ``POST`` (HTTP 405).
Every hook overridden here is a public method of strawberry's HTTP view.

The view is strawberry's ASGI one (:class:`strawberry.asgi.GraphQL`), served by
:func:`add_graphql_routes` on two FastAPI routes, ``GET`` and ``POST``, whose handler is the
view's :meth:`~GraphQLHTTPView.run` itself (:class:`GraphQLRoute`): strawberry's FastAPI
router had FastAPI solve four dependencies per request (its endpoint's, the context, its
wrapper of the context and the root value) to the same end, 0.05 to 0.1 ms of the server's
CPU per request (benchmarks/README.md, "The service's CPU per request").
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, cast

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from graphql import GraphQLError
from starlette.background import BackgroundTasks
from starlette.requests import ClientDisconnect
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.ides import GraphQL_IDE
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema import BaseSchema
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from graph_service.api.context import Context
from graph_service.api.execution import run_on
from graph_service.api.extensions import BAD_REQUEST, parse_document
from graph_service.api.graphiql import example_enterprise, graphiql_page
from graph_service.api.trail import document_record
from graph_service.audit import MAX_OPERATION_NAME
from graph_service.errors import NotFoundError

JSON_CONTENT_TYPE = "application/json"
"""Media type of a request body the service reads (a ``GET`` has none); the
GraphQL-over-HTTP specification's ``application/graphql-response+json`` is a response type."""
GRAPHQL_PATH = "/graphql"
"""Path of the GraphQL endpoint."""
QUERY_TIMEOUT = "QUERY_TIMEOUT"
"""Code of an operation that ran past ``Settings.execution_timeout_s`` (HTTP 200)."""
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
"""Code of a request whose HTTP method the endpoint does not take (HTTP 405)."""
_JSON_KINDS = {str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}


def request_error(message: str, status_code: int = 400, code: str = BAD_REQUEST) -> JSONResponse:
    """The response to a request the service cannot run as GraphQL.

    Parameters
    ----------
    message : str
        What is wrong with the request.
    status_code : int
        A 4xx HTTP status (400 unless the refusal has another, e.g. 405).
    code : str
        The error's ``extensions.code``: ``BAD_REQUEST`` unless the refusal has its own
        (``REQUEST_TOO_LARGE``, HTTP 413, :mod:`graph_service.api.limits`;
        ``METHOD_NOT_ALLOWED``, HTTP 405, :func:`method_not_allowed`; ``NOT_FOUND``,
        HTTP 404, GraphiQL where it is off).

    Returns
    -------
    JSONResponse
        ``{"data": null, "errors": [{"message": message, "extensions": {"code":
        code}}]}`` with ``status_code``.
    """
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(status_code=status_code, content=body)


GRAPHQL_METHODS = "GET, POST"
"""The ``Allow`` header of the GraphQL route: queries by GET, any operation by POST."""


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    """Answer a request to ``/graphql`` whose HTTP method it does not take as GraphQL.

    Registered as the application's handler of status 405: Starlette raises it with the
    ``Allow`` header of the first route matching the path, one of strawberry's, and FastAPI
    would answer
    ``{"detail": "Method Not Allowed"}``.

    Parameters
    ----------
    request : Request
        The refused request.
    exc : Exception
        Starlette's ``HTTPException`` of status 405.

    Returns
    -------
    Response
        On :data:`GRAPHQL_PATH`, :func:`request_error` of code ``METHOD_NOT_ALLOWED``,
        status 405, with ``Allow:`` :data:`GRAPHQL_METHODS`; elsewhere FastAPI's answer.
    """
    if request.url.path != GRAPHQL_PATH:
        return await http_exception_handler(request, exc)  # type: ignore[arg-type]
    response = request_error(
        f"Method {request.method} is not allowed on {GRAPHQL_PATH}; use {GRAPHQL_METHODS}",
        405, METHOD_NOT_ALLOWED,
    )
    response.headers["allow"] = GRAPHQL_METHODS
    return response


def timed_out(context: Context, request_data: GraphQLRequestData,
              started: float) -> ExecutionResult:
    """The answer to an operation past the time limit; its audit record appended.

    Parameters
    ----------
    context : Context
        The request's context (settings, caller, request id, audit trail).
    request_data : GraphQLRequestData
        The request (its document was parsed before execution began, so it is cached).
    started : float
        :func:`time.perf_counter` when execution began.

    Returns
    -------
    ExecutionResult
        ``data: null`` and one error of code ``QUERY_TIMEOUT`` naming the limit. The record
        is appended unless the operation's own was (cancelled while waiting for its
        ``fsync``).
    """
    limit = context.settings.execution_timeout_s
    if context.audit is not None and not context.audited:
        context.audit.append(document_record(
            context, started, parse_document(request_data.query or ""),
            request_data.operation_name, request_data.variables, error_codes=[QUERY_TIMEOUT],
        ))
    return ExecutionResult(data=None, errors=[GraphQLError(
        f"Query timed out: it ran longer than {limit:g} s (GRAPH_SERVICE_EXECUTION_TIMEOUT_S); "
        "ask for less (smaller pages, fewer hops).",
        extensions={"code": QUERY_TIMEOUT, "limit_s": limit},
    )])


class GraphQLHTTPView(GraphQL[Context, None]):
    """Strawberry's ASGI view of GraphQL over HTTP, whose request errors are GraphQL JSON.

    Parameters
    ----------
    schema : strawberry.Schema
        The schema to run.
    context_getter : callable, optional
        ``await context_getter(request)`` is the request's :class:`Context`
        (:meth:`get_context`); required to run a request.
    graphql_ide : {"graphiql", None}
        Whether ``GET`` from a browser answers GraphiQL's page.
    """

    def __init__(self, schema: BaseSchema,
                 context_getter: Callable[[Request], Awaitable[Context]] | None = None,
                 graphql_ide: GraphQL_IDE | None = None) -> None:
        super().__init__(schema, graphql_ide=graphql_ide)
        self.context_getter = context_getter

    async def get_context(self, request: Request | WebSocket,
                          response: Response | WebSocket) -> Context:
        """The request's context, carrying its ``request``, ``response`` and ``background_tasks``.

        As strawberry's FastAPI router filled them in: ``response`` is the sub-response
        whose headers (and status, when set) the answer takes; tasks added to
        ``background_tasks`` run after the answer is sent.
        """
        assert self.context_getter is not None and isinstance(request, Request)
        assert isinstance(response, Response)
        context = await self.context_getter(request)
        context.request, context.response = request, response
        context.background_tasks = response.background = BackgroundTasks()
        return context

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL from the service's own files (:mod:`graph_service.api.graphiql`)."""
        enterprise_id = await run_on(request.app.state.execution,
                                     example_enterprise(request.app.state.store))
        return HTMLResponse(graphiql_page(GRAPHQL_PATH, enterprise_id))

    async def run(  # type: ignore[override]
        self,
        request: Request | WebSocket,
        context: Any = UNSET,
        root_value: Any = UNSET,
    ) -> Any:
        """Run a request; answer a refused one with :func:`request_error`, its status kept.

        Its code is ``NOT_FOUND`` for HTTP 404 (GraphiQL asked for where it is off),
        ``BAD_REQUEST`` otherwise.
        """
        try:
            return await super().run(request, context=context, root_value=root_value)
        except HTTPException as exc:
            code = NotFoundError.code if exc.status_code == 404 else BAD_REQUEST
            return request_error(exc.reason, exc.status_code, code)

    def parse_json(self, data: str | bytes) -> Any:
        """Decode a JSON body or parameter; refuse JSON that is neither object nor array.

        Decoded by :mod:`json`, as strawberry does; what it cannot decode safely is refused
        like malformed JSON instead of failing with HTTP 500: nesting too deep for its
        recursion (:class:`RecursionError`, about 1,000 levels) and an integer of more
        digits than Python converts (:class:`ValueError`, 4,300 by default). A body that is
        not UTF-8 (JSON's encoding, RFC 8259; a ``charset`` parameter is not honoured) is
        refused saying so, with the offset of its first bad byte. orjson is not
        used: it reads an integer beyond 64 bits as a float, changing the value.
        Strawberry would also fail with an internal error on a body such as ``"hello"``.

        Raises
        ------
        HTTPException
            400, if ``data`` is not JSON, is not UTF-8, is nested too deeply, holds too long
            an integer, or is a JSON scalar.
        """
        try:
            value = json.loads(data)
        except json.JSONDecodeError as exc:
            raise HTTPException(400, f"Unable to parse request body as JSON: {exc}") from None
        except UnicodeDecodeError as exc:  # before ValueError, of which it is one
            raise HTTPException(
                400, f"Unable to parse request body as JSON: it is not UTF-8 text "
                f"({exc.reason} at byte {exc.start:,})",
            ) from None
        except RecursionError:
            raise HTTPException(
                400, "Unable to parse request body as JSON: nested too deeply"
            ) from None
        except ValueError:  # int() refusing too many digits
            raise HTTPException(
                400, "Unable to parse request body as JSON: an integer has more than "
                f"{sys.get_int_max_str_digits():,} digits",
            ) from None
        if not isinstance(value, dict | list):
            kind = _JSON_KINDS.get(type(value), type(value).__name__)
            raise HTTPException(400, f"Expected a JSON object, got a JSON {kind}")
        return value

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        """Read a request's GraphQL parameters, checking its content type and operationName.

        Strawberry accepts any content type containing ``application/json`` (such as
        ``application/jsonfoo``) and passes an ``operationName`` that is not a string on.

        Raises
        ------
        HTTPException
            400, if a request other than ``GET`` is not of a type of
            :data:`JSON_CONTENT_TYPE` (parameters such as ``charset`` allowed), its
            ``operationName`` is neither a string nor ``null``, or the client disconnected
            before its whole body arrived (answered to no one, but recorded in the audit
            trail as a refusal by :class:`~graph_service.api.security.RefusalAudit`, rather
            than logged as the application's error with a traceback).
        """
        if request.method != "GET":
            content_type, _ = parse_content_type(request.content_type or "")
            if content_type != JSON_CONTENT_TYPE:
                raise HTTPException(
                    400, f"Unsupported content type {content_type!r}: send {JSON_CONTENT_TYPE}"
                )
        try:
            data = await super().parse_http_body(request)
        except ClientDisconnect:  # gone mid-body (or closed as too slow: TimedHttpProtocol)
            raise HTTPException(400, "The client disconnected before sending the whole "
                                "request body.") from None  # fmt: skip
        assert not isinstance(data, list)  # batching is off: refused by strawberry
        if not isinstance(data.operation_name, str | None):
            raise HTTPException(
                400, "The GraphQL operation's `operationName` must be a string or null, if "
                "provided.",
            )
        if data.operation_name is not None and len(data.operation_name) > MAX_OPERATION_NAME:
            raise HTTPException(  # not echoed: its length only
                400, f"The GraphQL operation's `operationName` is {len(data.operation_name):,} "
                f"characters long, above the limit of {MAX_OPERATION_NAME}.",
            )
        return data

    async def execute_single(  # type: ignore[override]
        self, request: Request, request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response, context: Context, root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Refresh the store, then execute one operation within ``Settings.execution_timeout_s``.

        Both run on the application's execution thread when it has one (the embedded
        store: :mod:`graph_service.api.execution`), else on the server's loop.

        The limit is kept on the loop the operation runs on: past it the operation is
        cancelled (at its next await: a DataLoader batch or a store call; a synchronous step
        runs to its end) and answered ``data: null``
        with one error of code ``QUERY_TIMEOUT``, recorded in the audit trail (the
        schema's :class:`~graph_service.api.trail.Audit` extension, cancelled with it, did
        not). Marks the request ``audited`` once the schema ran (its record appended), for
        :class:`~graph_service.api.security.RefusalAudit`.
        """
        started = time.perf_counter()
        limit = context.settings.execution_timeout_s

        async def refreshed() -> ExecutionResult:
            try:
                async with asyncio.timeout(limit) as deadline:
                    await context.store.refresh()  # what another process committed meanwhile
                    return await super(GraphQLHTTPView, self).execute_single(
                        request, request_adapter, sub_response, context, root_value,
                        request_data)
            except TimeoutError:
                if not deadline.expired():
                    raise
                return timed_out(context, request_data, started)

        result = await run_on(request.app.state.execution, refreshed())
        request.state.audited = True
        return result

    def encode_json(self, data: object) -> str | bytes:
        """Encode a response body with orjson, several times faster than :mod:`json`.

        A page of 100 edges is about 10 kB of JSON; the text is the same JSON (compact, UTF-8
        rather than ASCII escapes). What orjson refuses (an integer beyond 64 bits in a
        ``JSON`` scalar) is encoded by strawberry's :mod:`json` encoder as before.
        """
        try:
            return orjson.dumps(data)
        except orjson.JSONEncodeError:
            return super().encode_json(data)

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        """Read a GET request's parameters, naming the parameter that is not JSON."""
        try:
            return super().parse_query_params(params)
        except HTTPException as exc:
            if exc.status_code != 400:
                raise
            raise HTTPException(
                400, "Unable to parse the `variables` or `extensions` query parameter as a JSON "
                "object",
            ) from exc

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """Build the JSON response; HTTP 400 when an error of the result is ``BAD_REQUEST``."""
        response = super().create_response(response_data, sub_response)
        results = response_data if isinstance(response_data, list) else [response_data]
        errors: list[Any] = [e for result in results for e in result.get("errors") or []]
        if any((error.get("extensions") or {}).get("code") == BAD_REQUEST for error in errors):
            response.status_code = 400
        return response


class GraphQLRoute(APIRoute):
    """A FastAPI route whose handler is its endpoint: ``await endpoint(request)`` is the answer.

    FastAPI's own handler solves the endpoint's dependencies and serialises what it returns;
    :func:`add_graphql_routes`' endpoints take the request alone and return the view's
    response, so there is nothing to solve or serialise. The route stays an ``APIRoute``
    (OpenAPI documents it; Starlette's routing and FastAPI's exception handlers apply), its
    handler given by ``get_route_handler``, the hook FastAPI documents for custom routes
    (https://fastapi.tiangolo.com/how-to/custom-request-and-route/).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The endpoint itself, called with the request."""
        return cast(Callable[[Request], Coroutine[Any, Any, Response]], self.endpoint)


def add_graphql_routes(app: FastAPI, view: GraphQLHTTPView) -> None:
    """Serve ``view`` at :data:`GRAPHQL_PATH` on ``GET`` and ``POST`` (:class:`GraphQLRoute`).

    The routes, their operation ids and their OpenAPI documentation are those strawberry's
    FastAPI router made (``handle_http_get``, ``handle_http_post``); another method answers
    HTTP 405 (:func:`method_not_allowed`). There is no WebSocket route (the service has no
    subscriptions).
    """

    async def handle_http_get(request: Request) -> Response:
        response: Response = await view.run(request)
        return response

    async def handle_http_post(request: Request) -> Response:
        response: Response = await view.run(request)
        return response

    app.router.add_api_route(
        GRAPHQL_PATH, handle_http_get, methods=["GET"], route_class_override=GraphQLRoute,
        responses={
            200: {"description": "The GraphiQL integrated development environment."},
            404: {"description": "Not found if GraphiQL or query via GET are not enabled."},
        },
    )
    app.router.add_api_route(GRAPHQL_PATH, handle_http_post, methods=["POST"],
                             route_class_override=GraphQLRoute)


__all__ = ["GRAPHQL_PATH", "QUERY_TIMEOUT", "GraphQLHTTPView", "GraphQLRoute",
           "add_graphql_routes", "method_not_allowed", "request_error", "timed_out"]
