"""Influence: PageRank over shareholding, per enterprise and person.

Rule (``queries/influence.md``): the graph whose nodes are the enterprises and persons at an
end of a ``SHAREHOLDER_OF`` relationship and whose edges run holder -> held, weighted by the
relationship's ``ratio`` (the share held, 0 to 1); each node's score is its PageRank
(:func:`networkx.pagerank`: damping ``alpha`` 0.85, networkx's default, the classic value
of Brin and Page; a node holding nothing, or only zero ratios, spreads its score evenly over
every node; iterated to 1e-10 per node; the scores sum to 1). A score measures how much
ownership flows into a node through its holders and their own holders: held enterprises
rank high, a person (who is never held) scores the base share only. Listed: the nodes of
the requested ``labels`` (both by default), by score, highest first, then by id, then label.

Question ``influence(labels)``, a ranked connection, for analysts and admins
(:mod:`.analytics`); a person's node is masked for an analyst, as everywhere. Generic rule
only, the same on every store: every ``SHAREHOLDER_OF`` read once
(:meth:`~graph_service.stores.base.GraphStore.relationships_of_types`), then
:func:`networkx.pagerank` (on SciPy's sparse matrices).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from graph_service.config import Settings
from graph_service.errors import InvalidInputError
from graph_service.linkage.analytics import (
    analytics_question,
    digraph,
    in_worker,
    read_nodes,
    release_graph,
)
from graph_service.linkage.question import Doc, NodeOf, Order, Question, Ranked
from graph_service.model import NodeKey, NodeLabel, RelationshipType
from graph_service.stores.base import GraphStore, Node, Relationship

if TYPE_CHECKING:
    import networkx as nx

_ENTERPRISE, _PERSON = NodeLabel.ENTERPRISE.value, NodeLabel.PERSON.value
SHAREHOLDINGS = frozenset({RelationshipType.SHAREHOLDER_OF.value})
ALPHA = 0.85
"""PageRank's damping factor: networkx's default."""
TOLERANCE = 1e-10
"""Convergence of the power iteration, per node (networkx's default 1e-6 leaves scores
about 1e-5 from the limit, which can swap near ties)."""
MAX_ITERATIONS = 1_000
"""Iterations allowed: the error shrinks by ``ALPHA`` each, so about 150 reach
:data:`TOLERANCE`."""


class PartyLabel(StrEnum):
    """A label of the parties that hold shares: enterprise or person."""

    ENTERPRISE = _ENTERPRISE
    PERSON = _PERSON


@dataclass(frozen=True, slots=True)
class InfluenceArgs:
    """Arguments of ``influence``.

    Attributes
    ----------
    labels : tuple of PartyLabel, optional
        The labels listed; both when omitted.
    """

    labels: Annotated[
        tuple[PartyLabel, ...] | None, Doc("The labels listed; both when omitted.")
    ] = None


@dataclass(frozen=True, slots=True)
class Influence:
    """An enterprise's or person's PageRank over shareholding."""

    node: Annotated[Node, Doc("The enterprise or person."), NodeOf(_ENTERPRISE, _PERSON)]
    score: Annotated[float, Doc("PageRank, 0 to 1; the scores of every node sum to 1.")]


def validate(args: InfluenceArgs, settings: Settings) -> InfluenceArgs:
    """``args`` with ``labels`` resolved (both when omitted), sorted, each once.

    Raises
    ------
    InvalidInputError
        If ``labels`` is an empty list.
    """
    if args.labels is None:
        return InfluenceArgs(tuple(PartyLabel))
    if not args.labels:
        raise InvalidInputError("labels must name at least one of ENTERPRISE, PERSON")
    return InfluenceArgs(tuple(sorted(set(args.labels))))


def scores(graph: nx.DiGraph) -> dict[NodeKey, float]:
    """PageRank of each node of ``graph`` (edge attribute ``weight``), alpha :data:`ALPHA`.

    :func:`networkx.pagerank`: power iteration to :data:`TOLERANCE` per node.
    """
    import networkx as nx  # on first use (graph_service.linkage.analytics)

    if graph.number_of_nodes() == 0:
        return {}
    found: dict[NodeKey, float] = nx.pagerank(
        graph, alpha=ALPHA, weight="weight", tol=TOLERANCE, max_iter=MAX_ITERATIONS
    )
    return found


def rank(found: tuple[NodeKey, float]) -> tuple[float, str, str]:
    """Sort key of a ``(node key, score)``: score, highest first (``-score``), then id, label."""
    (label, node_id), score = found
    return (-score, node_id, label)


def ranked_scores(shareholdings: list[Relationship]) -> list[tuple[NodeKey, float]]:
    """The :func:`scores` of the graph of ``shareholdings``, in the ranking's order.

    The graph (:func:`~.analytics.digraph`, weighted by ``ratio``) is released at the end
    (:func:`~.analytics.release_graph`). Sorted by :func:`rank`.
    """
    graph = digraph(shareholdings, weight="ratio")
    try:
        return sorted(scores(graph).items(), key=rank)
    finally:
        release_graph(graph)


async def generic(
    store: GraphStore, settings: Settings, many: Sequence[InfluenceArgs]
) -> list[Ranked[Influence]]:
    """Each answer: the scores computed once for the batch, then filtered by label.

    The graph and its scores are computed in a worker thread (:func:`~.analytics.in_worker`).
    """
    rels = await store.relationships_of_types(SHAREHOLDINGS)
    found = await in_worker(ranked_scores, rels)
    nodes = await read_nodes(store, [key for key, _ in found])
    everyone = [(Influence(nodes[key], score), rank((key, score)))
                for key, score in found if key in nodes]  # fmt: skip
    answers = []
    for args in many:
        chosen = [entry for entry in everyone if entry[0].node.label in (args.labels or ())]
        answers.append(Ranked([item for item, _ in chosen], [key for _, key in chosen]))
    return answers


QUESTION: Question[InfluenceArgs, Any] = analytics_question(
    name="influence",
    description="PageRank over shareholding (holder -> held, weighted by ratio; alpha 0.85) "
    "of the enterprises and persons holding or held, highest first, then by id; persons "
    "masked for analysts.",
    arguments=InfluenceArgs,
    item=Influence,
    order=Order("score-id-label", (float, str, str)),
    batch=generic,
    validate=validate,
)
"""``influence``: by score, highest first (the key holds ``-score``), then id and label."""
