"""GraphiQL served by the service: the page and its local files.

The page itself runs in a real browser in tests/browser/test_graphiql.py; the vendored npm
files are checked by tests/api/test_browser_assets.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from graph_service.api.graphiql import (
    ADMIN_EXAMPLE,
    STATIC_DIR,
    example_query,
    examples,
    graphiql_page,
)
from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer
from graph_service.errors import StoreUnavailableError
from graph_service.stores.embedded import EmbeddedStore
from tests.api.conftest import Client, CountingStore, running
from tests.conftest import write_small_bank

VENDOR = STATIC_DIR / "graphiql"


class Page(HTMLParser):
    """The URLs a page loads (script src, link href), its examples and role claim."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.examples: dict[str, dict[str, Any]] = {}
        self.role_claim = ""
        self._in_example = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append(values["src"] or "")
        if tag == "link":
            self.urls.append(values.get("href") or "")
        self._in_example = values.get("id") == "graphiql-examples"

    def handle_data(self, data: str) -> None:
        if self._in_example:
            blob = json.loads(data)
            self.examples, self.role_claim = blob["examples"], blob["roleClaim"]
            self._in_example = False

    @property
    def anonymous_query(self) -> str:
        """The default tab's query without a token."""
        return str(self.examples[""]["query"])


def graphiql(client: Client) -> Page:
    response = client.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return Page(response.text)


def test_page_loads_only_the_services_own_files(client: Client) -> None:
    page = graphiql(client)
    scripts = [url for url in page.urls if url.endswith(".js")]
    assert scripts == [
        "/static/graphiql/react.production.min.js",
        "/static/graphiql/react-dom.production.min.js",
        "/static/graphiql/graphiql.min.js",
    ]
    for url in page.urls:
        if url.startswith("data:"):  # the empty favicon: no request at all
            continue
        assert url.startswith("/static/graphiql/"), url
        response = client.http.get(url)
        assert response.status_code == 200, url
        assert response.content == (VENDOR / url.rsplit("/", 1)[1]).read_bytes()
    assert "unpkg" not in client.http.get("/graphql", headers={"Accept": "text/html"}).text


def test_static_files_have_their_media_types(client: Client) -> None:
    js = client.http.get("/static/graphiql/graphiql.min.js").headers["content-type"]
    css = client.http.get("/static/graphiql/graphiql.min.css").headers["content-type"]
    assert js.startswith(("text/javascript", "application/javascript"))
    assert css.startswith("text/css")
    assert client.http.get("/static/graphiql/nothing.js").status_code == 404


def test_default_tab_is_the_example_on_the_first_enterprise(client: Client) -> None:
    page = graphiql(client)
    assert page.anonymous_query == example_query("E1")
    assert 'query PayrollProspects($enterpriseId: ID! = "E1") {' in page.anonymous_query
    assert page.examples[Role.ADMIN]["query"] == example_query("E1", ADMIN_EXAMPLE)
    assert page.role_claim == "role"
    assert set(page.examples) == {"", *Role}


def filled(role: Role, manager_id: str, party: dict[str, str]) -> dict[str, Any] | None:
    """The example's variables as the page fills them for a token of ``role``."""
    example = examples("E1")[role]
    variables = example["variables"]
    if variables is None:
        return None
    variables = json.loads(json.dumps(variables))
    if example["claim"]:
        assert example["claim"] == "manager_id"
        variables["managerId"] = manager_id
    if "input" in variables:
        variables["input"].update(idempotencyKey="k-1", party=party, toManagerId="M2")
    return dict(variables)


@pytest.mark.parametrize("role", list(Role))
def test_each_roles_example_answers_for_that_role(role: Role, tmp_path: Path) -> None:
    """The default tab of every role runs as that role without an error, and says something:
    a manager's leads with their paths, the book's rollup, a staff member's referral."""
    data = write_small_bank(tmp_path / "bank")
    token = LocalIssuer(data).issue(f"user-{role}", role, "M1" if role is Role.MANAGER else None)
    party = {"label": "PERSON", "id": "P1"}
    with running(data) as client:
        client.http.headers["Authorization"] = f"Bearer {token}"
        answer = client.data(examples("E1")[role]["query"], filled(role, "M1", party))
        again = client.data(examples("E1")[role]["query"], filled(role, "M1", party))
    if role is Role.MANAGER:
        leads = answer["managerLeads"]
        assert leads["totalCount"] > 0
        for edge in leads["edges"]:  # kinds are null outside the portfolio (masked)
            assert edge["path"]["nodes"][-1]["id"] == edge["node"]["id"]
        assert any(edge["kinds"] for edge in leads["edges"])
        assert answer["manager"]["name"]
    elif role is Role.STAFF:
        assert answer["createReferral"]["status"] == "OPEN"
        assert answer["createReferral"]["toManager"]["id"] == "M2"
        assert again["createReferral"]["id"] == answer["createReferral"]["id"]  # same key
    elif role is Role.ADMIN:
        assert answer["payrollCoverage"]["enterprise"]["id"] == "E1"
        assert answer["auditRecords"] == []  # a fresh trail; the second run reads the first
        assert again["auditRecords"][-1]["operation"] == "ClientAndAuditTrail"
    else:
        assert answer["coverageRollup"]["edges"]
        assert answer["enterprises"]["edges"]


def test_staff_example_as_it_stands_names_the_party_to_fill_in(client: Client) -> None:
    """Run before its placeholders are filled in, the staff example writes nothing and says
    which argument to change."""
    example = examples("E1")[Role.STAFF]
    variables = json.loads(json.dumps(example["variables"]))
    variables["input"]["idempotencyKey"] = "k-2"
    body = client.post(example["query"], variables)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert "input.party" in error["message"]


def test_example_answers_on_the_small_bank(client: Client) -> None:
    data = client.data(example_query("E1"))
    assert data["payrollCoverage"] == {
        "enterprise": {"id": "E1", "name": "Acme Ltd"},
        "employees": 4, "covered": 2, "uncovered": 2, "rate": 0.5,
    }  # fmt: skip
    names = [edge["node"]["name"] for edge in data["uncoveredEmployees"]["edges"]]
    assert names == ["Bob", "Dan"]


def test_page_opens_when_the_store_cannot_name_an_enterprise(
    serve: Callable[..., Client], small_bank: EmbeddedStore, tmp_path: Path
) -> None:
    failing = CountingStore(small_bank, fail={"list_ids": StoreUnavailableError("down")})
    empty = EmbeddedStore(tmp_path / "empty")
    for store in (failing, empty):
        assert graphiql(serve(store=store)).anonymous_query == example_query("")


def test_an_id_cannot_close_the_example_script() -> None:
    hostile = "</script><script>alert(1)</script>&"
    html = graphiql_page("/graphql", hostile)
    assert "</script><script>alert" not in html
    assert Page(html).anonymous_query == example_query(hostile)
    assert '$enterpriseId: ID! = "</script><script>alert(1)</script>&")' in example_query(hostile)


def test_example_id_is_a_graphql_string(client: Client) -> None:
    odd = 'E"1\\\n'  # a quote, a backslash, a newline: the id arrives as it was
    body = client.post(example_query(odd))
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert repr(odd) in body["errors"][0]["message"]


def test_graphql_by_get_still_answers_json(client: Client) -> None:
    response = client.http.get(
        "/graphql", params={"query": '{ person(id: "P1") { name } }'},
        headers={"Accept": "text/html"},
    )  # fmt: skip
    assert response.json() == {"data": {"person": {"name": "Alice"}}}
