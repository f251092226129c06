"""The audit trail: one JSON line per GraphQL operation, durable, append-only, rotated by size.

Each record holds (keys in this order)::

    {"time": "2026-12-03T01:02:03.456789Z", "request_id": "...", "subject": "alice",
     "role": "manager", "manager_id": "M1", "operation": "Coverage", "operation_type": "query",
     "variables_sha256": "…", "root_fields": ["payrollCoverage"],
     "node_ids": ["E1", ...], "node_count": 12, "outcome": "ok", "error_codes": [],
     "duration_ms": 3.1}

- ``variables_sha256`` is the SHA-256 of the variables as canonical JSON (sorted keys, no
  spaces), ``null`` without variables: it tells whether two operations had the same
  variables, never their values.
- ``node_ids`` are the ids of the nodes the answer returned unmasked (every ``id`` the
  response's objects carry, but those answered ``masked: true``, or, when the query did not
  select ``masked``, those the caller's scope answered masked: ``Context.masked_only``), in
  order of appearance, then those of the nodes whose properties or personal fields the
  answer read unmasked (:func:`graph_service.api.trail.note_read`: an alias can rename
  ``id``, or a query leave it out), each once; above :data:`MAX_NODE_IDS` only
  ``node_count`` is kept and ``node_ids`` is ``null``. A query can still give another
  field the name ``id`` and add its values: the ids listed are a superset of the nodes
  read, never fewer.
- ``outcome`` is ``ok`` (no error), ``partial`` (data and errors) or ``error`` (no data);
  ``error_codes`` the distinct ``extensions.code`` of the errors.
- A mutation's record ends with ``changes``: what its commands wrote, in order, each
  ``{"command", "target", "before", "after"}`` (:class:`graph_service.linkage.commands.
  Change`): the node (``{"label", "id"}``) or relationship (``{"type", "start", "end"}``)
  and its properties before and after (``null``: absent). A refused or retried command
  changed nothing and adds none.

**Durability.** :class:`AuditTrail` writes the records with one thread: the lines pending
are written with one ``write`` on a descriptor opened ``O_APPEND`` (mode 0600), then
``fsync``'d, before the operations that made them are told their record is kept (group
commit: requests arriving together share one ``fsync``). An HTTP answer leaves only once
its record is on disk. Python's ``RotatingFileHandler`` was not used: it neither
``fsync``'s nor lets a writer know its record is kept.

**Rotation.** When the current file ``audit.jsonl`` would pass
``Settings.audit_max_bytes``, it is renamed ``audit.<UTC time>.jsonl`` (under an exclusive
``flock`` of ``audit.lock``, so that a ``serve`` and a ``query`` writing the same trail do not
both rotate) and a new file is begun. Rotated files are never deleted: retention is the
operator's decision. A writer whose file was rotated by another process notices it (the
path names another inode) and reopens.

**Correlation.** :class:`graph_service.api.trail.RequestId` gives each HTTP request an id:
its ``X-Request-ID`` when well-formed (:data:`REQUEST_ID`), else a new UUID; the response
echoes it and the record carries it.

``graph-service audit`` reads the trail (:func:`read_records`, :func:`matches`). The API's
side (the schema extension appending each operation's record, the request ids,
``Query.auditRecords``) is :mod:`graph_service.api.trail`; this module imports no GraphQL.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from graph_service.auth.caller import Caller

logger = logging.getLogger("graph_service.audit")

CURRENT_FILE = "audit.jsonl"
"""The file records are appended to, in the trail's directory."""
LOCK_FILE = "audit.lock"
"""The file whose ``flock`` serialises rotations between processes."""
MAX_OPERATION_NAME = 100
"""Characters of an ``operationName`` a record keeps (a longer one is cut, ``…`` appended)."""
MAX_NODE_IDS = 1000
"""Most node ids one record lists; above it only their count is kept."""
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
"""A client's ``X-Request-ID`` that is taken as the correlation id (else one is made)."""
REQUEST_ID_HEADER = "x-request-id"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AuditTrail:
    """An append-only, ``fsync``'d JSON-lines trail in a directory, rotated by size.

    Parameters
    ----------
    directory : Path
        The trail's directory (created, mode 0700, when missing).
    max_bytes : int
        Size above which the current file is rotated (``Settings.audit_max_bytes``).

    Raises
    ------
    OSError
        If the directory cannot be created.

    Notes
    -----
    :meth:`append` is thread-safe and returns at once; the writer thread keeps the
    records, in the order appended. :meth:`close` waits for every pending record. A
    future cancelled by its waiter (an operation past its time limit) does not cancel its
    record, which is written in turn.
    """

    def __init__(self, directory: Path, max_bytes: int) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.directory = directory
        self.path = directory / CURRENT_FILE
        self.max_bytes = max_bytes
        self._pending: list[tuple[bytes, Future[None]]] = []
        self._wake = threading.Condition()
        self._closed = False
        self._fd: int | None = None
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def append(self, record: Mapping[str, Any]) -> Future[None]:
        """Queue ``record`` as one JSON line; the future is done once it is on disk.

        Text is written as UTF-8; a lone surrogate (U+D800 to U+DFFF), which UTF-8 cannot
        hold (in a token's subject, a text stored before mutations refused them), as its
        JSON escape, so that no value can keep an operation from its record.

        Raises
        ------
        RuntimeError
            If the trail is closed.
        """
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        line = text.encode("utf-8", "backslashreplace") + b"\n"
        done: Future[None] = Future()
        with self._wake:
            if self._closed:
                raise RuntimeError("the audit trail is closed")
            self._pending.append((line, done))
            self._wake.notify()
        return done

    def write(self, record: Mapping[str, Any]) -> None:
        """Append ``record`` and wait until it is on disk (raises the write's ``OSError``)."""
        self.append(record).result()

    def close(self) -> None:
        """Write what is pending, stop the writer and close the file."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closed:
                    self._wake.wait()
                batch, self._pending = self._pending, []
                closing = self._closed
            if batch:
                try:
                    self._write([line for line, _ in batch])
                except OSError as exc:
                    logger.error("cannot write the audit trail %s: %s", self.path, exc)
                    for _, done in batch:
                        if done.set_running_or_notify_cancel():
                            done.set_exception(exc)
                else:
                    for _, done in batch:
                        # a waiter past its time limit cancelled its future: its record is
                        # written all the same, and setting its result would raise here
                        if done.set_running_or_notify_cancel():
                            done.set_result(None)
            if closing and not batch:
                if self._fd is not None:
                    os.close(self._fd)
                    self._fd = None
                return

    def _open(self) -> int:
        """The descriptor of the current file, reopened when another process rotated it."""
        if self._fd is not None:
            try:
                if os.stat(self.path).st_ino == os.fstat(self._fd).st_ino:
                    return self._fd
            except FileNotFoundError:
                pass
            os.close(self._fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return self._fd

    def _write(self, lines: list[bytes]) -> None:
        """Append ``lines``, rotating before a file would pass ``max_bytes``; then fsync.

        A single line longer than ``max_bytes`` gets a file of its own.
        """
        fd = self._open()
        size = os.fstat(fd).st_size
        chunk: list[bytes] = []
        for line in lines:
            if size and size + len(line) > self.max_bytes:
                if chunk:
                    self._append(fd, b"".join(chunk))
                    chunk = []
                fd = self._rotate()
                size = os.fstat(fd).st_size
            chunk.append(line)
            size += len(line)
        self._append(fd, b"".join(chunk))

    @staticmethod
    def _append(fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)

    def _rotate(self) -> int:
        """Rename a full current file aside (once, across processes); return the new one's fd."""
        with open(self.directory / LOCK_FILE, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            fd = self._open()  # another process may have rotated meanwhile
            if os.fstat(fd).st_size >= self.max_bytes // 2:
                stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
                os.rename(self.path, self.directory / f"audit.{stamp}.jsonl")
                fd = self._open()
                _fsync_dir(self.directory)
            return fd


def trail_files(directory: Path) -> list[Path]:
    """The trail's files, oldest first: the rotated ones by name (time), then the current."""
    rotated = sorted(p for p in directory.glob("audit.*.jsonl"))
    current = directory / CURRENT_FILE
    return rotated + ([current] if current.exists() else [])


def read_records(directory: Path) -> Iterator[dict[str, Any]]:
    """Every record of the trail in ``directory``, oldest first.

    A line that is not a JSON object (the end of a write cut short by a crash) is skipped
    and logged.
    """
    for path in trail_files(directory):
        with path.open("rb") as stream:
            for number, line in enumerate(stream, 1):
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
                if isinstance(record, dict):
                    yield record
                else:
                    logger.warning("%s, line %d: not an audit record, skipped", path, number)


def parse_time(text: str) -> dt.datetime:
    """An ISO 8601 time (UTC when it names no offset), as an aware datetime.

    Raises
    ------
    ValueError
        If ``text`` is not an ISO 8601 date or time.
    """
    moment = dt.datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def matches(record: Mapping[str, Any], subject: str | None = None,
            since: dt.datetime | None = None, node: str | None = None) -> bool:
    """Whether ``record`` is by ``subject``, at or after ``since``, and returned ``node``.

    Criteria left ``None`` match every record. A record that listed only a count of its
    nodes (more than :data:`MAX_NODE_IDS`) matches no ``node``.
    """
    if subject is not None and record.get("subject") != subject:
        return False
    if since is not None:
        try:
            if parse_time(str(record.get("time"))) < since:
                return False
        except ValueError:
            return False
    return node is None or node in (record.get("node_ids") or ())


def now_iso() -> str:
    """The current UTC time as a record writes it: ``2026-12-03T01:02:03.456789Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def variables_hash(variables: Mapping[str, Any] | None) -> str | None:
    """SHA-256 (hex) of ``variables`` as canonical JSON; ``None`` without variables."""
    if not variables:
        return None
    text = json.dumps(variables, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def returned_ids(
    data: Any, masked: AbstractSet[str] = frozenset(), read: Iterable[str] = (),
    limit: int = MAX_NODE_IDS,
) -> tuple[list[str] | None, int]:
    """The ``id`` of every object in an answer's data, each once, and their number.

    An object answered ``masked: true`` (:mod:`graph_service.access`: its personal data
    withheld) is not counted, nor, when it does not carry ``masked``, one whose id is in
    ``masked``: the trail lists the nodes returned unmasked. The ids of ``read`` follow,
    those not listed yet: an answer's ``id`` keys are what the query named them (an alias
    can rename ``id`` or give another field that name), so the nodes whose data the
    operation read are listed whatever the answer calls them.

    Parameters
    ----------
    data : Any
        The answer's data (dicts, lists and values, as JSON).
    masked : set of str
        The ids of the nodes the request answered masked, and never unmasked
        (``Context.masked_only``): the query may not have selected ``masked``.
    read : iterable of str
        The ids of the nodes whose data the operation read unmasked
        (:func:`graph_service.api.trail.note_read`).
    limit : int
        Most ids listed (:data:`MAX_NODE_IDS` per operation; a bulk run's chunk run as one
        operation lists as many per line).

    Returns
    -------
    (list of str or None, int)
        The ids in order of appearance (``None`` when there are more than ``limit``) and
        how many distinct ids there are.
    """
    seen: dict[str, None] = {}
    # Depth-first in document order, without recursion (a call per object cost half the
    # walk): the last value pushed is visited next, so children are pushed reversed.
    pending: list[Any] = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            node_id = value.get("id")
            if isinstance(node_id, str) and not value.get("masked", node_id in masked):
                seen[node_id] = None
            pending.extend(reversed(value.values()))
        elif isinstance(value, list):
            pending.extend(reversed(value))
    seen.update(dict.fromkeys(read))
    ids = list(seen)
    return (ids if len(ids) <= limit else None), len(ids)


def truncated(name: str | None, limit: int = MAX_OPERATION_NAME) -> str | None:
    """``name`` cut to ``limit`` characters (``…`` appended when cut); ``None`` stays."""
    if name is None or len(name) <= limit:
        return name
    return name[:limit] + "…"


def new_record(caller: Caller | None, started: float, *, request_id: str | None = None,
               operation: str | None = None, operation_type: str | None = None,
               variables: Mapping[str, Any] | None = None, fields: Sequence[str] = (),
               data: Any = None, error_codes: Sequence[str] = (),
               changes: Sequence[Mapping[str, Any]] | None = None,
               masked: AbstractSet[str] = frozenset(),
               read: Iterable[str] = (), max_ids: int = MAX_NODE_IDS) -> dict[str, Any]:
    """An audit record, its keys in the documented order (see the module's docstring).

    Parameters
    ----------
    caller : Caller or None
        Who ran it (``None``: unknown).
    started : float
        :func:`time.perf_counter` when it began; the duration runs to now.
    request_id, operation, operation_type : str, optional
    variables : mapping, optional
        Recorded as their hash only (:func:`variables_hash`).
    fields : sequence of str
        The root fields.
    data : Any
        The answer's data; the ids it returns unmasked are recorded (:func:`returned_ids`).
    error_codes : sequence of str
        The ``extensions.code`` of the answer's errors.
    changes : sequence of mapping, optional
        A mutation's changes (the key ``changes`` is added only for a mutation).
    masked : set of str
        The ids the request answered masked only (:func:`returned_ids`).
    read : iterable of str
        The ids of the nodes whose data it read unmasked (:func:`returned_ids`).
    max_ids : int
        Most node ids listed (:func:`returned_ids`' ``limit``).
    """
    ids, count = returned_ids(data, masked, read, max_ids)
    record: dict[str, Any] = {
        "time": now_iso(),
        "request_id": request_id,
        "subject": caller.subject if caller else None,
        "role": caller.role.value if caller else None,
        "manager_id": caller.manager_id if caller else None,
        "operation": truncated(operation),
        "operation_type": operation_type,
        "variables_sha256": variables_hash(variables),
        "root_fields": list(fields),
        "node_ids": ids,
        "node_count": count,
        "outcome": "ok" if not error_codes else ("partial" if data else "error"),
        "error_codes": sorted(set(error_codes)),
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
    }
    if changes is not None:
        record["changes"] = list(changes)
    return record


__all__ = [
    "MAX_NODE_IDS", "MAX_OPERATION_NAME", "REQUEST_ID", "REQUEST_ID_HEADER", "AuditTrail",
    "matches", "new_record", "now_iso", "parse_time", "read_records", "returned_ids",
    "trail_files", "truncated", "variables_hash",
]
