"""Browser fixtures, shared by every page's tests: the service, headless Chromium, a page.

Chromium is Debian's ``chromium`` package at :data:`CHROMIUM` (``make test`` installs it
when missing; Playwright cannot download its own browser here), driven by Playwright for
Python. Each test gets a browser of its own with a fresh profile (user-data directory) and
one page, whose screenshot is saved in :data:`ARTIFACTS` when the test ends, pass or fail.
The service is the real ``graph-service serve`` on a free loopback port, serving the small
bank of tests/conftest.py (:func:`service_url`, authentication off), or the real
``graph-service demo`` with authentication on (:func:`demo`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, Route, sync_playwright

from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer
from tests.conftest import REPO_ROOT, write_small_bank
from tests.test_cli import serve_cli

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium (package ``chromium``)."""
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Chromium's flags besides ``--headless`` (Playwright's ``headless=True``) and the profile."""
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
"""Where screenshots go (git-ignored), one per test: ``<test name>.png``."""
LOOPBACK = "127.0.0.1"


@pytest.fixture
def playwright() -> Iterator[Playwright]:
    """Playwright for one test: it runs an event loop in this thread while it is open, which
    would stop other tests' ``asyncio.run`` (so it is not kept for the session)."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make {CHROMIUM}` (apt-get install chromium)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT``) of ``graph-service serve`` on the small bank."""
    data = write_small_bank(tmp_path_factory.mktemp("browser") / "small-bank-data")
    with serve_cli(data, "serve", "--insecure-no-auth") as client:  # GraphiQL's mechanics
        yield str(client.base_url).rstrip("/")


@pytest.fixture
def context(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """Headless Chromium with a fresh profile in ``tmp_path``; closed after the test."""
    context = playwright.chromium.launch_persistent_context(
        tmp_path / "chromium-profile",
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 1000},
    )
    yield context
    context.close()


@pytest.fixture
def requested(context: BrowserContext) -> list[str]:
    """Every URL the browser requested, in order."""
    urls: list[str] = []
    context.on("request", lambda request: urls.append(request.url))
    return urls


@pytest.fixture
def js_errors() -> list[str]:
    """The uncaught JavaScript errors of :func:`page`; a test asserts it stays empty."""
    return []


@pytest.fixture
def page(
    context: BrowserContext, js_errors: list[str], request: pytest.FixtureRequest
) -> Iterator[Page]:
    """The browser's page; its full screenshot is saved in :data:`ARTIFACTS` at the end."""
    page = context.pages[0] if context.pages else context.new_page()
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


@pytest.fixture
def offline(context: BrowserContext) -> list[str]:
    """Refuse every request that leaves 127.0.0.1, as on an intranet; list what was tried."""
    attempted: list[str] = []

    def route(route: Route) -> None:
        if urlsplit(route.request.url).hostname == LOOPBACK:
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", route)
    return attempted


@dataclass(frozen=True)
class Demo:
    """The demo bank served as ``make demo`` serves it, and what the tests need of it.

    Attributes
    ----------
    url : str
        Base URL of the service (authentication on: the data directory's local issuer).
    data_dir : Path
    client_id, client_name : str
        The client with the most employees without a payroll card, and its name.
    manager_id, manager_token : str
        Its account manager, and a token of that manager (8 hours).
    """

    url: str
    data_dir: Path
    client_id: str
    client_name: str
    manager_id: str
    manager_token: str

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """The data of ``query`` asked as the manager (the API, to check the page against)."""
        answer = httpx.post(f"{self.url}/graphql", timeout=30,
                            json={"query": query, "variables": variables or {}},
                            headers={"Authorization": f"Bearer {self.manager_token}"})
        body = answer.json()
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``graph-service demo`` (2,000 people, seed 7) on a free loopback port, session-wide."""
    data = tmp_path_factory.mktemp("demo")
    with serve_cli(data, "demo") as http:
        admin = LocalIssuer(data).issue("test-admin", Role.ADMIN)
        answer = http.post("/graphql", headers={"Authorization": f"Bearer {admin}"}, json={
            "query": "{ enterprises(sort: {uncoveredEmployees: DESC}, first: 1) { edges { node {"
                     " id name managers(first: 1) { edges { node { id } } } } } } }"})
        [edge] = answer.json()["data"]["enterprises"]["edges"]
        client = edge["node"]
        manager = client["managers"]["edges"][0]["node"]["id"]
        token = LocalIssuer(data).issue(f"demo-manager-{manager}", Role.MANAGER, manager)
        yield Demo(str(http.base_url).rstrip("/"), data, client["id"], client["name"], manager,
                   token)
