"""GraphiQL served by the service itself: no CDN, so it works on a network without internet.

The page (``graphiql.html`` beside this module) loads GraphiQL 4 and React 18 from
:data:`STATIC_DIR` (``static/graphiql``), which the application serves under
:data:`STATIC_PATH`. Those files are the npm packages' own, at the versions pinned in
``tools/browser-assets/package-lock.json``, copied by ``make browser-assets`` and shipped in the
wheel and the image.

The page has a bearer-token field (kept in the tab's ``sessionStorage``, sent as
``Authorization: Bearer <token>`` with every request). Its default tab is the example of the
token's role (:func:`examples`): the page reads the ``role`` and ``manager_id`` claims from the
token's payload without verifying it, only to choose the example; the service verifies every
request. GraphiQL's own state (tabs, history) is kept in ``sessionStorage`` too, apart for each
subject and role, so that a shared browser keeps no queries after its tab is closed and a new
token opens on its own role's example.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graph_service.auth.caller import MANAGER_CLAIM, ROLE_CLAIM, Role
from graph_service.errors import GraphServiceError
from graph_service.stores.base import GraphStore

STATIC_PATH = "/static"
"""URL path under which :data:`STATIC_DIR` is served."""
STATIC_DIR = Path(__file__).with_name("static")
"""The service's browser files; ``graphiql/`` holds the vendored GraphiQL and React."""
PAGE = Path(__file__).with_name("graphiql.html")
"""The GraphiQL page's template: ``{{static}}``, ``{{graphql}}`` and ``{{examples}}``."""

PAYROLL_FIELDS = """\
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
"""
"""A client's payroll coverage and its employees without a payroll product (the README's
first examples), for :data:`EXAMPLE_QUERY` and :data:`ADMIN_EXAMPLE`."""

EXAMPLE_QUERY = """\
# Payroll-card prospects of a client: its payroll
# coverage, and its employees who hold no active
# payroll product (the README's first examples).
# Paste your token above: requests without one answer
# UNAUTHENTICATED, and the default tab then shows
# the example for your role. Press the run button
# (or Ctrl-Enter). To ask about another client,
# change the id on the next line.
query PayrollProspects($enterpriseId: ID! = {enterprise_id}) {
""" + PAYROLL_FIELDS + "}\n"
"""The default tab without a token: ``{enterprise_id}`` stands for a GraphQL string."""

ADMIN_EXAMPLE = """\
# As an admin you read everything, the audit trail
# included: a client's payroll coverage and its
# employees without a payroll product, then the last
# operations recorded in the audit trail. Press the
# run button (or Ctrl-Enter).
query ClientAndAuditTrail($enterpriseId: ID! = {enterprise_id}) {
""" + PAYROLL_FIELDS + """\
  auditRecords(last: 5) {
    time
    subject
    role
    operation
    rootFields
    outcome
    errorCodes
  }
}
"""
"""The default tab of role ``admin``: ``{enterprise_id}`` stands for a GraphQL string."""

MANAGER_EXAMPLE = """\
# Your leads: people within two hops of your clients
# who hold no payroll product or no private banking,
# closest first, each with the path that reaches them,
# then your clients' payroll coverage and the
# referrals you received. $managerId (in Variables
# below) is yours, from your token. Press the run
# button (or Ctrl-Enter).
query MyLeads($managerId: ID!) {
  managerLeads(managerId: $managerId, maxHops: 2, first: 10) {
    totalCount
    edges {
      hop
      kinds
      node { id name segment }
      path { length nodes { label id name } }
    }
    pageInfo { hasNextPage endCursor }
  }
  manager(id: $managerId) {
    name
    branch
    referralsReceived(first: 10) {
      totalCount
      edges {
        node {
          id status product
          party { ... on Person { id name } ... on Enterprise { id name } }
        }
      }
    }
  }
  coverageRollup(groupBy: MANAGER, first: 100) {
    edges { key enterprises employees covered uncovered rate }
  }
}
"""
"""The default tab of role ``manager``; the page sets ``managerId`` from the token."""

BOOK_EXAMPLE = """\
# The whole book, as an analyst or an application
# reads it (people's personal data is masked): the
# payroll matching rate per branch, the ten clients
# with the most employees without a payroll product.
# Press the run button (or Ctrl-Enter).
query PayrollByBranch {
  coverageRollup(groupBy: BRANCH, first: 20) {
    totalCount
    edges { key enterprises employees covered uncovered rate }
  }
  enterprises(sort: [{uncoveredEmployees: DESC}], first: 10) {
    edges { node { id name industry region } }
  }
}
"""
"""The default tab of roles ``analyst`` and ``app``."""

STAFF_EXAMPLE = """\
# Refer a customer to an account manager. Fill in the
# Variables below: the customer's id (label PERSON or
# ENTERPRISE), the manager's id, and what to offer.
# Press the run button (or Ctrl-Enter); running it
# again with the same idempotencyKey answers the same
# referral instead of a second one. Your role reads
# back the referrals you created: referral(id: ...).
mutation ReferToManager($input: CreateReferralInput!) {
  createReferral(input: $input) {
    id
    status
    version
    product
    createdAt
    toManager { id name branch }
  }
}
"""
"""The default tab of role ``staff``, whose variables are :data:`STAFF_VARIABLES`."""

STAFF_VARIABLES: dict[str, Any] = {
    "input": {
        "party": {"label": "PERSON", "id": "the customer's id"},
        "toManagerId": "the account manager's id",
        "product": "payroll card",
        "note": "",
        "idempotencyKey": None,
    }
}
"""The staff example's variables; the page sets ``idempotencyKey`` to a random key."""


def example_query(enterprise_id: str, template: str = EXAMPLE_QUERY) -> str:
    """``template`` with ``enterprise_id`` as its ``$enterpriseId`` variable's default value.

    The id is written as JSON writes an ASCII string, which is also a GraphQL string
    literal: both escape quotes, backslashes and control characters alike.
    """
    return template.replace("{enterprise_id}", json.dumps(enterprise_id))


def examples(enterprise_id: str) -> dict[str, dict[str, Any]]:
    """The default tab of each role: its query and variables.

    Parameters
    ----------
    enterprise_id : str
        The enterprise of the examples that ask about one (no token, and ``admin``).

    Returns
    -------
    dict
        ``{"": ..., "admin": ..., "manager": ..., "analyst": ..., "app": ..., "staff": ...}``,
        the key ``""`` for a page without a readable token. Each value is
        ``{"query": str, "variables": dict | None, "claim": str | None}``: the page sets the
        variable ``managerId`` from the claim named by ``"claim"`` (:data:`MANAGER_CLAIM`),
        and a ``None`` ``idempotencyKey`` to a random key.
    """
    def tab(query: str, variables: dict[str, Any] | None = None,
            claim: str | None = None) -> dict[str, Any]:  # fmt: skip
        return {"query": query, "variables": variables, "claim": claim}

    book = tab(BOOK_EXAMPLE)
    return {
        "": tab(example_query(enterprise_id)),
        Role.ADMIN.value: tab(example_query(enterprise_id, ADMIN_EXAMPLE)),
        Role.MANAGER.value: tab(MANAGER_EXAMPLE, {"managerId": None}, MANAGER_CLAIM),
        Role.ANALYST.value: book,
        Role.APP.value: book,
        Role.STAFF.value: tab(STAFF_EXAMPLE, STAFF_VARIABLES),
    }


async def example_enterprise(store: GraphStore) -> str:
    """The enterprise the examples ask about: the first id, as text.

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
    """The GraphiQL page, querying ``graphql_path``, its default tab one of :func:`examples`.

    Parameters
    ----------
    graphql_path : str
        URL path of the GraphQL endpoint, e.g. ``/graphql``.
    enterprise_id : str
        Default value of the examples' ``enterpriseId`` variable.

    Returns
    -------
    str
        HTML that loads scripts and styles only from :data:`STATIC_PATH`. The examples, and
        the name of the role claim (:data:`ROLE_CLAIM`), are JSON inside a ``<script>``
        element, with ``<``, ``>`` and ``&`` escaped so that no id can close the element.
    """
    blob = json.dumps({"roleClaim": ROLE_CLAIM, "examples": examples(enterprise_id)})
    blob = blob.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        PAGE.read_text(encoding="utf-8")
        .replace("{{static}}", STATIC_PATH)
        .replace("{{graphql}}", graphql_path)
        .replace("{{examples}}", blob)
    )


__all__ = [
    "ADMIN_EXAMPLE",
    "BOOK_EXAMPLE",
    "EXAMPLE_QUERY",
    "MANAGER_EXAMPLE",
    "PAGE",
    "PAYROLL_FIELDS",
    "STAFF_EXAMPLE",
    "STAFF_VARIABLES",
    "STATIC_DIR",
    "STATIC_PATH",
    "example_enterprise",
    "example_query",
    "examples",
    "graphiql_page",
]
