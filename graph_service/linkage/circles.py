"""Guarantee circles: enterprises guaranteeing each other round a cycle.

Rule (``queries/guarantee-circles.md``): a circle is a simple cycle of ``GUARANTEES``
relationships between enterprises (E1 guarantees E2, ..., Ek guarantees E1, each enterprise
once), of at most ``maxLength`` relationships; a self-guarantee is a circle of length 1.
Mutual-guarantee circles are a known credit-risk pattern: one default runs round the circle.
Each circle is listed once, its members in guarantee order starting at its smallest id;
circles are ranked by length, then by their members' ids in that order.

Question ``guaranteeCircles(maxLength)``, a ranked connection, for analysts and admins
(:mod:`.analytics`). ``maxLength`` (default :data:`DEFAULT_MAX_LENGTH`) is at most
``GRAPH_SERVICE_MAX_CIRCLE_LENGTH``: the number of circles can grow exponentially with it.
Generic rule only, the same on every store: the enterprise-to-enterprise ``GUARANTEES`` read
once (:meth:`~graph_service.stores.base.GraphStore.relationships_of_types`), then
:func:`networkx.simple_cycles` with ``length_bound`` (networkx 3.1 and later).

A dense cluster of guarantees holds a great many circles: 16 enterprises all guaranteeing
each other hold 1,077,952 of at most 6, whose report took 20 to 30 s and 600 MB (a review,
2026-12-05). So the search stops past ``GRAPH_SERVICE_MAX_CIRCLES`` (10,000, as a search's
matches; reached there within 0.1 s) and the question is refused with ``BAD_USER_INPUT``,
rather than listing some of the circles as if they were all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from graph_service.config import Settings
from graph_service.errors import InvalidInputError
from graph_service.linkage.analytics import (
    analytics_question,
    between,
    in_worker,
    read_nodes,
    release_graph,
)
from graph_service.linkage.question import Doc, NodeOf, Order, Question, Ranked
from graph_service.model import NodeLabel, RelationshipType
from graph_service.stores.base import GraphStore, Node

if TYPE_CHECKING:
    import networkx as nx

_ENTERPRISE = NodeLabel.ENTERPRISE.value
GUARANTEES = frozenset({RelationshipType.GUARANTEES.value})
DEFAULT_MAX_LENGTH = 4
"""``maxLength`` when omitted."""
SEPARATOR = "\x00"
"""Joins a circle's member ids in its sort key: below every character of an id, so the
joined text sorts as the list of ids does (circles of one length)."""


@dataclass(frozen=True, slots=True)
class CirclesArgs:
    """Arguments of ``guaranteeCircles``.

    Attributes
    ----------
    max_length : int
        Longest circle listed, in relationships, 1 to ``max_circle_length``.
    """

    max_length: Annotated[
        int, Doc("Longest circle listed, in relationships; 1 to "
                 "GRAPH_SERVICE_MAX_CIRCLE_LENGTH (default 6).")  # fmt: skip
    ] = DEFAULT_MAX_LENGTH


@dataclass(frozen=True, slots=True)
class GuaranteeCircle:
    """Enterprises each guaranteeing the next, the last the first."""

    members: Annotated[
        list[Annotated[Node, NodeOf(_ENTERPRISE)]],
        Doc("In guarantee order (each guarantees the next, the last the first), from the "
            "smallest id."),  # fmt: skip
    ]
    length: Annotated[int, Doc("Number of GUARANTEES relationships (= members).")]


def validate(args: CirclesArgs, settings: Settings) -> CirclesArgs:
    """``args`` unchanged.

    Raises
    ------
    InvalidInputError
        If ``maxLength`` is outside 1 to ``settings.max_circle_length``.
    """
    if not 1 <= args.max_length <= settings.max_circle_length:
        raise InvalidInputError(
            f"maxLength must be between 1 and {settings.max_circle_length}, "
            f"got {args.max_length}"
        )
    return args


def circle_key(circle: GuaranteeCircle) -> tuple[int, str]:
    """Sort key: length, then the member ids in order (joined by :data:`SEPARATOR`)."""
    return (circle.length, SEPARATOR.join(n.id for n in circle.members))


def cycles(graph: nx.DiGraph, max_length: int, limit: int) -> list[list[str]]:
    """Each simple cycle of at most ``max_length`` nodes once, as ids from the smallest.

    :func:`networkx.simple_cycles` with ``length_bound`` (each cycle once; Johnson's
    algorithm with Gupta and Suzumura's bound).

    Raises
    ------
    InvalidInputError
        If there are more than ``limit`` cycles (the search stops at the first beyond).
    """
    import networkx as nx  # on first use (graph_service.linkage.analytics)

    found: list[list[str]] = []
    for cycle in nx.simple_cycles(graph, length_bound=max_length):
        if len(found) == limit:
            raise InvalidInputError(
                f"more than {limit:,} guarantee circles of at most {max_length} enterprises "
                "(GRAPH_SERVICE_MAX_CIRCLES): ask a smaller maxLength"
            )
        ids = [key[1] for key in cycle]
        first = ids.index(min(ids))
        found.append(ids[first:] + ids[:first])
    return found


async def generic(
    store: GraphStore, settings: Settings, many: Sequence[CirclesArgs]
) -> list[Ranked[GuaranteeCircle]]:
    """Each answer: the graph read once for the batch, its cycles once per ``maxLength``.

    Only the circles' members are read as nodes (a few hundred of the thousands of
    enterprises guaranteeing or guaranteed at one million people).
    """
    graph = await between(store, GUARANTEES, _ENTERPRISE)
    found = {bound: await in_worker(cycles, graph, bound, settings.max_circles)
             for bound in dict.fromkeys(args.max_length for args in many)}  # fmt: skip
    release_graph(graph)
    members = {(_ENTERPRISE, i) for circles in found.values() for ids in circles for i in ids}
    nodes = await read_nodes(store, sorted(members))
    by_length = {
        bound: Ranked.sort([GuaranteeCircle([nodes[(_ENTERPRISE, i)] for i in ids], len(ids))
                            for ids in circles], circle_key)  # fmt: skip
        for bound, circles in found.items()
    }
    return [by_length[args.max_length] for args in many]


QUESTION: Question[CirclesArgs, Any] = analytics_question(
    name="guarantee_circles",
    description="Circles of enterprises guaranteeing each other (simple cycles of GUARANTEES "
    "between enterprises, at most maxLength long), each once from its smallest id, by "
    "length, then ids. BAD_USER_INPUT error for a maxLength outside 1 to "
    "GRAPH_SERVICE_MAX_CIRCLE_LENGTH.",
    arguments=CirclesArgs,
    item=GuaranteeCircle,
    order=Order("length-ids", (int, str)),
    batch=generic,
    validate=validate,
)
"""``guaranteeCircles``: by length, then member ids."""
