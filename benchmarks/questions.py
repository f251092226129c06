"""The benchmark's questions: their GraphQL documents and one comparable form of each answer.

Every peer answers the same questions with the same arguments; each returns the
*normalized* answer below, so the correctness guard compares peers with ``==``:

==================================  ================================================
question                            normalized answer
==================================  ================================================
uncovered_employees                 ``{"total": int, "ids": [first 100 ids by id]}``
executives_without_private_banking  ``{"total": int, "ids": [first 100 ids by id]}``
payroll_coverage                    ``[employees, covered]``
linkage_paths                       the shortest path's length, ``None`` if none
client_network                      ``{"count": int, "truncated": bool, "nodes": ...,
                                    "relationships": ...}``
coverage_rollup                     ``[[branch, enterprises, employees, covered], ...]``
manager_leads                       ``{"total": int, "leads": [[id, hop, [kinds]], ...]}``
search                              ``{"total": int, "nodes": [[label, id], ...]}``
enterprise_groups                   ``{"total": int, "groups": [[size, staff, covered,
                                    [member ids]], ...]}``
guarantee_circles                   ``{"total": int, "circles": [[member ids], ...]}``
influence                           ``{"total": int, "nodes": [[label, id, score], ...]}``
==================================  ================================================

``manager_leads``, ``search`` and the three analytics questions (:data:`ANALYTICS`) list
the first page (:data:`PAGE` items) in the rule's order (``queries/manager-leads.md``,
``queries/search.md``, ``queries/enterprise-groups.md``, ``queries/guarantee-circles.md``,
``queries/influence.md``), which the peers apply too. An ``influence`` score is compared
to :data:`SCORE_DIGITS` significant digits (:func:`score`).

``client_network`` lists its ``[label, id]`` nodes sorted and its ``[type, start label, start
id, end label, end id]`` relationships sorted, both ``None`` when truncated (a truncated answer
depends on the traversal order, which peers need not share).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
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
LEAD_HOPS = 2
"""``maxHops`` of managerLeads (the issue's target is stated for 2)."""
LEAD_TYPES = ["EMPLOYED_BY", "SHAREHOLDER_OF", "GUARANTEES"]
"""The relationship types managerLeads walks (``GRAPH_SERVICE_LEAD_RELATIONSHIP_TYPES``'
default), ignoring direction."""
LEAD_KINDS = ["UNCOVERED_EMPLOYEE", "EXECUTIVE_WITHOUT_PRIVATE_BANKING",
              "SHAREHOLDER_WITHOUT_PRIVATE_BANKING"]  # fmt: skip
"""The ``LeadKind`` values, in the enum's order (a lead lists its kinds so)."""
EXECUTIVE_ROLE, PRIVATE_SEGMENT, ACTIVE = "executive", "private", "active"
PAYROLL_PRODUCTS = ["debit card"]
PRIVATE_BANKING_PRODUCTS = ["trust account"]
"""The default linkage rules (``graph_service.rules``), which direct peers spell out."""

CIRCLE_LENGTH = 4
"""``maxLength`` of guaranteeCircles (its default); the direct peers' Cypher spells it out
(``cypher/<engine>/guarantee_circles.cypher``: a guarantee, then up to 3 more)."""
PAGERANK = {"alpha": 0.85, "tol": 1e-10, "max_iter": 1_000}
"""The parameters of ``influence``'s :func:`networkx.pagerank` (``graph_service.linkage.
influence``), which the peers without a weighted PageRank of their own run too."""
SCORE_DIGITS = 9
"""Significant digits of an ``influence`` score in the normalized answer: summed in another
order, a score may differ in its last bits."""

_PAGE_FIELDS = "totalCount edges { node { id } }"
NETWORK_TYPES = ["EMPLOYED_BY", "SHAREHOLDER_OF", "OWNS", "MANAGES", "GUARANTEES",
                 "TRANSFERRED_TO"]  # fmt: skip
"""The relationship types linkagePaths and clientNetwork follow (``relationshipTypes``): those
every peer loads (the bank's referrals and contacts are our service's alone). The direct
peers' Cypher names them in its patterns (``cypher/<engine>/client_network.cypher``)."""
_TYPES = f"[{', '.join(NETWORK_TYPES)}]"

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
    "manager_leads": f"query($m: ID!) {{ managerLeads(managerId: $m, maxHops: {LEAD_HOPS}, "
    f"first: {PAGE}) {{ totalCount edges {{ hop kinds node {{ id }} path {{ length }} }} }} }}",
    "search": f"query($t: String!) {{ search(text: $t, first: {PAGE}) {{ totalCount edges {{ "
    "node { __typename ... on Enterprise { id } ... on Person { id } ... on Manager { id } "
    "... on Account { id } ... on Referral { id } ... on Contact { id } } } } }",
    "enterprise_groups": f"{{ enterpriseGroups(first: {PAGE}) {{ totalCount edges {{ "
    "size staff covered members { id } } } }",
    "guarantee_circles": f"{{ guaranteeCircles(maxLength: {CIRCLE_LENGTH}, first: {PAGE}) "
    "{ totalCount edges { length members { id } } } }",
    "influence": f"{{ influence(first: {PAGE}) {{ totalCount edges {{ score node {{ "
    "__typename ... on Enterprise { id } ... on Person { id } } } } }",
}
"""One GraphQL document per question; variables ``e`` (enterprise), ``a``, ``b`` (people),
``g`` (a ``RollupGroup``), ``m`` (a manager) or ``t`` (a search text); none for the
analytics questions, asked about the whole book."""

QUESTIONS = tuple(DOCUMENTS)

ANALYTICS = frozenset({"enterprise_groups", "guarantee_circles", "influence"})
"""The graph-analytics questions: for the analyst and admin roles, so asked over HTTP with an
analyst's token (persons masked: an ``influence`` person keeps its id and score)."""

MASKED_OVER_HTTP = frozenset({"manager_leads", "search"})
"""Questions whose answer over HTTP differs from the in-process one: the benchmark's app token
sees people masked, so a lead's kinds are null and leads are ranked by hop and id alone
(``queries/manager-leads.md``), and a search finds a masked person by exact id only, not by
name (``queries/search.md``: its ``totalCount`` is lower where people match). Their HTTP
answers are not compared with ours in-process."""

_LABELS = {"ENTERPRISE": "Enterprise", "PERSON": "Person", "ACCOUNT": "Account",
           "MANAGER": "Manager"}  # fmt: skip


def page(total: int, ids: list[str]) -> dict[str, Any]:
    """The normalized page answer: the total and the first :data:`PAGE` ids in text order."""
    return {"total": total, "ids": sorted(ids)[:PAGE]}


def network(nodes: Collection[tuple[str, str]], relationships: Iterable[Sequence[str]],
            reached: int) -> dict[str, Any]:  # fmt: skip
    """The normalized clientNetwork answer.

    Parameters
    ----------
    nodes : collection of (label, id)
        The nodes of the answer, the start included: every node within :data:`DEPTH` hops
        over :data:`NETWORK_TYPES`, or some of them when truncated.
    relationships : iterable of [type, start label, start id, end label, end id]
        Every relationship of those types whose two ends are in ``nodes``.
    reached : int
        The number of nodes within reach; above :data:`MAX_NETWORK_NODES` the answer is
        truncated (``queries/client-network.md``) and lists neither nodes nor relationships.
    """
    if reached > MAX_NETWORK_NODES:
        return {"count": MAX_NETWORK_NODES, "truncated": True, "nodes": None,
                "relationships": None}  # fmt: skip
    return {"count": len(nodes), "truncated": False, "nodes": sorted(map(list, nodes)),
            "relationships": sorted(map(list, relationships))}  # fmt: skip


def rollup(groups: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """The normalized coverageRollup answer, its groups sorted by key.

    One ``[key, enterprises, employees, covered]`` per group; the group of the enterprises
    without a key (``None``) first.
    """
    return sorted((list(g) for g in groups), key=lambda g: (g[0] is not None, g[0] or ""))


def lead_page(total: int, page: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """The normalized managerLeads answer: the total and ``[id, hop, kinds]`` of the page.

    ``kinds`` is ``None`` for a lead whose person the caller sees masked.
    """
    listed = [[pid, hop, None if kinds is None else list(kinds)] for pid, hop, kinds in page]
    return {"total": total, "leads": listed}


def search_page(total: int, page: Iterable[Sequence[str]]) -> dict[str, Any]:
    """The normalized search answer: the total and ``[label, id]`` of the page."""
    return {"total": total, "nodes": [list(node) for node in page]}


def groups_page(groups: Iterable[tuple[list[str], int, int]]) -> dict[str, Any]:
    """The normalized enterpriseGroups answer of every group, ranked here.

    ``groups`` gives each group's member ids (in any order), staff and covered employees;
    ranked by size, largest first, then smallest member id (``queries/enterprise-groups.md``).
    """
    listed = sorted(([len(m), staff, covered, sorted(m)] for m, staff, covered in groups),
                    key=lambda g: (-g[0], g[3][0]))  # fmt: skip
    return {"total": len(listed), "groups": listed[:PAGE]}


def circles_page(circles: Iterable[Sequence[str]]) -> dict[str, Any]:
    """The normalized guaranteeCircles answer of every circle, ranked here.

    Each circle's member ids in guarantee order, from any of them; listed from the smallest
    id, by length, then ids (``queries/guarantee-circles.md``).
    """
    listed = []
    for members in circles:
        first = members.index(min(members))
        listed.append([*members[first:], *members[:first]])
    listed.sort(key=lambda ids: (len(ids), ids))
    return {"total": len(listed), "circles": listed[:PAGE]}


def score(value: float) -> float:
    """An influence score to :data:`SCORE_DIGITS` significant digits."""
    return float(f"{value:.{SCORE_DIGITS}g}")


def influence_page(scores: Iterable[tuple[str, str, float]]) -> dict[str, Any]:
    """The normalized influence answer of every ``(label, id, score)``, ranked here.

    By score, highest first, then id, then label (``queries/influence.md``).
    """
    ranked = sorted(scores, key=lambda n: (-n[2], n[1], n[0]))
    return {"total": len(ranked),
            "nodes": [[label, id_, score(s)] for label, id_, s in ranked[:PAGE]]}  # fmt: skip


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
    if question == "manager_leads":
        conn = data["managerLeads"]
        for edge in conn["edges"]:
            if edge["path"]["length"] != edge["hop"]:
                raise ValueError(f"managerLeads: a path of {edge['path']['length']} hops to a "
                                 f"lead at hop {edge['hop']}")  # fmt: skip
        edges = conn["edges"]
        return lead_page(conn["totalCount"], ([e["node"]["id"], e["hop"], e["kinds"]]
                                              for e in edges))
    if question == "search":
        conn = data["search"]
        nodes = (e["node"] for e in conn["edges"])
        return search_page(conn["totalCount"], ([n["__typename"], n["id"]] for n in nodes))
    if question == "enterprise_groups":
        conn = data["enterpriseGroups"]
        groups = [[e["size"], e["staff"], e["covered"], [m["id"] for m in e["members"]]]
                  for e in conn["edges"]]  # fmt: skip
        return {"total": conn["totalCount"], "groups": groups}
    if question == "guarantee_circles":
        conn = data["guaranteeCircles"]
        return {"total": conn["totalCount"],
                "circles": [[m["id"] for m in e["members"]] for e in conn["edges"]]}  # fmt: skip
    if question == "influence":
        conn = data["influence"]
        nodes = [[e["node"]["__typename"], e["node"]["id"], score(e["score"])]
                 for e in conn["edges"]]  # fmt: skip
        return {"total": conn["totalCount"], "nodes": nodes}
    if question == "client_network":
        net = data["clientNetwork"]
        if net["truncated"]:
            return {"count": len(net["nodes"]), "truncated": True, "nodes": None,
                    "relationships": None}  # fmt: skip
        nodes = {(_LABELS[n["label"]], n["id"]) for n in net["nodes"]}
        rels = ([r["type"], _LABELS[r["start"]["label"]], r["start"]["id"],
                 _LABELS[r["end"]["label"]], r["end"]["id"]] for r in net["relationships"])
        return network(nodes, rels, len(nodes))
    raise KeyError(question)


def variables(question: str, item: Any) -> dict[str, Any]:
    """The GraphQL variables of one workload item.

    An enterprise id, a person pair, a ``RollupGroup``, a manager id or a search text;
    ``None`` for an analytics question (no variables).
    """
    if question in ANALYTICS:
        return {}
    if question == "linkage_paths":
        return {"a": item[0], "b": item[1]}
    if question == "coverage_rollup":
        return {"g": item}
    if question == "manager_leads":
        return {"m": item}
    if question == "search":
        return {"t": item}
    return {"e": item}
