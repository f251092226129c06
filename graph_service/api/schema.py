"""The GraphQL schema: lookups by id and the linkage queries.

Each root resolver parses its arguments, calls one domain query of
:mod:`graph_service.linkage`, then pages and formats the answer. ``schema`` is the one
schema object; the HTTP app and the CLI both execute documents against it, with a context
from :func:`graph_service.api.context.make_context`.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from graph_service.api.context import when_loaded
from graph_service.api.extensions import EXTENSIONS, log_unexpected
from graph_service.api.pagination import PageArgs
from graph_service.api.types import (
    Account,
    After,
    ClientNetwork,
    Enterprise,
    First,
    GraphInfo,
    GraphNode,
    GraphRelationship,
    LinkagePath,
    Manager,
    NodeRef,
    PayrollCoverage,
    Person,
    PersonConnection,
    ProductTypes,
    as_type,
)
from graph_service.errors import NotFoundError
from graph_service.linkage.coverage import uncovered_employees
from graph_service.linkage.network import client_network
from graph_service.linkage.paths import linkage_paths
from graph_service.linkage.private_banking import executives_without_private_banking
from graph_service.model import NodeLabel, RelationshipType
from graph_service.stores.base import Node

_PERSON = NodeLabel.PERSON.value

RelTypes = Annotated[
    list[RelationshipType] | None,
    strawberry.argument(description="Relationship types to follow; all when omitted."),
]


def _types(rel_types: list[RelationshipType] | None) -> list[str] | None:
    return None if rel_types is None else [t.value for t in rel_types]


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
class Query:
    """The root query type."""

    @strawberry.field(description="An enterprise by id; NOT_FOUND error if none.")
    async def enterprise(self, info: GraphInfo, id: strawberry.ID) -> Enterprise | None:
        """Look up an enterprise."""
        return await _lookup(info, NodeLabel.ENTERPRISE, id)

    @strawberry.field(description="A person by id; NOT_FOUND error if none.")
    async def person(self, info: GraphInfo, id: strawberry.ID) -> Person | None:
        """Look up a person."""
        return await _lookup(info, NodeLabel.PERSON, id)

    @strawberry.field(description="An account by id; NOT_FOUND error if none.")
    async def account(self, info: GraphInfo, id: strawberry.ID) -> Account | None:
        """Look up an account."""
        return await _lookup(info, NodeLabel.ACCOUNT, id)

    @strawberry.field(description="An account manager by id; NOT_FOUND error if none.")
    async def manager(self, info: GraphInfo, id: strawberry.ID) -> Manager | None:
        """Look up an account manager."""
        return await _lookup(info, NodeLabel.MANAGER, id)

    @strawberry.field(
        description="Employees (any role) of the enterprise who own no active payroll "
        "product (productTypes overrides the configured list), by id."
    )
    async def uncovered_employees(
        self,
        info: GraphInfo,
        enterprise_id: strawberry.ID,
        product_types: ProductTypes = None,
        first: First = None,
        after: After = None,
    ) -> PersonConnection:
        """See :func:`graph_service.linkage.coverage.uncovered_employees`."""
        ctx = info.context
        page = PageArgs.parse(first, after, ctx.settings, PersonConnection.labels)
        ids = await uncovered_employees(ctx.store, ctx.rules, str(enterprise_id), product_types)
        return await PersonConnection.of_ids(info, _PERSON, ids, page)

    @strawberry.field(
        description="Executives (of one enterprise, or of all, each once) who are not "
        "private-banking customers, by id."
    )
    async def executives_without_private_banking(
        self,
        info: GraphInfo,
        enterprise_id: strawberry.ID | None = None,
        first: First = None,
        after: After = None,
    ) -> PersonConnection:
        """See :func:`graph_service.linkage.private_banking.executives_without_private_banking`."""
        ctx = info.context
        page = PageArgs.parse(first, after, ctx.settings, PersonConnection.labels)
        enterprise = None if enterprise_id is None else str(enterprise_id)
        ids = await executives_without_private_banking(ctx.store, ctx.rules, enterprise)
        return await PersonConnection.of_ids(info, _PERSON, ids, page)

    @strawberry.field(
        description="Payroll coverage of an enterprise's employees (productTypes overrides "
        "the configured payroll products, as in uncoveredEmployees)."
    )
    def payroll_coverage(
        self,
        info: GraphInfo,
        enterprise_id: strawberry.ID,
        product_types: ProductTypes = None,
    ) -> PayrollCoverage:
        """See :func:`graph_service.linkage.coverage.payroll_coverage`.

        Batched: the enterprise is checked through the node loader, then measured through
        the coverage loader, so the many copies of this field in one request (or in one
        chunk of the bulk path) make one store call each. Answered at once when both
        loaders already hold the enterprise (:func:`when_loaded`).
        """
        loader = info.context.coverage_with(product_types)  # validates productTypes first
        key = str(enterprise_id)

        def measure(node: Node | None) -> Any:
            if node is None:
                raise NotFoundError(NodeLabel.ENTERPRISE.value, key)
            return when_loaded(loader.load(key), PayrollCoverage.of)

        return cast(PayrollCoverage, when_loaded(
            info.context.nodes(NodeLabel.ENTERPRISE.value).load(key), measure
        ))

    @strawberry.field(
        description="The nodes and relationships within `depth` hops of a node, ignoring "
        "direction, bounded by GRAPH_SERVICE_MAX_NETWORK_NODES."
    )
    async def client_network(
        self,
        info: GraphInfo,
        node: NodeRef,
        depth: Annotated[
            int, strawberry.argument(description="Hops, 1 to GRAPH_SERVICE_MAX_NETWORK_DEPTH.")
        ] = 1,
        relationship_types: RelTypes = None,
    ) -> ClientNetwork:
        """See :func:`graph_service.linkage.network.client_network`."""
        settings = info.context.settings
        subgraph = await client_network(
            info.context.store,
            node.key,
            depth,
            _types(relationship_types),
            max_depth=settings.max_network_depth,
            max_nodes=settings.max_network_nodes,
        )
        return ClientNetwork(
            nodes=[GraphNode.of(n) for n in subgraph.nodes],
            relationships=[GraphRelationship.of(r) for r in subgraph.relationships],
            truncated=subgraph.truncated,
        )

    @strawberry.field(
        description="Shortest paths between two nodes, ignoring direction; empty when they "
        "are not linked within maxHops."
    )
    async def linkage_paths(
        self,
        info: GraphInfo,
        from_: Annotated[NodeRef, strawberry.argument(name="from")],
        to: NodeRef,
        relationship_types: RelTypes = None,
        max_hops: Annotated[
            int, strawberry.argument(description="Longest path, 1 to GRAPH_SERVICE_MAX_PATH_HOPS.")
        ] = 6,
        limit: Annotated[
            int, strawberry.argument(description="Most paths, 1 to GRAPH_SERVICE_MAX_PATHS.")
        ] = 1,
    ) -> list[LinkagePath]:
        """See :func:`graph_service.linkage.paths.linkage_paths`."""
        settings = info.context.settings
        paths = await linkage_paths(
            info.context.store,
            from_.key,
            to.key,
            _types(relationship_types),
            max_hops,
            limit,
            hop_cap=settings.max_path_hops,
            limit_cap=settings.max_paths,
        )
        return [
            LinkagePath(
                length=path.length,
                nodes=[GraphNode.of(n) for n in path.nodes],
                relationships=[GraphRelationship.of(r) for r in path.relationships],
            )
            for path in paths
        ]


class GraphServiceSchema(strawberry.Schema):
    """A strawberry schema that logs only unexpected errors (see :mod:`.extensions`)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log the errors that are faults of the service, not of the request."""
        log_unexpected(errors)


schema: strawberry.Schema = GraphServiceSchema(query=Query, extensions=EXTENSIONS)
"""The service's GraphQL schema (``schema.as_str()`` is ``schema/schema.graphql``)."""
