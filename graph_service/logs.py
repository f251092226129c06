"""The service's log lines: plain text or one JSON object each, carrying the request id.

:func:`configure_logging` sets up the root logger for ``serve`` (uvicorn's own loggers
included) with ``Settings.log_format``:

- ``plain``: ``2026-12-03 04:05:06,789 WARNING graph_service.api [req 3f2a...] message``;
- ``json``: python-json-logger's ``JsonFormatter``, one object per line with ``time``,
  ``level``, ``logger``, ``message``, ``request_id`` (and ``exc_info`` for a traceback),
  for a log shipper.

The request id is the correlation id of the HTTP request being served
(:class:`graph_service.api.trail.RequestId` sets :data:`request_id` for the request's task),
``null`` outside one; the same id is in the response's ``X-Request-ID`` and the audit
record.
"""

from __future__ import annotations

import contextvars
import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from graph_service.config import LogFormat

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None)
"""The correlation id of the request the current task serves (``None`` outside one)."""
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [req %(request_id)s] %(message)s"
"""The ``plain`` format."""
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"
"""The fields of a ``json`` line (renamed ``time``, ``level``, ``logger``)."""


class RequestIdFilter(logging.Filter):
    """Put the current :data:`request_id` on every record (``record.request_id``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the id; keep the record."""
        record.request_id = request_id.get()
        return True


def formatter(log_format: LogFormat) -> logging.Formatter:
    """The formatter of ``log_format`` (``plain`` or ``json``)."""
    if log_format == "json":
        return JsonFormatter(
            JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level",
                                        "name": "logger"},
        )
    return logging.Formatter(PLAIN_FORMAT)


def configure_logging(log_format: LogFormat, level: int = logging.INFO) -> None:
    """Send every log record to standard error in ``log_format``, with its request id.

    Replaces the root logger's handlers, and makes uvicorn's loggers propagate to it, so
    that the server's lines take the same format.

    Parameters
    ----------
    log_format : {"plain", "json"}
        ``Settings.log_format``.
    level : int
        Least level logged (``logging.INFO``).
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


__all__ = ["JSON_FIELDS", "PLAIN_FORMAT", "RequestIdFilter", "configure_logging", "formatter",
           "request_id"]
