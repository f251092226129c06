"""The HTTP application: GraphQL (and GraphiQL) at ``/graphql``, liveness at ``/health``.

GraphiQL's own files are served under ``/static`` (:mod:`graph_service.api.graphiql`).

Run it with uvicorn's factory mode::

    uvicorn --factory graph_service.api.app:create_app

or through ``graph-service serve``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from graph_service.api.context import Context, make_context
from graph_service.api.extensions import logger
from graph_service.api.fast_path import schema_for
from graph_service.api.graphiql import STATIC_DIR, STATIC_PATH
from graph_service.api.limits import RequestSizeLimit
from graph_service.api.reports import report_router
from graph_service.api.router import GRAPHQL_PATH, GraphQLHTTPRouter, method_not_allowed
from graph_service.audit import AuditTrail, RequestId
from graph_service.auth.middleware import Authentication
from graph_service.auth.tokens import verifier_for
from graph_service.config import Settings
from graph_service.errors import GraphServiceError
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
        app opens ``open_store(settings)`` at start-up and closes it at shutdown.

    Returns
    -------
    FastAPI
        Routes: ``GET /graphql`` (GraphiQL for a browser, queries otherwise), ``POST
        /graphql`` (GraphQL over HTTP), ``GET /health``, and GraphiQL's files under
        ``/static`` (:mod:`graph_service.api.graphiql`), and ``GET /reports/{question}``
        (:mod:`graph_service.api.reports`: whole-book reports, streamed). A request that is not a
        runnable GraphQL request answers HTTP 400 with a GraphQL error of code
        ``BAD_REQUEST`` (see :mod:`graph_service.api.router`); a body larger than
        ``settings.max_request_bytes`` answers HTTP 413 with one of code
        ``REQUEST_TOO_LARGE``, before it is read or parsed (see
        :mod:`graph_service.api.limits`); another method than a route takes answers HTTP
        405 with one of code ``METHOD_NOT_ALLOWED`` and the route's ``Allow`` header
        (``GET, POST`` for ``/graphql``).

        Every request but ``/health``, GraphiQL's page and its files needs a bearer token
        (:mod:`graph_service.auth.middleware`: HTTP 401 with ``WWW-Authenticate`` and code
        ``UNAUTHENTICATED`` otherwise); the caller goes into the GraphQL context. Each
        request gets a correlation id (``X-Request-ID``, echoed) and each GraphQL operation
        a record in the audit trail of ``settings.audit_path``
        (:mod:`graph_service.audit`).

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

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = store if store is not None else open_store(settings)
        app.state.audit = AuditTrail(settings.audit_path, settings.audit_max_bytes)
        try:
            yield
        finally:
            app.state.audit.close()
            if store is None:
                await app.state.store.close()

    app = FastAPI(
        title="Linkage graph service",
        description="Public-private linkage questions over a bank's client network.",
        lifespan=lifespan,
        exception_handlers={405: method_not_allowed},
    )

    async def get_context(request: Request) -> Context:
        store = request.app.state.store
        await store.refresh()  # serve what another process (a load) committed meanwhile
        state = request.state
        return make_context(store, settings, caller=state.caller, request_id=state.request_id,
                            audit=request.app.state.audit, audit_wait=True)

    # Outermost last: the request id, then the size limit (headers only), then the token.
    app.add_middleware(Authentication, verifier=verifier)
    app.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestId)
    graphql = GraphQLHTTPRouter(
        schema_for(settings), path=GRAPHQL_PATH, context_getter=get_context,
        graphql_ide="graphiql",
    )
    app.include_router(graphql)
    app.include_router(report_router(settings))
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/health", summary="Liveness (and node/relationship counts for a known caller)")
    async def health(request: Request) -> Any:
        """Answer ``{"status": "ok"}``, or 503 when the store fails.

        A caller with a valid token also gets ``"counts": {...}``; an anonymous one only
        liveness.
        """
        try:
            store = request.app.state.store
            await store.refresh()
            counts = await store.counts()
        except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
            if isinstance(exc, GraphServiceError):  # e.g. the database is down: no traceback
                logger.warning("health check failed: %s", exc)
            else:
                logger.exception("health check failed")
            return JSONResponse(
                status_code=503, content={"status": "unhealthy", "reason": str(exc)}
            )
        if request.state.caller is None:
            return {"status": "ok"}
        return {"status": "ok", "counts": counts}

    return app
