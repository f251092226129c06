"""Bearer tokens: verified with PyJWT, signed by an OIDC issuer or by the local issuer.

Two sources of signing keys:

- **An OIDC issuer** (production): ``GRAPH_SERVICE_OIDC_ISSUER`` and
  ``GRAPH_SERVICE_OIDC_AUDIENCE``; its keys come from its JWKS (``jwks_uri`` of its
  discovery document, or ``GRAPH_SERVICE_OIDC_JWKS_URL``) through PyJWT's
  :class:`~jwt.PyJWKClient`, which caches the key set for ``oidc_jwks_cache_s`` and fetches
  it again for a token of an unknown key id (a rotation), at most once per
  ``oidc_jwks_cooldown_s``.
- **The local issuer** (development, the default profile): an Ed25519 key created on first
  use in ``<data dir>/auth/local-issuer.pem`` (mode 0600, created atomically: written to a
  temporary file, then linked into place, so that two processes starting at once agree on
  one key), issuer :data:`LOCAL_ISSUER`, audience :data:`LOCAL_AUDIENCE`, algorithm
  ``EdDSA``. ``graph-service token`` signs with it; ``serve`` on the same data directory
  verifies with it.

:class:`TokenVerifier` checks a token's signature against an allow-list of algorithms, its
issuer and audience, ``exp`` (required) and ``nbf``/``iat`` with a bounded clock skew, and
the claims a :class:`~graph_service.auth.caller.Caller` needs (``sub``, ``role``;
``manager_id`` for a manager). A verified token is kept in a bounded LRU keyed by the token
until it expires, so a client sending the same token again costs a dictionary look-up.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from graph_service.auth.caller import MANAGER_CLAIM, ROLE_CLAIM, Caller, Role
from graph_service.config import Settings
from graph_service.errors import (
    AuthUnavailableError,
    InvalidInputError,
    Location,
    UnauthenticatedError,
)

LOCAL_ISSUER = "graph-service-local"
"""The ``iss`` of the local issuer's tokens."""
LOCAL_AUDIENCE = "graph-service"
"""The ``aud`` of the local issuer's tokens."""
LOCAL_ALGORITHM = "EdDSA"
"""The local issuer's signature algorithm (Ed25519, RFC 8037)."""
KEY_FILE = Path("auth") / "local-issuer.pem"
"""The local issuer's private key, relative to the data directory."""
MAX_TOKEN_CHARS = 8192
"""Longest bearer token read; a longer one is refused before it is parsed."""
CACHE_SIZE = 10_000
"""Most verified tokens kept by :class:`TokenVerifier` (least recently used dropped)."""
MAX_TTL_S = 30 * 24 * 3600
"""Longest lifetime ``--ttl`` accepts: 30 days."""
_TTL = re.compile(r"(\d+)([smhd])")
_TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> int:
    """A token lifetime such as ``90s``, ``15m``, ``8h`` or ``2d``, in seconds.

    Raises
    ------
    InvalidInputError
        If ``text`` is not a positive whole number with one of the units ``s``, ``m``,
        ``h``, ``d``, or is above :data:`MAX_TTL_S`.
    """
    match = _TTL.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise InvalidInputError(
            f"--ttl {text!r}: expected a positive number and a unit, e.g. 90s, 15m, 8h, 2d"
        )
    seconds = int(match.group(1)) * _TTL_UNITS[match.group(2)]
    if seconds > MAX_TTL_S:
        raise InvalidInputError(f"--ttl {text!r}: at most 30d")
    return seconds


class LocalIssuer:
    """The data directory's own token issuer, for development and demos.

    Parameters
    ----------
    data_dir : Path
        The data directory; its key is ``data_dir / KEY_FILE``, created (with its
        directory, mode 0700) on first use.

    Raises
    ------
    InvalidInputError
        If the key file is readable or writable by others than its owner, is not an
        Ed25519 private key, or cannot be created.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / KEY_FILE
        self.private_key = self._load_or_create()
        self.public_key: Ed25519PublicKey = self.private_key.public_key()

    def _load_or_create(self) -> Ed25519PrivateKey:
        try:
            return self._load()
        except FileNotFoundError:
            pass
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(8)}")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, pem)
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(temporary, self.path)  # atomic; fails if another process won
            except FileExistsError:
                pass
            finally:
                temporary.unlink()
            # The directory is not fsync'd: a key lost in a crash is made again on next use
            # (its tokens then no longer verify), never half-written.
        except OSError as exc:
            raise InvalidInputError(
                f"cannot create the local issuer's key: {exc.strerror or exc}",
                Location(str(self.path)),
            ) from None
        return self._load()

    def _load(self) -> Ed25519PrivateKey:
        mode = os.stat(self.path).st_mode
        if mode & 0o077:
            raise InvalidInputError(
                f"the local issuer's key is accessible to other users (mode {mode & 0o777:o});"
                " chmod 600 it",
                Location(str(self.path)),
            )
        key = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidInputError(
                "the local issuer's key is not an Ed25519 private key", Location(str(self.path))
            )
        return key

    def issue(self, subject: str, role: Role, manager_id: str | None = None,
              ttl_s: int = 8 * 3600, now: float | None = None) -> str:
        """Sign a token for ``subject`` with ``role``, valid for ``ttl_s`` seconds from now.

        Parameters
        ----------
        subject : str
            The ``sub`` claim.
        role : Role
        manager_id : str, optional
            Required for :attr:`Role.MANAGER` (the manager's node id); refused otherwise.
        ttl_s : int
            Lifetime in seconds.
        now : float, optional
            Issue time (seconds since the epoch); the clock by default.

        Returns
        -------
        str
            A compact JWS with ``iss`` :data:`LOCAL_ISSUER`, ``aud`` :data:`LOCAL_AUDIENCE`,
            ``sub``, ``role``, ``iat``, ``nbf``, ``exp`` and a random ``jti`` (and
            ``manager_id`` for a manager).

        Raises
        ------
        InvalidInputError
            If a manager has no ``manager_id``, or another role has one.
        """
        if role is Role.MANAGER and not manager_id:
            raise InvalidInputError("a manager's token needs --manager-id")
        if role is not Role.MANAGER and manager_id:
            raise InvalidInputError("--manager-id is only for the role manager")
        issued = int(time.time() if now is None else now)
        claims: dict[str, Any] = {
            "iss": LOCAL_ISSUER, "aud": LOCAL_AUDIENCE, "sub": subject, ROLE_CLAIM: role.value,
            "iat": issued, "nbf": issued, "exp": issued + ttl_s, "jti": secrets.token_hex(8),
        }
        if manager_id:
            claims[MANAGER_CLAIM] = manager_id
        return jwt.encode(claims, self.private_key, algorithm=LOCAL_ALGORITHM)

    def key_for(self, token: str, header: dict[str, Any]) -> Any:
        """The key verifying ``token``: always this issuer's public key."""
        return self.public_key


class OidcKeys:
    """The signing keys of an OIDC issuer, from its JWKS, cached and refreshed.

    Parameters
    ----------
    issuer : str
        The issuer's identifier (its ``iss``).
    jwks_url : str, optional
        The key set's URL; default: the ``jwks_uri`` of the issuer's discovery document,
        fetched on first use.
    cache_s, cooldown_s : float
        PyJWKClient's ``lifespan`` and ``cooldown_duration``
        (``Settings.oidc_jwks_cache_s``, ``Settings.oidc_jwks_cooldown_s``).
    timeout_s : float
        Time allowed for a fetch (discovery document or key set).
    """

    def __init__(self, issuer: str, jwks_url: str | None = None, cache_s: float = 300.0,
                 cooldown_s: float = 30.0, timeout_s: float = 5.0) -> None:
        self.issuer = issuer
        self.jwks_url = jwks_url
        self.cache_s, self.cooldown_s, self.timeout_s = cache_s, cooldown_s, timeout_s
        self._client: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()

    def discover(self) -> str:
        """The ``jwks_uri`` of the issuer's discovery document (OpenID Connect Discovery 1.0).

        Raises
        ------
        AuthUnavailableError
            If the document cannot be fetched, is not JSON, names another issuer, or has
            no ``jwks_uri``.
        """
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as response:  # noqa: S310
                document = json.loads(response.read(1 << 20))
        except (OSError, ValueError) as exc:
            raise AuthUnavailableError(
                f"cannot read the OIDC discovery document {url}: {exc}"
            ) from None
        if not isinstance(document, dict) or document.get("issuer") != self.issuer:
            raise AuthUnavailableError(
                f"the OIDC discovery document {url} does not name the issuer {self.issuer!r}"
            )
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise AuthUnavailableError(f"the OIDC discovery document {url} has no jwks_uri")
        return jwks_uri

    def client(self) -> jwt.PyJWKClient:
        """PyJWT's JWKS client for the issuer, made on first use."""
        with self._lock:
            if self._client is None:
                self._client = jwt.PyJWKClient(
                    self.jwks_url or self.discover(), lifespan=self.cache_s,
                    cooldown_duration=self.cooldown_s, timeout=self.timeout_s,
                )
            return self._client

    def key_for(self, token: str, header: dict[str, Any]) -> Any:
        """The issuer's key whose ``kid`` the token's header names.

        Raises
        ------
        UnauthenticatedError
            If the header names no ``kid``, or no key of the issuer has it (after one
            refresh of the key set, cooldown permitting).
        AuthUnavailableError
            If the key set cannot be fetched.
        """
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise UnauthenticatedError("the token's header names no key id (kid)")
        try:
            return self.client().get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as exc:
            raise AuthUnavailableError(f"cannot fetch the OIDC issuer's keys: {exc}") from None
        except jwt.PyJWKClientError:
            raise UnauthenticatedError(
                "the token is signed by a key the issuer does not publish"
            ) from None


class KeySource(Protocol):
    """Where :class:`TokenVerifier` gets a token's key: :class:`LocalIssuer`, :class:`OidcKeys`."""

    def key_for(self, token: str, header: dict[str, Any]) -> Any:
        """The key that should have signed ``token`` (whose unverified header is ``header``)."""


_REASONS: list[tuple[type[Exception], str]] = [
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet (nbf or iat in the future)"),
    (jwt.InvalidAudienceError, "the token is not meant for this service (aud)"),
    (jwt.InvalidIssuerError, "the token is not from the accepted issuer (iss)"),
    (jwt.InvalidSignatureError, "the token's signature does not verify"),
    (jwt.InvalidAlgorithmError, "the token's algorithm is not allowed"),
]


class TokenVerifier:
    """Verify bearer tokens and tell who is calling, caching each verified token.

    Parameters
    ----------
    keys : KeySource
        Gives the key of each token.
    issuer, audience : str
        The ``iss`` and ``aud`` required.
    algorithms : sequence of str
        The algorithms accepted (``Settings.jwt_algorithms``).
    leeway_s : float
        Clock skew allowed on ``exp``, ``nbf`` and ``iat`` (``Settings.jwt_leeway_s``).
    cache_size : int
        Most verified tokens kept (LRU).
    clock : callable
        Seconds since the epoch; :func:`time.time` unless a test fixes it.
    """

    def __init__(self, keys: KeySource, issuer: str, audience: str, algorithms: Sequence[str],
                 leeway_s: float, cache_size: int = CACHE_SIZE,
                 clock: Callable[[], float] = time.time) -> None:
        self.keys, self.issuer, self.audience = keys, issuer, audience
        self.algorithms = list(algorithms)
        self.leeway_s, self.cache_size, self.clock = leeway_s, cache_size, clock
        self._cache: OrderedDict[str, Caller] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, token: str) -> Caller | None:
        """The caller of a token verified before and not expired since, else ``None``."""
        with self._lock:
            caller = self._cache.get(token)
            if caller is None:
                return None
            assert caller.expires_at is not None  # exp is required
            if self.clock() >= caller.expires_at + self.leeway_s:
                del self._cache[token]
                return None
            self._cache.move_to_end(token)
            return caller

    def verify(self, token: str) -> Caller:
        """The caller ``token`` vouches for.

        Raises
        ------
        UnauthenticatedError
            If the token is too long or malformed, names an algorithm outside the allow-list
            (``none`` included), is not signed by the issuer's key, is not from the issuer
            or for the audience, has expired or is not valid yet (beyond the leeway), or
            lacks ``exp``, ``sub`` or a valid ``role`` (``manager_id`` for a manager). The
            message says which, never repeating the token.
        AuthUnavailableError
            If an OIDC issuer's keys cannot be fetched.
        """
        caller = self.cached(token)
        if caller is not None:
            return caller
        if len(token) > MAX_TOKEN_CHARS:
            raise UnauthenticatedError(f"the token is longer than {MAX_TOKEN_CHARS} characters")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:  # DecodeError, or a header PyJWT refuses (crit)
            raise UnauthenticatedError("the token is not a well-formed JWT") from None
        algorithm = header.get("alg")
        if algorithm not in self.algorithms:
            raise UnauthenticatedError(
                f"the token's algorithm {str(algorithm)[:20]!r} is not allowed "
                f"(allowed: {', '.join(self.algorithms)})"
            )
        key = self.keys.key_for(token, header)
        try:
            claims = jwt.decode(
                token, key, algorithms=self.algorithms, audience=self.audience,
                issuer=self.issuer, leeway=self.leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.MissingRequiredClaimError as exc:
            raise UnauthenticatedError(f"the token lacks the {exc.claim!r} claim") from None
        except jwt.InvalidTokenError as exc:
            reason = next((text for kind, text in _REASONS if isinstance(exc, kind)),
                          "the token is not a well-formed JWT")
            raise UnauthenticatedError(reason) from None
        for name in NUMERIC_DATES:
            value = claims.get(name)
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, int | float)):
                # PyJWT reads int(claim): a string such as "9999999999" would pass.
                raise UnauthenticatedError(
                    f"the token's {name!r} claim is not a number (a NumericDate, RFC 7519)"
                )
        caller = Caller.from_claims(claims)
        with self._lock:
            self._cache[token] = caller
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return caller


NUMERIC_DATES = ("exp", "nbf", "iat")
"""The claims RFC 7519 types NumericDate: JSON numbers, which :meth:`TokenVerifier.verify`
requires (PyJWT converts them with ``int()``, accepting a numeric string)."""


def local_verifier(issuer: LocalIssuer, settings: Settings) -> TokenVerifier:
    """The verifier of ``issuer``'s tokens, with the settings' clock skew."""
    return TokenVerifier(issuer, LOCAL_ISSUER, LOCAL_AUDIENCE, [LOCAL_ALGORITHM],
                         settings.jwt_leeway_s)


def verifier_for(settings: Settings) -> TokenVerifier | None:
    """The token verifier ``serve`` uses with ``settings``; ``None`` when auth is off.

    An OIDC issuer when one is configured, else (default profile only) the local issuer of
    ``settings.data_dir`` (its key created there on first use).

    Raises
    ------
    InvalidInputError
        If the production profile has no OIDC issuer, or is asked to serve without
        authentication; or the local issuer's key is unusable.
    """
    production = settings.profile == "production"
    if settings.insecure_no_auth:
        if production:
            raise InvalidInputError(
                "the production profile refuses --insecure-no-auth (GRAPH_SERVICE_INSECURE_NO_AUTH)"
            )
        return None
    if settings.oidc_issuer is not None:
        assert settings.oidc_audience is not None  # Settings requires it with an issuer
        keys = OidcKeys(settings.oidc_issuer, settings.oidc_jwks_url,
                        settings.oidc_jwks_cache_s, settings.oidc_jwks_cooldown_s)
        return TokenVerifier(keys, settings.oidc_issuer, settings.oidc_audience,
                             settings.jwt_algorithms, settings.jwt_leeway_s)
    if production:
        raise InvalidInputError(
            "the production profile (GRAPH_SERVICE_PROFILE=production) needs an OIDC issuer: "
            "set GRAPH_SERVICE_OIDC_ISSUER and GRAPH_SERVICE_OIDC_AUDIENCE"
        )
    return local_verifier(LocalIssuer(settings.data_dir), settings)


__all__ = [
    "KEY_FILE", "LOCAL_ALGORITHM", "LOCAL_AUDIENCE", "LOCAL_ISSUER",
    "KeySource", "LocalIssuer", "OidcKeys", "TokenVerifier", "local_verifier", "parse_ttl",
    "verifier_for",
]
