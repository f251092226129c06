"""GraphiQL at /graphql in headless Chromium: it opens, runs its example, sends the token,
and needs nothing but the service (graph_service/api/graphiql.py)."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from graph_service.api.graphiql import MANAGER_EXAMPLE
from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer
from tests.browser.conftest import Demo

TOKEN_KEY = "graph-service.token"


def open_graphiql(page: Page, service_url: str) -> None:
    page.goto(f"{service_url}/graphql")
    expect(page.locator(".graphiql-query-editor")).to_contain_text(
        'query PayrollProspects($enterpriseId: ID! = "E1")'
    )


def run(page: Page) -> Locator:
    """Click GraphiQL's run button; the response pane."""
    page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    return page.locator(".graphiql-response")


def expect_e1_answer(response: Locator) -> None:
    """The example's answer on E1 (tests/conftest.py): coverage 2 of 4, Bob and Dan."""
    for text in ('"name": "Acme Ltd"', '"employees": 4', '"covered": 2', '"rate": 0.5',
                 '"totalCount": 2', '"name": "Bob"', '"name": "Dan"'):  # fmt: skip
        expect(response).to_contain_text(text)
    expect(response).not_to_contain_text('"errors"')


def test_example_runs_from_the_run_button(
    page: Page, service_url: str, js_errors: list[str]
) -> None:
    open_graphiql(page, service_url)
    expect_e1_answer(run(page))
    assert js_errors == []


def test_token_is_sent_with_every_request_and_kept_for_the_tab(
    page: Page, service_url: str
) -> None:
    open_graphiql(page, service_url)
    page.get_by_label("Bearer token").fill("t0ken")
    expect(page.get_by_role("status")).to_have_text("Requests carry this token.")
    with page.expect_request(lambda r: r.method == "POST") as sent:
        expect_e1_answer(run(page))
    assert sent.value.headers["authorization"] == "Bearer t0ken"
    # Kept in sessionStorage, not localStorage; a reload keeps it, and the schema's
    # introspection request carries it too.
    assert page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") == "t0ken"
    assert page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')") is None
    with page.expect_request(lambda r: r.method == "POST") as introspection:
        page.reload()
    assert "IntrospectionQuery" in (introspection.value.post_data or "")
    assert introspection.value.headers["authorization"] == "Bearer t0ken"
    expect(page.get_by_label("Bearer token")).to_have_value("t0ken")
    # Forgotten: requests go without it.
    page.get_by_role("button", name="Forget").click()
    no_token = re.compile(r"^No token yet: requests answer UNAUTHENTICATED until you paste one")
    expect(page.get_by_role("status")).to_have_text(no_token)
    with page.expect_request(lambda r: r.method == "POST") as sent:
        run(page)
    assert "authorization" not in sent.value.headers


def test_works_with_every_other_host_blocked(
    page: Page, service_url: str, offline: list[str], requested: list[str],
    js_errors: list[str],
) -> None:  # fmt: skip
    open_graphiql(page, service_url)
    expect_e1_answer(run(page))
    assert offline == []
    assert requested and all(url.startswith(f"{service_url}/") for url in requested)
    assert js_errors == []


def test_requests_to_other_hosts_are_blocked(
    page: Page, service_url: str, offline: list[str]
) -> None:
    """The blocking of the test above works: a request to another host is refused, by the
    page's Content Security Policy first (connect-src 'self'), and without it by the test's
    routing (about:blank has no policy)."""
    fetch = "fetch('http://192.0.2.1/x').then(() => 'sent', () => 'refused')"
    page.goto(f"{service_url}/graphql")
    assert page.evaluate(fetch) == "refused"
    assert offline == []  # the policy stopped it before the network
    page.goto("about:blank")
    assert page.evaluate(fetch) == "refused"
    assert offline == ["http://192.0.2.1/x"]


def test_runs_under_its_content_security_policy_without_a_violation(
    page: Page, service_url: str, js_errors: list[str]
) -> None:
    """The page's policy (graph_service/api/security.py) allows all GraphiQL does, no more."""
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    with page.expect_response(f"{service_url}/graphql") as answer:
        open_graphiql(page, service_url)
    assert "script-src 'self' 'sha256-" in answer.value.headers["content-security-policy"]
    expect_e1_answer(run(page))
    assert violations == [] and js_errors == []
    blocked = page.evaluate(  # an injected inline script is not run
        "(() => { const s = document.createElement('script'); s.textContent = "
        "'window.injected = 1'; document.body.appendChild(s); return window.injected; })()")
    assert blocked is None
    assert any("Content Security Policy" in v for v in violations)


def test_the_default_tab_is_the_example_of_the_tokens_role(
    page: Page, demo: Demo, js_errors: list[str]
) -> None:
    """On the demo (authentication on): a manager's token opens on their leads, an analyst's
    on the book's rollup, each in its own tabs, kept in sessionStorage only; Forget clears them."""
    page.goto(f"{demo.url}/graphql")
    editor = page.locator(".graphiql-query-editor")
    expect(editor).to_contain_text("query PayrollProspects(")
    page.get_by_label("Bearer token").fill(demo.manager_token)
    expect(page.get_by_role("status")).to_have_text("Requests carry this token (role manager).")
    expect(editor).to_contain_text("query MyLeads($managerId: ID!)")
    expect(page.locator(".graphiql-editor-tool")).to_contain_text(
        f'"managerId": "{demo.manager_id}"')
    leads = demo.graphql(MANAGER_EXAMPLE, {"managerId": demo.manager_id})["managerLeads"]
    assert leads["totalCount"] > 0
    response = run(page)
    expect(response).to_contain_text(f'"totalCount": {leads["totalCount"]}')
    expect(response).to_contain_text(f'"id": "{leads["edges"][0]["node"]["id"]}"')
    expect(response).not_to_contain_text('"errors"')
    # GraphiQL saves its tabs 500 ms after a change; the next token reloads the page.
    manager, analyst_prefix = (f"graph-service.graphiql.manager:demo-manager-{demo.manager_id}:",
                               "graph-service.graphiql.analyst:analyst-1:")
    page.wait_for_function(f"() => sessionStorage.getItem('{manager}graphiql:tabState') !== null")

    analyst = LocalIssuer(demo.data_dir).issue("analyst-1", Role.ANALYST)
    page.get_by_label("Bearer token").fill(analyst)
    expect(page.get_by_role("status")).to_have_text("Requests carry this token (role analyst).")
    expect(editor).to_contain_text("query PayrollByBranch {")
    response = run(page)
    expect(response).to_contain_text('"coverageRollup"')
    expect(response).not_to_contain_text('"errors"')

    page.get_by_label("Bearer token").fill(demo.manager_token)  # the manager's tabs again
    expect(editor).to_contain_text("query MyLeads($managerId: ID!)")
    kept = page.evaluate("Object.keys(sessionStorage)")
    assert f"{manager}graphiql:tabState" in kept
    assert any(key.startswith(analyst_prefix) for key in kept)
    assert [key for key in page.evaluate("Object.keys(localStorage)") if "graphiql" in key] == []

    page.get_by_role("button", name="Forget").click()
    expect(editor).to_contain_text("query PayrollProspects(")
    assert not any(key.startswith((manager, analyst_prefix))
                   for key in page.evaluate("Object.keys(sessionStorage)"))
    assert js_errors == []


def test_the_explorers_forget_drops_graphiqls_state_too(page: Page, demo: Demo) -> None:
    """Both pages share the tab's token; Forget on either drops GraphiQL's kept queries."""
    page.goto(f"{demo.url}/graphql")
    page.get_by_label("Bearer token").fill(demo.manager_token)
    expect(page.locator(".graphiql-query-editor")).to_contain_text("query MyLeads(")
    kept = "Object.keys(sessionStorage).filter(k => k.startsWith('graph-service.graphiql.'))"
    page.wait_for_function(f"() => {kept}.length > 0")
    page.goto(f"{demo.url}/explorer")
    page.get_by_role("button", name="Forget").click()
    assert page.evaluate(kept) == []
    assert page.evaluate("sessionStorage.getItem('graph-service.token')") is None
