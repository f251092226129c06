"""GraphiQL served by the service: the page and its local files.

The page itself runs in a real browser in tests/browser/test_graphiql.py; the vendored npm
files are checked by tests/api/test_browser_assets.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from graph_service.api.graphiql import STATIC_DIR, example_query, graphiql_page
from graph_service.errors import StoreUnavailableError
from graph_service.stores.embedded import EmbeddedStore
from tests.api.conftest import Client, CountingStore

VENDOR = STATIC_DIR / "graphiql"


class Page(HTMLParser):
    """The URLs a page loads (script src, link href) and its JSON example."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.example: dict[str, str] = {}
        self._in_example = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append(values["src"] or "")
        if tag == "link":
            self.urls.append(values.get("href") or "")
        self._in_example = values.get("id") == "graphiql-example"

    def handle_data(self, data: str) -> None:
        if self._in_example:
            self.example = json.loads(data)
            self._in_example = False


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
    query = graphiql(client).example["query"]
    assert query == example_query("E1")
    assert 'query PayrollProspects($enterpriseId: ID! = "E1") {' in query


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
        assert graphiql(serve(store=store)).example["query"] == example_query("")


def test_an_id_cannot_close_the_example_script() -> None:
    hostile = "</script><script>alert(1)</script>&"
    html = graphiql_page("/graphql", hostile)
    assert "</script><script>alert" not in html
    assert Page(html).example["query"] == example_query(hostile)
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
