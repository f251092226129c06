"""Client network: the ego graph around a client, as an account manager explores it.

Question ``clientNetwork(node, depth, relationshipTypes)``: the nodes and relationships
within ``depth`` hops of ``node``, ignoring direction, bounded by the node budget
``Settings.max_network_nodes`` (the answer is then ``truncated``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from graph_service.config import Settings
from graph_service.errors import InvalidInputError
from graph_service.linkage import traversal
from graph_service.linkage.question import Cost, CostArguments, Doc, Outside, Question, one_by_one
from graph_service.model import LINKAGE_TYPES, NodeKey, RelationshipType
from graph_service.stores.base import GraphStore, Subgraph

RelationshipTypes = Annotated[
    tuple[RelationshipType, ...] | None,
    Doc(
        "Relationship types to follow; when omitted, the linkage types (EMPLOYED_BY, "
        "SHAREHOLDER_OF, OWNS, MANAGES, GUARANTEES, TRANSFERRED_TO) and the referrals' and "
        "contacts' (REFERS, REFERRED_TO, CONTACTED, LOGGED_BY): loan, withdrawal and "
        "sign-in relationships only when named."
    ),
]
"""The ``relationshipTypes`` argument of the traversals."""


def relationship_filter(rel_types: Sequence[str] | None) -> tuple[str, ...]:
    """Relationship types to traverse, as text, each once: :data:`LINKAGE_TYPES` for ``None``.

    Raises
    ------
    InvalidInputError
        If the list is empty (an empty filter would answer nothing, always a mistake).
    """
    if rel_types is None:
        return LINKAGE_TYPES
    if not rel_types:
        raise InvalidInputError("relationshipTypes must name at least one type")
    return tuple(dict.fromkeys(RelationshipType(t).value for t in rel_types))


@dataclass(frozen=True, slots=True)
class NetworkArgs:
    """Arguments of ``clientNetwork``.

    Attributes
    ----------
    node : (label, id)
        The start node.
    depth : int
        Hops from ``node``, 1 to ``Settings.max_network_depth``.
    relationship_types : tuple of str, optional
        Relationship types to traverse;
        the linkage types (:data:`~graph_service.model.LINKAGE_TYPES`) when ``None``.
    """

    node: NodeKey
    depth: Annotated[int, Doc("Hops, 1 to GRAPH_SERVICE_MAX_NETWORK_DEPTH.")] = 1
    relationship_types: RelationshipTypes = None


def validate(args: NetworkArgs, settings: Settings) -> NetworkArgs:
    """``args`` with the relationship types resolved.

    Raises
    ------
    InvalidInputError
        If ``depth`` is outside 1..``max_network_depth`` or the types are an empty list.
    """
    cap = settings.max_network_depth
    if not 1 <= args.depth <= cap:
        raise InvalidInputError(f"depth must be between 1 and {cap}, got {args.depth}")
    types = relationship_filter(args.relationship_types)
    return NetworkArgs(args.node, args.depth, tuple(RelationshipType(t) for t in types))


def subjects(args: NetworkArgs) -> tuple[NodeKey, ...]:
    """The start node."""
    return (args.node,)


async def rule(store: GraphStore, settings: Settings, args: NetworkArgs) -> Subgraph:
    """The bounded ego graph of ``args.node``.

    Nodes in breadth-first order (start first, then by hop distance, ties by
    ``(label, id)``), the relationships among them, and whether the budget cut it short.
    """
    types = tuple(t.value for t in args.relationship_types or ())
    return await traversal.client_network(
        store, args.node, args.depth, types, settings.max_network_nodes
    )


def cost(arguments: CostArguments, settings: Settings) -> Cost:
    """Price one ``clientNetwork``: up to ``max_network_nodes`` nodes.

    Base ``max_network_nodes * depth`` (depth clamped to 1..``max_network_depth``), the
    breadth-first expansion.
    """
    depth = max(1, min(arguments.integer("depth") or 1, settings.max_network_depth))
    nodes = settings.max_network_nodes
    return Cost(base=nodes * depth, nodes=nodes)


QUESTION = Question(
    name="client_network",
    description="The nodes and relationships within `depth` hops of a node, ignoring "
    "direction, bounded by GRAPH_SERVICE_MAX_NETWORK_NODES.",
    arguments=NetworkArgs,
    answer=Subgraph,
    validate=validate,
    subjects=subjects,
    batch=one_by_one(rule),
    outside=Outside.MASKED,
    cost=cost,
)
"""``clientNetwork``."""
