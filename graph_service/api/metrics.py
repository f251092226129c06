"""Prometheus metrics at ``/metrics`` (``Settings.metrics``, off by default; admin token).

Counted with ``prometheus-client`` in a registry of the application's own:

- ``graph_service_operations_total{operation, outcome}`` and
  ``graph_service_operation_seconds{operation}``: every audit record (each GraphQL
  operation, and each request refused before GraphQL ran), by :func:`operation_label`
  and outcome (``ok``, ``partial``, ``error``), with its duration;
- ``graph_service_errors_total{code}``: the ``extensions.code`` of those records' errors
  (``UNAUTHENTICATED``, ``RATE_LIMITED``, ``QUERY_TIMEOUT``, ...);
- ``graph_service_rate_limited_total{key}``: requests refused by a rate limit, by
  ``address`` or ``subject``;
- ``graph_service_store_seconds{method}``: each call of the store (``get_nodes``,
  ``neighbors``, a pushed-down question, ...), timed by :class:`TimedStore`.

The records are observed where they are appended (:class:`MeteredTrail`), so the metrics
and the audit trail count the same requests. Labels hold only names the schema and the
store define, never a client's text: their number stays bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from fastapi import Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.responses import Response

from graph_service.api.router import request_error
from graph_service.audit import AuditTrail
from graph_service.auth.caller import Role

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
"""Histogram buckets (seconds): from a cached lookup (~1 ms) to the execution time limit."""
REFUSED = "refused"
"""``operation`` label of a request refused before GraphQL ran (no root field)."""
MULTIPLE = "multiple"
"""``operation`` label of an operation selecting several root fields."""
INVALID = "invalid"
"""``operation`` label of a root field the schema does not have (refused by validation)."""


def root_field_names(schema: Any) -> frozenset[str]:
    """The root fields (Query and Mutation) of a strawberry schema."""
    from graph_service.api.extensions import type_schema

    types = type_schema(schema)
    roots = [t for t in (types.query_type, types.mutation_type) if t is not None]
    return frozenset(name for root in roots for name in root.fields)


def operation_label(root_fields: list[str], known: frozenset[str]) -> str:
    """The ``operation`` label of a record: its one root field, or a class of them.

    Parameters
    ----------
    root_fields : list of str
        The record's ``root_fields``.
    known : frozenset of str
        The root fields of the schema (Query and Mutation).

    Returns
    -------
    str
        The root field when there is exactly one the schema knows; :data:`MULTIPLE`,
        :data:`INVALID` or :data:`REFUSED` otherwise.
    """
    if not root_fields:
        return REFUSED
    if len(root_fields) > 1:
        return MULTIPLE
    return root_fields[0] if root_fields[0] in known else INVALID


class Metrics:
    """The service's metrics, in a registry of their own.

    Parameters
    ----------
    root_fields : frozenset of str
        The schema's root fields (the ``operation`` label's values).
    """

    def __init__(self, root_fields: frozenset[str]) -> None:
        self.root_fields = root_fields
        self.registry = CollectorRegistry()
        self.operations = Counter(
            "graph_service_operations", "GraphQL operations and refused requests",
            ["operation", "outcome"], registry=self.registry)
        self.operation_seconds = Histogram(
            "graph_service_operation_seconds", "Duration of operations and refusals",
            ["operation"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.errors = Counter(
            "graph_service_errors", "Errors by extensions.code", ["code"],
            registry=self.registry)
        self.rate_limited = Counter(
            "graph_service_rate_limited", "Requests refused by a rate limit", ["key"],
            registry=self.registry)
        self.store_seconds = Histogram(
            "graph_service_store_seconds", "Duration of store calls", ["method"],
            buckets=LATENCY_BUCKETS, registry=self.registry)

    def observe(self, record: Mapping[str, Any]) -> None:
        """Count one audit record (:mod:`graph_service.audit`'s shape)."""
        operation = operation_label(list(record.get("root_fields") or []), self.root_fields)
        self.operations.labels(operation, str(record.get("outcome"))).inc()
        self.operation_seconds.labels(operation).observe(
            float(record.get("duration_ms") or 0) / 1000)
        for code in record.get("error_codes") or ():
            self.errors.labels(str(code)).inc()

    def refused(self, key: str) -> None:
        """Count one request refused by the rate limit of ``key`` (address, subject)."""
        self.rate_limited.labels(key).inc()

    def response(self) -> Response:
        """The registry in Prometheus's text format."""
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class MeteredTrail(AuditTrail):
    """An :class:`~graph_service.audit.AuditTrail` whose records are also counted.

    Parameters
    ----------
    directory, max_bytes
        As :class:`~graph_service.audit.AuditTrail` takes them.
    metrics : Metrics
        Observes each record appended.
    """

    def __init__(self, directory: Path, max_bytes: int, metrics: Metrics) -> None:
        super().__init__(directory, max_bytes)
        self.metrics = metrics

    def append(self, record: Mapping[str, Any]) -> Future[None]:
        """Count ``record``, then append it."""
        self.metrics.observe(record)
        return super().append(record)


class TimedStore:
    """A store whose every coroutine method is timed into ``graph_service_store_seconds``.

    Parameters
    ----------
    store : GraphStore
        The real store; attributes that are not coroutine methods (``pushdowns``) are its
        own.
    metrics : Metrics
        Where the timings go.
    """

    def __init__(self, store: Any, metrics: Metrics) -> None:
        self.store = store
        self.metrics = metrics

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.store, name)
        if not callable(target):
            return target
        histogram = self.metrics.store_seconds.labels(name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await target(*args, **kwargs)
            finally:
                histogram.observe(time.perf_counter() - started)

        return timed


def metrics_route(metrics: Metrics) -> Callable[..., Any]:
    """The ``/metrics`` endpoint: the registry for an admin, HTTP 403 ``FORBIDDEN`` else.

    Authentication has run (a request without a valid token got 401); the role is
    checked here, since metrics describe every caller's traffic.
    """
    async def serve_metrics(request: Request) -> Response:
        caller = request.state.caller
        if caller is None or caller.role is not Role.ADMIN:
            return request_error("/metrics needs an admin's token", 403, "FORBIDDEN")
        return metrics.response()

    return serve_metrics


__all__ = [
    "LATENCY_BUCKETS", "MeteredTrail", "Metrics", "TimedStore", "metrics_route",
    "operation_label", "root_field_names",
]
