"""The audit trail on the API: each operation's record, and ``Query.auditRecords``.

- :class:`Audit`, the schema's extension, appends the record of every operation (its shape:
  :mod:`graph_service.audit`), with what its mutations changed (:func:`note_changes`);
  :class:`RequestId` gives each HTTP request the correlation id its record carries.
- ``Query.auditRecords``, for admins only: the same records and filters as
  ``graph-service audit`` (:func:`graph_service.audit.read_records`,
  :func:`graph_service.audit.matches`), read from the trail of the request's settings
  (``Settings.audit_path``); the field carries the permission
  :class:`~graph_service.api.permissions.AdminOnly` (``FORBIDDEN`` for any other role).

The trail itself (the file, its records, rotation) is :mod:`graph_service.audit`, which
imports no GraphQL, so that commands without GraphQL (``report``, ``audit``) start without it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_operation_ast,
)
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from graph_service.audit import (
    MAX_NODE_IDS,
    REQUEST_ID,
    REQUEST_ID_HEADER,
    matches,
    new_record,
    read_records,
)
from graph_service.errors import InvalidInputError
from graph_service.logs import request_id as request_id_var


def root_fields(operation: OperationDefinitionNode | None,
                fragments: Mapping[str, Any]) -> list[str]:
    """The names of the root fields an operation selects (through fragments), each once.

    Each fragment is read once, however often it is spread (and a fragment cycle, which
    validation refuses, ends), so the cost is linear in the document's size.
    """
    names: dict[str, None] = {}
    spread: set[str] = set()

    def visit(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                names[selection.name.value] = None
            elif isinstance(selection, InlineFragmentNode):
                visit(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in spread:
                    spread.add(name)
                    fragment = fragments.get(name)
                    visit(fragment.selection_set if fragment is not None else None)

    visit(operation.selection_set if operation is not None else None)
    return list(names)


_CHANGES: ContextVar[list[Mapping[str, Any]] | None] = ContextVar(
    "graph_service_audit_changes", default=None
)
"""The changes of the operation running in this task (:class:`Audit` sets a list per
operation)."""


def note_changes(changes: Iterable[Mapping[str, Any]]) -> None:
    """Add what a mutation changed to the audit record of the operation running.

    Parameters
    ----------
    changes : iterable of mapping
        JSON objects ``{"command", "target", "before", "after"}``
        (:meth:`graph_service.linkage.commands.Change.record`). Dropped outside an operation
        run with the :class:`Audit` extension.
    """
    kept = _CHANGES.get()
    if kept is not None:
        kept.extend(changes)


LINES: ContextVar[int] = ContextVar("graph_service_audit_lines", default=1)
"""Lines of a bulk run the operation running in this task answers (a merged chunk's, set by
:func:`graph_service.bulk.merge.run_merged`; 1 otherwise): its record lists up to
:data:`~graph_service.audit.MAX_NODE_IDS` node ids per line, as the lines' own records
would."""
_READ: ContextVar[dict[str, None] | None] = ContextVar("graph_service_audit_read", default=None)
"""The ids of the nodes whose data the operation running in this task read unmasked, in
order (:class:`Audit` sets a dict per operation)."""


def note_read(node_id: str) -> None:
    """Add a node whose data an answer reads unmasked to the operation's audit record.

    Called as a field of a node's stored properties, or a personal field a question answers
    about it, is first read (:class:`~graph_service.api.types.Person` and the other node
    types), whatever the query calls the field or whether it selects ``id``: the audit
    trail's ``node_ids`` are these and the ids the answer carries, so that aliasing ``id``
    (``pid: id``) or leaving it out does not leave a node read out of the trail. Dropped
    outside an operation run with the :class:`Audit` extension.

    Parameters
    ----------
    node_id : str
    """
    read = _READ.get()
    if read is not None:
        read[node_id] = None


@contextmanager
def reading() -> Iterator[dict[str, None]]:
    """The ids :func:`note_read` notes while the block runs, in order (each once).

    For an answer made without :class:`Audit` (the set-oriented bulk plan,
    :mod:`graph_service.bulk.plan`), whose record :func:`document_record` then makes.
    """
    read: dict[str, None] = {}
    token = _READ.set(read)
    try:
        yield read
    finally:
        _READ.reset(token)


def record_of(context: Any, execution: Any, started: float,
              changes: Sequence[Mapping[str, Any]] = (),
              read: Iterable[str] = ()) -> dict[str, Any]:
    """The audit record of one finished GraphQL operation.

    Parameters
    ----------
    context : Context
        The request's GraphQL context (its ``caller`` and ``request_id``).
    execution : strawberry.types.ExecutionContext
        The operation's execution context, with its result.
    started : float
        :func:`time.perf_counter` when the operation began.
    changes : sequence of mapping
        What its mutations changed (:func:`note_changes`), recorded for a mutation.
    read : iterable of str
        The nodes whose data it read unmasked (:func:`note_read`).
    """
    result = execution.result
    # The result's errors, as coded by the error extension (pre_execution_errors holds
    # them as they were raised); without a result, those.
    errors = (getattr(result, "errors", None) if result is not None
              else execution.pre_execution_errors) or []
    return document_record(
        context, started, execution.graphql_document, execution.operation_name,
        execution.variables, data=getattr(result, "data", None),
        error_codes=[str((e.extensions or {}).get("code", "INTERNAL_SERVER_ERROR"))
                     for e in errors],
        changes=changes, read=read,
    )


def document_record(context: Any, started: float, document: DocumentNode | None,
                    operation_name: str | None, variables: Mapping[str, Any] | None,
                    data: Any = None, error_codes: Sequence[str] = (),
                    changes: Sequence[Mapping[str, Any]] = (),
                    read: Iterable[str] = ()) -> dict[str, Any]:
    """The audit record of an operation of ``document`` run with ``context``.

    Parameters
    ----------
    context : Context
        The request's GraphQL context (its ``caller``, ``request_id`` and, through
        ``masked_only()``, the ids it answered masked).
    started : float
        :func:`time.perf_counter` when the operation began.
    document : DocumentNode or None
        The parsed document (``None``: it did not parse).
    operation_name : str or None
        The operation asked for (the document's only one when ``None``).
    variables : mapping or None
        The request's variables (recorded as their hash).
    data, error_codes
        The answer's data and the codes of its errors.
    changes : sequence of mapping
        What its mutations changed (:func:`note_changes`), recorded for a mutation.
    read : iterable of str
        The nodes whose data it read unmasked (:func:`note_read`), recorded with the ids the
        answer carries.
    """
    operation = None
    fragments: dict[str, Any] = {}
    if document is not None:
        operation = get_operation_ast(document, operation_name)
        fragments = {d.name.value: d for d in document.definitions
                     if isinstance(d, FragmentDefinitionNode)}
    return new_record(
        context.caller, started, request_id=context.request_id,
        operation=operation_name or (
            operation.name.value if operation is not None and operation.name else None),
        operation_type=operation.operation.value if operation is not None else None,
        variables=variables, fields=root_fields(operation, fragments), data=data,
        error_codes=error_codes,
        changes=(changes if operation is not None and operation.operation.value == "mutation"
                 else None),
        masked=context.masked_only() if hasattr(context, "masked_only") else frozenset(),
        read=read, max_ids=MAX_NODE_IDS * LINES.get(),
    )


class Audit(SchemaExtension):
    """Append the audit record of every operation run with a context that has a trail.

    Registered first among the schema's extensions, so that it sees the result last, with
    every error coded. Over HTTP (``context.audit_wait``) the answer waits until its record
    is on disk; the CLI's runs let the trail's writer group them, and close the trail
    (waiting for every record) before they exit. A context without a trail (``audit`` is
    ``None``: an in-process test) is not audited.
    """

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        """Time the operation, collect its mutations' changes, then append its record."""
        started = time.perf_counter()
        changes: list[Mapping[str, Any]] = []
        read: dict[str, None] = {}
        _CHANGES.set(changes)  # this operation's task (a bulk run's lines: one task each)
        _READ.set(read)
        yield
        context = self.execution_context.context
        if getattr(context, "audit", None) is not None:
            await append_record(context, record_of(context, self.execution_context, started,
                                                   changes, read))


async def append_record(context: Any, record: dict[str, Any]) -> None:
    """Append ``record`` to ``context.audit``, the trail, and mark the context audited.

    Over HTTP (``context.audit_wait``) it returns once the record is on disk; otherwise at
    once (the trail's writer groups records; closing the trail waits for them).
    """
    kept = context.audit.append(record)
    context.audited = True
    if getattr(context, "audit_wait", False):
        await asyncio.wrap_future(kept)


class RequestId:
    """Give each HTTP request a correlation id and echo it in ``X-Request-ID``.

    The request's own ``X-Request-ID`` is kept when it matches :data:`REQUEST_ID` (at most
    128 letters, digits, ``.``, ``_``, ``:``, ``-``); otherwise a UUID4 (hex) is made. The
    id is put in ``request.state.request_id`` and added to the response's headers.

    Parameters
    ----------
    app : ASGIApp
        The application.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with its id in its state; add the id to the response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = given if given and REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        request_id_var.set(request_id)  # for the log lines of this request's task

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (REQUEST_ID_HEADER.encode(), request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


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


__all__ = ["DEFAULT_AUDIT_RECORDS", "MAX_AUDIT_RECORDS", "Audit", "AuditRecord", "RequestId",
           "append_record", "audit_records", "document_record", "last_matching",
           "note_changes", "note_read", "reading", "record_of", "root_fields"]  # fmt: skip
