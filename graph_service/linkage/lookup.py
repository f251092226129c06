"""Reading nodes and their relationships by label and id."""

from __future__ import annotations

from graph_service.errors import NotFoundError
from graph_service.model import NodeKey
from graph_service.stores.base import GraphStore, Node


async def get_node(store: GraphStore, key: NodeKey) -> Node:
    """Return the node ``key = (label, id)``.

    Raises
    ------
    NotFoundError
        If no such node is stored.
    """
    label, node_id = key
    (node,) = await store.get_nodes(label, [node_id])
    if node is None:
        raise NotFoundError(label, node_id)
    return node
