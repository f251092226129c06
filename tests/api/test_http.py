"""The HTTP surface: GraphiQL, GraphQL over GET and POST, /health."""

from __future__ import annotations

from collections.abc import Callable

from graph_service.stores.embedded import EmbeddedStore
from tests.api.conftest import Client, CountingStore


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
    }


def test_health_reports_a_failing_store(
    serve: Callable[..., Client], small_bank: EmbeddedStore
) -> None:
    store = CountingStore(small_bank, fail={"counts": RuntimeError("disk on fire")})
    response = serve(store=store).http.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy", "reason": "disk on fire"}
