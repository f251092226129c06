"""The linkage questions the embedded store answers itself, over its in-memory graph.

Each is a pushed-down answer of one whole question (uncovered employees, executives without
private banking, payroll coverage), computed from the adjacency's dicts and derived indexes
cached in :attr:`Adjacency.derived <graph_service.stores.embedded.adjacency.Adjacency>`
(dropped whenever the graph changes). They apply the same
:class:`~graph_service.rules.LinkageRules` as the Cypher statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain

from graph_service.model import NodeLabel, RelationshipType
from graph_service.rules import LinkageRules
from graph_service.stores.base import Coverage
from graph_service.stores.embedded.adjacency import Adjacency
from graph_service.stores.embedded.properties import Properties, Values

_EMPLOYED_BY = RelationshipType.EMPLOYED_BY.value
_OWNS = RelationshipType.OWNS.value
_ENTERPRISE = NodeLabel.ENTERPRISE.value
_ACCOUNT = NodeLabel.ACCOUNT.value


def _employees(graph: Adjacency, enterprise: int) -> Iterator[tuple[int, Values]]:
    """(person, EMPLOYED_BY values) for each employee of ``enterprise``."""
    for person, edge in graph.pred[enterprise].items():
        values = edge.get(_EMPLOYED_BY)
        if values is not None:
            yield person, values


def _staff(graph: Adjacency, enterprise: int) -> list[tuple[str, int]]:
    """(id, person) of the enterprise's employees sorted by id; cached until a change."""
    key = ("staff", enterprise)
    staff = graph.derived.get(key)
    if staff is None:
        ids = graph.ids
        staff = graph.derived[key] = sorted((ids[p], p) for p, _ in _employees(graph, enterprise))
    return staff


def _owners_of_active(graph: Adjacency, products: Iterable[str], rules: LinkageRules) -> bytearray:
    """Flag per node: 1 when it owns an active account whose type is in ``products``.

    Computed in one pass over the accounts (O(accounts + OWNS)) and cached per product
    set and active status until the graph changes.
    """
    wanted = frozenset(products)
    key = ("owners", wanted, rules.active_status)
    flags = graph.derived.get(key)
    if flags is not None:
        return flags
    flags = bytearray(len(graph.values))
    fields = graph.fields[_ACCOUNT]
    type_at, status_at = fields.position.get("type"), fields.position.get("status")
    if type_at is not None and status_at is not None:
        active, values, pred = rules.active_status, graph.values, graph.pred
        for account in graph.index[_ACCOUNT].values():
            props = values[account]
            if (
                len(props) > max(type_at, status_at)
                and props[status_at] == active
                and props[type_at] in wanted
            ):
                for owner, edge in pred[account].items():
                    if _OWNS in edge:
                        flags[owner] = 1
    graph.derived[key] = flags
    return flags


def uncovered_employees(
    graph: Adjacency, enterprise_id: str, product_types: Sequence[str], rules: LinkageRules
) -> list[str]:
    """Sorted ids of employees of the enterprise owning no active ``product_types``.

    O(employees) once the enterprise's sorted staff list and the owners index for the
    product set are cached (built on first use after a change). An absent enterprise
    has no employees.
    """
    enterprise = graph.index[_ENTERPRISE].get(enterprise_id)
    if enterprise is None:
        return []
    covered = _owners_of_active(graph, product_types, rules)
    return [pid for pid, person in _staff(graph, enterprise) if not covered[person]]


def _is_private_banking(
    graph: Adjacency, person: int, rules: LinkageRules, owners: bytearray
) -> bool:
    """Whether ``person`` is in the private segment or flagged in ``owners``."""
    segment = Properties(graph.fields[graph.labels[person]], graph.values[person])
    return segment.get("segment") == rules.private_segment or bool(owners[person])


def executives_without_private_banking(
    graph: Adjacency, enterprise_id: str | None, rules: LinkageRules
) -> list[str]:
    """Sorted distinct executive ids who are not private-banking customers.

    With ``enterprise_id=None``, executives of every enterprise, each person once.
    O(employees of the enterprises scanned).
    """
    by_enterprise = _executives(graph, rules.executive_role)
    if enterprise_id is None:
        executives: Iterable[int] = set(chain.from_iterable(by_enterprise.values()))
    else:
        found = graph.index[_ENTERPRISE].get(enterprise_id)
        executives = by_enterprise.get(found, ()) if found is not None else ()
    # Built here even when no executive needs it, so that its cost falls on the first
    # question after a change, whichever enterprise that asks about.
    owners = _owners_of_active(graph, rules.private_banking_products, rules)
    ids = graph.ids
    return sorted(
        ids[p] for p in executives if not _is_private_banking(graph, p, rules, owners)
    )


def _executives(graph: Adjacency, role: str) -> dict[int, list[int]]:
    """Enterprise -> its employees whose ``EMPLOYED_BY.role`` is ``role``.

    Built in one pass over every enterprise's employees (O(EMPLOYED_BY)) on first use
    and cached per role until the graph changes, so that a question about one
    enterprise costs O(its executives), not O(its employees). Measured on the
    100,000-person bank: the largest enterprise (8,791 employees) 4.1 ms a question
    scanning, 0.04 ms indexed; the first question 127 ms instead of 60 ms (the pass
    here plus the owners index). Enterprises without executives are absent.
    """
    key = ("executives", role)
    index: dict[int, list[int]] | None = graph.derived.get(key)
    if index is None:
        index = {}
        role_at = graph.fields[_EMPLOYED_BY].position.get("role")
        if role_at is not None:
            for enterprise in graph.index[_ENTERPRISE].values():
                found = [
                    person
                    for person, values in _employees(graph, enterprise)
                    if len(values) > role_at and values[role_at] == role
                ]
                if found:
                    index[enterprise] = found
        graph.derived[key] = index
    return index


def payroll_coverage(
    graph: Adjacency, enterprise_ids: Sequence[str], rules: LinkageRules
) -> list[Coverage]:
    """Coverage per enterprise, aligned with ``enterprise_ids`` (zeros when absent).

    O(employees of the enterprises) on first use after a change; the counts are cached
    per enterprise and product set, so repeated calls are O(len(enterprise_ids)).
    """
    covered_flags = _owners_of_active(graph, rules.payroll_products, rules)
    key = ("coverage", frozenset(rules.payroll_products), rules.active_status)
    cache: dict[int, tuple[int, int]] = graph.derived.setdefault(key, {})
    known = graph.index[_ENTERPRISE]
    answer = []
    for enterprise_id in enterprise_ids:
        enterprise = known.get(enterprise_id)
        if enterprise is None:
            answer.append(Coverage(enterprise_id, 0, 0))
            continue
        counted = cache.get(enterprise)
        if counted is None:
            employees = covered = 0
            for person, _ in _employees(graph, enterprise):
                employees += 1
                covered += covered_flags[person]
            counted = cache[enterprise] = (employees, covered)
        answer.append(Coverage(enterprise_id, *counted))
    return answer
