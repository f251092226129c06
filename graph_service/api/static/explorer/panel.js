// The side panel: a node's properties and its linkage answers (coverage and rate, uncovered
// employees and executives without private banking, cross-sell gaps, a manager's leads with
// the path to each), and the actions on it. Built with DOM calls only (no HTML strings), so
// names from the data can never become markup.

import { details } from "./api.js";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function section(title, ...children) {
  return el("section", {}, el("h3", {}, title), ...children);
}

function refused(error) {
  const code = error.extensions && error.extensions.code;
  return el("p", { class: "error" }, `${code || "ERROR"}: ${error.message}`);
}

function personList(connection, empty) {
  if (!connection.edges.length) return el("p", {}, empty);
  return el("ul", {}, ...connection.edges.map(({ node }) =>
    el("li", {}, node.masked ? `${node.id} (masked)` : `${node.name} (${node.id})`)));
}

function properties(node) {
  const rows = [["Label", node.label], ["Id", node.id], ["Masked", node.masked ? "yes" : "no"],
    ...Object.entries(node.properties || {}).map(([k, v]) => [k, String(v)])];
  return el("dl", {}, ...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function answers(label, result, actions) {
  const { data, errors } = result;
  const errorOf = (field) => errors.find((e) => e.path && e.path[0] === field);
  const parts = [];
  const guarded = (field, title, render) => {
    const error = errorOf(field);
    if (error) parts.push(section(title, refused(error)));
    else if (data && data[field]) parts.push(section(title, render(data[field])));
  };
  if (label === "ENTERPRISE") {
    guarded("payrollCoverage", "Payroll coverage", (c) => el("p", { id: "coverage" },
      `${c.covered} of ${c.employees} employees covered (${c.uncovered} uncovered); rate `
      + (c.rate === null ? "n/a" : `${Math.round(c.rate * 1000) / 10} %`)));
    guarded("uncoveredEmployees", "Employees without a payroll card", (c) =>
      personList(c, "None: every employee is covered."));
    guarded("executivesWithoutPrivateBanking", "Executives without private banking", (c) =>
      personList(c, "None."));
  } else if (label === "PERSON") {
    guarded("crossSellGaps", "Cross-sell gaps", (g) => el("dl", {},
      el("dt", {}, "Held"), el("dd", {}, g.held.join(", ") || "none"),
      el("dt", {}, "Missing"), el("dd", {}, g.missing.join(", ") || "none")));
  } else if (label === "MANAGER") {
    guarded("managerLeads", "Leads", (leads) => el("ol", {}, ...leads.edges.map((lead) => {
      const who = lead.node.masked ? `${lead.node.id} (masked)` : `${lead.node.name} (${lead.node.id})`;
      const path = lead.path.nodes.map((n) => n.name || n.id).join(" → ");
      return el("li", {}, `${who}, hop ${lead.hop}`,
        lead.kinds ? el("div", { class: "kind" }, lead.kinds.join(", ").toLowerCase()) : null,
        el("div", { class: "kind" }, `Path: ${path}`),
        el("button", { type: "button", onclick: () => actions.showLeadPath(lead) },
          `Show path to ${lead.node.name || lead.node.id}`));
    })));
  }
  return parts;
}

/**
 * Show `node` (as the API answered it) in the panel, with the buttons of `actions`
 * ({expand, pathFrom, pathTo, showLeadPath}) and, when given, `extra(node)` sections.
 */
let shown = 0;

export async function showPanel(node, actions, extra = () => []) {
  const mine = ++shown;
  const body = document.getElementById("panel-body");
  const key = `${node.label}:${node.id}`;
  document.getElementById("panel-hint").hidden = true;
  const title = node.masked ? `${node.id} (masked)` : (node.name || node.id);
  body.replaceChildren(
    el("h3", { id: "panel-node" }, `${title} · ${node.label.toLowerCase()}`),
    el("div", {},
      el("button", { type: "button", onclick: () => actions.expand(key) }, "Expand neighbours"),
      el("button", { type: "button", onclick: () => actions.pathFrom(key) }, "Path from here"),
      el("button", { type: "button", onclick: () => actions.pathTo(key) }, "Path to here")),
    section("Properties", properties(node)),
    el("p", { role: "status" }, "Loading the linkage answers…"),
  );
  let parts = [];
  try {
    const result = await details(key);
    parts = result ? answers(node.label, result, actions) : [];
  } catch (error) {
    parts = [refused({ message: error.message, extensions: { code: error.code } })];
  }
  if (mine !== shown) return; // another node was selected meanwhile
  body.querySelector("[role=status]").textContent = parts.length
    ? "Linkage answers loaded." : "No linkage questions about this kind of node.";
  body.append(...parts, ...extra(node));
}

export { el };
