"""The domain's exception hierarchy, mapped once to GraphQL error codes and CLI exit codes.

Every error the service raises on purpose derives from :class:`GraphServiceError`. The
transport layers never invent their own: the GraphQL layer reports ``error.code`` in the
``extensions.code`` of the error, and the CLI exits with ``error.exit_code``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where in an input a problem sits.

    Parameters
    ----------
    file : str
        File name as the user gave it (or the logical source, e.g. ``"variables.jsonl"``).
    line : int or None
        1-based physical line number in ``file``; the header row is line 1.
    field : str or None
        Column or argument name.
    """

    file: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f", line {self.line}"
        if self.field is not None:
            text += f", field {self.field!r}"
        return text


class GraphServiceError(Exception):
    """Base class of every deliberate error of the service.

    Attributes
    ----------
    code : str
        Stable machine-readable code, sent as ``extensions.code`` in GraphQL errors.
    exit_code : int
        Process exit status used by the ``graph-service`` CLI.
    """

    code = "INTERNAL_SERVER_ERROR"
    exit_code = 1

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


MAX_SHOWN_CHARS = 100
"""Most characters of a client's value (an id, a cursor) an error message shows."""


def shorten(value: str, max_chars: int = MAX_SHOWN_CHARS) -> str:
    """A client's value as an error message shows it: at most ``max_chars`` characters.

    Parameters
    ----------
    value : str
        An id, cursor or other text the request gave.
    max_chars : int
        Most characters kept, the ellipsis included.

    Returns
    -------
    str
        ``value`` itself when short enough, else its first ``max_chars - 1`` characters
        and an ellipsis (U+2026), so that an absurd value is not echoed whole.

    Examples
    --------
    >>> shorten("P1")
    'P1'
    >>> shorten("abcdef", max_chars=4)
    'abc…'
    """
    if len(value) <= max_chars:
        return value
    return value[: max_chars - 1] + "\u2026"


class InvalidInputError(GraphServiceError):
    """Input that breaks the graph model or an argument's contract.

    Raised for malformed files and rows, wrong property types, unknown labels or formats,
    and out-of-range arguments (e.g. ``first`` above the page-size cap). The
    :class:`Location` names the file, line and field where one is known.
    """

    code = "BAD_USER_INPUT"
    exit_code = 2


class NotFoundError(GraphServiceError):
    """A node that a request names by label and id does not exist.

    The message shows the id shortened by :func:`shorten` (at most :data:`MAX_SHOWN_CHARS`
    characters), so that an absurd id is not echoed whole; :attr:`node_id` keeps it all.
    It starts with the argument that named the node, when one is given (e.g.
    ``input.toManagerId: Manager 'M9' not found``).
    """

    code = "NOT_FOUND"
    exit_code = 3

    def __init__(self, label: str, node_id: str, argument: str | None = None) -> None:
        self.label = label
        self.node_id = node_id
        where = f"{argument}: " if argument else ""
        super().__init__(f"{where}{label} {shorten(node_id)!r} not found")


class ForbiddenError(GraphServiceError):
    """A verified caller asks for what their role or scope does not allow.

    Raised by the access rules (:mod:`graph_service.access`): a ``staff`` caller reading the
    graph, a non-admin reading the audit trail, a manager asking a list question about an
    enterprise outside their portfolio, a role calling a mutation it may not (the commands
    of :mod:`graph_service.linkage.commands`). The message names the rule, never a masked
    value.
    """

    code = "FORBIDDEN"
    exit_code = 2


class StoreUnavailableError(GraphServiceError):
    """The graph store cannot be opened or reached (bad data dir, locked, server down)."""

    code = "STORE_UNAVAILABLE"
    exit_code = 4


class StoreTimeoutError(GraphServiceError):
    """A query to a server backend ran longer than ``Settings.query_timeout_s`` and was cancelled.

    The request may succeed with narrower arguments (a smaller ``depth``, ``maxHops`` or
    relationship filter) or a larger ``GRAPH_SERVICE_QUERY_TIMEOUT_S``.
    """

    code = "STORE_TIMEOUT"
    exit_code = 4


class LoadInterruptedError(GraphServiceError):
    """A load stopped by SIGINT (Ctrl-C) or SIGTERM, and rolled back: nothing was loaded.

    Attributes
    ----------
    signum : int
        The signal received; the CLI exits 128 + ``signum`` (130, 143), as a shell does.
    """

    code = "INTERRUPTED"

    def __init__(self, signum: int) -> None:
        super().__init__("interrupted: nothing loaded")
        self.signum = signum
        self.exit_code = 128 + signum


class UnauthenticatedError(GraphServiceError):
    """A request without valid credentials: no bearer token, or one that does not verify.

    The message says what is wrong with the token (expired, wrong audience, unknown key...)
    and never repeats the token itself. Answered over HTTP with 401 and
    ``WWW-Authenticate: Bearer`` (:mod:`graph_service.auth.middleware`).
    """

    code = "UNAUTHENTICATED"
    exit_code = 2


class AuthUnavailableError(GraphServiceError):
    """The OIDC issuer's signing keys cannot be fetched (issuer down, bad discovery document).

    A fault of the service's surroundings, not of the request: answered HTTP 503.
    """

    code = "AUTH_UNAVAILABLE"
    exit_code = 4


class ConflictError(GraphServiceError):
    """A write that lost a race; nothing was written: read again and retry.

    A stale ``expectedVersion``, or an ``idempotencyKey`` already used for a different
    record.
    """

    code = "CONFLICT"
    exit_code = 1


class TransitionError(InvalidInputError):
    """A referral status change the workflow does not allow; nothing was written.

    The allowed moves are :data:`~graph_service.model.REFERRAL_TRANSITIONS`.
    """

    code = "INVALID_TRANSITION"
