"""Fixtures of the GraphQL contract tests: the service over real HTTP on the small bank."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from graph_service.api.app import create_app
from graph_service.config import Settings
from graph_service.stores.base import GraphStore


class Server:
    """A uvicorn server running ``app`` in a background thread on a free loopback port."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
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


@pytest.fixture
def serve(small_bank_dir: Path) -> Iterator[Callable[..., Client]]:
    """Start the service on the small bank; ``serve(store=..., **settings)`` -> Client."""
    stack: list[tuple[Server, httpx.Client]] = []

    def start(store: GraphStore | None = None, **overrides: Any) -> Client:
        settings = Settings(data_dir=small_bank_dir, **overrides)
        server = Server(create_app(settings, store=store)).__enter__()
        http = httpx.Client(base_url=server.url, timeout=10)
        stack.append((server, http))
        return Client(http)

    yield start
    for server, http in stack:
        http.close()
        server.__exit__(None, None, None)


@pytest.fixture
def client(serve: Callable[..., Client]) -> Client:
    """A client of the service serving the small bank with default settings."""
    return serve()


class CountingStore:
    """A thin proxy of a real store that counts calls per method and can inject failures.

    Not a mock: every call not told to fail goes to the real store underneath.
    """

    def __init__(self, store: GraphStore, fail: dict[str, Exception] | None = None) -> None:
        self._store = store
        self._fail = fail or {}
        self.calls: dict[str, int] = {}

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
