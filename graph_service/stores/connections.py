"""Thin adapters that run the named Cypher statements on Neo4j or FalkorDB.

A :class:`CypherConnection` runs a statement *by name* (:mod:`graph_service.stores.statements`)
with parameters and answers its rows as lists of plain Python values; it maps every driver
failure onto the domain's errors, so :class:`~graph_service.stores.cypher.CypherStore` never
sees a driver exception:

- server unreachable, connection lost, wrong credentials, unknown database:
  :class:`~graph_service.errors.StoreUnavailableError` (one line, no password);
- a read running longer than ``Settings.query_timeout_s``:
  :class:`~graph_service.errors.StoreTimeoutError`.

Both clients connect lazily, inside the running event loop, on the first statement; their
connections belong to that loop, so a statement run from another loop (each ``asyncio.run``
of the CLI or of a test) gets a fresh client.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

from graph_service.config import Settings
from graph_service.errors import InvalidInputError, StoreTimeoutError, StoreUnavailableError
from graph_service.stores.statements import load_statements

Row = list[Any]
"""One result row: the statement's ``RETURN`` columns in order."""


def redact(url: str) -> str:
    """``url`` without the password of its userinfo (``redis://user:***@host:port``)."""
    return re.sub(r"(//[^/:@]*:)[^/@]*@", r"\1***@", url)


class CypherConnection(Protocol):
    """What :class:`~graph_service.stores.cypher.CypherStore` needs of a database."""

    dialect: str
    """``"neo4j"`` or ``"falkordb"``: which statement files it runs."""
    floats_as_text: bool
    """Whether float properties must be stored as text to read back exactly (FalkorDB)."""

    async def run(
        self, name: str, params: Mapping[str, Any] | None = None, *, write: bool = False
    ) -> list[Row]:
        """Run statement ``name`` with ``params``; answer its rows.

        ``write`` routes it as a write (no query timeout); reads are cancelled after
        ``Settings.query_timeout_s``.

        Raises
        ------
        StoreUnavailableError
            If the database cannot be reached or refuses the connection.
        StoreTimeoutError
            If a read exceeds the query timeout.
        """
        ...

    async def ensure_schema(self, names: Sequence[str]) -> None:
        """Run the schema statements ``names``; each may already be in place."""
        ...

    async def close(self) -> None:
        """Release the connections."""
        ...


class FalkorDBConnection:
    """FalkorDB through its asyncio graph client over a plain ``redis.asyncio`` client.

    Parameters
    ----------
    settings : Settings
        ``falkordb_url`` (``redis://[user:password@]host:port``), ``falkordb_graph`` (the graph
        name, one per data set), ``query_timeout_s`` (sent as FalkorDB's per-query
        ``timeout`` in milliseconds on reads; plus :attr:`READ_MARGIN_S`, the socket's
        read timeout).
    """

    dialect = "falkordb"
    floats_as_text = True
    """FalkorDB answers doubles with 15 significant digits (0.30564176930642495 comes back
    as 0.305641769306425), so float properties are stored as their exact decimal text."""
    CONNECT_TIMEOUT_S = 5.0
    """How long opening a connection, and the first ``PING`` on it, may take before the
    server counts as unreachable (a listener that never answers, a paused server, TLS
    against a plain server)."""
    READ_MARGIN_S = 2.0
    """How much longer than ``query_timeout_s`` an answer is awaited on the socket: the
    server's own timeout error arrives first, a server that stopped answering fails after."""
    MAX_CONNECTIONS = 50
    """Most connections open to the server at once (as ``neo4j_max_pool_size``'s default)."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.falkordb_url
        self.graph_name = settings.falkordb_graph
        self.timeout_ms = max(1, round(settings.query_timeout_s * 1000))
        # Every answer, a write batch's too, is awaited at most this long on the socket.
        self._socket_timeout_s = settings.query_timeout_s + self.READ_MARGIN_S
        self._statements = load_statements(self.dialect)
        self._db: Any = None
        self._graph: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _where(self) -> str:
        return f"FalkorDB at {redact(self.url)}"

    async def _graph_handle(self) -> Any:
        """The graph of a client of the running loop, created and ``PING``-ed if new."""
        loop = asyncio.get_running_loop()
        if self._graph is None or self._loop is not loop:
            from falkordb.asyncio.graph import AsyncGraph
            from redis.asyncio import BlockingConnectionPool, Redis

            self._db = self._graph = None  # another loop's client cannot be used (nor closed)
            try:
                # A blocking pool: concurrent requests beyond MAX_CONNECTIONS wait for a
                # connection instead of failing with "Too many connections". No retries
                # (the next statement tries again).
                pool = BlockingConnectionPool.from_url(
                    self.url,
                    max_connections=self.MAX_CONNECTIONS,
                    timeout=self._socket_timeout_s,
                    socket_connect_timeout=self.CONNECT_TIMEOUT_S,
                    socket_timeout=self._socket_timeout_s,
                    decode_responses=True,
                )
            except ValueError as exc:
                raise InvalidInputError(
                    f"invalid setting FALKORDB_URL {redact(self.url)!r}: {exc}"
                ) from None
            # Not falkordb.asyncio.FalkorDB: its constructor asks the server, blocking the
            # event loop, whether it is a cluster (with retries); a plain client does not.
            db = Redis(connection_pool=pool)
            try:
                async with asyncio.timeout(self.CONNECT_TIMEOUT_S):
                    await db.ping()
            except BaseException:
                await db.aclose(close_connection_pool=True)
                raise
            self._db, self._loop = db, loop
            self._graph = AsyncGraph(db, self.graph_name)
        return self._graph

    async def _execute(self, name: str, params: Mapping[str, Any] | None, write: bool) -> Any:
        """Run statement ``name``; driver exceptions pass through unmapped."""
        graph = await self._graph_handle()
        text = self._statements[name]
        if write:
            return await graph.query(text, dict(params or {}))
        return await graph.ro_query(text, dict(params or {}), timeout=self.timeout_ms)

    def _mapped(self, name: str, exc: Exception) -> Exception:
        """The domain error, one line, of a redis or OS exception raised by statement ``name``."""
        from redis.exceptions import InvalidResponse, ResponseError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        message = str(exc).replace("\n", " ").strip() or type(exc).__name__
        lowered = message.lower()
        if isinstance(exc, TimeoutError | RedisTimeoutError):  # ours (PING) or a socket's
            waited = self._socket_timeout_s
            if self._db is None:  # the first PING
                waited = min(waited, self.CONNECT_TIMEOUT_S)
            return StoreUnavailableError(
                f"{self._where()} is unreachable: no answer within {waited:g} s"
            )
        if isinstance(exc, InvalidResponse):
            return StoreUnavailableError(
                f"{self._where()} is not a Redis/FalkorDB server ({message})"
            )
        if isinstance(exc, ResponseError):
            if "timed out" in lowered:
                return StoreTimeoutError(
                    f"the {name} query ran longer than {self.timeout_ms / 1000:g} s "
                    "(GRAPH_SERVICE_QUERY_TIMEOUT_S) and was cancelled"
                )
            if "unknown command" in lowered:
                return StoreUnavailableError(
                    f"{self._where()} is not a FalkorDB server (no GRAPH.QUERY command)"
                )
            if "auth" in lowered or "password" in lowered:
                return StoreUnavailableError(f"{self._where()} refused: {message}")
            return StoreUnavailableError(f"{self._where()} failed the {name} statement: {message}")
        return StoreUnavailableError(f"{self._where()} is unreachable: {message}")

    async def run(
        self, name: str, params: Mapping[str, Any] | None = None, *, write: bool = False
    ) -> list[Row]:
        """Run statement ``name`` (see :class:`CypherConnection`) with ``GRAPH.QUERY``.

        Reads go through ``GRAPH.RO_QUERY`` with the query timeout; writes through
        ``GRAPH.QUERY`` without one (a load batch is bounded by ``write_batch_size``). Any
        answer, a write's too, is awaited at most ``query_timeout_s + READ_MARGIN_S`` on the
        socket. Every redis failure maps to a domain error (:meth:`_mapped`).
        """
        from redis.exceptions import RedisError

        try:
            result = await self._execute(name, params, write)
        except (RedisError, OSError, TimeoutError) as exc:
            raise self._mapped(name, exc) from None
        return [list(row) for row in result.result_set]

    async def ensure_schema(self, names: Sequence[str]) -> None:
        """Create the id index of each label; an index already there is left as is."""
        from redis.exceptions import RedisError, ResponseError

        for name in names:
            try:
                await self._execute(name, None, write=True)
            except ResponseError as exc:
                if "already indexed" not in str(exc):
                    raise self._mapped(name, exc) from None
            except (RedisError, OSError, TimeoutError) as exc:
                raise self._mapped(name, exc) from None

    async def close(self) -> None:
        """Close the client's connection pool."""
        if self._db is not None and self._loop is asyncio.get_running_loop():
            await self._db.aclose(close_connection_pool=True)
        self._db = self._graph = self._loop = None


_TIMEOUT_CODES = ("TransactionTimedOut", "TransactionTimedOutClientConfiguration")


class Neo4jConnection:
    """Neo4j through the official async driver (``neo4j.AsyncGraphDatabase``).

    Parameters
    ----------
    settings : Settings
        ``neo4j_uri`` (``bolt://``, ``neo4j://`` or ``neo4j+s://``: routing URIs work with a
        cluster), ``neo4j_user``, ``neo4j_password`` (no authentication when empty),
        ``neo4j_database``, ``neo4j_max_pool_size`` (the driver's
        ``max_connection_pool_size``), ``query_timeout_s`` (each read's transaction timeout,
        :class:`neo4j.Query` ``timeout``).

    Notes
    -----
    Every statement runs through ``driver.execute_query`` (a managed transaction with
    retries on transient errors for :attr:`MAX_RETRY_TIME_S`), routed to a reader or the
    writer. The URI is checked on construction (:attr:`SCHEMES`, a numeric port).
    """

    dialect = "neo4j"
    floats_as_text = False
    SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
    """The URI schemes the driver speaks (``http://`` is not one)."""
    CONNECT_TIMEOUT_S = 5.0
    """How long opening a TCP connection may take."""
    ACQUIRE_TIMEOUT_S = 5.0
    """How long a statement waits for a connection: a new one's TCP connect and Bolt
    handshake (a server that never answers), or a free one of a full pool."""
    MAX_RETRY_TIME_S = 2.0
    """How long the driver retries a statement on transient errors (a server unreachable
    meanwhile included) before the failure is reported."""

    def __init__(self, settings: Settings) -> None:
        self.uri = settings.neo4j_uri
        _check_uri(self.uri, self.SCHEMES)
        self.user = settings.neo4j_user
        self._password = settings.neo4j_password.get_secret_value()
        self.database = settings.neo4j_database
        self.pool_size = settings.neo4j_max_pool_size
        self.timeout_s = settings.query_timeout_s
        self._statements = load_statements(self.dialect)
        self._driver: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _where(self) -> str:
        return f"Neo4j at {redact(self.uri)} (database {self.database!r})"

    def _driver_handle(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._driver is None or self._loop is not loop:
            from neo4j import AsyncGraphDatabase
            from neo4j.exceptions import ConfigurationError

            self._loop = loop
            # The driver logs each retry as a warning, which Python's last-resort handler
            # prints on stderr; the failure reaches the user as one domain error instead.
            logging.getLogger("neo4j").setLevel(logging.ERROR)
            auth = (self.user, self._password) if self._password else None
            try:
                self._driver = AsyncGraphDatabase.driver(
                    self.uri,
                    auth=auth,
                    max_connection_pool_size=self.pool_size,
                    connection_timeout=self.CONNECT_TIMEOUT_S,
                    connection_acquisition_timeout=self.ACQUIRE_TIMEOUT_S,
                    max_transaction_retry_time=self.MAX_RETRY_TIME_S,
                )
            except (ConfigurationError, ValueError) as exc:
                raise InvalidInputError(
                    f"invalid setting NEO4J_URI {redact(self.uri)!r}: {exc}"
                ) from None
        return self._driver

    async def run(
        self, name: str, params: Mapping[str, Any] | None = None, *, write: bool = False
    ) -> list[Row]:
        """Run statement ``name`` (see :class:`CypherConnection`) with ``execute_query``."""
        from neo4j import Query, RoutingControl
        from neo4j.exceptions import (
            AuthError,
            ClientError,
            DriverError,
            Neo4jError,
            ServiceUnavailable,
            SessionExpired,
        )

        driver = self._driver_handle()
        text = self._statements[name]
        query = Query(text) if write else Query(text, timeout=self.timeout_s)  # type: ignore[arg-type]
        try:
            records, _, _ = await driver.execute_query(
                query,
                parameters_=dict(params or {}),
                routing_=RoutingControl.WRITE if write else RoutingControl.READ,
                database_=self.database,
            )
        except AuthError:
            raise StoreUnavailableError(
                f"{self._where()} refused the credentials of user {self.user!r} "
                "(NEO4J_USER, NEO4J_PASSWORD)"
            ) from None
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise StoreUnavailableError(f"{self._where()} is unreachable: {reason}") from None
        except Neo4jError as exc:
            code = exc.code or ""
            if any(code.endswith(t) for t in _TIMEOUT_CODES):
                raise StoreTimeoutError(
                    f"the {name} query ran longer than {self.timeout_s:g} s "
                    "(GRAPH_SERVICE_QUERY_TIMEOUT_S) and was cancelled"
                ) from None
            if isinstance(exc, ClientError) and "DatabaseNotFound" in code:
                raise StoreUnavailableError(f"{self._where()}: no such database") from None
            raise
        except DriverError as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise StoreUnavailableError(f"{self._where()}: {reason}") from None
        return [list(record.values()) for record in records]

    async def ensure_schema(self, names: Sequence[str]) -> None:
        """Create the uniqueness constraint of each label key (``IF NOT EXISTS``)."""
        for name in names:
            await self.run(name, write=True)

    async def close(self) -> None:
        """Close the driver and its pool."""
        if self._driver is not None and self._loop is asyncio.get_running_loop():
            await self._driver.close()
        self._driver = self._loop = None


def _check_uri(uri: str, schemes: Sequence[str]) -> None:
    """Refuse a ``NEO4J_URI`` the driver cannot use (scheme, port), before connecting.

    Raises
    ------
    InvalidInputError
        If the scheme is not one of ``schemes``, the host is missing or the port is not a
        number.
    """
    parts = urlsplit(uri)
    try:
        usable = parts.scheme in schemes and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number in 0-65535
        usable = False
    if not usable:
        raise InvalidInputError(
            f"invalid setting NEO4J_URI {redact(uri)!r}: expected "
            f"{', '.join(schemes[:-1])} or {schemes[-1]}://host[:port]"
        )


def connect(settings: Settings) -> CypherConnection:
    """The connection of the server backend ``settings.backend`` (not yet connected).

    Raises
    ------
    ValueError
        If ``settings.backend`` is not a server backend.
    """
    if settings.backend == "neo4j":
        return Neo4jConnection(settings)
    if settings.backend == "falkordb":
        return FalkorDBConnection(settings)
    raise ValueError(f"{settings.backend!r} is not a Cypher backend")
