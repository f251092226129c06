"""Settings, read from the environment (12-factor) with a documented default for each.

Every variable has the prefix ``GRAPH_SERVICE_``. List values are JSON, e.g.
``GRAPH_SERVICE_PAYROLL_PRODUCTS='["debit card", "payroll card"]'``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph_service.rules import (
    DEFAULT_PAYROLL_PRODUCTS,
    DEFAULT_PRIVATE_BANKING_PRODUCTS,
    LinkageRules,
)


class Settings(BaseSettings):
    """Service settings.

    Attributes
    ----------
    data_dir : Path
        Directory of the embedded store (``GRAPH_SERVICE_DATA_DIR``, default ``./graph-data``).
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
    max_query_depth : int
        Deepest GraphQL selection accepted (default 12 levels).
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
    payroll_products, private_banking_products : list of str
        Account types for the linkage rules (see :mod:`graph_service.rules`).
    """

    model_config = SettingsConfigDict(env_prefix="GRAPH_SERVICE_", extra="ignore")

    data_dir: Path = Path("graph-data")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    max_page_size: int = Field(default=1000, ge=1)
    default_page_size: int = Field(default=100, ge=1)
    max_network_depth: int = Field(default=3, ge=1)
    max_network_nodes: int = Field(default=500, ge=1)
    max_path_hops: int = Field(default=10, ge=1)
    max_paths: int = Field(default=100, ge=1)
    max_query_depth: int = Field(default=12, ge=2)
    max_query_nodes: int = Field(default=50_000, ge=1)
    max_request_bytes: int = Field(default=1 << 20, ge=1)
    payroll_products: list[str] = Field(default_factory=lambda: list(DEFAULT_PAYROLL_PRODUCTS))
    private_banking_products: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PRIVATE_BANKING_PRODUCTS)
    )

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
        for name in ("payroll_products", "private_banking_products"):
            products = getattr(self, name)
            if not products or any(not p.strip() for p in products):
                raise ValueError(f"{name} must list at least one non-blank account type")
        return self

    def rules(self) -> LinkageRules:
        """Return the :class:`~graph_service.rules.LinkageRules` these settings configure."""
        return LinkageRules(
            payroll_products=tuple(self.payroll_products),
            private_banking_products=tuple(self.private_banking_products),
        )
