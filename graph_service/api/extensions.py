"""Cross-cutting concerns of the GraphQL schema, as strawberry schema extensions.

- :class:`ErrorCodes`: maps every error once to an ``extensions.code``. Domain errors
  (:class:`~graph_service.errors.GraphServiceError`) keep their message and carry their
  ``code`` (``NOT_FOUND``, ``BAD_USER_INPUT``, ``STORE_UNAVAILABLE``); errors in the
  document are ``GRAPHQL_PARSE_FAILED``, ``GRAPHQL_VALIDATION_FAILED`` or, for variables,
  ``BAD_USER_INPUT``; anything else is masked as ``INTERNAL_SERVER_ERROR`` with a generic
  message and logged server-side (by :func:`log_unexpected`).
- :class:`DepthLimit`: refuses documents deeper than ``Settings.max_query_depth`` of the
  request's context; with strawberry's alias and token limiters in :data:`EXTENSIONS`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, SchemaExtension
from strawberry.extensions.query_depth_limiter import create_validator

from graph_service.api.context import Context
from graph_service.config import Settings
from graph_service.errors import GraphServiceError

logger = logging.getLogger("graph_service.api")

INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
INTERNAL_MESSAGE = "Internal server error"
MAX_ALIASES = 50
"""Most aliases one document may use (strawberry's ``MaxAliasesLimiter``)."""
MAX_TOKENS = 5000
"""Most lexical tokens one document may hold (strawberry's ``MaxTokensLimiter``)."""


def error_code(error: GraphQLError) -> str:
    """The ``extensions.code`` of an error.

    Parameters
    ----------
    error : GraphQLError
        An error as graphql-core reports it.

    Returns
    -------
    str
        The domain error's ``code``; ``GRAPHQL_PARSE_FAILED``, ``BAD_USER_INPUT`` (bad
        variable values) or ``GRAPHQL_VALIDATION_FAILED`` for faults in the request itself;
        ``INTERNAL_SERVER_ERROR`` for anything else.
    """
    original = error.original_error
    if isinstance(original, GraphServiceError):
        return original.code
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    if error.path is None and error.message.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    if error.path is None and original is None:
        return "GRAPHQL_VALIDATION_FAILED"
    return INTERNAL_SERVER_ERROR


def is_unexpected(error: GraphQLError) -> bool:
    """Whether an error is a fault of the service (masked and logged), not of the request."""
    return error_code(error) == INTERNAL_SERVER_ERROR


def log_unexpected(errors: Sequence[GraphQLError]) -> None:
    """Log the unexpected errors among ``errors`` with their traceback.

    Domain and request errors are the client's business and are not logged.
    """
    for error in errors:
        if is_unexpected(error):
            original = error.original_error or error
            logger.error(
                "unexpected error at %s: %s",
                ".".join(map(str, error.path or [])) or "<operation>",
                original,
                exc_info=(type(original), original, original.__traceback__),
            )


class ErrorCodes(MaskErrors):
    """Give every error its ``extensions.code``; mask unexpected ones.

    Built on strawberry's :class:`~strawberry.extensions.MaskErrors`, which rewrites the
    errors of the result once the operation ends.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda _: True, error_message=INTERNAL_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        """Return ``error`` with its code, and a generic message when unexpected."""
        code = error_code(error)
        original = error.original_error
        if code == INTERNAL_SERVER_ERROR:
            message, original = self.error_message, None
        elif isinstance(original, GraphServiceError):
            message = str(original)
        else:
            message = error.message
        return GraphQLError(
            message=message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=original,
            extensions={**(error.extensions or {}), "code": code},
        )


class DepthLimit(SchemaExtension):
    """Refuse documents whose selections nest deeper than ``Settings.max_query_depth``.

    The limit is read from the request's :class:`~graph_service.api.context.Context`, so one
    schema serves every configuration (strawberry's ``QueryDepthLimiter`` rule underneath).
    """

    def on_operation(self) -> Iterator[None]:
        """Add the depth rule to this operation's validation rules."""
        context: Any = self.execution_context.context
        settings = context.settings if isinstance(context, Context) else Settings()
        rule = create_validator(settings.max_query_depth, None)
        self.execution_context.validation_rules = (
            *self.execution_context.validation_rules,
            rule,
        )
        yield


EXTENSIONS: list[Callable[[], SchemaExtension]] = [
    DepthLimit,
    functools.partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
    functools.partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
    ErrorCodes,
]
"""Extension factories of the schema (fresh instances per operation)."""
