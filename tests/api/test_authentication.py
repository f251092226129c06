"""Bearer-token authentication over HTTP: who gets in, who gets 401, and what stays open."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from graph_service.api.app import create_app
from graph_service.auth import Role
from graph_service.auth.tokens import LOCAL_AUDIENCE, LOCAL_ISSUER, LocalIssuer
from graph_service.config import Settings
from graph_service.errors import InvalidInputError
from tests.api.conftest import Client
from tests.oidc_issuer import Issuer

QUERY = '{ person(id: "P1") { id name } }'


def bare(client: Client) -> httpx.Client:
    """A client of the same service that sends no token."""
    return httpx.Client(base_url=client.http.base_url, timeout=10)


def post(http: httpx.Client, token: str | None = None, query: str = QUERY) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return http.post("/graphql", json={"query": query}, headers=headers)


def assert_unauthenticated(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith('Bearer realm="graph-service"')
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert reason in error["message"]
    assert response.json()["data"] is None


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": LOCAL_ISSUER, "aud": LOCAL_AUDIENCE, "sub": "eve", "role": "admin",
            "iat": now, "nbf": now, "exp": now + 600}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
def issuer(bank_dir: Path) -> LocalIssuer:
    return LocalIssuer(bank_dir)


def test_no_token_is_refused_with_a_bearer_challenge(client: Client) -> None:
    with bare(client) as http:
        response = post(http)
        assert_unauthenticated(response, "no credentials")
        assert "error=" not in response.headers["www-authenticate"]  # RFC 6750: no token
        get = http.get("/graphql", params={"query": QUERY})
        assert_unauthenticated(get, "no credentials")


@pytest.mark.parametrize(("header", "reason"), [
    ("Bearer not-a-jwt", "not a well-formed JWT"),
    ("Basic dXNlcjpwYXNz", "must be 'Bearer <token>'"),
    ("Bearer", "must be 'Bearer <token>'"),
    ("Bearer " + "a" * 9000, "longer than 8192"),
    # headers PyJWT refuses beyond decoding: an unsupported critical extension (a 500 before)
    ("Bearer eyJhbGciOiJFZERTQSIsImNyaXQiOlsiZXhwIl19.e30.AA", "not a well-formed JWT"),
    ("Bearer eyJhbGciOiJFZERTQSIsImNyaXQiOiJ4In0.e30.AA", "not a well-formed JWT"),
])  # fmt: skip
def test_a_bogus_authorization_header_is_refused(client: Client, header: str,
                                                 reason: str) -> None:
    with bare(client) as http:
        response = http.post("/graphql", json={"query": QUERY},
                             headers={"Authorization": header})
        assert_unauthenticated(response, reason)
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
        assert "a" * 100 not in response.text  # the token is not echoed


def test_an_expired_token_is_refused(client: Client, issuer: LocalIssuer) -> None:
    expired = issuer.issue("eve", Role.ADMIN, ttl_s=60, now=time.time() - 3600)
    with bare(client) as http:
        assert_unauthenticated(post(http, expired), "expired")


def test_clock_skew_is_bounded(client: Client, issuer: LocalIssuer) -> None:
    """Expired 10 s ago passes with the default 30 s leeway; not valid for 5 minutes fails."""
    just = issuer.issue("eve", Role.ADMIN, ttl_s=50, now=time.time() - 60)
    early = jwt.encode(claims(nbf=int(time.time()) + 300), issuer.private_key, "EdDSA")
    with bare(client) as http:
        assert post(http, just).status_code == 200
        assert_unauthenticated(post(http, early), "not valid yet")


@pytest.mark.parametrize(("changes", "reason"), [
    ({"aud": "another-service"}, "not meant for this service"),
    ({"iss": "https://evil.example"}, "not from the accepted issuer"),
    ({"exp": None}, "lacks the 'exp' claim"),
    ({"sub": None}, "lacks the 'sub' claim"),
    ({"role": None}, "'role' claim must be one of"),
    ({"role": "superuser"}, "'role' claim must be one of"),
    ({"role": "manager"}, "needs the 'manager_id' claim"),
    # claims of other JSON types, as identity providers' claim mappers may give them
    ({"role": ["admin"]}, "'role' claim must be one of"),
    ({"role": {"name": "admin"}}, "'role' claim must be one of"),
    ({"role": "manager", "manager_id": ["M1"]}, "needs the 'manager_id' claim"),
    ({"sub": ["alice"]}, "not a well-formed JWT"),  # PyJWT checks 'sub' is a string
    # texts the audit trail would show: line breaks, bidirectional controls
    ({"sub": "alice\nforged"}, "'sub' claim holds the control character U+000A"),
    ({"sub": "\u202eecila"}, "'sub' claim holds U+202E"),
    ({"role": "manager", "manager_id": "M1\r"}, "'manager_id' claim holds"),
    # NumericDate claims as strings or booleans: PyJWT's int() would take them
    ({"exp": str(int(time.time()) + 3600)}, "'exp' claim is not a number"),
    ({"nbf": "0"}, "'nbf' claim is not a number"),
    ({"iat": True}, "'iat' claim is not a number"),
])  # fmt: skip
def test_wrong_claims_are_refused(client: Client, issuer: LocalIssuer,
                                  changes: dict[str, Any], reason: str) -> None:
    token = jwt.encode(claims(**changes), issuer.private_key, algorithm="EdDSA")
    with bare(client) as http:
        assert_unauthenticated(post(http, token), reason)


def test_alg_none_and_hmac_tokens_are_refused(client: Client, issuer: LocalIssuer) -> None:
    unsigned = jwt.encode(claims(), None, algorithm="none")
    public = issuer.public_key.public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    # The public key used as an HMAC secret (key confusion); PyJWT refuses to sign it so.
    signing_input = b".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")
        for part in ({"alg": "HS256", "typ": "JWT"}, claims())
    )
    mac = hmac.new(public, signing_input, hashlib.sha256).digest()
    confused = (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()
    with bare(client) as http:
        assert_unauthenticated(post(http, unsigned), "algorithm 'none' is not allowed")
        assert_unauthenticated(post(http, confused), "algorithm 'HS256' is not allowed")


def test_a_token_signed_by_another_key_is_refused(client: Client, tmp_path: Path) -> None:
    other = LocalIssuer(tmp_path).issue("eve", Role.ADMIN)  # another data directory's issuer
    with bare(client) as http:
        assert_unauthenticated(post(http, other), "signature does not verify")


def test_valid_tokens_of_every_role_are_accepted(client: Client, issuer: LocalIssuer) -> None:
    # Accepted, then answered as the role may see P1 (tests/api/test_scope.py has the rules):
    # M1 manages E1, which employs P1; analysts and applications see persons masked.
    names = {Role.ADMIN: "Alice", Role.MANAGER: "Alice", Role.ANALYST: None, Role.APP: None}
    with bare(client) as http:
        for role in Role:
            token = issuer.issue(f"user-{role}", role, "M1" if role is Role.MANAGER else None)
            response = post(http, token)
            assert response.status_code == 200, response.text
            get = http.get("/graphql", params={"query": QUERY},
                           headers={"Authorization": f"Bearer {token}"})
            for answer in (response.json(), get.json()):
                if role is Role.STAFF:
                    assert answer["data"] == {"person": None}
                    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
                else:
                    assert answer == {"data": {"person": {"id": "P1", "name": names[role]}}}


def test_health_is_open_but_counts_need_a_graph_reader(client: Client, bank_dir: Path) -> None:
    with bare(client) as http:
        assert http.get("/health").json() == {"status": "ok"}
        bad = http.get("/health", headers={"Authorization": "Bearer nonsense"})
        assert bad.json() == {"status": "ok"}
        staff = LocalIssuer(bank_dir).issue("clerk-1", Role.STAFF)
        as_staff = http.get("/health", headers={"Authorization": f"Bearer {staff}"})
        assert as_staff.json() == {"status": "ok"}
    assert client.http.get("/health").json()["counts"]["Person"] > 0


def test_graphiql_and_its_files_are_open_everything_else_is_not(client: Client) -> None:
    with bare(client) as http:
        page = http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert http.get("/static/graphiql/graphiql.min.js").status_code == 200
        assert http.get("/openapi.json").status_code == 401
        assert http.get("/docs").status_code == 401


def test_insecure_no_auth_lets_everyone_in(serve: Callable[..., Client]) -> None:
    client = serve(insecure_no_auth=True)
    with bare(client) as http:
        assert post(http).json()["data"]["person"]["name"] == "Alice"
        assert "counts" in http.get("/health").json()


def test_the_production_profile_needs_an_oidc_issuer(bank_dir: Path) -> None:
    with pytest.raises(InvalidInputError, match="needs an OIDC issuer"):
        create_app(Settings(data_dir=bank_dir, profile="production"))
    with pytest.raises(InvalidInputError, match="refuses --insecure-no-auth"):
        create_app(Settings(data_dir=bank_dir, profile="production", insecure_no_auth=True))


def test_the_request_id_is_echoed_or_made(client: Client) -> None:
    given = client.http.post("/graphql", json={"query": QUERY},
                             headers={"X-Request-ID": "req-42.a:b"})
    assert given.headers["x-request-id"] == "req-42.a:b"
    made = client.http.post("/graphql", json={"query": QUERY},
                            headers={"X-Request-ID": "bad id!" + "x" * 200})
    assert len(made.headers["x-request-id"]) == 32  # a fresh UUID, not the malformed one
    with bare(client) as http:  # refused requests carry one too
        assert len(post(http).headers["x-request-id"]) == 32


# --- an OIDC issuer served locally (tests/oidc_issuer.py) ---------------------------------


@pytest.fixture
def oidc() -> Iterator[Issuer]:
    issuer = Issuer()
    for kid in ("k1", "k2", "k3"):
        issuer.add_key(kid)
    issuer.published = ["k1"]
    with issuer.running():
        yield issuer


def test_an_oidc_issuers_tokens_are_accepted_and_its_key_rotation_picked_up(
    oidc: Issuer, serve: Callable[..., Client], issuer: LocalIssuer
) -> None:
    client = serve(oidc_issuer=oidc.url, oidc_audience="graph-api", oidc_jwks_cooldown_s=0)
    with bare(client) as http:
        first = oidc.token("k1")
        # An analyst: the person comes back masked.
        assert post(http, first).json()["data"]["person"] == {"id": "P1", "name": None}
        assert_unauthenticated(post(http, oidc.token("k1", audience="other")), "not meant")
        # The local issuer's tokens are not accepted once an OIDC issuer is configured.
        local = issuer.issue("eve", Role.ADMIN)
        assert_unauthenticated(post(http, local), "names no key id")
        # Rotation: k1 retired, k2 published; a k2 token makes the service fetch the set again.
        oidc.published = ["k2"]
        fetches = oidc.fetches
        assert post(http, oidc.token("k2")).status_code == 200
        assert oidc.fetches == fetches + 1
        assert_unauthenticated(post(http, oidc.token("k1")), "a key the issuer does not publish")
        # A key the issuer never published.
        assert_unauthenticated(post(http, oidc.token("k3")), "a key the issuer does not publish")


def test_an_unreachable_oidc_issuer_answers_503(serve: Callable[..., Client]) -> None:
    issuer = Issuer()  # bound, never serving: connections are refused or time out
    issuer.add_key("k1")
    url = issuer.url
    issuer.server.server_close()
    client = serve(oidc_issuer=url, oidc_audience="graph-api")
    with bare(client) as http:
        response = post(http, issuer.token("k1"))
        assert response.status_code == 503
        assert response.json()["errors"][0]["extensions"]["code"] == "AUTH_UNAVAILABLE"
