"""The ``token`` command: a bearer token signed by the data directory's local issuer."""

from __future__ import annotations

from typing import Annotated

import typer

from graph_service.auth.caller import Role
from graph_service.cli.common import DataDir, resolve_settings
from graph_service.errors import InvalidInputError

DEFAULT_TTL = "8h"
"""Lifetime of a token of ``graph-service token`` unless ``--ttl`` says otherwise."""


def token(
    subject: Annotated[str, typer.Option(help="The token's subject (sub), e.g. a user name.")],
    role: Annotated[
        str, typer.Option(help="admin, analyst, app, staff or manager.", show_default=False)
    ],
    manager_id: Annotated[
        str | None,
        typer.Option(help="The manager's node id (required for, and only for, role manager)."),
    ] = None,
    ttl: Annotated[str, typer.Option(help="Lifetime: 90s, 15m, 8h, 2d (at most 30d).")] = (
        DEFAULT_TTL
    ),
    data_dir: DataDir = None,
) -> None:
    """Print a bearer token of the data dir's local issuer (its key created on first use).

    For development and demos: ``serve`` on the same data directory, with no OIDC issuer
    configured, accepts it (``Authorization: Bearer <token>``). Only the token is printed on
    standard output. A bad role, a manager without ``--manager-id`` or a bad ``--ttl`` exits
    2 with one line.
    """
    if role not in set(Role):
        raise InvalidInputError(f"--role {role!r}: expected one of {', '.join(Role)}")
    if not subject.strip():
        raise InvalidInputError("--subject must not be blank")
    from graph_service.auth.tokens import LocalIssuer, parse_ttl  # jwt, cryptography: here

    seconds = parse_ttl(ttl)
    settings = resolve_settings(data_dir)
    issuer = LocalIssuer(settings.data_dir)
    print(issuer.issue(subject, Role(role), manager_id, seconds))
