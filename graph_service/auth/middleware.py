"""Authentication over HTTP: an ASGI middleware that verifies the bearer token of a request.

Open without a token:

- ``/health`` (liveness only; a valid token, when sent, makes the caller known, and the
  route then adds the counts);
- GraphiQL's page (``GET /graphql`` asked for by a browser, without a ``query``: exactly
  the requests strawberry answers with the page) and its files under ``/static``. They
  hold no data.

Every other request needs ``Authorization: Bearer <token>``; without one, or with one that
does not verify, it is answered HTTP 401 with ``WWW-Authenticate: Bearer
realm="graph-service"`` (and ``error="invalid_token"`` and a description for a bad token,
RFC 6750) and a GraphQL-shaped body of code ``UNAUTHENTICATED``::

    {"data": null, "errors": [{"message": "...", "extensions": {"code": "UNAUTHENTICATED"}}]}

The verified :class:`~graph_service.auth.caller.Caller` is put in the request's state
(``request.state.caller``), from which the GraphQL context takes it. When authentication
is off (``--insecure-no-auth``) every request is :data:`INSECURE_CALLER`.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from graph_service.api.explorer import OPEN_PATHS as EXPLORER_PATHS
from graph_service.api.graphiql import STATIC_PATH
from graph_service.api.router import GRAPHQL_PATH, request_error
from graph_service.auth.caller import INSECURE_CALLER, Caller
from graph_service.auth.tokens import TokenVerifier
from graph_service.errors import AuthUnavailableError, UnauthenticatedError

HEALTH_PATH = "/health"
"""The liveness route, open to every caller."""
REALM = "graph-service"
"""The realm named in ``WWW-Authenticate``."""


def is_graphiql_page(scope: Scope, headers: Headers) -> bool:
    """Whether a request is one strawberry answers with GraphiQL's page (no data).

    The test of strawberry's ``should_render_graphql_ide``: ``GET`` on the GraphQL path, no
    ``query`` parameter, and an ``Accept`` naming ``text/html`` or ``*/*``.
    """
    if scope["method"] != "GET" or scope["path"] != GRAPHQL_PATH:
        return False
    if "query" in QueryParams(scope.get("query_string", b"")):
        return False
    accept = headers.get("accept", "")
    return "text/html" in accept or "*/*" in accept


def bearer_token(headers: Headers) -> str:
    """The token of an ``Authorization: Bearer <token>`` header.

    Raises
    ------
    UnauthenticatedError
        If the header is missing, of another scheme, or holds no token.
    """
    value = headers.get("authorization")
    if value is None:
        raise UnauthenticatedError("no credentials: send Authorization: Bearer <token>")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthenticatedError(
            "the Authorization header must be 'Bearer <token>' (another scheme or no token)"
        )
    return token.strip()


class Authentication:
    """Verify each request's bearer token; refuse a protected request without a valid one.

    Parameters
    ----------
    app : ASGIApp
        The application.
    verifier : TokenVerifier or None
        Checks tokens; ``None`` turns authentication off (every caller an admin).

    Notes
    -----
    A token verified before is answered from the verifier's cache on the event loop; a new
    one is verified in a worker thread, since fetching an OIDC issuer's keys blocks.
    """

    def __init__(self, app: ASGIApp, verifier: TokenVerifier | None) -> None:
        self.app = app
        self.verifier = verifier

    async def caller(self, headers: Headers) -> Caller:
        """The caller the request's token vouches for.

        Raises
        ------
        UnauthenticatedError
            If there is no valid bearer token.
        AuthUnavailableError
            If the OIDC issuer's keys cannot be fetched.
        """
        if self.verifier is None:
            return INSECURE_CALLER
        token = bearer_token(headers)
        caller = self.verifier.cached(token)
        if caller is None:
            caller = await run_in_threadpool(self.verifier.verify, token)
        return caller

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Put the caller in the request's state, or answer 401 (503 without the keys)."""
        if scope["type"] != "http" or scope["path"].startswith(STATIC_PATH + "/"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        state = scope.setdefault("state", {})
        open_route = (scope["path"] == HEALTH_PATH or scope["path"] in EXPLORER_PATHS
                      or is_graphiql_page(scope, headers))
        try:
            state["caller"] = await self.caller(headers)
        except (UnauthenticatedError, AuthUnavailableError) as exc:
            state["caller"] = None
            if not open_route:
                await self.refuse(exc, scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def refuse(self, exc: UnauthenticatedError | AuthUnavailableError, scope: Scope,
                     receive: Receive, send: Send) -> None:
        """Answer 401 with ``WWW-Authenticate`` (or 503 when the issuer's keys are missing)."""
        if isinstance(exc, AuthUnavailableError):
            await request_error(str(exc), 503, exc.code)(scope, receive, send)
            return
        response = request_error(str(exc), 401, exc.code)
        challenge = f'Bearer realm="{REALM}"'
        if Headers(scope=scope).get("authorization") is not None:
            description = str(exc).replace('"', "'")
            challenge += f', error="invalid_token", error_description="{description}"'
        response.headers["www-authenticate"] = challenge
        await response(scope, receive, send)


__all__ = ["HEALTH_PATH", "Authentication", "bearer_token", "is_graphiql_page"]
