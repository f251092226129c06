"""GraphQL over HTTP: strawberry's FastAPI router, with request errors answered as GraphQL.

Strawberry refuses a malformed HTTP request (a body that is not JSON, a JSON array when
batching is off, no ``query``, an unknown ``operationName``, an unsupported content type,
unparseable ``variables`` in a GET, ...) by raising ``cross_web.HTTPException`` (from
strawberry's own HTTP layer), which its FastAPI route answers as *plain text*.
:class:`GraphQLHTTPRouter` converts every such refusal in one place,
:meth:`GraphQLHTTPRouter.run`, into a GraphQL-shaped JSON body with the same 4xx status::

    {"data": null, "errors": [{"message": "...", "extensions": {"code": "BAD_REQUEST"}}]}

and answers HTTP 400 for a result whose errors carry ``BAD_REQUEST`` (an operation that
cannot be selected: several operations and no ``operationName``, see
:class:`~graph_service.api.extensions.OperationChoice`). Other GraphQL errors keep HTTP 200.

``POST`` requests, the service's traffic, are answered by
:meth:`GraphQLHTTPRouter.post_endpoint` on a plain Starlette route, running the same view
(:meth:`GraphQLHTTPRouter.run`) with the same context, without FastAPI's dependency solving
per request (a third of the HTTP layers' CPU time on a page of 100 people).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from cross_web import HTTPException
from fastapi import BackgroundTasks, Request, Response
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocket
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.types.unset import UNSET

from graph_service.api.context import Context
from graph_service.api.extensions import BAD_REQUEST

_JSON_KINDS = {str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}


def request_error(message: str, status_code: int = 400, code: str = BAD_REQUEST) -> JSONResponse:
    """The response to a request the service cannot run as GraphQL.

    Parameters
    ----------
    message : str
        What is wrong with the request.
    status_code : int
        A 4xx HTTP status (400 unless strawberry chose another, e.g. 405).
    code : str
        The error's ``extensions.code``: ``BAD_REQUEST`` unless the refusal has its own
        (``REQUEST_TOO_LARGE``, HTTP 413, :mod:`graph_service.api.limits`).

    Returns
    -------
    JSONResponse
        ``{"data": null, "errors": [{"message": message, "extensions": {"code":
        code}}]}`` with ``status_code``.
    """
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(status_code=status_code, content=body)


class GraphQLHTTPRouter(GraphQLRouter[Context, None]):
    """A :class:`strawberry.fastapi.GraphQLRouter` whose request errors are GraphQL JSON."""

    def post_endpoint(self, context_getter: Callable[[Request], Awaitable[Context]]
                      ) -> Callable[[Request], Awaitable[Response]]:
        """An endpoint answering ``POST`` as this router's own POST route does.

        It builds what FastAPI's dependency injection builds for strawberry's POST handler
        (the context from ``context_getter``, with the request, a sub-response and
        background tasks; no root value), then runs :meth:`run`. Added as a Starlette
        route (``POST`` only) on the router's path before the router itself, it answers
        every POST, other methods falling through to the router; the router's own POST
        route stays for the OpenAPI description.

        Parameters
        ----------
        context_getter : callable
            Awaited with the request; returns the request's :class:`Context`.

        Returns
        -------
        callable
            The endpoint, taking a Starlette request.
        """

        async def handle_post(request: Request) -> Response:
            sub_response = Response()
            del sub_response.headers["content-length"]
            sub_response.status_code = None  # type: ignore[assignment]  # as FastAPI does
            context = await context_getter(request)
            tasks = BackgroundTasks()
            context.request, context.response, context.background_tasks = (
                request, sub_response, tasks
            )
            # What strawberry's own handler does: ``run`` reads it through
            # ``get_sub_response`` before its first suspension.
            self.temporal_response = sub_response
            response: Response = await self.run(request, context=context, root_value=None)
            if response.background is None:
                response.background = tasks
            return response

        return handle_post

    async def run(  # type: ignore[override]
        self,
        request: Request | WebSocket,
        context: Any = UNSET,
        root_value: Any = UNSET,
    ) -> Any:
        """Run a request; answer a refused one with :func:`request_error`, its status kept."""
        try:
            return await super().run(request, context=context, root_value=root_value)
        except HTTPException as exc:
            return request_error(exc.reason, exc.status_code)

    def parse_json(self, data: str | bytes) -> Any:
        """Decode a JSON body or parameter; refuse JSON that is neither object nor array.

        Strawberry would fail with an internal error on a body such as ``"hello"``.

        Raises
        ------
        HTTPException
            400, if ``data`` is not JSON or is a JSON scalar.
        """
        value = super().parse_json(data)
        if not isinstance(value, dict | list):
            kind = _JSON_KINDS.get(type(value), type(value).__name__)
            raise HTTPException(400, f"Expected a JSON object, got a JSON {kind}")
        return value

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


__all__ = ["GraphQLHTTPRouter", "request_error"]
