// The panel's Act section for a person or an enterprise: refer it to an account manager, log a
// contact with it, and move its referrals' status, through the GraphQL mutations
// (createReferral, logContact, updateReferral). Their coded errors (FORBIDDEN, CONFLICT,
// BAD_USER_INPUT, INVALID_TRANSITION...) are shown as "CODE: message" in an aria-live region.

import { ApiError, graphql } from "./api.js";
import { el } from "./panel.js";

/** The statuses a referral may move to, per the schema's OPEN -> CONTACTED -> CONVERTED | DECLINED. */
const NEXT = { OPEN: ["CONTACTED"], CONTACTED: ["CONVERTED", "DECLINED"] };
/** The Query field that reads a node of each label that can be acted on. */
const FIELD = { ENTERPRISE: "enterprise", PERSON: "person" };
const KINDS = ["VISIT", "CALL", "MEETING", "MESSAGE"];
const LISTED = 50; // referrals and contacts listed in the panel

let managerList = null; // one managers query per page (managers are never masked)

function managers() {
  if (!managerList) {
    managerList = graphql("{ managers(first: 1000) { edges { node { id name branch } } } }")
      .then((data) => data.managers.edges.map(({ node }) => node));
    managerList.catch(() => { managerList = null; }); // asked again by the next panel
  }
  return managerList;
}

/**
 * A new idempotency key (crypto.getRandomValues: randomUUID needs a secure context, and an
 * intranet page may be served over plain HTTP).
 */
function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `explorer-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function history(node) {
  return graphql(`query ActHistory($id: ID!) { node: ${FIELD[node.label]}(id: $id) {
    referrals(first: ${LISTED}) { totalCount edges { node { id masked status version product
      toManager { id name } } } }
    contacts(first: ${LISTED}) { totalCount edges { node { id masked kind at outcome } } } } }`,
  { id: node.id }).then((data) => data.node);
}

function field(text, input) {
  return el("label", {}, text, " ", input);
}

/** The Act section of `node`'s panel: a list of one section for a person or an enterprise, else none. */
export function actSection(node) {
  if (!FIELD[node.label]) return [];
  const party = { label: node.label, id: node.id };
  const said = el("p", { id: "act-status", role: "status", "aria-live": "polite" });
  const listed = el("div", { id: "act-history" }, el("p", {}, "Loading referrals and contacts…"));

  // Each form keeps its idempotency key until a send succeeds: sending again after an error
  // (or a lost answer) cannot record twice; the next referral or contact gets a new key.
  const submit = (form, action) => {
    let key = newKey();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const message = await attempt(() => action(new FormData(form), key));
      if (message) key = newKey();
    });
  };
  async function attempt(action) {
    said.textContent = "Sending…";
    said.className = "";
    try {
      const message = await action();
      said.textContent = message;
      return message;
    } catch (error) {
      said.textContent = error instanceof ApiError
        ? `${error.code}: ${error.message}` : `ERROR: ${error.message}`;
      said.className = "error";
      return null;
    } finally {
      reload(); // after a refusal too: a CONFLICT means someone moved it, shown as it now is
    }
  }

  const managerChoice = el("select", { name: "manager", required: "" },
    el("option", { value: "" }, "Loading managers…"));
  managers().then((found) => managerChoice.replaceChildren(
    el("option", { value: "" }, "Choose a manager"),
    ...found.map((m) => el("option", { value: m.id },
      `${m.name || m.id} (${m.id}${m.branch ? `, ${m.branch}` : ""})`))),
  (error) => managerChoice.replaceChildren(
    el("option", { value: "" }, `Managers unavailable: ${error.code || "ERROR"}`)));
  const refer = el("form", { "aria-labelledby": "act-refer" },
    el("h4", { id: "act-refer" }, "Refer to a manager"),
    field("Manager", managerChoice),
    field("Product", el("input", { name: "product", maxlength: "200" })),
    field("Note", el("input", { name: "note" })),
    el("button", { type: "submit" }, "Create referral"));
  submit(refer, async (form, idempotencyKey) => {
    const data = await graphql(`mutation Refer($input: CreateReferralInput!) {
      createReferral(input: $input) { id status version } }`, { input: {
      party, toManagerId: form.get("manager"), product: form.get("product") || null,
      note: form.get("note") || null, idempotencyKey } });
    const made = data.createReferral;
    return `Referral ${made.id} created: ${made.status.toLowerCase()}, version ${made.version}.`;
  });

  const log = el("form", { "aria-labelledby": "act-log" },
    el("h4", { id: "act-log" }, "Log a contact"),
    field("Kind", el("select", { name: "kind" },
      ...KINDS.map((k) => el("option", { value: k }, k.toLowerCase())))),
    field("Outcome", el("input", { name: "outcome" })),
    field("Note", el("input", { name: "note" })),
    el("button", { type: "submit" }, "Log contact"));
  submit(log, async (form, idempotencyKey) => {
    const data = await graphql(`mutation Log($input: LogContactInput!) {
      logContact(input: $input) { id kind } }`, { input: {
      party, kind: form.get("kind"), at: new Date().toISOString(),
      outcome: form.get("outcome") || null, note: form.get("note") || null, idempotencyKey } });
    return `Contact ${data.logContact.id} logged: ${data.logContact.kind.toLowerCase()}.`;
  });

  const move = (r, status) => el("button", {
    type: "button",
    "aria-label": `Mark referral ${r.id} ${status.toLowerCase()}`,
    onclick: () => attempt(async () => {
      const data = await graphql(`mutation Move($id: ID!, $status: ReferralStatus!, $v: Int!) {
        updateReferral(id: $id, status: $status, expectedVersion: $v) { id status version } }`,
      { id: r.id, status, v: r.version });
      const moved = data.updateReferral;
      return `Referral ${moved.id} is ${moved.status.toLowerCase()}, version ${moved.version}.`;
    }),
  }, `Mark ${status.toLowerCase()}`);
  const referral = ({ node: r }) => el("li", { "data-id": r.id },
    `${r.id}: ${r.status.toLowerCase()} (version ${r.version})`
    + (r.toManager ? ` to ${r.toManager.name || r.toManager.id}` : "")
    + (r.product ? `, ${r.product}` : "") + (r.masked ? " (masked)" : "") + " ",
    ...(NEXT[r.status] || []).map((s) => move(r, s)));
  const contact = ({ node: c }) => el("li", {},
    `${c.kind.toLowerCase()} on ${c.at.slice(0, 16).replace("T", " ")}`
    + (c.outcome ? `: ${c.outcome}` : "") + (c.masked ? " (masked)" : ""));
  const list = (id, connection, render, none) => [
    connection.edges.length ? el("ul", { id }, ...connection.edges.map(render)) : el("p", { id }, none),
    connection.totalCount > connection.edges.length
      ? el("p", { class: "kind" }, `First ${connection.edges.length} of ${connection.totalCount}.`)
      : null,
  ].filter(Boolean);
  function reload() {
    history(node).then((found) => listed.replaceChildren(
      el("h4", {}, "Referrals"), ...list("referrals", found.referrals, referral, "No referrals."),
      el("h4", {}, "Contacts"), ...list("contacts", found.contacts, contact, "No contacts."),
    ), (error) => listed.replaceChildren(
      el("p", { class: "error" }, `${error.code || "ERROR"}: ${error.message}`)));
  }
  reload();
  return [el("section", { class: "act", "aria-labelledby": "act-title" },
    el("h3", { id: "act-title" }, "Act"), refer, log, said, listed)];
}
