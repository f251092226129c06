"""The HTTP application: GraphQL (and GraphiQL), the explorer, liveness at ``/health``.

GraphQL and GraphiQL are at ``/graphql``, the explorer at ``/explorer``
(:mod:`graph_service.api.explorer`).

GraphiQL's own files are served under ``/static`` (:mod:`graph_service.api.graphiql`);
Prometheus metrics at ``/metrics`` when ``Settings.metrics`` is on
(:mod:`graph_service.api.metrics`). The hardening (security headers, rate limits, slow
clients, refused requests audited) is :mod:`graph_service.api.security`; GraphQL over the
embedded store executes on :mod:`graph_service.api.execution`'s thread.

Run it with ``graph-service serve``, which gives uvicorn the configuration of
:func:`graph_service.api.security.uvicorn_config` (read deadlines for slow clients, no
``server`` header, no proxy headers of uvicorn's own). uvicorn's factory mode serves the
same application without them unless told so (the protocol then with its default deadlines,
10 s and 30 s)::

    uvicorn --factory graph_service.api.app:create_app --no-server-header \
        --no-proxy-headers --http graph_service.api.security:TimedHttpProtocol
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from graph_service.access import GRAPH_READERS
from graph_service.api.context import Context, make_context
from graph_service.api.execution import decode_in_background, execution_thread_for, run_on
from graph_service.api.explorer import explorer_router
from graph_service.api.extensions import logger
from graph_service.api.fast_path import prepared_schema, schema_for
from graph_service.api.graphiql import STATIC_DIR, STATIC_PATH
from graph_service.api.limits import RequestSizeLimit
from graph_service.api.metrics import (
    MeteredTrail,
    Metrics,
    TimedStore,
    metrics_route,
    root_field_names,
)
from graph_service.api.reports import report_router
from graph_service.api.router import GraphQLHTTPView, add_graphql_routes, method_not_allowed
from graph_service.api.security import (
    RateLimit,
    RateLimits,
    RefusalAudit,
    SecurityHeaders,
)
from graph_service.api.trail import RequestId
from graph_service.audit import AuditTrail
from graph_service.auth.middleware import Authentication
from graph_service.auth.tokens import verifier_for
from graph_service.config import Settings
from graph_service.errors import GraphServiceError
from graph_service.memory import frozen_heap
from graph_service.stores import open_store
from graph_service.stores.base import GraphStore


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """Build the service's FastAPI application.

    Parameters
    ----------
    settings : Settings, optional
        Defaults to ``Settings()`` (read from the environment).
    store : GraphStore, optional
        An open store to serve; the caller keeps ownership and closes it. When omitted, the
        app opens ``open_store(settings)`` at start-up and closes it at shutdown. Either
        way, once started it decodes what the embedded store deferred at opening, in a
        thread (:func:`~graph_service.api.execution.decode_in_background`).

    Returns
    -------
    FastAPI
        Routes: ``GET /graphql`` (GraphiQL for a browser, queries otherwise), ``POST
        /graphql`` (GraphQL over HTTP), ``GET /health``, and GraphiQL's files under
        ``/static`` (:mod:`graph_service.api.graphiql`), the explorer at ``GET /explorer``
        (``GET /`` redirects there; :mod:`graph_service.api.explorer`), and
        ``GET /reports/{question}``
        (:mod:`graph_service.api.reports`: whole-book reports, streamed). A request that is not a
        runnable GraphQL request answers HTTP 400 with a GraphQL error of code
        ``BAD_REQUEST`` (see :mod:`graph_service.api.router`); a body larger than
        ``settings.max_request_bytes`` answers HTTP 413 with one of code
        ``REQUEST_TOO_LARGE``, before it is read or parsed (see
        :mod:`graph_service.api.limits`); another method than a route takes answers HTTP
        405 with one of code ``METHOD_NOT_ALLOWED`` and the route's ``Allow`` header
        (``GET, POST`` for ``/graphql``).

        Every request but ``/health``, GraphiQL's and the explorer's pages and their files
        needs a bearer token
        (:mod:`graph_service.auth.middleware`: HTTP 401 with ``WWW-Authenticate`` and code
        ``UNAUTHENTICATED`` otherwise); the caller goes into the GraphQL context. Each
        request gets a correlation id (``X-Request-ID``, echoed) and each GraphQL operation,
        and each request refused before GraphQL ran, a record in the audit trail of
        ``settings.audit_path`` (:mod:`graph_service.audit`). Requests above the rate
        limits answer HTTP 429 ``RATE_LIMITED``; every answer carries the security headers
        (:mod:`graph_service.api.security`); an operation past
        ``settings.execution_timeout_s`` answers ``QUERY_TIMEOUT``. ``/docs``, ``/redoc``,
        ``/openapi.json``, GraphiQL and introspection follow ``settings.enabled`` (off in
        the production profile); ``/metrics`` exists with ``settings.metrics`` (admins only).

    Raises
    ------
    InvalidInputError
        If the production profile has no OIDC issuer, or the local issuer's key is unusable
        (:func:`graph_service.auth.tokens.verifier_for`).
    StoreUnavailableError
        At start-up (lifespan), if the store cannot be opened.
    """
    settings = settings or Settings()
    verifier = verifier_for(settings)
    metrics = Metrics(root_field_names(schema_for(settings))) if settings.metrics else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = store if store is not None else open_store(settings)
        app.state.store = opened if metrics is None else TimedStore(opened, metrics)
        app.state.execution = execution_thread_for(opened)
        decoding = decode_in_background(opened)
        app.state.audit = (
            AuditTrail(settings.audit_path, settings.audit_max_bytes) if metrics is None
            else MeteredTrail(settings.audit_path, settings.audit_max_bytes, metrics)
        )
        try:
            with frozen_heap():  # started: what serving requests allocates is all GC scans
                yield
        finally:
            if decoding is not None:
                decoding.join()
            if app.state.execution is not None:
                app.state.execution.close()
            app.state.audit.close()
            if store is None:
                await opened.close()

    docs = settings.enabled("api_docs")
    app = FastAPI(
        title="Linkage graph service",
        description="Public-private linkage questions over a bank's client network.",
        lifespan=lifespan,
        exception_handlers={405: method_not_allowed},
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )

    async def get_context(request: Request) -> Context:
        # The store is refreshed where the operation executes (GraphQLHTTPView).
        state = request.state
        return make_context(request.app.state.store, settings, caller=state.caller,
                            request_id=state.request_id, audit=request.app.state.audit,
                            audit_wait=True)

    # Added innermost first. A request meets: its id, the audit of refusals, the security
    # headers, the client address (from a trusted proxy), CORS, the address's rate limit,
    # the size limit (headers only), the token, the subject's rate limit.
    on_refusal = metrics.refused if metrics is not None else None
    app.add_middleware(RateLimit, limits=RateLimits(settings.rate_limit_subject, "subject"),
                       on_refusal=on_refusal)
    app.add_middleware(Authentication, verifier=verifier)
    app.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(RateLimit, limits=RateLimits(settings.rate_limit_address, "address"),
                       on_refusal=on_refusal)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "x-request-id"],
            expose_headers=["x-request-id", "retry-after"],
        )
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.add_middleware(SecurityHeaders, settings=settings)
    app.add_middleware(RefusalAudit)
    app.add_middleware(RequestId)
    add_graphql_routes(app, GraphQLHTTPView(
        prepared_schema(settings), context_getter=get_context,  # before the heap is frozen
        graphql_ide="graphiql" if settings.enabled("graphiql") else None,
    ))
    app.include_router(report_router(settings))
    app.include_router(explorer_router(settings))
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")
    if metrics is not None:
        app.add_api_route("/metrics", metrics_route(metrics), methods=["GET"],
                          include_in_schema=False)

    @app.get("/health", summary="Liveness (and node/relationship counts for a graph reader)")
    async def health(request: Request) -> Any:
        """Answer ``{"status": "ok"}``, or 503 when the store fails.

        A caller who may read the graph (a valid token of a role of
        :data:`~graph_service.access.GRAPH_READERS`, not ``staff``) also gets
        ``"counts": {...}`` and, on a failure, its reason; anyone else only liveness: on
        the embedded store without reading it (so at once, whatever the execution thread is
        doing), on a Cypher store after asking the database. The size of the book and the
        database's error messages (hosts, ports) are not for anonymous callers.
        """
        store, execution = request.app.state.store, request.app.state.execution
        caller = request.state.caller
        reader = caller is not None and caller.role in GRAPH_READERS
        if not reader and execution is not None:
            return {"status": "ok"}

        async def counts_now() -> dict[str, int]:
            await store.refresh()
            counts: dict[str, int] = await store.counts()
            return counts

        try:
            counts = await run_on(execution, counts_now())
        except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
            if isinstance(exc, GraphServiceError):  # e.g. the database is down: no traceback
                logger.warning("health check failed: %s", exc)
            else:
                logger.exception("health check failed")
            reason = {"reason": str(exc)} if reader else {}
            return JSONResponse(status_code=503, content={"status": "unhealthy", **reason})
        return {"status": "ok", "counts": counts} if reader else {"status": "ok"}

    return app
