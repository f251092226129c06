"""Permission classes of the GraphQL fields: which roles may call a root field at all.

strawberry's :class:`~strawberry.permission.BasePermission`, refusing with the domain's
:class:`~graph_service.errors.ForbiddenError` (``extensions.code`` ``FORBIDDEN``). What a
permitted caller then sees is the scope's business (:mod:`graph_service.access`, applied by
the request's context).

Every root field of ``Query`` declares one of these (``tests/api/test_scope.py`` checks it):
the lookups and the fields generated from the question registry
(:mod:`graph_service.api.questions`) :class:`ReadsGraph`, the ``referral`` lookup
:class:`ReadsReferrals`, the audit trail :class:`AdminOnly`.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from graph_service.access import REFERRAL_READERS, reads_graph
from graph_service.auth.caller import Role
from graph_service.errors import ForbiddenError


class RolePermission(BasePermission):
    """A permission of this module, refusing with a :class:`ForbiddenError` of :attr:`message`."""

    def on_unauthorized(self) -> None:
        """Raise :class:`ForbiddenError` (code ``FORBIDDEN``)."""
        raise ForbiddenError(self.message or "forbidden")


class ReadsGraph(RolePermission):
    """The caller may read the graph: every role but ``staff`` (and in-process runs)."""

    message = "the role staff may not read the graph"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        """Whether ``info.context.caller`` may read the graph (:func:`reads_graph`)."""
        return reads_graph(info.context.caller)


class ReadsReferrals(RolePermission):
    """The caller may look referrals up: graph readers, and ``staff`` (theirs only).

    A staff member reads back the referrals they created; the ``referral`` resolver refuses
    them any other (:data:`graph_service.access.REFERRAL_READERS`).
    """

    message = "this role may not read referrals"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        """Whether ``info.context.caller`` is ``None`` or has a role of ``REFERRAL_READERS``."""
        caller = info.context.caller
        return caller is None or caller.role in REFERRAL_READERS


class AdminOnly(RolePermission):
    """The caller is an ``admin`` (or an in-process run)."""

    message = "only the role admin may read this field"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        """Whether ``info.context.caller`` is ``None`` or has the role ``admin``."""
        caller = info.context.caller
        return caller is None or caller.role is Role.ADMIN


__all__ = ["AdminOnly", "ReadsGraph", "ReadsReferrals", "RolePermission"]
