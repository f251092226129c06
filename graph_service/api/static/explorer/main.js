// The explorer page: find a client, see its network, expand, link two nodes, understand a
// node in the side panel, keep the view (PNG, CSV, a link that restores it), sign in.
// The view is replayed from the link's "#" part: root, hops, expansions, path ends, selection.

import * as api from "./api.js";
import * as auth from "./auth.js";
import { actSection } from "./act.js";
import { GraphView } from "./graph.js";
import { showPanel } from "./panel.js";

const HUB_PAGE = 25; // neighbours shown per expansion: the supernode threshold
const $ = (id) => document.getElementById(id);

const view = new GraphView($("graph"), { onSelect: select, onExpand: (key) => run(() => expand(key)) });
window.cy = view.cy; // for the browser tests and the benchmark

let state = emptyState();
const hubs = new Map(); // hub key -> {after, shown}: its next page's cursor (null: all shown)
const prospects = { asked: new Set(), uncovered: new Set(), noPrivateBanking: new Set() };

function emptyState() {
  return { root: null, depth: 1, expand: [], from: null, to: null, select: null };
}

function say(text, where = "graph-status") {
  $(where).textContent = text;
}

/** Run an action; a coded error goes to the status line. */
async function run(action) {
  try {
    await action();
  } catch (error) {
    say(error instanceof api.ApiError ? `${error.code}: ${error.message}` : String(error));
  }
}

const marked = { uncovered: 0, executives: 0 };

function summary() {
  const { nodes, relationships } = view.counts();
  const { uncovered: u, executives: x } = marked;
  return `${nodes} nodes, ${relationships} relationships in view; ${u} employees without a `
    + `payroll card and ${x} executives without private banking highlighted.`;
}

// -- keep: the link --------------------------------------------------------------------

function saveUrl() {
  const params = new URLSearchParams();
  if (state.root) params.set("root", state.root);
  if (state.depth !== 1) params.set("depth", state.depth);
  state.expand.forEach((key) => params.append("expand", key));
  for (const name of ["from", "to", "select"]) if (state[name]) params.set(name, state[name]);
  history.replaceState(null, "", `${location.pathname}${params.size ? "#" + params : ""}`);
  $("share-url").value = location.href;
}

async function restore() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.get("root")) return;
  $("depth").value = params.get("depth") || "1";
  await openNetwork(params.get("root"));
  for (const key of params.getAll("expand")) await expand(key);
  state.from = params.get("from");
  state.to = params.get("to");
  showEnds();
  if (state.from && state.to) await showPath();
  if (params.get("select")) select(params.get("select"));
}

// -- find ------------------------------------------------------------------------------

let searching = 0;
async function find(text) {
  const mine = ++searching;
  const list = $("results");
  if (text.trim().length < 2) {
    list.replaceChildren();
    say("", "search-status");
    return;
  }
  const found = await api.search(text.trim());
  if (mine !== searching) return;
  list.replaceChildren(...found.nodes.map((node) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `${node.masked ? node.id + " (masked)" : node.name || node.id} `;
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = `${node.label.toLowerCase()} ${node.id}`;
    button.append(kind);
    button.addEventListener("click", () => run(() => openNetwork(api.keyOf(node.label, node.id))));
    const item = document.createElement("li");
    item.append(button);
    return item;
  }));
  say(`${found.total} result${found.total === 1 ? "" : "s"} for “${text.trim()}”.`,
    "search-status");
}

// -- see, expand, link -----------------------------------------------------------------

async function openNetwork(key) {
  const depth = Number($("depth").value);
  const network = await api.clientNetwork(key, depth);
  view.clear();
  hubs.clear();
  state = { ...emptyState(), root: key, depth };
  showEnds();
  view.add(network.nodes, network.relationships, null, key);
  await highlight();
  select(key);
  say(`Network of ${label(key)}: ${summary()}`
    + (network.truncated ? " Cut short by the node budget: expand nodes to see more." : ""));
}

async function expand(key) {
  const hub = hubs.get(key);
  if (hub && hub.after === null) {
    say(`Every neighbour of ${label(key)} is in view. ${summary()}`);
    return;
  }
  const page = await api.neighbors(key, HUB_PAGE, hub ? hub.after : null);
  const nodes = page.edges.map((e) => e.node);
  const fresh = view.add(nodes, page.edges.flatMap((e) => e.relationships), key);
  const next = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  const shown = (hub ? hub.shown : 0) + page.edges.length;
  const remaining = page.totalCount - shown;
  hubs.set(key, { after: next, shown });
  view.more(key, next, remaining);
  state.expand.push(key);
  await highlight();
  saveUrl();
  say(`Expanded ${label(key)}: ${fresh.length} new of ${page.totalCount} neighbours`
    + (next ? ` (${remaining} more: click “+${remaining} more” or expand it again)` : "")
    + `. ${summary()}`);
}

async function highlight() {
  const enterprises = view.nodes().filter((n) => n.label === "ENTERPRISE" && !n.masked
    && !prospects.asked.has(n.id)).map((n) => n.id);
  enterprises.forEach((id) => prospects.asked.add(id));
  const found = await api.prospects(enterprises);
  found.uncovered.forEach((k) => prospects.uncovered.add(k));
  found.noPrivateBanking.forEach((k) => prospects.noPrivateBanking.add(k));
  marked.uncovered = view.mark("uncovered", prospects.uncovered);
  marked.executives = view.mark("no-private-banking", prospects.noPrivateBanking);
  listNodes();
}

function label(key) {
  const node = view.node(key);
  if (!node) return key;
  return node.masked ? `${node.id} (masked)` : node.name || node.id;
}

function showEnds() {
  $("path-ends").textContent = `From: ${state.from ? label(state.from) : "—"}; `
    + `to: ${state.to ? label(state.to) : "—"}`;
  $("show-path").disabled = !(state.from && state.to);
}

async function showPath() {
  const [path] = await api.linkagePaths(state.from, state.to);
  if (!path) {
    view.showPath(null);
    say(`No path between ${label(state.from)} and ${label(state.to)} within 6 hops.`);
    return;
  }
  highlightPath(path);
  saveUrl();
}

function highlightPath(path) {
  const start = api.keyOf(path.nodes[0].label, path.nodes[0].id);
  view.add(path.nodes, path.relationships, view.node(start) ? start : null);
  view.showPath(path);
  listNodes();
  const names = path.nodes.map((n) => (n.masked ? `${n.id} (masked)` : n.name || n.id));
  say(`Path of ${path.length} hop${path.length === 1 ? "" : "s"}: ${names.join(" → ")}. ${summary()}`);
}

// -- understand ------------------------------------------------------------------------

const actions = {
  expand: (key) => run(() => expand(key)),
  pathFrom: (key) => { state.from = key; showEnds(); saveUrl(); },
  pathTo: (key) => { state.to = key; showEnds(); saveUrl(); },
  showLeadPath: (lead) => highlightPath(lead.path),
};

function select(key) {
  const node = view.node(key);
  if (!node) return;
  state.select = key;
  view.select(key);
  for (const item of $("listed").children) {
    item.classList.toggle("selected", item.dataset.key === key);
  }
  saveUrl();
  showPanel(node, actions, actSection);
}

function listNodes() {
  const items = view.nodes().map((node) => {
    const key = api.keyOf(node.label, node.id);
    const button = document.createElement("button");
    button.type = "button";
    const marks = [prospects.uncovered.has(key) ? "no payroll card" : "",
      prospects.noPrivateBanking.has(key) ? "no private banking" : ""].filter(Boolean);
    button.textContent = `${label(key)} `;
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = [node.label.toLowerCase(), ...marks].join(", ");
    button.append(kind);
    button.addEventListener("click", () => select(key));
    button.addEventListener("dblclick", () => run(() => expand(key)));
    const item = document.createElement("li");
    item.dataset.key = key;
    if (key === state.select) item.className = "selected";
    item.append(button);
    return item;
  });
  $("listed").replaceChildren(...items);
}

// -- keep: files -----------------------------------------------------------------------

function download(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// A cell beginning with one of these is a formula to a spreadsheet (OWASP's CSV injection):
// such a value is written after an apostrophe, which makes it text.
const FORMULA = /^[=+\-@\t\r]/;

function csv() {
  const text = (v) => String(v ?? "");
  const quote = (v) => `"${(FORMULA.test(text(v)) ? "'" : "") + text(v).replace(/"/g, '""')}"`;
  const rows = [["label", "id", "name", "masked", "uncovered_employee",
    "executive_without_private_banking"]];
  for (const node of view.nodes()) {
    const key = api.keyOf(node.label, node.id);
    rows.push([node.label, node.id, node.name ?? "", node.masked,
      prospects.uncovered.has(key), prospects.noPrivateBanking.has(key)]);
  }
  return rows.map((row) => row.map(quote).join(",")).join("\r\n") + "\r\n";
}

// -- sign in ---------------------------------------------------------------------------

function showSignedIn() {
  say(auth.token() ? "Requests carry your token." : "No token yet: paste one, or sign in.",
    "sign-in-status");
}

async function signIn() {
  const finished = await auth.finishSignIn();
  if (finished) say(finished, "sign-in-status");
  else showSignedIn();
  $("token-input").value = auth.token() || "";
  const oidc = await auth.oidcSettings();
  if (oidc) {
    const button = $("oidc-sign-in");
    button.hidden = false;
    button.addEventListener("click", () => run(() => auth.startSignIn(oidc)));
  }
}

// -- wiring ----------------------------------------------------------------------------

let typing = null;
$("search-input").addEventListener("input", (event) => {
  clearTimeout(typing);
  typing = setTimeout(() => run(() => find(event.target.value)), 200);
});
$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  const first = $("results").querySelector("button");
  if (first) first.click();
});
$("search-input").addEventListener("keydown", (event) => {
  const first = $("results").querySelector("button");
  if (event.key === "ArrowDown" && first) { event.preventDefault(); first.focus(); }
});
$("sign-in").addEventListener("submit", (event) => {
  event.preventDefault();
  auth.keepToken($("token-input").value.trim());
  showSignedIn();
  // A shared link opened before signing in: its view is built now, with this token.
  if (!state.root && new URLSearchParams(location.hash.slice(1)).get("root")) {
    run(async () => {
      await restore();
      saveUrl();
    });
  }
});
$("forget").addEventListener("click", () => {
  auth.forgetToken();
  $("token-input").value = "";
  showSignedIn();
});
$("show-path").addEventListener("click", () => run(showPath));
$("clear-path").addEventListener("click", () => {
  state.from = state.to = null;
  view.showPath(null);
  showEnds();
  saveUrl();
  say(summary());
});
$("relayout").addEventListener("click", () => view.layout(state.root));
$("export-png").addEventListener("click", () => download(view.png(), "explorer-view.png"));
$("export-csv").addEventListener("click", () =>
  download(new Blob([csv()], { type: "text/csv" }), "explorer-nodes.csv"));
$("copy-link").addEventListener("click", () => {
  $("share-url").select();
  (navigator.clipboard ? navigator.clipboard.writeText(location.href) : Promise.reject())
    .then(() => say("Link copied.", "graph-status"), () => say("Select the link and copy it."));
});

run(async () => {
  await signIn();
  await restore();
  saveUrl();
});
