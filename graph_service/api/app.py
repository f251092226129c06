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
from graph_service.api.router import GRAPHQL_PATH, GraphQLHTTPRouter, method_not_allowed
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
        ``/static`` (:mod:`graph_service.api.graphiql`). A request that is not a
        runnable GraphQL request answers HTTP 400 with a GraphQL error of code
        ``BAD_REQUEST`` (see :mod:`graph_service.api.router`); a body larger than
        ``settings.max_request_bytes`` answers HTTP 413 with one of code
        ``REQUEST_TOO_LARGE``, before it is read or parsed (see
        :mod:`graph_service.api.limits`); another method than a route takes answers HTTP
        405 with one of code ``METHOD_NOT_ALLOWED`` and the route's ``Allow`` header
        (``GET, POST`` for ``/graphql``).

    Raises
    ------
    StoreUnavailableError
        At start-up (lifespan), if the store cannot be opened.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = store if store is not None else open_store(settings)
        try:
            yield
        finally:
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
        return make_context(store, settings)

    app.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_bytes)
    graphql = GraphQLHTTPRouter(
        schema_for(settings), path=GRAPHQL_PATH, context_getter=get_context,
        graphql_ide="graphiql",
    )
    app.include_router(graphql)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/health", summary="Liveness and node/relationship counts")
    async def health(request: Request) -> Any:
        """Answer ``{"status": "ok", "counts": {...}}``, or 503 when the store fails."""
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
        return {"status": "ok", "counts": counts}

    return app
