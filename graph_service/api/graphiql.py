"""GraphiQL served by the service itself: no CDN, so it works on a network without internet.

The page (``graphiql.html`` beside this module) loads GraphiQL 4 and React 18 from
:data:`STATIC_DIR` (``static/graphiql``), which the application serves under
:data:`STATIC_PATH`. Those files are the npm packages' own, at the versions pinned in
``tools/browser-assets/package-lock.json``, copied by ``make browser-assets`` and shipped in the
wheel and the image. The page has a bearer-token field (kept in the tab's
``sessionStorage``, sent as ``Authorization: Bearer <token>`` with every request) and opens
on :func:`example_query`, about an enterprise of the served store.
"""

from __future__ import annotations

import json
from pathlib import Path

from graph_service.errors import GraphServiceError
from graph_service.stores.base import GraphStore

STATIC_PATH = "/static"
"""URL path under which :data:`STATIC_DIR` is served."""
STATIC_DIR = Path(__file__).with_name("static")
"""The service's browser files; ``graphiql/`` holds the vendored GraphiQL and React."""
PAGE = Path(__file__).with_name("graphiql.html")
"""The GraphiQL page's template: ``{{static}}``, ``{{graphql}}`` and ``{{example}}``."""

EXAMPLE_QUERY = """\
# Payroll-card prospects of a client: its payroll
# coverage, and its employees who hold no active
# payroll product (the README's first examples).
# Press the run button (or Ctrl-Enter). To ask about
# another client, change the id on the next line.
query PayrollProspects($enterpriseId: ID! = {enterprise_id}) {
  payrollCoverage(enterpriseId: $enterpriseId) {
    enterprise { id name }
    employees
    covered
    uncovered
    rate
  }
  uncoveredEmployees(enterpriseId: $enterpriseId, first: 20) {
    totalCount
    edges { node { id name segment } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
"""The query of GraphiQL's default tab, ``{enterprise_id}`` standing for a GraphQL string."""


def example_query(enterprise_id: str) -> str:
    """:data:`EXAMPLE_QUERY` with ``enterprise_id`` as its variable's default value.

    The id is written as JSON writes an ASCII string, which is also a GraphQL string
    literal: both escape quotes, backslashes and control characters alike.
    """
    return EXAMPLE_QUERY.replace("{enterprise_id}", json.dumps(enterprise_id))


async def example_enterprise(store: GraphStore) -> str:
    """The enterprise the default tab's example asks about: the first id, as text.

    Parameters
    ----------
    store : GraphStore
        The served store, refreshed first to see what a load committed meanwhile.

    Returns
    -------
    str
        The smallest ``Enterprise`` id; ``""`` when the store holds none or cannot answer
        (the page still opens; the example then answers ``NOT_FOUND``).
    """
    try:
        await store.refresh()
        ids = await store.list_ids("Enterprise")
    except GraphServiceError:
        return ""
    return ids[0] if ids else ""


def graphiql_page(graphql_path: str, enterprise_id: str) -> str:
    """The GraphiQL page, querying ``graphql_path``, its default tab :func:`example_query`.

    Parameters
    ----------
    graphql_path : str
        URL path of the GraphQL endpoint, e.g. ``/graphql``.
    enterprise_id : str
        Default value of the example's ``enterpriseId`` variable.

    Returns
    -------
    str
        HTML that loads scripts and styles only from :data:`STATIC_PATH`. The example is
        JSON inside a ``<script>`` element, with ``<``, ``>`` and ``&`` escaped so that no
        id can close the element.
    """
    example = json.dumps({"query": example_query(enterprise_id)})
    example = example.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        PAGE.read_text(encoding="utf-8")
        .replace("{{static}}", STATIC_PATH)
        .replace("{{graphql}}", graphql_path)
        .replace("{{example}}", example)
    )


__all__ = [
    "EXAMPLE_QUERY",
    "PAGE",
    "STATIC_DIR",
    "STATIC_PATH",
    "example_enterprise",
    "example_query",
    "graphiql_page",
]
