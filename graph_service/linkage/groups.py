"""Enterprise groups: enterprises linked by shareholding or guarantees, with their staff.

Rule (``queries/enterprise-groups.md``): the groups are the weakly connected components, of
at least two enterprises, of the graph whose nodes are enterprises and whose relationships
are the ``SHAREHOLDER_OF`` and ``GUARANTEES`` relationships from one enterprise to another
(direction ignored; persons' shareholdings and guarantees do not link enterprises here).
Each group lists its members (by id), its ``staff`` (the sum over its members of their
employees, ``EMPLOYED_BY`` any role: a person employed by two members counts in each) and its
payroll coverage (the members' ``payrollCoverage`` figures summed, with the configured
payroll products, as ``coverageRollup`` sums them). Groups are ranked by size, largest
first, then by their smallest member id.

Question ``enterpriseGroups``, a ranked connection, for analysts and admins
(:mod:`.analytics`). Generic rule only, the same on every store: the enterprise-to-enterprise
relationships read once (:meth:`~graph_service.stores.base.GraphStore.
relationships_of_types`), :func:`networkx.weakly_connected_components`, then the members'
coverage through :mod:`.coverage` (its pushdown where the store has one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from graph_service.config import Settings
from graph_service.linkage.analytics import (
    analytics_question,
    between,
    in_worker,
    read_nodes,
    release_graph,
)
from graph_service.linkage.coverage import payroll_coverage
from graph_service.linkage.question import Doc, NodeOf, Order, Question, Ranked
from graph_service.model import NodeLabel, RelationshipType
from graph_service.stores.base import GraphStore, Node

if TYPE_CHECKING:
    import networkx as nx

_ENTERPRISE = NodeLabel.ENTERPRISE.value
LINKS = frozenset({RelationshipType.SHAREHOLDER_OF.value, RelationshipType.GUARANTEES.value})
"""The relationships between two enterprises that link them into a group."""


@dataclass(frozen=True, slots=True)
class GroupsArgs:
    """Arguments of ``enterpriseGroups``: none (the whole book)."""


@dataclass(frozen=True, slots=True)
class EnterpriseGroup:
    """Enterprises linked by shareholding or guarantees, and their staff's payroll coverage."""

    members: Annotated[
        list[Annotated[Node, NodeOf(_ENTERPRISE)]], Doc("The group's enterprises, by id.")
    ]
    size: Annotated[int, Doc("Number of enterprises, at least 2.")]
    staff: Annotated[int, Doc("Employees of its members, summed (a person in each employer).")]
    covered: Annotated[int, Doc("Those of them covered by a payroll product, summed.")]
    rate: Annotated[float | None, Doc("covered / staff, 0 to 1; null without staff.")]


def group_key(group: EnterpriseGroup) -> tuple[int, str]:
    """Sort key: size, largest first, then smallest member id."""
    return (-group.size, group.members[0].id)


def components(graph: nx.DiGraph) -> list[list[str]]:
    """The member ids of each weakly connected component of at least 2 nodes, each sorted.

    O(nodes + edges) (:func:`networkx.weakly_connected_components`).
    """
    import networkx as nx  # on first use (graph_service.linkage.analytics)

    return [sorted(key[1] for key in found)
            for found in nx.weakly_connected_components(graph) if len(found) >= 2]  # fmt: skip


async def generic(
    store: GraphStore, settings: Settings, many: Sequence[GroupsArgs]
) -> list[Ranked[EnterpriseGroup]]:
    """The book's groups, computed once for the batch."""
    graph = await between(store, LINKS, _ENTERPRISE)
    found = await in_worker(components, graph)
    release_graph(graph)
    ids = [i for members in found for i in members]
    nodes = await read_nodes(store, [(_ENTERPRISE, i) for i in ids])
    coverage = dict(zip(ids, await payroll_coverage(store, settings, ids), strict=True))
    groups = []
    for members in found:
        staff = sum(coverage[i].employees for i in members)
        covered = sum(coverage[i].covered for i in members)
        groups.append(EnterpriseGroup(
            members=[nodes[(_ENTERPRISE, i)] for i in members], size=len(members),
            staff=staff, covered=covered, rate=covered / staff if staff else None,
        ))  # fmt: skip
    ranked = Ranked.sort(groups, group_key)
    return [ranked] * len(many)


QUESTION: Question[GroupsArgs, Any] = analytics_question(
    name="enterprise_groups",
    description="Groups of enterprises linked by shareholding or guarantees between "
    "enterprises (weakly connected components of at least 2), each with its members, staff "
    "and payroll coverage, largest first, then by smallest member id.",
    arguments=GroupsArgs,
    item=EnterpriseGroup,
    order=Order("size-id", (int, str)),
    batch=generic,
)
"""``enterpriseGroups``: by size, largest first (the key holds ``-size``), then smallest
member id."""
