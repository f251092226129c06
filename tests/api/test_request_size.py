"""The request-size limit (GRAPH_SERVICE_MAX_REQUEST_BYTES) and ids echoed in NOT_FOUND."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from graph_service.config import Settings
from graph_service.errors import NotFoundError
from tests.api.conftest import Client, CountingStore

MIB = 1 << 20


def too_large(response: httpx.Response) -> dict[str, Any]:
    """The one REQUEST_TOO_LARGE error of a refused request (HTTP 413, GraphQL JSON)."""
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "REQUEST_TOO_LARGE"}
    assert "GRAPH_SERVICE_MAX_REQUEST_BYTES" in error["message"]
    return error


def padded(size: int) -> bytes:
    """A valid GraphQL POST body of exactly ``size`` bytes (padded with blanks)."""
    body = json.dumps({"query": '{ person(id: "P1") { name } }'}).encode()
    assert len(body) <= size
    return body[:-1] + b" " * (size - len(body)) + b"}"


def post(client: Client, content: bytes | Iterator[bytes]) -> httpx.Response:
    return client.http.post(
        "/graphql", content=content, headers={"content-type": "application/json"}
    )


def test_the_limit_defaults_to_one_mebibyte(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().max_request_bytes == MIB
    monkeypatch.setenv("GRAPH_SERVICE_MAX_REQUEST_BYTES", "4096")
    assert Settings().max_request_bytes == 4096


def test_a_body_at_the_limit_runs_one_byte_more_is_refused(
    serve: Callable[..., Client],
) -> None:
    client = serve(max_request_bytes=1000)
    assert post(client, padded(1000)).json() == {"data": {"person": {"name": "Alice"}}}
    error = too_large(post(client, padded(1001)))
    assert error["message"] == (
        "Request body too large: 1,001 bytes, above the limit of 1,000 bytes "
        "(GRAPH_SERVICE_MAX_REQUEST_BYTES)"
    )


def test_a_streamed_body_is_counted_as_it_arrives(
    serve: Callable[..., Client], small_bank: Any
) -> None:
    store = CountingStore(small_bank)
    client = serve(store=store, max_request_bytes=1000)
    body = padded(1800)

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        yield from (body[i : i + 600] for i in range(0, len(body), 600))

    store.reset()
    error = too_large(post(client, chunks()))
    assert "more than 1,000 bytes" in error["message"]
    assert store.calls == {}  # refused before execution (and its refresh): no store call
    small = padded(900)
    assert post(client, iter([small[:450], small[450:]])).json()["data"] == {
        "person": {"name": "Alice"}
    }


def test_a_declared_50_mb_body_is_refused_without_being_read(
    client: Client, small_bank: Any
) -> None:
    url = urlparse(str(client.http.base_url))
    started = time.monotonic()
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Content-Length: 52428800\r\n\r\n" + b'{"query": "{ person(id: \\"'
        )  # the headers and a few bytes: the other 50 MB never come
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert time.monotonic() - started < 2
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    (error,) = json.loads(body)["errors"]
    assert error["extensions"] == {"code": "REQUEST_TOO_LARGE"}
    assert "52,428,800 bytes, above the limit of 1,048,576 bytes" in error["message"]
    assert client.http.get("/health").status_code == 200


def test_get_and_health_are_untouched(serve: Callable[..., Client]) -> None:
    client = serve(max_request_bytes=10)
    assert client.http.get("/health").status_code == 200
    response = client.http.get("/graphql", params={"query": '{ person(id: "P1") { name } }'})
    assert response.json() == {"data": {"person": {"name": "Alice"}}}


def test_not_found_shows_at_most_100_characters_of_the_id(client: Client) -> None:
    long_id = "x" * 500_000
    body = client.post("query($id: ID!) { person(id: $id) { name } }", {"id": long_id})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["message"] == "Person '" + "x" * 99 + "\u2026' not found"


@pytest.mark.parametrize(
    ("node_id", "shown"),
    [
        ("P1", "P1"),
        ("y" * 100, "y" * 100),
        ("y" * 101, "y" * 99 + "\u2026"),
        ("z" * 10_000, "z" * 99 + "\u2026"),
    ],
)
def test_not_found_error_truncates_long_ids(node_id: str, shown: str) -> None:
    error = NotFoundError("Person", node_id)
    assert str(error) == f"Person {shown!r} not found"
    assert error.node_id == node_id and error.code == "NOT_FOUND"
