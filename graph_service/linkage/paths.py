"""Linkage paths: how an account manager, client or prospect is linked to another.

Question ``linkagePaths(from, to, relationshipTypes, maxHops, limit)``: shortest paths
between two nodes, ignoring relationship direction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from graph_service.config import Settings
from graph_service.errors import InvalidInputError
from graph_service.linkage import traversal
from graph_service.linkage.network import RelationshipTypes, relationship_filter
from graph_service.linkage.question import (
    PATH_SEARCH_COST,
    Cost,
    CostArguments,
    Doc,
    Outside,
    Question,
    one_by_one,
)
from graph_service.model import NodeKey, RelationshipType
from graph_service.stores.base import GraphStore, Path


@dataclass(frozen=True, slots=True)
class PathsArgs:
    """Arguments of ``linkagePaths``.

    Attributes
    ----------
    start, end : (label, id)
        The two nodes (published ``from`` and ``to``).
    relationship_types : tuple of str, optional
        Relationship types a path may use;
        the linkage types (:data:`~graph_service.model.LINKAGE_TYPES`) when ``None``.
    max_hops : int
        Longest path considered, 1 to ``Settings.max_path_hops`` (6: "six degrees").
    limit : int
        Most paths returned, 1 to ``Settings.max_paths``.
    """

    start: Annotated[NodeKey, Doc(name="from")]
    end: Annotated[NodeKey, Doc(name="to")]
    relationship_types: RelationshipTypes = None
    max_hops: Annotated[int, Doc("Longest path, 1 to GRAPH_SERVICE_MAX_PATH_HOPS.")] = 6
    limit: Annotated[int, Doc("Most paths, 1 to GRAPH_SERVICE_MAX_PATHS.")] = 1


def validate(args: PathsArgs, settings: Settings) -> PathsArgs:
    """``args`` with the relationship types resolved.

    Raises
    ------
    InvalidInputError
        If ``max_hops`` or ``limit`` is out of range or the types are an empty list.
    """
    hop_cap, limit_cap = settings.max_path_hops, settings.max_paths
    if not 1 <= args.max_hops <= hop_cap:
        raise InvalidInputError(f"maxHops must be between 1 and {hop_cap}, got {args.max_hops}")
    if not 1 <= args.limit <= limit_cap:
        raise InvalidInputError(f"limit must be between 1 and {limit_cap}, got {args.limit}")
    types = tuple(RelationshipType(t) for t in relationship_filter(args.relationship_types))
    return PathsArgs(args.start, args.end, types, args.max_hops, args.limit)


def subjects(args: PathsArgs) -> tuple[NodeKey, ...]:
    """The two nodes, start first."""
    return (args.start, args.end)


async def rule(store: GraphStore, settings: Settings, args: PathsArgs) -> list[Path]:
    """Up to ``limit`` shortest paths, all of the same length, ignoring direction.

    Empty when the two are not linked within ``max_hops``. Ordered hop by hop from
    ``start``, each hop by the next node's key, then the relationship's type, then its
    direction (parallel relationships are distinct paths, as in Cypher's
    ``allShortestPaths``).
    """
    types = tuple(t.value for t in args.relationship_types or ())
    return await traversal.shortest_paths(
        store, args.start, args.end, types, args.max_hops, args.limit
    )


def cost(arguments: CostArguments, settings: Settings) -> Cost:
    """Price one ``linkagePaths``: ``limit`` paths of up to ``maxHops + 1`` nodes.

    Both clamped to their caps; base :data:`~graph_service.linkage.question.PATH_SEARCH_COST`.
    """
    limit = max(1, min(arguments.integer("limit") or 1, settings.max_paths))
    hops = max(1, min(arguments.integer("max_hops") or 1, settings.max_path_hops))
    return Cost(base=PATH_SEARCH_COST, nodes=limit * (hops + 1), multiplier=limit)


QUESTION = Question(
    name="linkage_paths",
    description="Shortest paths between two nodes, ignoring direction; empty when they are "
    "not linked within maxHops.",
    arguments=PathsArgs,
    answer=list[Path],
    validate=validate,
    subjects=subjects,
    batch=one_by_one(rule),
    outside=Outside.MASKED,
    cost=cost,
)
"""``linkagePaths``."""
