"""The request-size limit: an ASGI middleware that refuses a body above a byte budget.

A request body is read whole before GraphQL sees it; a large body holds the event loop
(reading, JSON decoding, parsing) in proportion to its size (see
benchmarks/README.md#tuning-constants), during which every other request, ``/health`` included,
waits. :class:`RequestSizeLimit` refuses such a request before its body is
parsed:

- a ``Content-Length`` above the limit is answered at once, without reading the body;
- a body sent without one (chunked) is counted as it arrives, and refused as soon as it
  passes the limit, without reading the rest.

The answer is HTTP 413 with a GraphQL-shaped JSON body, like the router's request errors
(:func:`graph_service.api.router.request_error`)::

    {"data": null, "errors": [{"message": "...", "extensions": {"code": "REQUEST_TOO_LARGE"}}]}
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph_service.api.router import request_error

REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
"""Code of a request refused by :class:`RequestSizeLimit` (HTTP 413)."""


class _TooLarge(Exception):
    """Raised from ``receive`` when a streamed body passes the limit."""


def _declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length``, or ``None`` when absent or not a number."""
    for name, value in scope.get("headers") or ():
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestSizeLimit:
    """Refuse HTTP requests whose body is larger than ``max_bytes`` (HTTP 413).

    Parameters
    ----------
    app : ASGIApp
        The application to protect.
    max_bytes : int
        Largest body accepted, in bytes (``Settings.max_request_bytes``).

    Notes
    -----
    Only ``http`` scopes are checked; others (lifespan, websocket) pass through. When a
    streamed body passes the limit, whatever the application sends afterwards is dropped
    in favour of the 413 (the application has not answered yet: it was still reading).

    Examples
    --------
    >>> from fastapi import FastAPI
    >>> app = FastAPI()
    >>> app.add_middleware(RequestSizeLimit, max_bytes=1 << 20)
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def message(self, size: int | None) -> str:
        """The error message for a body of ``size`` bytes (``None``: counted, not declared)."""
        stated = (
            f"{size:,} bytes" if size is not None else f"more than {self.max_bytes:,} bytes"
        )
        return (
            f"Request body too large: {stated}, above the limit of {self.max_bytes:,} bytes "
            "(GRAPH_SERVICE_MAX_REQUEST_BYTES)"
        )

    async def refuse(self, scope: Scope, receive: Receive, send: Send, size: int | None) -> None:
        """Answer HTTP 413 with a GraphQL error of code ``REQUEST_TOO_LARGE``."""
        response = request_error(self.message(size), 413, code=REQUEST_TOO_LARGE)
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the application on a request within the limit; answer 413 otherwise."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self.refuse(scope, receive, send, declared)
            return
        received = 0
        exceeded = started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the application's answer to a body it could not read: dropped
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _TooLarge:
            pass
        if exceeded and not started:
            await self.refuse(scope, receive, send, None)


__all__ = ["REQUEST_TOO_LARGE", "RequestSizeLimit"]
