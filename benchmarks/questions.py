"""The benchmark's questions: their GraphQL documents and one comparable form of each answer.

Every peer answers the same five questions with the same arguments; each returns the
*normalized* answer below, so the correctness guard compares peers with ``==``:

==================================  ================================================
question                            normalized answer
==================================  ================================================
uncovered_employees                 ``{"total": int, "ids": [first 100 ids by id]}``
executives_without_private_banking  ``{"total": int, "ids": [first 100 ids by id]}``
payroll_coverage                    ``[employees, covered]``
linkage_paths                       the shortest path's length, ``None`` if none
client_network                      ``{"count": int, "truncated": bool, "nodes": ...}``
==================================  ================================================

``client_network`` lists its ``[label, id]`` nodes sorted, or ``None`` when truncated (a
truncated answer depends on the traversal order, which peers need not share).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

PAGE = 100
"""``first`` of the paginated questions."""

MAX_HOPS = 6
"""``maxHops`` of linkagePaths."""

DEPTH = 2
"""``depth`` of clientNetwork."""

MAX_NETWORK_NODES = 500
"""The service's default node budget of clientNetwork (``GRAPH_SERVICE_MAX_NETWORK_NODES``)."""

ROLLUP_GROUP = "BRANCH"
"""The grouping coverageRollup is asked with (once per run: it answers for the whole book)."""
MAX_GROUPS = 1_000
"""The page of ``coverageRollup`` groups asked for: every branch of the generated banks (the
page size's maximum)."""
PAYROLL_PRODUCTS = ["debit card"]
PRIVATE_BANKING_PRODUCTS = ["trust account"]
"""The default linkage rules (``graph_service.rules``), which direct peers spell out."""

_PAGE_FIELDS = "totalCount edges { node { id } }"
_TYPES = "[EMPLOYED_BY, SHAREHOLDER_OF, OWNS, MANAGES, GUARANTEES, TRANSFERRED_TO]"
"""The relationship types the traversals follow: those every peer loads (the bank's
referrals and contacts are our service's alone)."""

DOCUMENTS = {
    "uncovered_employees": "query($e: ID!) { uncoveredEmployees(enterpriseId: $e, "
    f"first: {PAGE}) {{ {_PAGE_FIELDS} }} }}",
    "executives_without_private_banking": "query($e: ID) { executivesWithoutPrivateBanking("
    f"enterpriseId: $e, first: {PAGE}) {{ {_PAGE_FIELDS} }} }}",
    "payroll_coverage": "query($e: ID!) { payrollCoverage(enterpriseId: $e) "
    "{ employees covered uncovered rate } }",
    "linkage_paths": "query($a: ID!, $b: ID!) { linkagePaths(from: {label: PERSON, id: $a}, "
    f"to: {{label: PERSON, id: $b}}, maxHops: {MAX_HOPS}, relationshipTypes: {_TYPES}) "
    "{ length nodes { label id } relationships { type start { id } end { id } } } }",
    "client_network": "query($e: ID!) { clientNetwork(node: {label: ENTERPRISE, id: $e}, "
    f"depth: {DEPTH}, relationshipTypes: {_TYPES}) {{ nodes {{ label id }} "
    "relationships { type start { label id } end { label id } } truncated } }",
    "coverage_rollup": "query($g: RollupGroup!) { coverageRollup(groupBy: $g, "
    f"first: {MAX_GROUPS}) {{ totalCount edges {{ key enterprises employees covered }} }} }}",
}
"""One GraphQL document per question; variables ``e`` (enterprise), ``a``, ``b`` (people) or
``g`` (a ``RollupGroup``)."""

QUESTIONS = tuple(DOCUMENTS)

_LABELS = {"ENTERPRISE": "Enterprise", "PERSON": "Person", "ACCOUNT": "Account",
           "MANAGER": "Manager"}  # fmt: skip


def page(total: int, ids: list[str]) -> dict[str, Any]:
    """The normalized page answer: the total and the first :data:`PAGE` ids in text order."""
    return {"total": total, "ids": sorted(ids)[:PAGE]}


def network(nodes: set[tuple[str, str]]) -> dict[str, Any]:
    """The normalized clientNetwork answer of a peer that found every node within reach.

    Parameters
    ----------
    nodes : set of (label, id)
        Every node within :data:`DEPTH` hops, the start included.
    """
    if len(nodes) > MAX_NETWORK_NODES:
        return {"count": MAX_NETWORK_NODES, "truncated": True, "nodes": None}
    return {"count": len(nodes), "truncated": False, "nodes": sorted(map(list, nodes))}


def rollup(groups: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """The normalized coverageRollup answer, its groups sorted by key.

    One ``[key, enterprises, employees, covered]`` per group; the group of the enterprises
    without a key (``None``) first.
    """
    return sorted((list(g) for g in groups), key=lambda g: (g[0] is not None, g[0] or ""))


def normalize(question: str, data: dict[str, Any]) -> Any:
    """The normalized answer of the service's GraphQL ``data`` for ``question``.

    Raises
    ------
    KeyError
        If ``question`` is unknown.
    """
    if question in ("uncovered_employees", "executives_without_private_banking"):
        [conn] = data.values()
        return page(conn["totalCount"], [edge["node"]["id"] for edge in conn["edges"]])
    if question == "payroll_coverage":
        coverage = data["payrollCoverage"]
        return [coverage["employees"], coverage["covered"]]
    if question == "linkage_paths":
        paths = data["linkagePaths"]
        return paths[0]["length"] if paths else None
    if question == "coverage_rollup":
        conn = data["coverageRollup"]
        if conn["totalCount"] > MAX_GROUPS:
            raise ValueError(f"coverageRollup: {conn['totalCount']} groups, above {MAX_GROUPS}")
        edges = conn["edges"]
        return rollup([e["key"], e["enterprises"], e["employees"], e["covered"]] for e in edges)
    if question == "client_network":
        net = data["clientNetwork"]
        if net["truncated"]:
            return {"count": len(net["nodes"]), "truncated": True, "nodes": None}
        return network({(_LABELS[n["label"]], n["id"]) for n in net["nodes"]})
    raise KeyError(question)


def variables(question: str, item: Any) -> dict[str, Any]:
    """The GraphQL variables of one workload item.

    An enterprise id, a person pair, or a ``RollupGroup``.
    """
    if question == "linkage_paths":
        return {"a": item[0], "b": item[1]}
    if question == "coverage_rollup":
        return {"g": item}
    return {"e": item}
