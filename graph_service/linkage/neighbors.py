"""Neighbours: a node's adjacent nodes, one page at a time (the explorer's "expand").

Question ``neighbors(node, relationshipTypes, first, after)``, also the field ``neighbors``
of every node type: each node joined to ``node`` by a relationship of ``relationshipTypes``
(the linkage types when omitted), in either direction, once however many relationships join
them, with those relationships. Ordered by the neighbours' contract
(:meth:`~graph_service.stores.base.GraphStore.neighbors`): by the neighbour's ``(label,
id)``; a neighbour's relationships by type (:data:`~graph_service.stores.base.REL_ORDER`),
then start and end. Paged by versioned cursors, so that a hub's neighbours are read a page at
a time however many it has (Linkurious' supernode threshold is the client's ``first``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from graph_service.config import Settings
from graph_service.linkage.network import RelationshipTypes, relationship_filter
from graph_service.linkage.question import (
    ENTERPRISE_COST,
    Doc,
    NodeField,
    Order,
    Outside,
    Question,
    Ranked,
    Ranking,
    fixed_cost,
)
from graph_service.model import NodeKey, NodeLabel, RelationshipType
from graph_service.stores.base import REL_ORDER, Direction, GraphStore, Node, Relationship


@dataclass(frozen=True, slots=True)
class NeighborsArgs:
    """Arguments of ``neighbors``.

    Attributes
    ----------
    node : (label, id)
        The node whose neighbours are listed.
    relationship_types : tuple of RelationshipType, optional
        Relationship types to follow; the linkage types
        (:data:`~graph_service.model.LINKAGE_TYPES`) when ``None``.
    """

    node: NodeKey
    relationship_types: RelationshipTypes = None


@dataclass(frozen=True, slots=True)
class Neighbor:
    """A node adjacent to the one asked about, and the relationships joining them."""

    node: Annotated[Node, Doc("The neighbour (masked outside the caller's scope).")]
    relationships: Annotated[
        list[Relationship],
        Doc("Every relationship of the followed types joining the two nodes, in its stored "
            "direction, by type, then start and end."),  # fmt: skip
    ]


def validate(args: NeighborsArgs, settings: Settings) -> NeighborsArgs:
    """``args`` with the relationship types resolved, each once.

    Raises
    ------
    InvalidInputError
        If ``relationshipTypes`` is an empty list.
    """
    types = relationship_filter(args.relationship_types)
    return NeighborsArgs(args.node, tuple(RelationshipType(t) for t in types))


def subjects(args: NeighborsArgs) -> tuple[NodeKey, ...]:
    """The node asked about."""
    return (args.node,)


def _rel_key(rel: Relationship) -> tuple[int, NodeKey, NodeKey]:
    return REL_ORDER.get(rel.type, len(REL_ORDER)), rel.start, rel.end


async def batch(
    store: GraphStore, settings: Settings, many: Sequence[NeighborsArgs]
) -> list[Ranked[Neighbor]]:
    """Each node's neighbours by the rule, over the store primitives.

    One :meth:`~graph_service.stores.base.GraphStore.neighbors` call per label, relationship
    type and direction, for every node of the batch with that label and type.
    """
    wanted: dict[tuple[str, str], set[str]] = defaultdict(set)
    for args in many:
        label, node_id = args.node
        for wanted_type in args.relationship_types or ():
            wanted[(label, wanted_type.value)].add(node_id)
    found: dict[tuple[NodeKey, str], list[tuple[Relationship, Node]]] = defaultdict(list)
    for (label, rel_type), ids in wanted.items():
        ordered = sorted(ids)
        for direction in Direction:
            lists = await store.neighbors(label, ordered, rel_type, direction)
            for node_id, pairs in zip(ordered, lists, strict=True):
                found[((label, node_id), rel_type)].extend(pairs)
    answers = []
    for args in many:
        joined: dict[NodeKey, tuple[Node, list[Relationship]]] = {}
        for rel_type in args.relationship_types or ():
            for rel, other in found[(args.node, rel_type.value)]:
                joined.setdefault(other.key, (other, []))[1].append(rel)
        items = [Neighbor(node, sorted({_rel_key(r): r for r in rels}.values(), key=_rel_key))
                 for node, rels in joined.values()]  # fmt: skip
        answers.append(Ranked.sort(items, lambda item: item.node.key))
    return answers


QUESTION = Question(
    name="neighbors",
    description="The nodes joined to `node` by a relationship of `relationshipTypes`, in "
    "either direction, each once with the relationships joining them, by label and id; "
    "NOT_FOUND error if no such node.",
    arguments=NeighborsArgs,
    answer=Ranked,
    ranking=Ranking(order=Order("label-id", (str, str)), item=Neighbor),
    validate=validate,
    subjects=subjects,
    batch=batch,
    outside=Outside.MASKED,
    cost=fixed_cost(ENTERPRISE_COST),
    node_fields=tuple(
        NodeField(label.value, "neighbors", "node",
                  "The nodes joined to this one, as the root field `neighbors` lists them.")
        for label in (NodeLabel.ENTERPRISE, NodeLabel.PERSON, NodeLabel.ACCOUNT,
                      NodeLabel.MANAGER)
    ),
)
"""``neighbors``: the explorer's expand, one page of a hub at a time."""
