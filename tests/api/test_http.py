"""The HTTP surface: GraphiQL, GraphQL over GET and POST, /health."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import Request, Response
from starlette.background import BackgroundTasks

from graph_service.api.context import Context, make_context
from graph_service.api.extensions import _sdl_schema, type_schema
from graph_service.api.router import GraphQLHTTPView
from graph_service.api.schema import schema
from graph_service.config import Settings
from graph_service.stores.embedded import EmbeddedStore
from tests.api.conftest import Client, CountingStore, running


def test_graphiql_is_served_at_graphql(client: Client) -> None:
    response = client.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


def test_post_graphql_answers_json(client: Client) -> None:
    response = client.http.post("/graphql", json={"query": '{ person(id: "P1") { name } }'})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"person": {"name": "Alice"}}}


def test_errors_are_never_a_500(client: Client) -> None:
    response = client.http.post("/graphql", json={"query": '{ person(id: "x") { name } }'})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_health_reports_counts(client: Client) -> None:
    response = client.http.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["counts"] == {
        "Enterprise": 3,
        "Person": 8,
        "Account": 6,
        "Manager": 2,
        "EMPLOYED_BY": 8,
        "SHAREHOLDER_OF": 2,
        "OWNS": 6,
        "MANAGES": 2,
        "GUARANTEES": 1,
        "TRANSFERRED_TO": 1,
        "Loan": 0,
        "Medium": 0,
        "APPLIED_FOR": 0,
        "DEPOSITED_TO": 0,
        "REPAID": 0,
        "WITHDREW_TO": 0,
        "SIGNED_IN_TO": 0,
        "Referral": 0,
        "Contact": 0,
        "REFERS": 0,
        "REFERRED_TO": 0,
        "CONTACTED": 0,
        "LOGGED_BY": 0,
    }


def test_health_reports_a_failing_store(
    serve: Callable[..., Client], small_bank: EmbeddedStore
) -> None:
    store = CountingStore(small_bank, fail={"counts": RuntimeError("disk on fire")})
    response = serve(store=store).http.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy", "reason": "disk on fire"}


BAD_REQUESTS = {
    "invalid JSON body": dict(
        method="POST", content=b'{"query": ', headers={"content-type": "application/json"}
    ),
    "JSON array body (batching is off)": dict(method="POST", json=[{"query": "{ __typename }"}]),
    "JSON scalar body": dict(method="POST", json="{ __typename }"),
    "no query": dict(method="POST", json={}),
    "query not a string": dict(method="POST", json={"query": 5}),
    "variables not an object": dict(
        method="POST", json={"query": "{ __typename }", "variables": [1]}
    ),
    "unknown operationName": dict(
        method="POST", json={"query": "query A { __typename }", "operationName": "B"}
    ),
    "text/plain content type": dict(
        method="POST", content=b"{ __typename }", headers={"content-type": "text/plain"}
    ),
    "GET with unparseable variables": dict(
        method="GET", params={"query": "{ __typename }", "variables": "{bad"}
    ),
    "GET with a mutation": dict(method="GET", params={"query": "mutation { x }"}),
    "deeply nested extensions": dict(
        method="POST", content=b'{"query": "{ __typename }", "extensions": {"a": '
        + b"[" * 100_000 + b"]" * 100_000 + b"}}", headers={"content-type": "application/json"},
    ),
    "deeply nested variables": dict(
        method="POST", content=b'{"query": "{ __typename }", "variables": {"a": '
        + b"[" * 1_500 + b"]" * 1_500 + b"}}", headers={"content-type": "application/json"},
    ),
    "GET with deeply nested variables": dict(
        method="GET", params={"query": "{ __typename }", "variables": "[" * 5_000 + "]" * 5_000}
    ),
    "integer of 5,000 digits": dict(
        method="POST", content=b'{"query": "{ __typename }", "variables": {"a": '
        + b"9" * 5_000 + b"}}", headers={"content-type": "application/json"},
    ),
    "GET with an integer of 5,000 digits": dict(
        method="GET", params={"query": "{ __typename }", "variables": '{"a": ' + "9" * 5_000 + "}"}
    ),
    "operationName not a string": dict(
        method="POST", json={"query": "query A { __typename }", "operationName": 5}
    ),
    "application/jsonfoo content type": dict(
        method="POST", content=b'{"query": "{ __typename }"}',
        headers={"content-type": "application/jsonfoo"},
    ),
    "a body that is not UTF-8": dict(
        method="POST", content='{"query": "{ __typename }", "x": "é"}'.encode("latin-1"),
        headers={"content-type": "application/json; charset=latin-1"},
    ),
    "two operations, no operationName": dict(
        method="POST", json={"query": 'query A { __typename } query B { person(id: "P1") { id } }'}
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_request_errors_answer_graphql_json_with_400(client: Client, case: str) -> None:
    request = dict(BAD_REQUESTS[case])
    response = client.http.request(request.pop("method"), "/graphql", **request)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert error["message"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD"])
def test_other_methods_answer_405_as_graphql_json(client: Client, method: str) -> None:
    response = client.http.request(method, "/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "GET, POST"
    if method == "HEAD":
        return
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "METHOD_NOT_ALLOWED"}
    assert method in error["message"]


def test_other_routes_keep_fastapi_405(client: Client) -> None:
    response = client.http.post("/health")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json() == {"detail": "Method Not Allowed"}


def test_an_operation_name_not_a_string_is_named(client: Client) -> None:
    request = dict(BAD_REQUESTS["operationName not a string"])
    response = client.http.request(request.pop("method"), "/graphql", **request)
    (error,) = response.json()["errors"]
    assert error["message"] == (
        "The GraphQL operation's `operationName` must be a string or null, if provided."
    )


def test_a_body_that_is_not_utf8_is_refused_saying_so(client: Client) -> None:
    body = '{"query": "{ __typename }", "x": "\u00e9"}'.encode("latin-1")
    response = client.http.post("/graphql", content=body,
                                headers={"content-type": "application/json"})  # fmt: skip
    assert response.status_code == 400
    message = response.json()["errors"][0]["message"]
    assert "not UTF-8" in message and f"byte {body.index(0xE9)}" in message, message


def test_json_with_a_charset_is_accepted(client: Client) -> None:
    response = client.http.post(
        "/graphql", content=b'{"query": "{ __typename }"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}


def test_several_operations_need_an_operation_name(client: Client) -> None:
    document = 'query A { __typename } query B { person(id: "P1") { name } }'
    response = client.http.post("/graphql", json={"query": document})
    assert response.json()["errors"][0]["message"] == (
        "Must provide operation name if query contains multiple operations."
    )
    named = client.http.post("/graphql", json={"query": document, "operationName": "B"})
    assert named.status_code == 200
    assert named.json() == {"data": {"person": {"name": "Alice"}}}


def test_several_operations_need_a_name_in_process_too(small_bank: EmbeddedStore) -> None:
    result = asyncio.run(
        schema.execute(
            "query A { __typename } query B { __typename }",
            context_value=make_context(small_bank, Settings(data_dir=small_bank.data_dir)),
        )
    )
    assert result.data is None
    assert result.errors is not None
    assert [e.extensions for e in result.errors] == [{"code": "BAD_REQUEST"}]


def test_get_query_answers_json(client: Client) -> None:
    response = client.http.get("/graphql", params={"query": '{ person(id: "P1") { name } }'})
    assert response.status_code == 200
    assert response.json() == {"data": {"person": {"name": "Alice"}}}


@pytest.mark.parametrize("text", [
    '{"a": 1.1, "b": 1e308, "c": -0.0, "d": 12345678901234567890123}',
    '{"a": NaN, "b": Infinity}',
    '{"name": "Zo\\u00eb \\ud83d\\ude00 \\ud800", "x": "\u00e9"}',
    '{"a": 1, "a": 2}',
    '[' * 500 + ']' * 500,
])
def test_json_is_decoded_as_json_decodes_it(text: str) -> None:
    decoded = GraphQLHTTPView(schema).parse_json(text.encode())
    assert json.dumps(decoded) == json.dumps(json.loads(text))


def test_graphql_routes_are_documented_as_strawberrys_router_documented_them(
    client: Client,
) -> None:
    graphql = client.http.get("/openapi.json").json()["paths"]["/graphql"]
    assert set(graphql) == {"get", "post"}
    assert graphql["get"]["operationId"] == "handle_http_get_graphql_get"
    assert graphql["post"]["operationId"] == "handle_http_post_graphql_post"
    assert graphql["get"]["responses"]["200"]["description"] == (
        "The GraphiQL integrated development environment.")
    assert graphql["get"]["responses"]["404"]["description"] == (
        "Not found if GraphiQL or query via GET are not enabled.")


def test_the_context_carries_the_request_the_sub_response_and_background_tasks(
    small_bank: EmbeddedStore,
) -> None:
    settings = Settings(data_dir=small_bank.data_dir)

    async def context_getter(request: Request) -> Context:
        return make_context(small_bank, settings)

    view = GraphQLHTTPView(schema, context_getter=context_getter)
    request = Request({"type": "http", "method": "POST", "headers": [], "query_string": b""})
    sub_response = Response()
    context = asyncio.run(view.get_context(request, sub_response))
    assert context.request is request and context.response is sub_response
    assert isinstance(context.background_tasks, BackgroundTasks)
    assert sub_response.background is context.background_tasks  # run after the answer


def test_serve_freezes_its_started_state_until_shutdown(bank_dir: Path) -> None:
    # graph_service.memory.frozen_heap: what was alive once serve started leaves the cyclic
    # GC's passes (gc.get_objects lists no frozen object) until it stops. The store is
    # opened first: opening freezes the graph it builds (memory.bulk_allocation).
    store = EmbeddedStore(bank_dir, create=False)
    _sdl_schema.cache_clear()  # built anew by the app below (type_schema), not by earlier tests
    alive = [object()]
    assert any(o is alive for o in gc.get_objects())
    with running(bank_dir, store) as client:
        assert client.http.get("/health").status_code == 200
        assert not any(o is alive for o in gc.get_objects())
        # What requests derive from the schema (fast_path.prepared_schema) was built before
        # the freeze: the first requests add no type schema to what collections scan.
        built = type_schema(schema)
        assert not any(o is built for o in gc.get_objects())
    assert any(o is alive for o in gc.get_objects())
    asyncio.run(store.close())
