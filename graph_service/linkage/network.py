"""Client network: the ego graph around a client, as an account manager explores it."""

from __future__ import annotations

from collections.abc import Sequence

from graph_service.errors import InvalidInputError
from graph_service.linkage import traversal
from graph_service.linkage.lookup import get_node
from graph_service.model import NodeKey, RelationshipType
from graph_service.stores.base import GraphStore, Subgraph

ALL_RELATIONSHIP_TYPES: tuple[str, ...] = tuple(t.value for t in RelationshipType)


def relationship_filter(rel_types: Sequence[str] | None) -> tuple[str, ...]:
    """Relationship types to traverse: all of them for ``None``.

    Raises
    ------
    InvalidInputError
        If the list is empty (an empty filter would answer nothing, always a mistake).
    """
    if rel_types is None:
        return ALL_RELATIONSHIP_TYPES
    if not rel_types:
        raise InvalidInputError("relationshipTypes must name at least one type")
    return tuple(dict.fromkeys(rel_types))


async def client_network(
    store: GraphStore,
    start: NodeKey,
    depth: int = 1,
    rel_types: Sequence[str] | None = None,
    *,
    max_depth: int,
    max_nodes: int,
) -> Subgraph:
    """The nodes and relationships within ``depth`` hops of ``start``, ignoring direction.

    Parameters
    ----------
    store : GraphStore
    start : (label, id)
    depth : int
        Hops from ``start``, 1 to ``max_depth``.
    rel_types : sequence of str, optional
        Relationship types to traverse; all when ``None``.
    max_depth : int
        Largest accepted ``depth`` (setting ``max_network_depth``).
    max_nodes : int
        Node budget; the answer is ``truncated`` beyond it (setting ``max_network_nodes``).

    Returns
    -------
    Subgraph
        Nodes in breadth-first order (start first), the relationships among them, and
        whether the budget truncated it.

    Raises
    ------
    NotFoundError
        If ``start`` does not exist.
    InvalidInputError
        If ``depth`` is outside 1..``max_depth`` or ``rel_types`` is empty.
    """
    if not 1 <= depth <= max_depth:
        raise InvalidInputError(f"depth must be between 1 and {max_depth}, got {depth}")
    types = relationship_filter(rel_types)
    await get_node(store, start)
    return await traversal.client_network(store, start, depth, types, max_nodes)
