"""Who is calling: the verified subject, role and (for a manager) the manager's id.

Authentication (:mod:`graph_service.auth.tokens`) turns a bearer token's claims into a
:class:`Caller`; the GraphQL context carries it (``info.context.caller``) for the access
rules and the audit trail (:mod:`graph_service.audit`).
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from graph_service.errors import UnauthenticatedError, shorten
from graph_service.model import unprintable


class Role(StrEnum):
    """The roles a token's ``role`` claim may name.

    - ``admin``: everything, plus the audit trail and assignments;
    - ``analyst`` and ``app``: reading the whole book (an analyst, an application);
    - ``staff``: lobby and counter staff, creating referrals;
    - ``manager``: an account manager, with the claim ``manager_id`` naming their node.
    """

    ADMIN = "admin"
    ANALYST = "analyst"
    APP = "app"
    STAFF = "staff"
    MANAGER = "manager"


ROLE_CLAIM = "role"
"""The claim holding the caller's :class:`Role`."""
MANAGER_CLAIM = "manager_id"
"""The claim holding a manager's node id, required when the role is ``manager``."""
MAX_CLAIM_CHARS = 256
"""Longest ``sub`` or ``manager_id`` accepted, in characters."""


@dataclass(frozen=True, slots=True)
class Caller:
    """The verified caller of one request.

    Parameters
    ----------
    subject : str
        The token's ``sub`` (for the CLI, ``cli:<os user>``).
    role : Role
    manager_id : str or None
        The ``Manager`` node the caller is, for the role ``manager`` (``None`` otherwise).
    issuer : str
        Who vouched for it: the token's ``iss``, ``"cli"`` for the command line, or
        ``"none"`` when authentication is off (``--insecure-no-auth``).
    expires_at : float or None
        The token's ``exp`` (seconds since the epoch); ``None`` without a token.
    """

    subject: str
    role: Role
    manager_id: str | None = None
    issuer: str = "none"
    expires_at: float | None = None

    @property
    def is_admin(self) -> bool:
        """Whether the caller has the ``admin`` role."""
        return self.role is Role.ADMIN

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Caller:
        """The caller a verified token's claims describe.

        Parameters
        ----------
        claims : mapping
            The payload, already verified (signature, issuer, audience, times).

        Raises
        ------
        UnauthenticatedError
            If ``sub`` is not a non-empty string, ``role`` is missing or not a
            :class:`Role`, or a manager's ``manager_id`` is missing or not a non-empty
            string; or ``sub`` or ``manager_id`` holds a character the audit trail would
            show forged (:func:`graph_service.model.unprintable`).
        """
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip() or len(subject) > MAX_CLAIM_CHARS:
            raise UnauthenticatedError(
                f"the token's 'sub' claim must be a non-empty string of at most "
                f"{MAX_CLAIM_CHARS} characters"
            )
        _printable(subject, "sub")
        role = claims.get(ROLE_CLAIM)
        if not isinstance(role, str) or role not in set(Role):
            shown = shorten(str(role), 40) if role is not None else "missing"
            raise UnauthenticatedError(
                f"the token's {ROLE_CLAIM!r} claim must be one of "
                f"{', '.join(Role)} (got {shown})"
            )
        manager_id = claims.get(MANAGER_CLAIM)
        if role == Role.MANAGER:
            if not isinstance(manager_id, str) or not 0 < len(manager_id) <= MAX_CLAIM_CHARS:
                raise UnauthenticatedError(
                    f"a manager's token needs the {MANAGER_CLAIM!r} claim (a manager's node id)"
                )
            _printable(manager_id, MANAGER_CLAIM)
        else:
            manager_id = None
        exp = claims.get("exp")
        return cls(
            subject=subject,
            role=Role(role),
            manager_id=manager_id,
            issuer=str(claims.get("iss", "")),
            expires_at=float(exp) if isinstance(exp, int | float) else None,
        )


def _printable(text: str, claim: str) -> None:
    """Refuse a claim whose text would forge what the audit trail and logs show.

    Raises
    ------
    UnauthenticatedError
        If ``text`` holds a character :func:`graph_service.model.unprintable` refuses
        (control, bidirectional or invisible characters).
    """
    reason = unprintable(text)
    if reason is not None:
        raise UnauthenticatedError(f"the token's {claim!r} claim {reason}")


INSECURE_CALLER = Caller(subject="anonymous", role=Role.ADMIN, issuer="none")
"""The caller of every request when authentication is off (``--insecure-no-auth``)."""


def cli_caller() -> Caller:
    """The caller of the command line (``query``, ``audit``): ``cli:<os user>``, an admin.

    The CLI reads the data directory directly, so whoever can run it can read the store's
    files anyway; it is audited under the operating system's user name.
    """
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a container)
        import os

        user = str(os.getuid())
    return Caller(subject=f"cli:{user}", role=Role.ADMIN, issuer="cli")


__all__ = ["INSECURE_CALLER", "MANAGER_CLAIM", "ROLE_CLAIM", "Caller", "Role", "cli_caller"]
