"""Linkage paths: how an account manager, client or prospect is linked to another."""

from __future__ import annotations

from collections.abc import Sequence

from graph_service.errors import InvalidInputError
from graph_service.linkage import traversal
from graph_service.linkage.lookup import get_node
from graph_service.linkage.network import relationship_filter
from graph_service.model import NodeKey
from graph_service.stores.base import GraphStore, Path


async def linkage_paths(
    store: GraphStore,
    start: NodeKey,
    end: NodeKey,
    rel_types: Sequence[str] | None = None,
    max_hops: int = 6,
    limit: int = 1,
    *,
    hop_cap: int,
    limit_cap: int,
) -> list[Path]:
    """Shortest paths between two nodes, ignoring relationship direction.

    Parameters
    ----------
    store : GraphStore
    start, end : (label, id)
    rel_types : sequence of str, optional
        Relationship types a path may use; all when ``None``.
    max_hops : int
        Longest path considered, 1 to ``hop_cap`` hops (6 by default: "six degrees").
    limit : int
        Most paths returned, 1 to ``limit_cap``; all are of the same, shortest length.
    hop_cap, limit_cap : int
        Settings ``max_path_hops`` and ``max_paths``.

    Returns
    -------
    list of Path
        Empty when the two are not linked within ``max_hops``; ordered hop by hop from
        ``start``, each hop by the next node's key, then the relationship's type, then its
        direction (parallel relationships are distinct paths, as in Cypher's
        ``allShortestPaths``).

    Raises
    ------
    NotFoundError
        If ``start`` or ``end`` does not exist.
    InvalidInputError
        If ``max_hops`` or ``limit`` is out of range or ``rel_types`` is empty.
    """
    if not 1 <= max_hops <= hop_cap:
        raise InvalidInputError(f"maxHops must be between 1 and {hop_cap}, got {max_hops}")
    if not 1 <= limit <= limit_cap:
        raise InvalidInputError(f"limit must be between 1 and {limit_cap}, got {limit}")
    types = relationship_filter(rel_types)
    await get_node(store, start)
    await get_node(store, end)
    return await traversal.shortest_paths(store, start, end, types, max_hops, limit)
