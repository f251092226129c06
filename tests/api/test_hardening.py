"""Attack classes of issue 10 against a real uvicorn server: each one refused, coded, audited.

Slow clients cut off, floods answered 429 with ``Retry-After``, runaway operations
``QUERY_TIMEOUT``, security headers and no ``server`` banner, documentation and GraphiQL
off in production, refused requests in the audit trail, ``/metrics`` behind an admin token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_service.api.app import create_app
from graph_service.api.schema import schema
from graph_service.api.security import DATA_CSP, graphiql_csp
from graph_service.audit import read_records, truncated
from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer
from graph_service.config import Settings
from graph_service.logs import configure_logging, request_id
from graph_service.stores.base import Listed
from graph_service.stores.embedded.store import EmbeddedStore
from tests.api.conftest import Client, Server

QUERY = '{ enterprise(id: "E1") { id name } }'
NESTED = '{ enterprise(id: "E1") { employees(first: 5) { edges { node { id accounts { ' \
    'edges { node { id } } } } } } } }'


def record_of(data_dir: Path, request_id: str, timeout_s: float = 5) -> dict[str, Any]:
    """The audit record of ``request_id``, waiting for the trail's writer."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = [r for r in read_records(data_dir / "audit") if r["request_id"] == request_id]
        if found or time.monotonic() > deadline:
            assert len(found) == 1, found
            return found[0]
        time.sleep(0.05)


def traced(http: httpx.Client, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response,
                                                                                str]:
    """Send a request with a fresh ``X-Request-ID``; return the response and the id."""
    rid = uuid.uuid4().hex
    headers = {**kwargs.pop("headers", {}), "X-Request-ID": rid}
    return http.request(method, path, headers=headers, **kwargs), rid


# -- security headers, banner, documentation --------------------------------------------------


def test_every_answer_carries_the_security_headers_and_no_server_banner(client: Client) -> None:
    page = client.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == graphiql_csp()
    assert "'unsafe-eval'" not in graphiql_csp() and "frame-ancestors 'none'" in graphiql_csp()
    data = client.http.post("/graphql", json={"query": QUERY})
    static = client.http.get("/static/graphiql/graphiql.min.css")
    for response in (page, data, static, client.http.get("/health")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert "server" not in response.headers
        assert "strict-transport-security" not in response.headers  # not behind TLS
    assert data.headers["content-security-policy"] == DATA_CSP


def test_graphiql_csp_allows_exactly_the_pages_inline_script() -> None:
    """The hash in the policy is the page's own inline script's (the browser test runs it)."""
    import base64
    import hashlib
    import re

    from graph_service.api.graphiql import graphiql_page

    page = graphiql_page("/graphql", "E42")  # another example id: the script is the same
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in graphiql_csp()


def test_hsts_when_tls_is_terminated_in_front(serve: Callable[..., Client]) -> None:
    client = serve(behind_tls=True)
    assert client.http.get("/health").headers["strict-transport-security"].startswith(
        "max-age=31536000")


def test_production_turns_off_docs_graphiql_and_introspection(
    bank_dir: Path, small_bank: EmbeddedStore
) -> None:
    settings = Settings(data_dir=bank_dir, profile="production",
                        oidc_issuer="https://login.bank.invalid/realms/staff",
                        oidc_audience="graph-service")
    app = create_app(settings, store=small_bank)
    paths = {getattr(route, "path", None) for route in app.routes}
    assert not paths & {"/docs", "/redoc", "/openapi.json"}
    with Server(app, settings) as server, httpx.Client(base_url=server.url) as http:
        page = http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 404 and "GraphiQL" not in page.text
        assert page.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert http.get("/docs").status_code == 401  # not served: not open either
    from graph_service.api.context import make_context

    async def introspect(settings: Settings) -> Any:
        return await schema.execute("{ __schema { queryType { name } } }",
                                    context_value=make_context(small_bank, settings))

    refused = asyncio.run(introspect(settings))
    assert {e.extensions["code"] for e in refused.errors} == {"GRAPHQL_VALIDATION_FAILED"}
    assert "introspection" in refused.errors[0].message
    switched_on = settings.model_copy(update={"introspection": True})
    assert asyncio.run(introspect(switched_on)).errors is None


def test_the_default_profile_serves_docs(serve: Callable[..., Client]) -> None:
    client = serve()
    assert client.http.get("/openapi.json").status_code == 200
    docs = client.http.get("/docs")
    assert docs.status_code == 200
    assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]


def test_cors_is_an_allow_list_empty_by_default(serve: Callable[..., Client]) -> None:
    preflight = {"Origin": "https://app.bank.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"}
    closed = serve()
    response = closed.http.post("/graphql", json={"query": QUERY},
                                headers={"Origin": "https://app.bank.example"})
    assert "access-control-allow-origin" not in response.headers
    opened = serve(cors_origins=["https://app.bank.example"])
    answer = opened.http.options("/graphql", headers=preflight)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "https://app.bank.example"
    other = opened.http.options("/graphql", headers={**preflight, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


# -- rate limits ---------------------------------------------------------------------------


def test_a_flood_from_one_subject_gets_429_with_retry_after(
    serve: Callable[..., Client], bank_dir: Path
) -> None:
    client = serve(rate_limit_subject="5/hour")
    for _ in range(5):
        assert client.http.post("/graphql", json={"query": QUERY}).status_code == 200
    response, rid = traced(client.http, "POST", "/graphql", json={"query": QUERY})
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 3600
    assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    record = record_of(bank_dir, rid)
    assert record["subject"] == "test-admin" and record["error_codes"] == ["RATE_LIMITED"]
    assert record["outcome"] == "error"
    other = LocalIssuer(bank_dir).issue("another-app", Role.APP)
    answer = client.http.post("/graphql", json={"query": QUERY},
                              headers={"Authorization": f"Bearer {other}"})
    assert answer.status_code == 200  # the limit is per subject


def test_a_flood_from_one_address_gets_429_before_authentication(
    serve: Callable[..., Client]
) -> None:
    client = serve(rate_limit_address="3/hour")
    with httpx.Client(base_url=client.http.base_url) as anonymous:
        statuses = [anonymous.post("/graphql", json={"query": QUERY}).status_code
                    for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert client.http.get("/health").status_code == 429  # the same address


def test_x_forwarded_for_is_read_only_from_a_trusted_proxy(
    serve: Callable[..., Client]
) -> None:
    def statuses(client: Client) -> list[int]:
        return [client.http.get("/health", headers={"X-Forwarded-For": f"10.0.0.{n}"}
                                ).status_code for n in (1, 2, 3, 1)]

    # Behind a trusted proxy (the tests' loopback), each forwarded client has its own count.
    assert statuses(serve(rate_limit_address="1/hour", trusted_proxies=["127.0.0.0/8"])
                    ) == [200, 200, 200, 429]
    # Without, the header is ignored: one address, the connection's.
    assert statuses(serve(rate_limit_address="1/hour")) == [200, 429, 429, 429]


def test_rate_limit_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="rate_limit_subject must be rate limits"):
        Settings(rate_limit_subject="lots")
    with pytest.raises(ValueError, match="not an IP address or network"):
        Settings(trusted_proxies=["proxy.bank.example"])


# -- slow clients --------------------------------------------------------------------------


def closed_within(port: int, sent: bytes) -> float:
    """Seconds until the server closes a connection that sent ``sent`` and then nothing."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.monotonic()
        if sent:
            sock.sendall(sent)
        while True:
            try:
                if sock.recv(4096) == b"":
                    return time.monotonic() - started
            except ConnectionResetError:
                return time.monotonic() - started


@pytest.mark.parametrize("sent", [
    b"",
    b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: app",
    b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100\r\n\r\n{\"query\": ",
])  # fmt: skip
def test_a_slow_client_is_cut_off(serve: Callable[..., Client], sent: bytes) -> None:
    client = serve(header_timeout_s=0.5, body_timeout_s=0.5)
    port = client.http.base_url.port
    assert port is not None
    assert 0.4 <= closed_within(port, sent) < 2.5
    assert client.http.get("/health").status_code == 200  # others are served meanwhile


def test_a_keep_alive_connection_still_serves_requests_after_the_deadlines(
    serve: Callable[..., Client]
) -> None:
    client = serve(header_timeout_s=0.3, body_timeout_s=0.3)
    assert client.http.get("/health").status_code == 200
    time.sleep(0.5)  # idle between requests: uvicorn's keep-alive (5 s) applies, not ours
    assert client.http.post("/graphql", json={"query": QUERY}).status_code == 200


# -- time limit, operationName, refusals ---------------------------------------------------


def test_an_operation_past_the_time_limit_is_coded_and_audited(
    serve: Callable[..., Client], bank_dir: Path
) -> None:
    client = serve(execution_timeout_s=0.000001)
    response, rid = traced(client.http, "POST", "/graphql",
                           json={"query": NESTED, "operationName": None})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TIMEOUT"]
    assert "GRAPH_SERVICE_EXECUTION_TIMEOUT_S" in body["errors"][0]["message"]
    record = record_of(bank_dir, rid)
    assert record["error_codes"] == ["QUERY_TIMEOUT"]
    assert record["root_fields"] == ["enterprise"] and record["subject"] == "test-admin"


class SlowListStore(EmbeddedStore):
    """The embedded store, whose own lists compute for 0.5 s before they answer, without an
    await (as the first sort of a large book does)."""

    async def list_nodes(self, *args: Any) -> Listed:
        time.sleep(0.5)
        return await super().list_nodes(*args)


def test_the_service_still_answers_after_an_operation_cut_off_while_it_computed(
    serve: Callable[..., Client], bank_dir: Path
) -> None:
    # The time limit passes while the operation computes: what it cancels is the operation's
    # wait for its audit record. That once killed the audit writer, and every later request
    # then waited for its record until its own time limit (QUERY_TIMEOUT for good).
    client = serve(store=SlowListStore(bank_dir, create=False), execution_timeout_s=0.2)
    slow = client.http.post("/graphql", json={"query": "{ persons { totalCount } }"})
    assert [e["extensions"]["code"] for e in slow.json()["errors"]] == ["QUERY_TIMEOUT"]
    time.sleep(0.5)  # the operation ends, its record is written
    for _ in range(3):
        response, rid = traced(client.http, "POST", "/graphql", json={"query": QUERY})
        body = response.json()
        assert "errors" not in body and body["data"]["enterprise"]["id"] == "E1", body
        assert record_of(bank_dir, rid)["error_codes"] == []


def test_operation_name_is_not_echoed_in_full(client: Client, bank_dir: Path) -> None:
    name = "Q" + "x" * 5000
    response, rid = traced(client.http, "POST", "/graphql",
                           json={"query": f"query {name} {{ __typename }}",
                                 "operationName": name})
    assert response.status_code == 400
    assert "x" * 200 not in response.text and "5,001 characters" in response.text
    assert record_of(bank_dir, rid)["error_codes"] == ["BAD_REQUEST"]
    assert truncated(name) == name[:100] + "…"


@pytest.mark.parametrize(("method", "kwargs", "status", "code"), [
    ("POST", {"content": b"{nope", "headers": {"Content-Type": "application/json"}},
     400, "BAD_REQUEST"),
    ("PUT", {"json": {"query": QUERY}}, 405, "METHOD_NOT_ALLOWED"),
    ("POST", {"json": {"query": "{ __typename }", "pad": "x" * 2_000_000}}, 413,
     "REQUEST_TOO_LARGE"),
])  # fmt: skip
def test_requests_refused_before_graphql_are_audited(
    client: Client, bank_dir: Path, method: str, kwargs: dict[str, Any], status: int, code: str
) -> None:
    response, rid = traced(client.http, method, "/graphql", **kwargs)
    assert response.status_code == status
    record = record_of(bank_dir, rid)
    assert record["error_codes"] == [code] and record["outcome"] == "error"
    assert record["subject"] == ("test-admin" if status != 413 else None)  # 413: before auth


def test_an_unauthenticated_request_is_audited_without_a_subject(
    client: Client, bank_dir: Path
) -> None:
    with httpx.Client(base_url=client.http.base_url) as anonymous:
        response, rid = traced(anonymous, "POST", "/graphql", json={"query": QUERY})
    assert response.status_code == 401
    record = record_of(bank_dir, rid)
    assert record["subject"] is None and record["error_codes"] == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("sent", [b"", b'{"query": "{ __typ'])
def test_a_client_gone_before_its_body_ends_is_audited_not_logged_as_an_error(
    client: Client, bank_dir: Path, caplog: pytest.LogCaptureFixture, sent: bytes
) -> None:
    """A token holder hanging up mid-body (or closed as too slow) left a traceback of
    starlette's ClientDisconnect in the log per connection; it is a refusal (400) in the
    audit trail, and the service answers the next request."""
    url = httpx.URL(str(client.http.base_url))
    rid = uuid.uuid4().hex
    head = (f"POST /graphql HTTP/1.1\r\nHost: {url.host}\r\n"
            f"Authorization: {client.http.headers['Authorization']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: 1000\r\n"
            f"X-Request-ID: {rid}\r\n\r\n").encode()  # fmt: skip
    with caplog.at_level(logging.ERROR), socket.create_connection((url.host, url.port)) as raw:
        raw.sendall(head + sent)
        raw.shutdown(socket.SHUT_WR)  # the rest of the body never comes
        raw.recv(1024)  # until the service closes: what it answers reaches no one
    record = record_of(bank_dir, rid)
    assert record["error_codes"] == ["BAD_REQUEST"] and record["subject"] == "test-admin"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert client.data("{ __typename }") == {"__typename": "Query"}


def test_an_operation_is_audited_once(client: Client, bank_dir: Path) -> None:
    """A 400 of GraphQL's own (two operations, no name) has the operation's record only."""
    response, rid = traced(client.http, "POST", "/graphql",
                           json={"query": "query A { __typename } query B { __typename }"})
    assert response.status_code == 400
    assert record_of(bank_dir, rid)["error_codes"] == ["BAD_REQUEST"]  # one record


# -- /health while heavy operations run -----------------------------------------------------


HEAVY = ('{ executivesWithoutPrivateBanking(first: 1000) { totalCount edges { node { id name '
         'employers(first: 39) { edges { node { id name } } } } } } }')
"""Within the node budget (1,000 + 1,000 * 39 = 40,000 nodes plus the whole-book scan's
10,000): the heaviest whole-book question the budget lets through."""


def test_health_answers_while_heavy_operations_run(
    tmp_path: Path, serve: Callable[..., Client]
) -> None:
    """Four clients send the heaviest operation the budget admits, over a generated bank of
    20,000 people; /health, probed meanwhile, answers in a median under 0.2 s and always
    within 2 s (on the server's loop the median was 0.35 s and the worst over 1 s; the
    figures: benchmarks/README.md, *Health under load*)."""
    import threading

    from graph_service.cli.load import load_input
    from graph_service.ingest.generator import generate
    from tests.api.conftest import running

    data_dir = tmp_path / "data"
    generate(20_000, 3, tmp_path / "input")
    load_input(Settings(data_dir=data_dir), "canonical", tmp_path / "input")
    with running(data_dir) as client:
        assert "errors" not in client.post(HEAVY)
        stop = threading.Event()
        answered: list[float] = []

        def heavy() -> None:
            with httpx.Client(base_url=client.http.base_url, timeout=60,
                              headers=client.http.headers) as http:
                while not stop.is_set():
                    assert http.post("/graphql", json={"query": HEAVY}).status_code == 200

        workers = [threading.Thread(target=heavy) for _ in range(4)]
        for worker in workers:
            worker.start()
        try:
            time.sleep(0.3)
            with httpx.Client(base_url=client.http.base_url, timeout=10) as probe:
                for _ in range(20):
                    started = time.monotonic()
                    assert probe.get("/health").status_code == 200
                    answered.append(time.monotonic() - started)
                    time.sleep(0.05)
        finally:
            stop.set()
            for worker in workers:
                worker.join()
    answered.sort()
    assert answered[len(answered) // 2] < 0.2 and answered[-1] < 2.0, answered


# -- metrics and logs ----------------------------------------------------------------------


def test_metrics_need_their_setting_and_an_admin(
    serve: Callable[..., Client], bank_dir: Path
) -> None:
    off = serve()
    assert off.http.get("/metrics").status_code == 404
    client = serve(metrics=True)
    client.data(QUERY)
    client.data("{ __typename }")  # a meta-field is a root field of every schema
    client.error_codes("{ nosuchField }")
    with httpx.Client(base_url=client.http.base_url) as anonymous:
        assert anonymous.get("/metrics").status_code == 401
    analyst = LocalIssuer(bank_dir).issue("ann", Role.ANALYST)
    forbidden = client.http.get("/metrics", headers={"Authorization": f"Bearer {analyst}"})
    assert forbidden.status_code == 403
    assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    text = client.http.get("/metrics").text
    assert 'graph_service_operations_total{operation="enterprise",outcome="ok"} 1.0' in text
    assert 'graph_service_operation_seconds_count{operation="enterprise"} 1.0' in text
    assert 'graph_service_operations_total{operation="__typename",outcome="ok"} 1.0' in text
    assert 'graph_service_operations_total{operation="invalid",outcome="error"} 1.0' in text
    assert 'graph_service_errors_total{code="UNAUTHENTICATED"} 1.0' in text
    assert 'graph_service_errors_total{code="FORBIDDEN"} 1.0' in text  # refused: audited
    assert 'graph_service_store_seconds_count{method="get_nodes"}' in text


def test_rate_limited_requests_are_counted(
    serve: Callable[..., Client], bank_dir: Path
) -> None:
    client = serve(metrics=True, rate_limit_subject="2/hour")
    for _ in range(2):
        client.data(QUERY)
    assert client.http.post("/graphql", json={"query": QUERY}).status_code == 429
    operator = LocalIssuer(bank_dir).issue("ops", Role.ADMIN)  # a subject of its own
    text = client.http.get("/metrics", headers={"Authorization": f"Bearer {operator}"}).text
    assert 'graph_service_rate_limited_total{key="subject"} 1.0' in text
    assert 'graph_service_errors_total{code="RATE_LIMITED"} 1.0' in text
    assert 'graph_service_operations_total{operation="refused",outcome="error"} 1.0' in text


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_log_lines_carry_the_request_id(capsys: pytest.CaptureFixture[str],
                                        log_format: Any) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(log_format)
        token = request_id.set("req-42")
        logging.getLogger("graph_service.api").warning("store slow: %d ms", 1200)
        request_id.reset(token)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    if log_format == "json":
        record = json.loads(line)
        assert record["request_id"] == "req-42" and record["level"] == "WARNING"
        assert record["message"] == "store slow: 1200 ms"
        assert record["logger"] == "graph_service.api" and "time" in record
    else:
        assert "WARNING graph_service.api [req req-42] store slow: 1200 ms" in line
