"""The network explorer: a browser page at ``/explorer`` (``/`` redirects to it).

The page is plain ES modules and a stylesheet in :data:`PAGE_DIR` (``static/explorer``,
served under ``/static/explorer`` like GraphiQL's files) over the vendored cytoscape.js
(``static/cytoscape``, ``make browser-assets``). It talks only to the service's own GraphQL
API with the user's bearer token, and holds no data itself, so the page, its files and
:data:`CONFIG_PATH` are open to every caller (:data:`OPEN_PATHS`). Its Content Security
Policy (:func:`explorer_csp`) allows no inline script at all.

Signing in: a pasted token, or, when ``Settings.oidc_issuer`` and
``Settings.oidc_client_id`` are set, the OAuth 2.0 authorization-code flow with PKCE
(RFC 7636, ``S256``) against that issuer, the page being a public client: it reads the
issuer's discovery document, sends the user to its ``authorization_endpoint`` and trades
the code at its ``token_endpoint``. Both are fetched by the browser, so the issuer must
answer the service's origin with CORS headers (Keycloak's "Web origins") and serve its
token endpoint on its own origin, which the policy's ``connect-src`` names.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from graph_service.api.graphiql import STATIC_DIR
from graph_service.config import Settings

EXPLORER_PATH = "/explorer"
"""URL path of the explorer's page."""
CONFIG_PATH = "/explorer/config"
"""URL path of the page's sign-in settings (:func:`explorer_config`)."""
OPEN_PATHS = frozenset({"/", EXPLORER_PATH, CONFIG_PATH})
"""Routes of this module: open without a token (they hold no data)."""
PAGE_DIR = STATIC_DIR / "explorer"
"""The explorer's own files: ``index.html``, its modules and stylesheet."""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def explorer_config(settings: Settings) -> dict[str, Any]:
    """What the page needs to sign in: the OIDC issuer, client id and scope, or none.

    Returns
    -------
    dict
        ``{"oidc": {"issuer", "clientId", "scope"}}`` when both ``oidc_issuer`` and
        ``oidc_client_id`` are set, else ``{"oidc": None}`` (the page then offers the
        pasted token alone).
    """
    if settings.oidc_issuer is None or settings.oidc_client_id is None:
        return {"oidc": None}
    return {"oidc": {"issuer": settings.oidc_issuer, "clientId": settings.oidc_client_id,
                     "scope": settings.oidc_scope}}  # fmt: skip


def explorer_csp(settings: Settings) -> str:
    """The Content Security Policy of the explorer's page.

    Scripts from the service's own files only (no inline script, no ``eval``); styles from
    them and inline (cytoscape.js adds a ``<style>`` element to its container); images from
    the service and ``data:``/``blob:`` URLs (the PNG export); requests to the service, and
    to the OIDC issuer's origin when the page signs in there (its discovery document and
    token endpoint); no framing, no plug-ins, no form posts.

    Parameters
    ----------
    settings : Settings
        ``oidc_issuer`` and ``oidc_client_id`` add the issuer's origin to ``connect-src``.

    Returns
    -------
    str
        The ``Content-Security-Policy`` header's value.
    """
    connect = ["'self'"]
    oidc = explorer_config(settings)["oidc"]
    if oidc is not None:
        connect.append(_origin(oidc["issuer"]))
    return (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob:; connect-src {' '.join(connect)}; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def explorer_router(settings: Settings) -> APIRouter:
    """The routes: ``GET /`` (a redirect), ``GET /explorer`` (the page), its config.

    Parameters
    ----------
    settings : Settings
        Read by :func:`explorer_config`.

    Returns
    -------
    APIRouter
        ``GET /`` answers 307 to ``/explorer`` (the browser keeps a shared view's ``#``);
        ``GET /explorer`` the page (``index.html`` of :data:`PAGE_DIR`);
        ``GET /explorer/config`` :func:`explorer_config` as JSON.
    """
    router = APIRouter(include_in_schema=False)
    config = explorer_config(settings)

    @router.get("/")
    async def root() -> RedirectResponse:
        return RedirectResponse(EXPLORER_PATH)

    @router.get(EXPLORER_PATH)
    async def page() -> FileResponse:
        return FileResponse(PAGE_DIR / "index.html", media_type="text/html")

    @router.get(CONFIG_PATH)
    async def sign_in_config() -> dict[str, Any]:
        return config

    return router


__all__ = ["CONFIG_PATH", "EXPLORER_PATH", "OPEN_PATHS", "PAGE_DIR", "explorer_config",
           "explorer_csp", "explorer_router"]  # fmt: skip
