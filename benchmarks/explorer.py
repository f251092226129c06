"""The explorer with 2,000 nodes in view, in headless Chromium (issue 12, item 4), by hand.

Run:

    .venv/bin/python benchmarks/explorer.py [--nodes 2000] [--people 4000]

Starts ``graph-service demo`` (a deterministic bank of ``--people`` people, authentication
on) on a free loopback port and opens ``/explorer`` in Debian's Chromium (``/usr/bin/chromium``,
headless, as the browser tests run it) with the demo manager's token. It opens the network
of the demo's largest client (``clientNetwork``, depth 1, bounded as always), then grows the
view as a user does, by expanding: it presses the panel's "Expand neighbours" on the nodes in
view, enterprises first, then managers, people and accounts (oldest first within a label),
each expansion a page of 25 neighbours (a hub again for its next page), until ``--nodes``
nodes are in view. It prints, in milliseconds:

- ``open``: the first network, from the click on the search result to its status line;
- ``expand p50/p95/max``: each expansion, from the button press to the status line (the
  page's API call, placing the new nodes, the highlights, the node list), over the run;
- ``expand at N``: the last expansions, with about ``--nodes`` nodes in view;
- ``layout``: "Lay out again" on the full view, to the next frame painted;
- ``pan/zoom frame``: a zoom step to the next frame painted (interactive).

Nothing is asserted; the figures go, dated, in BENCHMARKS.md ("Explorer, measured by hand").
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parent.parent
CLI = [str(REPO / ".venv" / "bin" / "graph-service")]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
HUBS_FIRST = ["ENTERPRISE", "MANAGER", "PERSON", "ACCOUNT", "LOAN", "MEDIUM"]
"""Which nodes the run expands first: hubs, as a user growing a view does."""
NEXT_FRAME = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_demo(data_dir: Path, people: int) -> tuple[subprocess.Popen[str], str, str, str]:
    """``graph-service demo``; (process, base URL, manager token, largest client id)."""
    port = free_port()
    env = {**os.environ, "GRAPH_SERVICE_DATA_DIR": str(data_dir)}
    process = subprocess.Popen([*CLI, "demo", "--port", str(port), "--people", str(people)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)  # fmt: skip
    printed = ""
    assert process.stdout is not None
    while "Explorer: http" not in printed:
        line = process.stdout.readline()
        if not line:
            sys.exit(f"demo exited:\n{printed}")
        printed += line
    [token] = re.findall(r"manager \S+: (\S+)", printed)
    [client] = re.findall(r'payrollCoverage\(enterpriseId: "([^"]+)"\)', printed)
    return process, f"http://127.0.0.1:{port}", token, client


def status_after(page: Page, action: object, changed_from: str) -> float:
    """Milliseconds from ``action()`` to the status line changing from ``changed_from``."""
    start = time.perf_counter()
    action()  # type: ignore[operator]
    page.wait_for_function(
        "old => document.getElementById('graph-status').textContent !== old", arg=changed_from,
        timeout=120_000, polling="raf")  # fmt: skip
    return (time.perf_counter() - start) * 1000


def in_view(page: Page) -> int:
    """Nodes in the graph (the "more" nodes aside)."""
    return int(page.evaluate("window.cy.nodes().not('.more').length"))


def main() -> None:
    """Start the demo and Chromium; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=2000, help="nodes in view to reach")
    parser.add_argument("--people", type=int, default=4000, help="people in the demo bank")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="explorer-bench-") as data:
        process, url, token, client = start_demo(Path(data) / "demo", options.people)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                     args=ARGS)  # fmt: skip
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                run(page, url, token, client, options.nodes)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)


def run(page: Page, url: str, token: str, client: str, target: int) -> None:
    """Sign in, open the client, expand to ``target`` nodes, measure; print."""
    page.goto(f"{url}/explorer")
    page.get_by_label("Bearer token").fill(token)
    page.get_by_role("button", name="Use token").click()
    page.get_by_label("Client name or id").fill(client)
    result = page.locator("#results button").first
    result.wait_for()
    status = page.locator("#graph-status")
    opened = status_after(page, result.click, status.inner_text())
    print(f"open: {opened:.0f} ms, {in_view(page)} nodes")
    expand_ms: list[tuple[int, float]] = []
    done: set[str] = set()
    button = page.locator("#panel").get_by_role("button", name="Expand neighbours")
    while in_view(page) < target:
        keys: list[str] = page.evaluate("window.cy.nodes().not('.more').map(n => n.id())")
        key = min((k for k in keys if k not in done), default=None,
                  key=lambda k: HUBS_FIRST.index(k.split(":")[0]))
        if key is None:
            sys.exit(f"every node expanded at {in_view(page)} nodes: use a larger --people")
        page.locator(f'#listed li[data-key="{key}"] button').click()
        page.locator("#panel-node").wait_for()
        ms = status_after(page, button.click, status.inner_text())
        expand_ms.append((in_view(page), ms))
        if page.evaluate("key => window.cy.$id('more:' + key).empty()", key):
            done.add(key)  # else its next page the next time
    times = sorted(ms for _, ms in expand_ms)
    last = [ms for n, ms in expand_ms if n >= target * 0.9]
    print(f"expand: {len(times)} expansions, p50 {statistics.median(times):.0f} ms, "
          f"p95 {times[int(0.95 * (len(times) - 1))]:.0f} ms, max {times[-1]:.0f} ms")
    print(f"expand at {target}: {statistics.median(last):.0f} ms (median of {len(last)})")
    nodes = in_view(page)
    edges = page.evaluate("window.cy.edges().length")
    split = page.evaluate("""async () => {
      const start = performance.now();
      document.getElementById("relayout").click();
      const laid = performance.now();
      await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
      return [laid - start, performance.now() - laid]; }""")
    print(f"layout: {split[0] + split[1]:.0f} ms for {nodes} nodes, {edges} relationships "
          f"(concentric by hop: {split[0]:.0f} ms positions, {split[1]:.0f} ms to the frame)")
    frames = []
    for step in range(5):
        start = time.perf_counter()
        page.evaluate(f"() => {{ window.cy.zoom({{ level: window.cy.zoom() * "
                      f"{1.2 if step % 2 else 0.8}, renderedPosition: {{ x: 400, y: 300 }} }}); }}")
        page.evaluate(NEXT_FRAME)
        frames.append((time.perf_counter() - start) * 1000)
    print(f"pan/zoom frame: median {statistics.median(frames):.0f} ms, max {max(frames):.0f} ms")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
