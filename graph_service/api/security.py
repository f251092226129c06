"""HTTP hardening: security headers, rate limits, slow clients, refused requests audited.

- :class:`SecurityHeaders` adds to every response a Content Security Policy (the GraphiQL
  page's allows its own files under ``/static`` and its inline script by hash,
  :func:`graphiql_csp`; the explorer's its own files and no inline script,
  :func:`graph_service.api.explorer.explorer_csp`; FastAPI's ``/docs`` and ``/redoc`` pages
  load Swagger UI and ReDoc from their CDN, :data:`DOCS_CSP`; every other answer
  ``default-src 'none'``),
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
  ``X-Frame-Options: DENY`` (with CSP's ``frame-ancestors 'none'``), and
  ``Strict-Transport-Security`` when ``Settings.behind_tls`` says TLS ends in front.
- :class:`RateLimit` counts requests per client address (before authentication) and per
  authenticated subject (after it) with the ``limits`` library's sliding-window counter
  in memory (``Settings.rate_limit_address``, ``Settings.rate_limit_subject``); above a
  limit it answers HTTP 429 with ``Retry-After`` (seconds) and code ``RATE_LIMITED``. The
  client address is the connection's, or, from a proxy listed in
  ``Settings.trusted_proxies`` only, the last address of ``X-Forwarded-For`` that is not a
  listed proxy (uvicorn's ``ProxyHeadersMiddleware``, added by the application).
- :class:`TimedHttpProtocol` is uvicorn's httptools protocol with two deadlines, since
  uvicorn has none for a request under way (its ``timeout_keep_alive`` runs only between
  requests, and is cancelled by any byte): the headers must arrive within
  ``Settings.header_timeout_s`` of the connection or of the request's first byte, the body
  within ``Settings.body_timeout_s`` of the headers; otherwise the connection is closed.
  :func:`uvicorn_config` is the server configuration ``serve`` (and the tests) run with:
  this protocol, no ``server`` header, no proxy headers of uvicorn's own.
- :class:`RefusalAudit` appends an audit record for each request refused before GraphQL
  ran (HTTP 400, 401, 403, 405, 413, 429, 503: :data:`AUDITED_STATUSES`), with the
  subject when known, outcome ``error`` and the refusal's code.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import re
import time
from typing import Any, Literal

import uvicorn
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from graph_service.api.explorer import EXPLORER_PATH, explorer_csp
from graph_service.api.graphiql import graphiql_page
from graph_service.api.router import GRAPHQL_PATH, request_error
from graph_service.audit import new_record
from graph_service.auth.middleware import HEALTH_PATH
from graph_service.config import Settings

RATE_LIMITED = "RATE_LIMITED"
"""Code of a request refused by :class:`RateLimit` (HTTP 429)."""
DOCS_PATHS = ("/docs", "/redoc")
"""FastAPI's documentation pages (when ``Settings.enabled("api_docs")``)."""
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com; "
    "worker-src blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
"""CSP of FastAPI's ``/docs`` and ``/redoc``: their pages load Swagger UI and ReDoc from
jsDelivr with an inline script (off in the production profile)."""
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""CSP of every answer but the pages: JSON and files load nothing."""
HSTS = "max-age=31536000; includeSubDomains"
"""``Strict-Transport-Security`` behind TLS: one year, subdomains included."""
AUDITED_STATUSES = frozenset({400, 401, 403, 405, 413, 429, 503})
"""HTTP statuses of refusals :class:`RefusalAudit` records when GraphQL did not run (``/health``
answering 503 for a store that is down is a report, not a refusal: not recorded)."""
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_INLINE_HANDLER = re.compile(r'\son[a-z]+="([^"]*)"')


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def graphiql_csp(graphql_path: str = GRAPHQL_PATH) -> str:
    """The Content Security Policy of GraphiQL's page (:mod:`graph_service.api.graphiql`).

    Scripts and styles from the service's own files only, its inline script and inline
    event handlers allowed by their SHA-256 (computed from the page itself, so an edit of
    the page keeps the policy true), inline styles allowed (GraphiQL's editor injects
    ``<style>`` elements), requests to the service only, no framing, no plug-ins.

    Parameters
    ----------
    graphql_path : str
        The GraphQL endpoint the page queries.

    Returns
    -------
    str
        The ``Content-Security-Policy`` header's value.
    """
    page = graphiql_page(graphql_path, "E1")
    sources = ["'self'", *(_sha256(s) for s in _INLINE_SCRIPT.findall(page))]
    handlers = [_sha256(h) for h in _INLINE_HANDLER.findall(page)]
    if handlers:  # inline event handlers (onsubmit="...") need 'unsafe-hashes' (CSP 3)
        sources += ["'unsafe-hashes'", *handlers]
    return (
        f"default-src 'none'; script-src {' '.join(sources)}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    )


class SecurityHeaders:
    """Add the security headers (see the module's docstring) to every HTTP response.

    Parameters
    ----------
    app : ASGIApp
        The application.
    settings : Settings
        ``behind_tls`` adds ``Strict-Transport-Security``.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                  (b"x-frame-options", b"DENY")]
        if settings.behind_tls:
            common.append((b"strict-transport-security", HSTS.encode()))
        self.common = common
        self.page_csp = graphiql_csp().encode()
        self.explorer_csp = explorer_csp(settings).encode()

    def policy(self, scope: Scope, headers: list[tuple[bytes, bytes]]) -> bytes:
        """The CSP of a response: by its page, else the data policy."""
        if scope["path"] in DOCS_PATHS:
            return DOCS_CSP.encode()
        if scope["path"] == EXPLORER_PATH:
            return self.explorer_csp
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        if content_type.startswith(b"text/html"):
            return self.page_csp
        return DATA_CSP.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the application; add the headers to its response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                message["headers"] = [
                    *headers, *self.common,
                    (b"content-security-policy", self.policy(scope, headers)),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RateLimits:
    """The limits of one kind of key, counted in this process's memory.

    The counters are the ``limits`` library's asyncio flavour (``limits.aio``): its
    memory storage expires counters in a task of the server's event loop, where the
    threaded one starts a timer thread every 10 ms under load (each start waits for the
    GIL that GraphQL execution holds: measured, BENCHMARKS.md). The limiter is made on the
    first request, inside that loop.

    Parameters
    ----------
    notation : str
        Limits in the ``limits`` library's notation, e.g. ``"100/second;3000/minute"``.
    kind : {"address", "subject"}
        What the keys are (part of each counter's key).
    """

    def __init__(self, notation: str, kind: Literal["address", "subject"]) -> None:
        self.items: list[RateLimitItem] = parse_many(notation)
        self.kind = kind
        self._limiter: SlidingWindowCounterRateLimiter | None = None

    async def retry_after(self, key: str) -> int | None:
        """Count one request of ``key``; ``None`` if allowed, else seconds to wait (>= 1)."""
        if self._limiter is None:
            self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        for item in self.items:
            if not await self._limiter.hit(item, self.kind, key):
                reset = (await self._limiter.get_window_stats(item, self.kind, key)).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None


class RateLimit:
    """Refuse a request above its client address's or its subject's limits (HTTP 429).

    Parameters
    ----------
    app : ASGIApp
        The application.
    limits : RateLimits
        The limits and the kind of key: ``address`` (the connection's client address,
        as uvicorn's ``ProxyHeadersMiddleware`` set it) or ``subject`` (the caller the
        authentication put in the request's state; anonymous requests are not counted
        here).
    on_refusal : callable, optional
        Called with the kind of key for each refusal (the metrics' counter).

    Notes
    -----
    The answer is :func:`~graph_service.api.router.request_error` of code
    ``RATE_LIMITED`` with ``Retry-After``. Counters live in this process's memory: with
    several worker processes, each counts its own.
    """

    def __init__(self, app: ASGIApp, limits: RateLimits,
                 on_refusal: Any = None) -> None:
        self.app = app
        self.limits = limits
        self.on_refusal = on_refusal

    def key(self, scope: Scope) -> str | None:
        """The request's key: its client address or its subject (``None``: not counted)."""
        if self.limits.kind == "address":
            client = scope.get("client")
            return client[0] if client else "unknown"
        caller = scope.get("state", {}).get("caller")
        return caller.subject if caller is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request; answer 429 above a limit, else run the application."""
        if scope["type"] == "http" and (key := self.key(scope)) is not None:
            wait = await self.limits.retry_after(key)
            if wait is not None:
                if self.on_refusal is not None:
                    self.on_refusal(self.limits.kind)
                response = request_error(
                    f"Too many requests from this {self.limits.kind}: retry after {wait} s",
                    429, RATE_LIMITED,
                )
                response.headers["retry-after"] = str(wait)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class RefusalAudit:
    """Record each request refused before GraphQL ran in the audit trail.

    A response of a status in :data:`AUDITED_STATUSES` whose request did not reach
    GraphQL execution (``request.state.audited`` unset: the router sets it once the
    schema ran, and the operation's own record was appended) gets a record of outcome
    ``error``, its subject when authentication knew it, the request id, and the code of
    the answer's first error (``HTTP_<status>`` when the body has none). The record is
    appended without waiting for its ``fsync``, so that a flood of refused requests is
    not slowed to the disk's pace.

    Parameters
    ----------
    app : ASGIApp
        The application (its ``state.audit`` is the trail, read per request).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request; append a record if it was refused."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        body = b""

        async def watching_send(message: Message) -> None:
            nonlocal status, body
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status in AUDITED_STATUSES:
                body += message.get("body", b"")[: 4096 - len(body)]
            await send(message)

        await self.app(scope, receive, watching_send)
        state = scope.get("state", {})
        trail = getattr(getattr(scope.get("app"), "state", None), "audit", None)
        health_report = status == 503 and scope["path"] == HEALTH_PATH
        refused = status in AUDITED_STATUSES and not health_report
        if refused and not state.get("audited") and trail is not None:
            record = new_record(state.get("caller"), started,
                                request_id=state.get("request_id"),
                                error_codes=[refusal_code(status, body)])
            trail.append(record)


def refusal_code(status: int, body: bytes) -> str:
    """The ``extensions.code`` of a refusal's first error, else ``HTTP_<status>``."""
    try:
        code = json.loads(body)["errors"][0]["extensions"]["code"]
    except (ValueError, LookupError, TypeError):
        return f"HTTP_{status}"
    return str(code)


class TimedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request arrives too slowly.

    The deadlines come from the ``Settings`` given to :func:`uvicorn_config` (set on the
    class it makes): ``header_timeout_s`` from the connection (or the first byte of a
    further request on it) to the end of the headers, ``body_timeout_s`` from there to
    the end of the body. When one passes, the connection is closed; an application still
    reading the body receives ``http.disconnect``.
    """

    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    deadline: asyncio.TimerHandle | None = None

    def arm(self, seconds: float) -> None:
        """(Re)start the deadline: close the connection in ``seconds`` unless disarmed."""
        self.disarm()
        self.deadline = self.loop.call_later(seconds, self.too_slow)

    def disarm(self) -> None:
        """Cancel the deadline."""
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def too_slow(self) -> None:
        """Close the connection of a request that did not arrive in time."""
        self.deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Accept the connection; its first request's headers are due in time."""
        super().connection_made(transport)
        self.arm(self.header_timeout_s)

    def on_message_begin(self) -> None:
        """A request begins: its headers are due in time."""
        super().on_message_begin()
        self.arm(self.header_timeout_s)

    def on_headers_complete(self) -> None:
        """The headers arrived: the body is due in time."""
        super().on_headers_complete()
        self.arm(self.body_timeout_s)

    def on_message_complete(self) -> None:
        """The request arrived whole: no deadline until the next one begins."""
        self.disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the deadline with the connection."""
        self.disarm()
        super().connection_lost(exc)


def uvicorn_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration the service runs with.

    Parameters
    ----------
    app : ASGI application
        The application (:func:`graph_service.api.app.create_app`).
    settings : Settings
        Its ``header_timeout_s`` and ``body_timeout_s`` go to :class:`TimedHttpProtocol`.
    **options
        Further ``uvicorn.Config`` options (``log_level``, ...).

    Returns
    -------
    uvicorn.Config
        httptools with :class:`TimedHttpProtocol`'s deadlines, no ``server`` header
        (``server_header=False``), no access log (the audit trail and the JSON logs say
        who asked what), and uvicorn's own proxy headers off: the application reads
        ``X-Forwarded-For`` from ``Settings.trusted_proxies`` only.
    """
    protocol = type("ServiceHttpProtocol", (TimedHttpProtocol,), {
        "header_timeout_s": settings.header_timeout_s,
        "body_timeout_s": settings.body_timeout_s,
    })
    options.setdefault("access_log", False)
    return uvicorn.Config(app, http=protocol, server_header=False, proxy_headers=False,
                          **options)


__all__ = [
    "AUDITED_STATUSES", "DATA_CSP", "DOCS_CSP", "RATE_LIMITED", "RateLimit", "RateLimits",
    "RefusalAudit", "SecurityHeaders", "TimedHttpProtocol", "graphiql_csp",
    "refusal_code", "uvicorn_config",
]
