"""The GraphQL schema: lookups by id, the linkage questions, the audit trail and the mutations.

The lookups and the audit trail (:mod:`graph_service.api.trail`) are written here; the
linkage questions' root fields are generated from the question registry
(:func:`graph_service.api.questions.root_fields`), each answered by one domain question of
:mod:`graph_service.linkage` through the request's DataLoader of it. Every root field
carries a permission class (:mod:`graph_service.api.permissions`). ``schema`` is the one
schema object; the HTTP app and the CLI both execute documents against it, with a context
from :func:`graph_service.api.context.make_context`.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from graph_service.api.extensions import EXTENSIONS, log_unexpected
from graph_service.api.mutations import Mutation
from graph_service.api.permissions import AdminOnly, ReadsGraph, ReadsReferrals
from graph_service.api.questions import root_fields
from graph_service.api.trail import audit_records
from graph_service.api.types import (
    Account,
    Contact,
    Enterprise,
    GraphInfo,
    Manager,
    Person,
    Referral,
    as_type,
)
from graph_service.auth.caller import Role
from graph_service.errors import ForbiddenError, NotFoundError
from graph_service.model import NodeLabel


async def _lookup(info: GraphInfo, label: NodeLabel, node_id: str) -> Any:
    """The node as its GraphQL type, through the request's node loader (batched).

    Raises
    ------
    NotFoundError
        If there is no such node.
    """
    node = await info.context.nodes(label.value).load(str(node_id))
    if node is None:
        raise NotFoundError(label.value, str(node_id))
    return as_type(node)


@strawberry.type(description="Lookups by id and the public-private linkage questions.")
@root_fields
class Query:
    """The root query type: the lookups, then the linkage questions' fields."""

    @strawberry.field(description="An enterprise by id; NOT_FOUND error if none.",
                      permission_classes=[ReadsGraph])
    async def enterprise(self, info: GraphInfo, id: strawberry.ID) -> Enterprise | None:
        """Look up an enterprise."""
        return await _lookup(info, NodeLabel.ENTERPRISE, id)

    @strawberry.field(description="A person by id; NOT_FOUND error if none.",
                      permission_classes=[ReadsGraph])
    async def person(self, info: GraphInfo, id: strawberry.ID) -> Person | None:
        """Look up a person."""
        return await _lookup(info, NodeLabel.PERSON, id)

    @strawberry.field(description="An account by id; NOT_FOUND error if none.",
                      permission_classes=[ReadsGraph])
    async def account(self, info: GraphInfo, id: strawberry.ID) -> Account | None:
        """Look up an account."""
        return await _lookup(info, NodeLabel.ACCOUNT, id)

    @strawberry.field(description="An account manager by id; NOT_FOUND error if none.",
                      permission_classes=[ReadsGraph])
    async def manager(self, info: GraphInfo, id: strawberry.ID) -> Manager | None:
        """Look up an account manager."""
        return await _lookup(info, NodeLabel.MANAGER, id)

    @strawberry.field(description="A referral by id; NOT_FOUND error if none. Staff read "
                      "only the referrals they created (FORBIDDEN otherwise).",
                      permission_classes=[ReadsReferrals])
    async def referral(self, info: GraphInfo, id: strawberry.ID) -> Referral | None:
        """Look up a referral."""
        found = await _lookup(info, NodeLabel.REFERRAL, id)
        caller = info.context.caller
        if caller is not None and caller.role is Role.STAFF and (
            found.referred_by != caller.subject
        ):
            raise ForbiddenError("staff may read only the referrals they created")
        return found

    @strawberry.field(description="A logged contact by id; NOT_FOUND error if none.",
                      permission_classes=[ReadsGraph])
    async def contact(self, info: GraphInfo, id: strawberry.ID) -> Contact | None:
        """Look up a contact."""
        return await _lookup(info, NodeLabel.CONTACT, id)

    audit_records = strawberry.field(
        resolver=audit_records, permission_classes=[AdminOnly],
        description="The audit trail's most recent records that match, oldest first "
        "(admin only; FORBIDDEN for any other role).",
    )


class GraphServiceSchema(strawberry.Schema):
    """A strawberry schema that logs only unexpected errors (see :mod:`.extensions`)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log the errors that are faults of the service, not of the request."""
        log_unexpected(errors)


schema: strawberry.Schema = GraphServiceSchema(query=Query, mutation=Mutation,
                                                extensions=EXTENSIONS)
"""The service's GraphQL schema (``schema.as_str()`` is ``schema/schema.graphql``)."""
