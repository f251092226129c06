"""Settings, read from the environment (12-factor) with a documented default for each.

Every variable has the prefix ``GRAPH_SERVICE_``. List values are JSON, e.g.
``GRAPH_SERVICE_PAYROLL_PRODUCTS='["debit card", "payroll card"]'``.
"""

from __future__ import annotations

import functools
import ipaddress
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph_service.model import RelationshipType
from graph_service.rules import (
    DEFAULT_E_BANKING_MEDIA,
    DEFAULT_PAYROLL_PRODUCTS,
    DEFAULT_PRIVATE_BANKING_PRODUCTS,
    E_BANKING,
    PERSONAL_LOAN,
    LinkageRules,
)

DEFAULT_PRODUCT_CATALOGUE: tuple[str, ...] = (
    "debit card",
    E_BANKING,
    "credit card",
    PERSONAL_LOAN,
    "wealth management",
    "trust account",
)
"""The product types the bank sells to people, in catalogue order (``crossSellGaps``)."""

BackendName = Literal["embedded", "neo4j", "falkordb"]
"""The graph stores the service runs on (``GRAPH_SERVICE_BACKEND``, ``--backend``)."""
ProfileName = Literal["default", "production"]
"""The deployment profiles (``GRAPH_SERVICE_PROFILE``): see :class:`Settings`."""
LogFormat = Literal["plain", "json"]
"""How log lines are written (``GRAPH_SERVICE_LOG_FORMAT``, :mod:`graph_service.logs`)."""
ASYMMETRIC_ALGORITHMS = frozenset({
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
})
"""The JWT algorithms ``jwt_algorithms`` may list: signatures by a public key only (RFC 7518).
``none`` and the HMAC ones (``HS256``...) are refused: a key published in a JWKS must not be
usable as a shared secret."""


class Settings(BaseSettings):
    """Service settings.

    Attributes
    ----------
    backend : {"embedded", "neo4j", "falkordb"}
        Which graph store serves and loads (``GRAPH_SERVICE_BACKEND``, default
        ``embedded``); every CLI command's ``--backend`` overrides it.
    data_dir : Path
        Directory of the embedded store (``GRAPH_SERVICE_DATA_DIR``, default ``./graph-data``).
    neo4j_uri, neo4j_user, neo4j_password, neo4j_database : str
        Neo4j connection (``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD``,
        ``NEO4J_DATABASE``, also accepted with the ``GRAPH_SERVICE_`` prefix). The URI may be
        ``bolt://``, ``neo4j://`` or ``neo4j+s://`` (routing, for a cluster); defaults
        ``neo4j://localhost:7687``, ``neo4j``, no password, database ``neo4j``.
    neo4j_max_pool_size : int
        Most connections the Neo4j driver keeps open (default 50, the driver's own
        default 100 halved for a 2-core service).
    falkordb_url, falkordb_graph : str
        FalkorDB server (``FALKORDB_URL``, ``redis://host:port``, default
        ``redis://127.0.0.1:6379``) and graph name (``FALKORDB_GRAPH``, default ``linkage``).
    query_timeout_s : float
        Longest a single database query may run on a server backend before it is cancelled
        and answered with a ``STORE_TIMEOUT`` error (default 30 s).
    write_batch_size : int
        Rows per ``UNWIND`` batch when loading into a server backend (default 5,000; each
        batch is one transaction).
    host, port : str, int
        Address ``serve`` binds (default ``127.0.0.1:8000``).
    max_page_size : int
        Cap on ``first`` for every connection (default 1,000).
    default_page_size : int
        Page size when ``first`` is omitted (default 100, or ``max_page_size`` when that is
        set lower and this is not set).
    max_network_depth : int
        Largest ``depth`` accepted by ``clientNetwork`` (default 3 hops).
    max_network_nodes : int
        Node budget of one ``clientNetwork`` answer; beyond it the answer is truncated
        (default 500).
    max_path_hops : int
        Largest ``maxHops`` accepted by ``linkagePaths`` (default 10).
    max_paths : int
        Largest ``limit`` accepted by ``linkagePaths`` (default 100).
    max_search_matches : int
        Most nodes one ``search`` may match (``GRAPH_SERVICE_MAX_SEARCH_MATCHES``, default
        10,000); a text matching more is refused with ``BAD_USER_INPUT`` (add letters or
        words, or narrow ``labels``). See :mod:`graph_service.linkage.search`.
    max_book_scan : int
        Most nodes of a label that a whole-book question reads into the service on a store
        that does not answer it itself (``GRAPH_SERVICE_MAX_BOOK_SCAN``, default 100,000:
        the enterprises of a one-million-person bank): ``enterprises``, ``persons`` and
        ``managers`` read their label, ``privateBankingProspects`` the people. A larger
        label is refused there with ``BAD_USER_INPUT`` rather than read whole (at one
        million people, tens of seconds to a minute per question); the embedded store
        answers these itself, at any size. See :func:`graph_service.linkage.question.
        check_book_scan`.
    max_query_depth : int
        Most levels of fields nested below a root field (default 12): a selection 13 fields
        deep, root field included, is accepted, 14 refused (strawberry's
        ``QueryDepthLimiter``, whose depth counts the root field as 0; introspection fields
        are not counted).
    max_query_nodes : int
        Node budget of one GraphQL operation (``GRAPH_SERVICE_MAX_QUERY_NODES``, default
        50,000), checked before it runs, in the manner of GitHub's GraphQL node limit. The
        estimate sums, over every connection field, its ``first`` (``default_page_size``
        when omitted) times the ``first`` of each connection enclosing it; ``clientNetwork``
        counts ``max_network_nodes`` and ``linkagePaths`` ``limit * (maxHops + 1)``; the
        linkage fields add a base cost for the graph they read (a whole-book scan 10,000,
        one enterprise 100, ``clientNetwork`` ``max_network_nodes * depth``,
        ``linkagePaths`` 1,000). An operation estimated above the budget is refused with a
        GraphQL error of code ``QUERY_TOO_COMPLEX`` naming the estimate and the budget. The
        default admits two nested connections of the default page size (100 + 100 * 100 =
        10,100) or of 1,000 and 49 (49 + 49 * 1,000 = 49,049), not three. See
        :mod:`graph_service.api.cost`.
    max_request_bytes : int
        Largest HTTP request body accepted (``GRAPH_SERVICE_MAX_REQUEST_BYTES``, default
        1 MiB = 1,048,576 bytes), checked before the body is parsed: a larger
        ``Content-Length``, or a streamed body once it passes the limit, is answered HTTP 413
        with a GraphQL error of code ``REQUEST_TOO_LARGE``. See
        :mod:`graph_service.api.limits`.
    fast_path : bool
        Execute GraphQL on the fast path (``GRAPH_SERVICE_FAST_PATH``, default on): fields
        that only read an attribute are completed without their resolver, which the
        throughput target needs (benchmarks/README.md); off (``0``), strawberry's and
        graphql-core's public API only. The answers are the same. See
        :mod:`graph_service.api.fast_path`.
    payroll_products, private_banking_products : list of str
        Account types for the linkage rules (see :mod:`graph_service.rules`).
    product_catalogue : list of str
        The product types ``crossSellGaps`` splits into held and missing, in catalogue order
        (``GRAPH_SERVICE_PRODUCT_CATALOGUE``, default :data:`DEFAULT_PRODUCT_CATALOGUE`).
        ``personal loan`` and ``e-banking`` are also held from loan applications and
        sign-ins (:mod:`graph_service.rules`).
    e_banking_media : list of str
        ``Medium.type`` values whose sign-ins into an active account make its owner an
        e-banking user (``GRAPH_SERVICE_E_BANKING_MEDIA``, default
        ``["PHONE", "IPv4", "IPv6", "MAC", "WIFI"]``, :data:`~graph_service.rules.
        DEFAULT_E_BANKING_MEDIA`).
    dormant_statuses : list of str
        Account ``status`` values ``dormantAccounts`` lists, with reason ``STATUS_DORMANT``
        (``GRAPH_SERVICE_DORMANT_STATUSES``, default ``["dormant"]``; see
        ``queries/dormant-accounts.md``).
    lead_relationship_types : list of str
        Relationship types ``managerLeads`` walks from a manager's clients, ignoring
        direction (``GRAPH_SERVICE_LEAD_RELATIONSHIP_TYPES``, default ``["EMPLOYED_BY",
        "SHAREHOLDER_OF", "GUARANTEES"]``; see ``queries/manager-leads.md``).
    max_lead_hops : int
        Largest ``maxHops`` accepted by ``managerLeads`` (default 3).
    max_circle_length : int
        Largest ``maxLength`` accepted by ``guaranteeCircles``
        (``GRAPH_SERVICE_MAX_CIRCLE_LENGTH``, default 6; the number of circles can grow
        exponentially with it, see ``queries/guarantee-circles.md``).
    max_circles : int
        Most circles one ``guaranteeCircles`` may find (``GRAPH_SERVICE_MAX_CIRCLES``,
        default 10,000); more are refused with ``BAD_USER_INPUT`` (ask a smaller
        ``maxLength``). See :mod:`graph_service.linkage.circles`.
    profile : {"default", "production"}
        ``GRAPH_SERVICE_PROFILE`` (default ``default``): ``production`` requires an OIDC
        issuer (``serve`` refuses to start without one, exit 2) and refuses
        ``insecure_no_auth``; ``default`` lets ``serve`` fall back to the local issuer of
        its data directory. See :mod:`graph_service.auth`.
    oidc_issuer, oidc_audience : str or None
        The OIDC issuer whose tokens ``serve`` accepts (``GRAPH_SERVICE_OIDC_ISSUER``, its
        ``iss`` exactly, e.g. ``https://login.bank.example/realms/staff``) and the audience
        they must name (``GRAPH_SERVICE_OIDC_AUDIENCE``, required with an issuer). Default:
        none, the local issuer of the data directory.
    oidc_client_id : str or None
        The explorer's client id at the OIDC issuer (``GRAPH_SERVICE_OIDC_CLIENT_ID``), a
        public client allowed the authorization-code flow with PKCE and the redirect URI
        ``<service>/explorer``; default none: the explorer signs in by pasted token only
        (:mod:`graph_service.api.explorer`).
    oidc_scope : str
        The scope the explorer asks the issuer for (``GRAPH_SERVICE_OIDC_SCOPE``, default
        ``openid``).
    oidc_jwks_url : str or None
        The issuer's JWKS (``GRAPH_SERVICE_OIDC_JWKS_URL``); default: the ``jwks_uri`` of the
        issuer's discovery document (``<issuer>/.well-known/openid-configuration``).
    oidc_jwks_cache_s : float
        How long the issuer's key set is kept before it is fetched again (default 300 s).
    oidc_jwks_cooldown_s : float
        Least time between two fetches forced by a token of an unknown key id (default
        30 s; PyJWKClient's ``cooldown_duration``): a key rotation is picked up by the
        first token of the new key after it, and tokens of made-up key ids cannot make the
        service hammer the issuer.
    jwt_algorithms : list of str
        The signature algorithms accepted (``GRAPH_SERVICE_JWT_ALGORITHMS``, JSON; default
        ``["RS256", "ES256", "EdDSA"]``), a subset of :data:`ASYMMETRIC_ALGORITHMS`.
    jwt_leeway_s : float
        Clock skew allowed when checking ``exp``, ``nbf`` and ``iat``
        (``GRAPH_SERVICE_JWT_LEEWAY_S``, default 30 s, at most 300 s).
    insecure_no_auth : bool
        Serve without authentication (``--insecure-no-auth``,
        ``GRAPH_SERVICE_INSECURE_NO_AUTH``; default off): every request acts as an admin,
        and ``serve`` warns of it on every start. Refused by the production profile.
    audit_dir : Path or None
        Directory of the audit trail (``GRAPH_SERVICE_AUDIT_DIR``; default ``audit/``
        under ``data_dir``). See :mod:`graph_service.audit`.
    audit_max_bytes : int
        Size at which the audit trail's current file is rotated (default 64 MiB).
    execution_timeout_s : float
        Longest one GraphQL operation may execute over HTTP (``GRAPH_SERVICE_EXECUTION_TIMEOUT_S``,
        default 15 s) before it is abandoned and answered with a GraphQL error of code
        ``QUERY_TIMEOUT``. The operation is cancelled at its next await (a DataLoader batch,
        a database call), not inside one synchronous step. See
        :mod:`graph_service.api.router`.
    report_timeout_s : float
        Longest a report downloaded over HTTP may work (``GRAPH_SERVICE_REPORT_TIMEOUT_S``,
        default 300 s): the store's refresh, the subjects, and the rows and encoding of
        each chunk, summed (not the time the client takes to read them). Past it, the
        download is refused with HTTP 503 and code ``QUERY_TIMEOUT`` before its first byte,
        or ended early after. A step is cancelled at its next await; one that does not await
        (the embedded store's) runs to its end, and the download stops after it. The
        default is about 15 times the 21 s FalkorDB took for ``report payrollCoverage``
        over the 100,000 enterprises of the 1M-person bank (the embedded store 1.3 s;
        BENCHMARKS.md, *1M people*, ``report_coverage_s``): room for reports of more rows
        (one per employee) and a busy machine. See :mod:`graph_service.api.reports`.
    rate_limit_subject, rate_limit_address : str
        Requests allowed per authenticated subject and per client address, in the
        notation of the ``limits`` library, several separated by ``;``
        (``GRAPH_SERVICE_RATE_LIMIT_SUBJECT``, default ``"100/second;3000/minute"``:
        a browser user sends a few requests a second, a bulk application 50 a second
        all day; ``GRAPH_SERVICE_RATE_LIMIT_ADDRESS``, default ``"200/second;6000/minute"``,
        counting every request, anonymous ones and ``/health`` included, so that
        several users behind one address fit). Above either, HTTP 429 with
        ``Retry-After`` and code ``RATE_LIMITED``. See :mod:`graph_service.api.security`.
    trusted_proxies : list of str
        Addresses or networks (CIDR) of the reverse proxies in front of the service
        (``GRAPH_SERVICE_TRUSTED_PROXIES``, JSON; default none). Only a request from one of
        them has its client address read from ``X-Forwarded-For``.
    header_timeout_s, body_timeout_s : float
        Longest a client may take to send a request's headers (from its connection or its
        first byte; ``GRAPH_SERVICE_HEADER_TIMEOUT_S``, default 10 s) and then its body
        (``GRAPH_SERVICE_BODY_TIMEOUT_S``, default 30 s) before the connection is closed.
    behind_tls : bool
        TLS is terminated by a proxy in front of the service
        (``GRAPH_SERVICE_BEHIND_TLS``, default off): responses carry
        ``Strict-Transport-Security``.
    cors_origins : list of str
        Origins allowed to call the API from a browser page of theirs
        (``GRAPH_SERVICE_CORS_ORIGINS``, JSON; default none: no CORS headers).
    introspection, graphiql, api_docs : bool or None
        Schema introspection, GraphiQL's page at ``/graphql``, and FastAPI's ``/docs``,
        ``/redoc`` and ``/openapi.json`` (``GRAPH_SERVICE_INTROSPECTION``,
        ``GRAPH_SERVICE_GRAPHIQL``, ``GRAPH_SERVICE_API_DOCS``). Default: on in the default
        profile, off in production; each may be switched on or off by itself.
    metrics : bool
        Serve Prometheus metrics at ``/metrics`` (``GRAPH_SERVICE_METRICS``, default off),
        to callers with an admin token. See :mod:`graph_service.api.metrics`.
    log_format : {"plain", "json"}
        Log lines as text or as one JSON object each (``GRAPH_SERVICE_LOG_FORMAT``, default
        ``plain``). See :mod:`graph_service.logs`.
    """

    model_config = SettingsConfigDict(env_prefix="GRAPH_SERVICE_", extra="ignore")

    backend: BackendName = "embedded"
    data_dir: Path = Path("graph-data")
    neo4j_uri: str = Field(
        default="neo4j://localhost:7687",
        validation_alias=AliasChoices("GRAPH_SERVICE_NEO4J_URI", "NEO4J_URI", "neo4j_uri"),
    )
    neo4j_user: str = Field(
        default="neo4j",
        validation_alias=AliasChoices("GRAPH_SERVICE_NEO4J_USER", "NEO4J_USER", "neo4j_user"),
    )
    neo4j_password: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=AliasChoices(
            "GRAPH_SERVICE_NEO4J_PASSWORD", "NEO4J_PASSWORD", "neo4j_password"
        ),
    )
    neo4j_database: str = Field(
        default="neo4j",
        validation_alias=AliasChoices(
            "GRAPH_SERVICE_NEO4J_DATABASE", "NEO4J_DATABASE", "neo4j_database"
        ),
    )
    neo4j_max_pool_size: int = Field(default=50, ge=1)
    falkordb_url: str = Field(
        default="redis://127.0.0.1:6379",
        validation_alias=AliasChoices(
            "GRAPH_SERVICE_FALKORDB_URL", "FALKORDB_URL", "falkordb_url"
        ),
    )
    falkordb_graph: str = Field(
        default="linkage",
        min_length=1,
        validation_alias=AliasChoices(
            "GRAPH_SERVICE_FALKORDB_GRAPH", "FALKORDB_GRAPH", "falkordb_graph"
        ),
    )
    query_timeout_s: float = Field(default=30.0, gt=0)
    write_batch_size: int = Field(default=5_000, ge=1)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    max_page_size: int = Field(default=1000, ge=1)
    default_page_size: int = Field(default=100, ge=1)
    max_network_depth: int = Field(default=3, ge=1)
    max_network_nodes: int = Field(default=500, ge=1)
    max_path_hops: int = Field(default=10, ge=1)
    max_paths: int = Field(default=100, ge=1)
    max_search_matches: int = Field(default=10_000, ge=1)
    max_book_scan: int = Field(default=100_000, ge=1)
    max_query_depth: int = Field(default=12, ge=2)
    max_query_nodes: int = Field(default=50_000, ge=1)
    max_request_bytes: int = Field(default=1 << 20, ge=1)
    fast_path: bool = True
    payroll_products: list[str] = Field(default_factory=lambda: list(DEFAULT_PAYROLL_PRODUCTS))
    private_banking_products: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PRIVATE_BANKING_PRODUCTS)
    )
    product_catalogue: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PRODUCT_CATALOGUE)
    )
    e_banking_media: list[str] = Field(default_factory=lambda: list(DEFAULT_E_BANKING_MEDIA))
    dormant_statuses: list[str] = Field(default_factory=lambda: ["dormant"])
    lead_relationship_types: list[RelationshipType] = Field(
        default_factory=lambda: [RelationshipType.EMPLOYED_BY, RelationshipType.SHAREHOLDER_OF,
                                 RelationshipType.GUARANTEES]  # fmt: skip
    )
    max_lead_hops: int = Field(default=3, ge=0)
    max_circle_length: int = Field(default=6, ge=1)
    max_circles: int = Field(default=10_000, ge=1)

    profile: ProfileName = "default"
    oidc_issuer: str | None = Field(default=None, min_length=1)
    oidc_audience: str | None = Field(default=None, min_length=1)
    oidc_client_id: str | None = Field(default=None, min_length=1)
    oidc_scope: str = Field(default="openid", min_length=1)
    oidc_jwks_url: str | None = Field(default=None, min_length=1)
    oidc_jwks_cache_s: float = Field(default=300.0, gt=0)
    oidc_jwks_cooldown_s: float = Field(default=30.0, ge=0)
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "EdDSA"])
    jwt_leeway_s: float = Field(default=30.0, ge=0, le=300)
    insecure_no_auth: bool = False
    audit_dir: Path | None = None
    audit_max_bytes: int = Field(default=64 << 20, ge=4096)
    execution_timeout_s: float = Field(default=15.0, gt=0)
    report_timeout_s: float = Field(default=300.0, gt=0)
    rate_limit_subject: str = "100/second;3000/minute"
    rate_limit_address: str = "200/second;6000/minute"
    trusted_proxies: list[str] = Field(default_factory=list)
    header_timeout_s: float = Field(default=10.0, gt=0)
    body_timeout_s: float = Field(default=30.0, gt=0)
    behind_tls: bool = False
    cors_origins: list[str] = Field(default_factory=list)
    introspection: bool | None = None
    graphiql: bool | None = None
    api_docs: bool | None = None
    metrics: bool = False
    log_format: LogFormat = "plain"

    @property
    def audit_path(self) -> Path:
        """The audit trail's directory: ``audit_dir``, else ``data_dir / "audit"``."""
        return self.audit_dir if self.audit_dir is not None else self.data_dir / "audit"

    def enabled(self, feature: Literal["introspection", "graphiql", "api_docs"]) -> bool:
        """Whether ``feature`` is on: its setting when given, else on unless in production."""
        value: bool | None = getattr(self, feature)
        return value if value is not None else self.profile != "production"

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        """Refuse settings that would make every request fail or every rule vacuous."""
        if self.default_page_size > self.max_page_size:
            if "default_page_size" in self.model_fields_set:
                raise ValueError(
                    f"default_page_size ({self.default_page_size}) must not exceed "
                    f"max_page_size ({self.max_page_size})"
                )
            # Only the cap was lowered: the default follows it down.
            self.default_page_size = self.max_page_size
        if not self.lead_relationship_types:
            raise ValueError("lead_relationship_types must list at least one relationship type")
        for name in ("payroll_products", "private_banking_products", "product_catalogue",
                     "e_banking_media", "dormant_statuses"):
            products = getattr(self, name)
            if not products or any(not p.strip() for p in products):
                raise ValueError(f"{name} must list at least one non-blank value")
        refused = sorted(set(self.jwt_algorithms) - ASYMMETRIC_ALGORITHMS)
        if refused or not self.jwt_algorithms:
            raise ValueError(
                f"jwt_algorithms must list signature algorithms among "
                f"{', '.join(sorted(ASYMMETRIC_ALGORITHMS))}; refused: {', '.join(refused)}"
            )
        if self.oidc_issuer is not None and self.oidc_audience is None:
            raise ValueError("oidc_audience is required with oidc_issuer")
        for name in ("rate_limit_subject", "rate_limit_address"):
            try:
                parse_many(getattr(self, name))
            except ValueError:
                raise ValueError(
                    f"{name} must be rate limits such as '100/second;3000/minute', "
                    f"not {getattr(self, name)!r}"
                ) from None
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {proxy!r} is not an IP address or network"
                ) from None
        return self

    def rules(self) -> LinkageRules:
        """Return the :class:`~graph_service.rules.LinkageRules` these settings configure.

        One object per distinct configuration (:func:`_rules`): a report asks for them
        once per subject.
        """
        return _rules(
            tuple(self.payroll_products),
            tuple(self.private_banking_products),
            tuple(self.e_banking_media),
        )


@functools.lru_cache(maxsize=8)
def _rules(
    payroll: tuple[str, ...], private_banking: tuple[str, ...], e_banking: tuple[str, ...]
) -> LinkageRules:
    """The (immutable) linkage rules of these product lists, shared by equal settings."""
    return LinkageRules(
        payroll_products=payroll, private_banking_products=private_banking,
        e_banking_media=e_banking,
    )  # fmt: skip
