"""The explorer's routes (graph_service/api/explorer.py): the redirect, the page and its
files open without a token, its Content Security Policy, and the sign-in settings. The page
itself runs in a real browser in tests/browser/test_explorer.py."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser

import httpx

from graph_service.api.explorer import PAGE_DIR, explorer_csp
from graph_service.config import Settings
from tests.api.conftest import Client


class Scripts(HTMLParser):
    """The page's script elements: their ``src``, and whether any has inline code."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.inline = False
        self.handlers: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.handlers += [name for name in values if name.startswith("on")]
        if tag == "script":
            self._in_script = True
            self.sources.append(values.get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data: str) -> None:
        self.inline = self.inline or (self._in_script and bool(data.strip()))


def bare(client: Client) -> httpx.Client:
    return httpx.Client(base_url=client.http.base_url, timeout=10)


def test_root_redirects_to_the_explorer_and_the_page_is_open(client: Client) -> None:
    with bare(client) as http:
        root = http.get("/")
        assert root.status_code == 307 and root.headers["location"] == "/explorer"
        page = http.get("/explorer")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "<title>Linkage explorer</title>" in page.text
        scripts = Scripts(page.text)
        assert scripts.sources == ["/static/explorer/main.js"]
        assert not scripts.inline and scripts.handlers == []
        for module in sorted(p.name for p in PAGE_DIR.glob("*.js")):
            answer = http.get(f"/static/explorer/{module}")
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/javascript")
        cytoscape = http.get("/static/cytoscape/cytoscape.esm.min.mjs")
        assert cytoscape.headers["content-type"].startswith("text/javascript")
        # The data stays closed.
        assert http.post("/graphql", json={"query": "{ __typename }"}).status_code == 401


def test_the_pages_policy_allows_no_inline_script(client: Client) -> None:
    policy = client.http.get("/explorer").headers["content-security-policy"]
    assert policy == explorer_csp(Settings())
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["default-src"] == "'none'"
    # GraphiQL keeps its own policy (its inline script by hash).
    graphiql = client.http.get("/graphql", headers={"Accept": "text/html"})
    assert "'sha256-" in graphiql.headers["content-security-policy"]


def test_sign_in_settings(client: Client, serve: Callable[..., Client]) -> None:
    with bare(client) as http:
        assert http.get("/explorer/config").json() == {"oidc": None}
    issuer = "https://login.bank.example/realms/staff"
    configured = serve(oidc_issuer=issuer, oidc_audience="graph-api",
                       oidc_client_id="explorer", oidc_scope="openid graph")
    with bare(configured) as http:
        assert http.get("/explorer/config").json() == {"oidc": {
            "issuer": issuer, "clientId": "explorer", "scope": "openid graph"}}
        policy = http.get("/explorer").headers["content-security-policy"]
    assert "connect-src 'self' https://login.bank.example;" in policy
    # An issuer without a client id: tokens of the issuer are accepted, the page pastes them.
    pasted_only = explorer_csp(Settings(oidc_issuer=issuer, oidc_audience="a"))
    assert "connect-src 'self';" in pasted_only
