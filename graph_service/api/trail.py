"""The audit trail as GraphQL: ``Query.auditRecords``, for admins only.

The same records and filters as ``graph-service audit`` (:func:`graph_service.audit.
read_records`, :func:`graph_service.audit.matches`), read from the trail of the request's
settings (``Settings.audit_path``); the field carries the permission
:class:`~graph_service.api.permissions.AdminOnly` (``FORBIDDEN`` for any other role).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from graph_service.audit import matches, read_records
from graph_service.errors import InvalidInputError

MAX_AUDIT_RECORDS = 1000
"""Most records one ``auditRecords`` call answers (its ``last`` argument's bound)."""
DEFAULT_AUDIT_RECORDS = 100
"""Records ``auditRecords`` answers when ``last`` is omitted."""


@strawberry.type(description="One record of the audit trail: one operation.")
class AuditRecord:
    """A record as :mod:`graph_service.audit` writes it (its keys in camelCase)."""

    time: str = strawberry.field(description="UTC time, ISO 8601.")
    request_id: str | None = strawberry.field(description="The request's X-Request-ID.")
    subject: str | None = strawberry.field(description="The caller's subject (token sub).")
    role: str | None
    manager_id: str | None
    operation: str | None = strawberry.field(description="The operation's name.")
    operation_type: str | None = strawberry.field(description="query, mutation or cli.")
    variables_sha256: str | None = strawberry.field(
        description="SHA-256 of the variables as canonical JSON (never their values)."
    )
    root_fields: list[str]
    node_ids: list[str] | None = strawberry.field(
        description="Ids of the nodes returned; null above the bound (nodeCount only)."
    )
    node_count: int
    outcome: str = strawberry.field(description="ok, partial or error.")
    error_codes: list[str]
    duration_ms: float

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> AuditRecord:
        """Build from a record as read from the trail (missing keys as ``null``/empty)."""
        return cls(
            time=str(record.get("time")),
            request_id=record.get("request_id"),
            subject=record.get("subject"),
            role=record.get("role"),
            manager_id=record.get("manager_id"),
            operation=record.get("operation"),
            operation_type=record.get("operation_type"),
            variables_sha256=record.get("variables_sha256"),
            root_fields=list(record.get("root_fields") or ()),
            node_ids=record.get("node_ids"),
            node_count=int(record.get("node_count") or 0),
            outcome=str(record.get("outcome")),
            error_codes=list(record.get("error_codes") or ()),
            duration_ms=float(record.get("duration_ms") or 0.0),
        )


def last_matching(directory: Path, last: int, subject: str | None,
                  since: dt.datetime | None, node: str | None) -> list[dict[str, Any]]:
    """The ``last`` most recent records of the trail in ``directory`` that match, oldest first.

    Parameters
    ----------
    directory : Path
        The trail's directory (none yet: no record).
    last : int
        How many, 0 to :data:`MAX_AUDIT_RECORDS`.
    subject, since, node
        As :func:`graph_service.audit.matches` takes them.
    """
    if not directory.is_dir():
        return []
    kept: deque[dict[str, Any]] = deque(maxlen=last)
    for record in read_records(directory):
        if matches(record, subject, since, node):
            kept.append(record)
    return list(kept)


async def audit_records(
    info: Info,
    subject: Annotated[str | None, strawberry.argument(
        description="Only the records of this subject (a token's sub).")] = None,
    since: Annotated[dt.datetime | None, strawberry.argument(
        description="Only the records at or after this time (UTC unless an offset).")] = None,
    node: Annotated[strawberry.ID | None, strawberry.argument(
        description="Only the records whose answer returned this node id.")] = None,
    last: Annotated[int, strawberry.argument(
        description=f"How many of the most recent matching records, 0 to "
        f"{MAX_AUDIT_RECORDS}.")] = DEFAULT_AUDIT_RECORDS,
) -> list[AuditRecord]:
    """The resolver of ``Query.auditRecords``: the trail read in a worker thread.

    Raises
    ------
    InvalidInputError
        If ``last`` is outside 0 to :data:`MAX_AUDIT_RECORDS`.
    """
    if not 0 <= last <= MAX_AUDIT_RECORDS:
        raise InvalidInputError(f"last must be between 0 and {MAX_AUDIT_RECORDS}, got {last}")
    moment = since if since is None or since.tzinfo else since.replace(tzinfo=dt.UTC)
    found = await asyncio.to_thread(last_matching, info.context.settings.audit_path, last,
                                    subject, moment, None if node is None else str(node))
    return [AuditRecord.of(record) for record in found]


__all__ = ["DEFAULT_AUDIT_RECORDS", "MAX_AUDIT_RECORDS", "AuditRecord", "audit_records",
           "last_matching"]  # fmt: skip
