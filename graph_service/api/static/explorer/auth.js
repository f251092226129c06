// Signing in: a bearer token kept for the browser tab (sessionStorage, the key GraphiQL's
// page uses too), pasted or obtained from the OIDC issuer by the authorization-code flow
// with PKCE (RFC 7636, S256) when the service names one (GET /explorer/config).

const TOKEN_KEY = "graph-service.token";
const PENDING_KEY = "graph-service.pkce";
const GRAPHIQL_PREFIX = "graph-service.graphiql.";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function keepToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

/** Forget the token, and what GraphiQL's page kept for this browser tab (its tabs and
 * history, under GRAPHIQL_PREFIX), as that page's own Forget does. */
export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  Object.keys(sessionStorage)
    .filter((key) => key.startsWith(GRAPHIQL_PREFIX))
    .forEach((key) => sessionStorage.removeItem(key));
}

/** The issuer settings of the service: {issuer, clientId, scope}, or null. */
export async function oidcSettings() {
  const response = await fetch("/explorer/config");
  return (await response.json()).oidc;
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function discovery(issuer) {
  const url = issuer.replace(/\/$/, "") + "/.well-known/openid-configuration";
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the issuer's discovery document answered ${response.status}`);
  return response.json();
}

function redirectUri() {
  return location.origin + location.pathname;
}

/** Send the browser to the issuer's sign-in page; the view (location.hash) comes back. */
export async function startSignIn(oidc) {
  const doc = await discovery(oidc.issuer);
  const verifier = randomText();
  const state = randomText();
  const challenge = base64url(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({
    verifier, state, tokenEndpoint: doc.token_endpoint, clientId: oidc.clientId,
    redirectUri: redirectUri(), view: location.hash,
  }));
  const params = new URLSearchParams({
    response_type: "code", client_id: oidc.clientId, redirect_uri: redirectUri(),
    scope: oidc.scope, state, code_challenge: challenge, code_challenge_method: "S256",
  });
  location.assign(`${doc.authorization_endpoint}?${params}`);
}

/**
 * Finish a sign-in when the issuer sent the browser back (?code=...&state=...): trade the
 * code and the PKCE verifier for a token at the token endpoint, keep it, restore the view.
 * Answers null when there was nothing to finish, else a sentence for the status line.
 */
export async function finishSignIn() {
  const query = new URLSearchParams(location.search);
  if (!query.has("code") && !query.has("error")) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null");
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, "", location.pathname + (pending ? pending.view : ""));
  if (query.has("error")) return `The identity provider refused: ${query.get("error")}.`;
  if (!pending || query.get("state") !== pending.state) {
    return "Sign-in refused: the answer does not match a sign-in started here.";
  }
  const response = await fetch(pending.tokenEndpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code", code: query.get("code"),
      redirect_uri: pending.redirectUri, client_id: pending.clientId,
      code_verifier: pending.verifier,
    }),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok || !answer.access_token) {
    return `Sign-in failed at the token endpoint: ${answer.error || response.status}.`;
  }
  keepToken(answer.access_token);
  return "Signed in with the identity provider.";
}
