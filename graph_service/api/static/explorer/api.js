// The service's GraphQL API, as the explorer uses it: one function per question. Nodes are
// named by key "LABEL:id" (LABEL as the NodeLabel enum, e.g. "PERSON:P1").

import { token } from "./auth.js";

/** A GraphQL error, with its extensions.code (UNAUTHENTICATED, FORBIDDEN, CONFLICT...). */
export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code || "ERROR";
  }
}

/** Run a document; its data. Errors throw, unless `partial`: then {data, errors}. */
export async function graphql(query, variables = {}, { partial = false } = {}) {
  const headers = { "Content-Type": "application/json" };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const response = await fetch("/graphql", {
    method: "POST", headers, body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => null);
  if (!body) throw new ApiError(`the service answered HTTP ${response.status}`);
  const errors = body.errors || [];
  if (partial && "data" in body) return { data: body.data, errors };
  if (errors.length) {
    const first = errors[0];
    throw new ApiError(first.message, first.extensions && first.extensions.code);
  }
  return body.data;
}

export function keyOf(label, id) {
  return `${label}:${id}`;
}

export function splitKey(key) {
  const at = key.indexOf(":");
  return { label: key.slice(0, at), id: key.slice(at + 1) };
}

const NODE = "label id name masked properties";
const RELATIONSHIP = "type start { label id } end { label id }";

export async function search(text) {
  const data = await graphql(`query Find($text: String!) {
    search(text: $text, first: 10) { totalCount edges { node {
      __typename
      ... on Enterprise { id name masked }
      ... on Person { id name masked }
      ... on Account { id masked }
      ... on Manager { id name masked } } } } }`, { text });
  return {
    total: data.search.totalCount,
    nodes: data.search.edges.map(({ node }) => ({
      label: node.__typename.toUpperCase(), id: node.id, name: node.name, masked: node.masked,
    })),
  };
}

export async function clientNetwork(key, depth) {
  const data = await graphql(`query Network($node: NodeRef!, $depth: Int!) {
    clientNetwork(node: $node, depth: $depth) {
      truncated nodes { ${NODE} } relationships { ${RELATIONSHIP} } } }`,
  { node: splitKey(key), depth });
  return data.clientNetwork;
}

export async function neighbors(key, first, after) {
  const data = await graphql(`query Expand($node: NodeRef!, $first: Int!, $after: String) {
    neighbors(node: $node, first: $first, after: $after) {
      totalCount
      edges { node { ${NODE} } relationships { ${RELATIONSHIP} } }
      pageInfo { hasNextPage endCursor } } }`,
  { node: splitKey(key), first, after });
  return data.neighbors;
}

export async function linkagePaths(from, to) {
  const data = await graphql(`query Link($from: NodeRef!, $to: NodeRef!) {
    linkagePaths(from: $from, to: $to, limit: 1) {
      length nodes { ${NODE} } relationships { ${RELATIONSHIP} } } }`,
  { from: splitKey(from), to: splitKey(to) });
  return data.linkagePaths;
}

/**
 * The uncovered employees and executives without private banking (person keys) of the
 * enterprises of `enterpriseIds`, which the caller must be allowed to list (not masked);
 * eight enterprises per request.
 */
export async function prospects(enterpriseIds) {
  const found = { uncovered: new Set(), noPrivateBanking: new Set() };
  for (let start = 0; start < enterpriseIds.length; start += 8) {
    const chunk = enterpriseIds.slice(start, start + 8);
    const fields = chunk.map((_, i) => `
      u${i}: uncoveredEmployees(enterpriseId: $e${i}, first: 500) { edges { node { id } } }
      x${i}: executivesWithoutPrivateBanking(enterpriseId: $e${i}, first: 500) {
        edges { node { id } } }`).join("");
    const params = chunk.map((_, i) => `$e${i}: ID!`).join(", ");
    const variables = Object.fromEntries(chunk.map((id, i) => [`e${i}`, id]));
    const { data } = await graphql(`query Prospects(${params}) {${fields} }`, variables,
      { partial: true });
    chunk.forEach((_, i) => {
      for (const [alias, set] of [[`u${i}`, found.uncovered], [`x${i}`, found.noPrivateBanking]]) {
        for (const edge of (data && data[alias] ? data[alias].edges : [])) {
          set.add(keyOf("PERSON", edge.node.id));
        }
      }
    });
  }
  return found;
}

const LIST = "totalCount edges { node { id name masked } }";

/** The linkage answers the side panel shows about a node, by its label (null: none). */
export async function details(key) {
  const { label, id } = splitKey(key);
  const parts = {
    ENTERPRISE: `payrollCoverage(enterpriseId: $id) { employees covered uncovered rate }
      uncoveredEmployees(enterpriseId: $id, first: 50) { ${LIST} }
      executivesWithoutPrivateBanking(enterpriseId: $id, first: 50) { ${LIST} }`,
    PERSON: "crossSellGaps(personId: $id) { held missing }",
    MANAGER: `managerLeads(managerId: $id, first: 20) { totalCount edges {
      hop kinds node { id name masked }
      path { nodes { ${NODE} } relationships { ${RELATIONSHIP} } } } }`,
  }[label];
  if (!parts) return null;
  return graphql(`query Details($id: ID!) { ${parts} }`, { id }, { partial: true });
}
