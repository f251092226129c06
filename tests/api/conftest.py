"""Fixtures of the GraphQL contract tests: the service over real HTTP on the small bank."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from graph_service.api.app import create_app
from graph_service.api.security import uvicorn_config
from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer
from graph_service.config import Settings
from graph_service.stores.base import GraphStore
from tests.conftest import (
    BACKENDS,
    backend_settings,
    close,
    small_bank_batch,
    store_for,
    write_small_bank,
)


class Server:
    """A uvicorn server running ``app`` in a background thread on a free loopback port."""

    def __init__(self, app: Any, settings: Settings | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn_config(app, settings or Settings(), log_level="warning",
                                lifespan="on")  # serve's configuration
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


class Client:
    """An httpx client of one running service, with a GraphQL helper."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST a document; return the JSON body (asserting HTTP 200)."""
        response = self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST a document that must succeed; return its ``data``."""
        body = self.post(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def error_codes(self, query: str, variables: dict[str, Any] | None = None) -> list[str]:
        """POST a document that must fail; return the ``extensions.code`` of its errors."""
        body = self.post(query, variables)
        assert body.get("errors"), body
        return [error["extensions"]["code"] for error in body["errors"]]


@pytest.fixture(scope="session")
def bank_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small bank of tests/conftest.py in a data directory shared by the API tests.

    The service only reads it, so one copy serves every test of the session.
    """
    return write_small_bank(tmp_path_factory.mktemp("api") / "small-bank-data")


def admin_token(data_dir: Path) -> str:
    """A token of the local issuer of ``data_dir`` (its key made on first use), role admin."""
    return LocalIssuer(data_dir).issue("test-admin", Role.ADMIN)


@contextmanager
def running(data_dir: Path, store: GraphStore | None = None, **overrides: Any) -> Iterator[Client]:
    """Serve ``create_app`` over HTTP on ``data_dir`` (or ``store``) for the block's duration.

    The client sends an admin token of the data directory's local issuer (none when the
    service runs with ``insecure_no_auth``).
    """
    settings = Settings(data_dir=data_dir, **overrides)
    headers = {} if settings.insecure_no_auth else {
        "Authorization": f"Bearer {admin_token(data_dir)}"
    }
    with Server(create_app(settings, store=store), settings) as server, httpx.Client(
        base_url=server.url, timeout=10, headers=headers
    ) as http:
        yield Client(http)


@pytest.fixture(scope="session")
def client(bank_dir: Path) -> Iterator[Client]:
    """A client of the service serving the small bank with default settings (session-wide)."""
    with running(bank_dir) as client:
        yield client


@pytest.fixture(scope="module", params=BACKENDS)
def backend_client(
    request: pytest.FixtureRequest, bank_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Client]:
    """A client of the service serving the small bank from each backend in turn (module-wide).

    A module that wants its API tests run against every backend overrides ``client`` with
    this fixture.
    """
    if request.param == "embedded":
        with running(bank_dir) as client:
            yield client
        return
    store = store_for(backend_settings(request, request.param, tmp_path_factory.mktemp("api")))
    asyncio.run(store.write(small_bank_batch()))
    with running(bank_dir, store) as client:
        yield client
    close(store)


@pytest.fixture
def serve(bank_dir: Path) -> Iterator[Callable[..., Client]]:
    """Start a dedicated service: ``serve(store=..., **settings)`` -> Client."""
    with ExitStack() as stack:
        yield lambda store=None, **overrides: stack.enter_context(
            running(bank_dir, store, **overrides)
        )


class CountingStore:
    """A thin proxy of a real store that counts calls per method and can inject failures.

    Not a mock: every call not told to fail goes to the real store underneath.
    """

    def __init__(self, store: GraphStore, fail: dict[str, Exception] | None = None) -> None:
        self._store = store
        self._fail = fail or {}
        self.calls: dict[str, int] = {}
        self.pushdowns = store.pushdowns

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            if name in self._fail:
                raise self._fail[name]
            return await target(*args, **kwargs)

        return call

    def reset(self) -> None:
        self.calls.clear()
