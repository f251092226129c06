"""The GraphQL ``Mutation`` root: recording referrals, contacts and client assignments.

Each field declares the roles that may call it (a permission class of
:mod:`graph_service.api.permissions`) and is one domain command of
:mod:`graph_service.linkage.commands` (who may, the checks, the one write); the resolver
passes the request's caller and store, keeps the command's changes for the audit record
(:func:`~graph_service.api.trail.note_changes`; the :class:`~graph_service.api.trail.Audit`
extension writes them with their before and after), and answers the written node as the
caller's scope shows it (:mod:`graph_service.access`). Errors are the commands'
(``FORBIDDEN``, ``BAD_USER_INPUT`` naming the argument, ``NOT_FOUND``, ``CONFLICT``,
``INVALID_TRANSITION``), coded once by :class:`~graph_service.api.extensions.ErrorCodes`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import strawberry

from graph_service.api.context import when_loaded
from graph_service.api.permissions import (
    AdminOnly,
    CreatesReferrals,
    LogsContacts,
    MovesReferrals,
)
from graph_service.api.trail import note_changes
from graph_service.api.types import (
    Contact,
    GraphInfo,
    Manager,
    NodeRef,
    Party,
    Referral,
    as_type,
)
from graph_service.auth.caller import Caller
from graph_service.errors import ForbiddenError
from graph_service.linkage import commands
from graph_service.model import ContactKind, NodeLabel, ReferralStatus
from graph_service.stores.base import Node


@strawberry.input(description="createReferral's input.")
class CreateReferralInput:
    """What ``createReferral`` records."""

    party: NodeRef = strawberry.field(description="The person or enterprise referred.")
    to_manager_id: strawberry.ID = strawberry.field(description="The account manager referred to.")
    idempotency_key: str = strawberry.field(
        description="Chosen by the client, at most 200 characters: the same key sent again by "
        "the same caller answers the referral already created instead of a second one."
    )
    product: str | None = strawberry.field(default=None,
                                           description="The product the party is referred for.")
    note: str | None = None


@strawberry.input(description="logContact's input.")
class LogContactInput:
    """What ``logContact`` records."""

    party: NodeRef = strawberry.field(description="The person or enterprise contacted.")
    kind: ContactKind
    at: dt.datetime = strawberry.field(description="When the contact took place.")
    outcome: str | None = None
    note: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="As createReferral's: the same key again logs one contact."
    )


@strawberry.type(name="Assignment", description="A manager's assignment to a client.")
class AssignmentResult:
    """Answer of ``assignClient`` and ``unassignClient``."""

    manager_id: strawberry.Private[str]
    party_key: strawberry.Private[tuple[str, str]]
    assigned: bool = strawberry.field(description="Whether the manager manages the party now.")
    changed: bool = strawberry.field(description="False when it was so already.")

    @strawberry.field(description="The account manager.")
    def manager(self, info: GraphInfo) -> Manager:
        """Through the node DataLoader."""
        return cast(Manager, when_loaded(
            info.context.nodes(NodeLabel.MANAGER.value).load(self.manager_id), _as_type))

    @strawberry.field(description="The client.")
    def party(self, info: GraphInfo) -> Party:
        """Through the node DataLoader."""
        label, node_id = self.party_key
        return cast(Any, when_loaded(info.context.nodes(label).load(node_id), _as_type))


def _as_type(node: Node | None) -> Any:
    """The GraphQL object of a node the command has just checked exists."""
    assert node is not None, "a node of an assignment is gone"
    return as_type(node)


def _caller(info: GraphInfo) -> Caller:
    """The request's caller; a mutation without one (an in-process context) is refused."""
    caller = info.context.caller
    if caller is None:
        raise ForbiddenError("a mutation needs an authenticated caller")
    return caller


async def _done(info: GraphInfo, node: Node, changes: list[commands.Change]) -> Any:
    """Keep the command's changes for the audit record; answer the node's GraphQL object.

    The node as the caller's scope shows it (the recorder of a referral or contact sees it).
    """
    note_changes(change.record() for change in changes)
    return as_type((await info.context.scope()).view(node))


@strawberry.type(description="Recording referrals, contacts and client assignments.")
class Mutation:
    """The root mutation type; each field one command of :mod:`graph_service.linkage.commands`."""

    @strawberry.mutation(description="Refer a person or enterprise to an account manager; "
                         "OPEN at version 1. Staff (any party), managers (a party of their "
                         "portfolio, to another manager) and admins; FORBIDDEN otherwise.",
                         permission_classes=[CreatesReferrals])
    async def create_referral(self, info: GraphInfo, input: CreateReferralInput) -> Referral:
        """See :func:`graph_service.linkage.commands.create_referral`."""
        node, changes = await commands.create_referral(
            info.context.store, _caller(info), party=input.party.key,
            to_manager_id=str(input.to_manager_id), idempotency_key=input.idempotency_key,
            product=input.product, note=input.note,
        )
        return cast(Referral, await _done(info, node, changes))

    @strawberry.mutation(description="Move a referral to a status (OPEN -> CONTACTED -> "
                         "CONVERTED or DECLINED) if it is at expectedVersion (CONFLICT if not); "
                         "the manager referred to, or an admin; FORBIDDEN otherwise.",
                         permission_classes=[MovesReferrals])
    async def update_referral(self, info: GraphInfo, id: strawberry.ID, status: ReferralStatus,
                              expected_version: int) -> Referral:
        """See :func:`graph_service.linkage.commands.update_referral`."""
        node, changes = await commands.update_referral(
            info.context.store, _caller(info), referral_id=str(id), status=status.value,
            expected_version=expected_version,
        )
        return cast(Referral, await _done(info, node, changes))

    @strawberry.mutation(description="Record a visit, call, meeting or message with a person "
                         "or enterprise; managers (a party of their portfolio) and admins; "
                         "FORBIDDEN otherwise.",
                         permission_classes=[LogsContacts])
    async def log_contact(self, info: GraphInfo, input: LogContactInput) -> Contact:
        """See :func:`graph_service.linkage.commands.log_contact`."""
        node, changes = await commands.log_contact(
            info.context.store, _caller(info), party=input.party.key, kind=input.kind.value,
            at=input.at, outcome=input.outcome, note=input.note,
            idempotency_key=input.idempotency_key,
        )
        return cast(Contact, await _done(info, node, changes))

    @strawberry.mutation(description="Make the manager manage the client (MANAGES); admins "
                         "(FORBIDDEN otherwise).", permission_classes=[AdminOnly])
    async def assign_client(self, info: GraphInfo, manager_id: strawberry.ID,
                            party: NodeRef) -> AssignmentResult:
        """See :func:`graph_service.linkage.commands.assign_client`."""
        return await _assign(info, str(manager_id), party, assign=True)

    @strawberry.mutation(description="Stop the manager managing the client; admins "
                         "(FORBIDDEN otherwise).", permission_classes=[AdminOnly])
    async def unassign_client(self, info: GraphInfo, manager_id: strawberry.ID,
                              party: NodeRef) -> AssignmentResult:
        """See :func:`graph_service.linkage.commands.assign_client`."""
        return await _assign(info, str(manager_id), party, assign=False)


async def _assign(info: GraphInfo, manager_id: str, party: NodeRef, *,
                  assign: bool) -> AssignmentResult:
    answer, changes = await commands.assign_client(
        info.context.store, _caller(info), manager_id=manager_id, party=party.key, assign=assign
    )
    note_changes(change.record() for change in changes)
    return AssignmentResult(manager_id=answer.manager_id, party_key=answer.party,
                            assigned=answer.assigned, changed=answer.changed)


__all__ = ["AssignmentResult", "CreateReferralInput", "LogContactInput", "Mutation"]
