"""A tiny OIDC issuer on a free loopback port, for the tests: discovery document, key set
(RSA keys), and the authorization-code flow with PKCE (RFC 7636, ``S256`` only) that the
explorer signs in by.

``/authorize`` signs the user in at once (no login form) as :attr:`Issuer.claims` say and
sends the browser back to ``redirect_uri`` with a one-time ``code`` and the ``state``;
``/token`` trades the code, with the verifier whose SHA-256 is the challenge, the same
``client_id`` and ``redirect_uri``, for an access token. The discovery document and the
token endpoint answer every origin with CORS headers, as a provider configured with the
service's origin does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


class Issuer:
    """The issuer; :meth:`running` serves it in a thread."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.published: list[str] = []
        self.fetches = 0
        self.client_id = "explorer"
        self.audience = "graph-api"
        self.claims: dict[str, Any] = {"sub": "carol", "role": "analyst"}
        self.codes: dict[str, dict[str, str]] = {}
        self.requests: list[str] = []
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                issuer.requests.append(f"GET {self.path}")
                path, _, query = self.path.partition("?")
                if path == "/.well-known/openid-configuration":
                    self.answer(200, issuer.discovery())
                elif path == "/jwks":
                    issuer.fetches += 1
                    self.answer(200, {"keys": [issuer.jwk(kid) for kid in issuer.published]})
                elif path == "/authorize":
                    self.redirect(issuer.authorize(parse_qs(query)))
                else:
                    self.send_error(404)

            def do_POST(self) -> None:  # noqa: N802
                issuer.requests.append(f"POST {self.path}")
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                if self.path != "/token":
                    self.send_error(404)
                    return
                self.answer(*issuer.exchange(form))

            def answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(data)

            def redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def discovery(self) -> dict[str, Any]:
        """The discovery document (OpenID Connect Discovery 1.0)."""
        return {"issuer": self.url, "jwks_uri": self.url + "/jwks",
                "authorization_endpoint": self.url + "/authorize",
                "token_endpoint": self.url + "/token",
                "code_challenge_methods_supported": ["S256"]}  # fmt: skip

    def add_key(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self, kid: str) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.keys[kid].public_key()))
        return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}

    def token(self, kid: str, audience: str = "graph-api", **extra: Any) -> str:
        now = int(time.time())
        payload = {"iss": self.url, "aud": audience, "sub": "carol", "role": "analyst",
                   "iat": now, "exp": now + 600, "jti": secrets.token_hex(8), **extra}
        return jwt.encode(payload, self.keys[kid], algorithm="RS256", headers={"kid": kid})

    def authorize(self, query: dict[str, list[str]]) -> str:
        """Where ``/authorize`` sends the browser: back with a code, or with an error."""
        one = {name: values[0] for name, values in query.items()}
        back = one.get("redirect_uri", "")
        if (one.get("response_type") != "code" or one.get("client_id") != self.client_id
                or one.get("code_challenge_method") != "S256" or not one.get("code_challenge")
                or urlsplit(back).scheme != "http"):
            return f"{back}?{urlencode({'error': 'invalid_request'})}"
        code = secrets.token_urlsafe(16)
        self.codes[code] = one
        return f"{back}?{urlencode({'code': code, 'state': one.get('state', '')})}"

    def exchange(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        """``/token``'s answer: (status, body) for the authorization-code grant with PKCE."""
        one = {name: values[0] for name, values in form.items()}
        asked = self.codes.pop(one.get("code", ""), None)  # one use only
        verifier = one.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (one.get("grant_type") != "authorization_code" or asked is None
                or asked["client_id"] != one.get("client_id")
                or asked["redirect_uri"] != one.get("redirect_uri")
                or asked["code_challenge"] != challenge):
            return 400, {"error": "invalid_grant"}
        kid = self.published[0]
        access = self.token(kid, self.audience, **self.claims)
        return 200, {"access_token": access, "token_type": "Bearer", "expires_in": 600}

    @contextmanager
    def running(self) -> Iterator[Issuer]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
