"""The ``audit`` command: the audit trail's records, filtered, as JSON lines."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from typing import Annotated

import typer

from graph_service.audit import AuditTrail, matches, new_record, parse_time, read_records
from graph_service.auth.caller import cli_caller
from graph_service.cli.common import DataDir, resolve_settings
from graph_service.errors import InvalidInputError


def _since(text: str) -> dt.datetime:
    """``--since``: an ISO 8601 time (UTC unless it names an offset), or an age like ``2h``."""
    try:
        return parse_time(text)
    except ValueError:
        pass
    try:
        from graph_service.auth.tokens import parse_ttl  # jwt and cryptography: when used

        age = parse_ttl(text)
    except InvalidInputError:
        raise InvalidInputError(
            f"--since {text!r}: expected an ISO 8601 time (2026-12-03T09:00) or an age "
            "(90s, 15m, 8h, 2d)"
        ) from None
    return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age)


def audit(
    subject: Annotated[
        str | None, typer.Option(help="Only the records of this subject (a token's sub).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only records at or after this time: ISO 8601 (UTC unless an "
                     "offset is given) or an age (15m, 8h, 2d)."),
    ] = None,
    node: Annotated[
        str | None, typer.Option(help="Only the records whose answer returned this node id.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Print the audit trail's records (one JSON object a line, oldest first) that match.

    Reads GRAPH_SERVICE_AUDIT_DIR, else the data dir's audit/ directory, rotated files
    included. Runs as the local admin (whoever can read the data directory), and is itself
    audited under cli:<os user>. A bad --since exits 2.
    """
    start = time.perf_counter()
    moment = _since(since) if since is not None else None
    settings = resolve_settings(data_dir)
    directory = settings.audit_path
    if not directory.is_dir():
        raise InvalidInputError(f"no audit trail in {directory}")
    for record in read_records(directory):
        if matches(record, subject, moment, node):
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    trail = AuditTrail(directory, settings.audit_max_bytes)
    try:
        trail.write(new_record(cli_caller(), start, operation="audit", operation_type="cli"))
    finally:
        trail.close()
    raise typer.Exit(0)
