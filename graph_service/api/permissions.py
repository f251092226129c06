"""Permission classes of the GraphQL fields: which roles may call a root field at all.

strawberry's :class:`~strawberry.permission.BasePermission`, refusing with the domain's
:class:`~graph_service.errors.ForbiddenError` (``extensions.code`` ``FORBIDDEN``). What a
permitted caller then sees is the scope's business (:mod:`graph_service.access`, applied by
the request's context); what a permitted caller may then write, the command's
(:mod:`graph_service.linkage.commands`: a manager's portfolio, the referrals made to them).
The roles of each class are :mod:`graph_service.access`'s sets, the ones the commands check.

Every root field of ``Query`` and ``Mutation`` declares one of these
(``tests/api/test_scope.py`` checks it): the lookups and the fields generated from the
question registry (:mod:`graph_service.api.questions`) :class:`ReadsGraph`, the ``referral``
lookup :class:`ReadsReferrals`, the audit trail :class:`AdminOnly`; ``createReferral``
:class:`CreatesReferrals`, ``updateReferral`` :class:`MovesReferrals`, ``logContact``
:class:`LogsContacts`, ``assignClient`` and ``unassignClient`` :class:`AdminOnly`. A run
without a caller (in-process) passes every class; a mutation then refuses it itself.
"""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry.permission import BasePermission

from graph_service.access import (
    CONTACT_LOGGERS,
    GRAPH_READERS,
    REFERRAL_MOVERS,
    REFERRAL_READERS,
    REFERRERS,
)
from graph_service.auth.caller import Role
from graph_service.errors import ForbiddenError


class RolePermission(BasePermission):
    """The caller has one of :attr:`roles` (or there is none: an in-process run).

    Refuses with a :class:`ForbiddenError` of :attr:`message`.
    """

    roles: ClassVar[frozenset[Role]] = frozenset()

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        """Whether ``info.context.caller`` is ``None`` or has a role of :attr:`roles`."""
        caller = info.context.caller
        return caller is None or caller.role in self.roles

    def on_unauthorized(self) -> None:
        """Raise :class:`ForbiddenError` (code ``FORBIDDEN``)."""
        raise ForbiddenError(self.message or "forbidden")


class ReadsGraph(RolePermission):
    """The caller may read the graph: every role but ``staff``."""

    roles = GRAPH_READERS
    message = "the role staff may not read the graph"


class ReadsReferrals(RolePermission):
    """The caller may look referrals up: graph readers, and ``staff`` (theirs only).

    A staff member reads back the referrals they created; the ``referral`` resolver refuses
    them any other.
    """

    roles = REFERRAL_READERS
    message = "this role may not read referrals"


class AdminOnly(RolePermission):
    """The caller is an ``admin``: the audit trail, client assignments (``ASSIGNERS``)."""

    roles = frozenset({Role.ADMIN})
    message = "only the role admin may do this"


class CreatesReferrals(RolePermission):
    """The caller may create referrals: ``admin``, ``manager`` or ``staff``."""

    roles = REFERRERS
    message = "only the roles admin, manager and staff may create referrals"


class LogsContacts(RolePermission):
    """The caller may log contacts: ``admin`` or ``manager``."""

    roles = CONTACT_LOGGERS
    message = "only the roles admin and manager may log contacts"


class MovesReferrals(RolePermission):
    """The caller may move referrals on: ``admin``, or a ``manager`` (those made to them)."""

    roles = REFERRAL_MOVERS
    message = "only an admin, or the manager a referral is made to, may update it"


__all__ = ["AdminOnly", "CreatesReferrals", "LogsContacts", "MovesReferrals", "ReadsGraph",
           "ReadsReferrals", "RolePermission"]
