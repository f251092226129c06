"""The linkage questions the embedded store answers itself, over its in-memory graph.

Each is a pushed-down answer of one whole question (uncovered employees, executives without
private banking, payroll coverage, coverage rollup, manager leads), computed from the
adjacency's neighbourhoods (read with :func:`~graph_service.stores.embedded.adjacency.pairs`
and :func:`~graph_service.stores.embedded.adjacency.edge_to`) and derived indexes cached in
:attr:`Adjacency.derived <graph_service.stores.embedded.adjacency.Adjacency>`.
Each derived index has a patch (:func:`~graph_service.stores.embedded.adjacency.patches`)
that brings it up to date after a small write for the nodes it changed, in time proportional
to those nodes and their neighbours. They apply the same
:class:`~graph_service.rules.LinkageRules` as the Cypher statements.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from itertools import chain
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from graph_service.memory import bulk_allocation
from graph_service.model import NodeLabel, RelationshipType
from graph_service.rules import LinkageRules
from graph_service.stores.base import (
    REL_ORDER,
    Coverage,
    LeadFacts,
    Path,
    Reached,
    Relationship,
)
from graph_service.stores.embedded.adjacency import (
    SNAPSHOT_KINDS,
    Adjacency,
    Edge,
    drop_changed,
    edge_to,
    pairs,
    patches,
    per_node,
)
from graph_service.stores.embedded.joined import Joined, Numbers, joined
from graph_service.stores.embedded.properties import Properties, Values

_EMPLOYED_BY = RelationshipType.EMPLOYED_BY.value
_SHAREHOLDER_OF = RelationshipType.SHAREHOLDER_OF.value
_TRANSFERRED_TO = RelationshipType.TRANSFERRED_TO.value
_OWNS = RelationshipType.OWNS.value
_MANAGES = RelationshipType.MANAGES.value
_ENTERPRISE = NodeLabel.ENTERPRISE.value
_ACCOUNT = NodeLabel.ACCOUNT.value
_MANAGER = NodeLabel.MANAGER.value
_PERSON = NodeLabel.PERSON.value

T = TypeVar("T")

patches("staff")(drop_changed)  # _staff
SNAPSHOT_KINDS.update(("owners", "coverage", "executives", "lead facts"))  # what warm() builds


def _employees(graph: Adjacency, enterprise: int) -> Iterator[tuple[int, Values]]:
    """(person, EMPLOYED_BY values) for each employee of ``enterprise``."""
    for person, edge in pairs(graph.pred[enterprise]):
        values = edge.get(_EMPLOYED_BY)
        if values is not None:
            yield person, values


def _staff(graph: Adjacency, enterprise: int) -> tuple[tuple[str, int], ...]:
    """(id, person) of the enterprise's employees sorted by id; cached until it changes.

    A tuple, as every list a derived index keeps per node
    (:func:`~graph_service.stores.embedded.adjacency.per_node`).
    """
    cache = per_node(graph, "staff")
    staff: tuple[tuple[str, int], ...] | None = cache.get(enterprise)
    if staff is None:
        ids = graph.ids
        staff = cache[enterprise] = tuple(
            sorted((ids[p], p) for p, _ in _employees(graph, enterprise))
        )
    return staff


def _qualifying(graph: Adjacency, wanted: AbstractSet[str], active: str) -> Callable[[int], bool]:
    """A test of an account (node number): active and of a type in ``wanted``."""
    fields = graph.fields[_ACCOUNT]
    type_at, status_at = fields.position.get("type"), fields.position.get("status")
    if type_at is None or status_at is None:
        return lambda account: False
    values, last = graph.values, max(type_at, status_at)

    def qualifies(account: int) -> bool:
        props = values[account]
        return len(props) > last and props[status_at] == active and props[type_at] in wanted

    return qualifies


PRODUCT_SETS = 8
"""Product sets whose owner flags (a byte per node) and coverage counts are kept at once,
the least recently used dropped first: the configured payroll and private-banking products
and those that requests name (``productTypes``), so that each new set a caller sends cannot
leave an index behind for good."""


def _owners_of_active(graph: Adjacency, products: Iterable[str], rules: LinkageRules) -> bytearray:
    """Flag per node: 1 when it owns an active account whose type is in ``products``.

    Computed in one pass over the accounts (O(accounts + OWNS)) and cached per product
    set and active status (patched after changes: :func:`_patch_owners`), at most
    :data:`PRODUCT_SETS` of them.
    """
    key = ("owners", frozenset(products), rules.active_status)
    flags = _recent(graph, key)
    if flags is not None:
        return flags
    flags = bytearray(len(graph.values))
    qualifies, pred = _qualifying(graph, key[1], rules.active_status), graph.pred
    for account in graph.index[_ACCOUNT].values():
        if qualifies(account):
            for owner, edge in pairs(pred[account]):
                if _OWNS in edge:
                    flags[owner] = 1
    return _keep(graph, key, flags, PRODUCT_SETS)


def _recent(graph: Adjacency, key: tuple[Any, ...]) -> Any:
    """The derived index ``key``, made the most recently used of its kind; ``None`` if absent.

    :func:`_keep` drops the first of a kind in the dict's order: moved to the end on each
    use, that is the least recently used.
    """
    found = graph.derived.pop(key, None)
    if found is not None:
        graph.derived[key] = found
    return found


def _keep(graph: Adjacency, key: tuple[Any, ...], index: T, limit: int) -> T:
    """Store ``index`` as the derived index ``key``, at most ``limit`` of its kind kept.

    The oldest of the kind (the first item of ``key``) are dropped first, so that callers
    naming a new argument each time cannot grow the cache.
    """
    others = [k for k in graph.derived if k[0] == key[0]]
    for old in others[: max(0, len(others) + 1 - limit)]:
        del graph.derived[old]
    graph.derived[key] = index
    return index


def _maybe_owners(graph: Adjacency, changed: AbstractSet[int]) -> set[int]:
    """``changed`` and the owners of the changed accounts: whose ownership may have changed."""
    labels, pred = graph.labels, graph.pred
    found = set(changed)
    for n in changed:
        if labels[n] == _ACCOUNT and pred[n] is not None:  # None: removed
            found.update(owner for owner, edge in pairs(pred[n]) if _OWNS in edge)
    return found


@patches("owners")
def _patch_owners(
    graph: Adjacency, key: tuple[str, frozenset[str], str], flags: bytearray,
    changed: AbstractSet[int],
) -> bytearray:  # fmt: skip
    """The owners flags with those of the changed nodes and changed accounts' owners redone."""
    _, wanted, active = key
    flags.extend(bytes(len(graph.values) - len(flags)))  # nodes added since
    qualifies, succ = _qualifying(graph, wanted, active), graph.succ
    for n in _maybe_owners(graph, changed):
        out = succ[n] or ()  # None: removed
        flags[n] = any(_OWNS in edge and qualifies(account) for account, edge in pairs(out))
    return flags


def uncovered_employees(
    graph: Adjacency, enterprise_id: str, product_types: Sequence[str], rules: LinkageRules
) -> list[str]:
    """Sorted ids of employees of the enterprise owning no active ``product_types``.

    O(employees) once the enterprise's sorted staff list and the owners index for the
    product set are cached (built on first use after a change). For the configured payroll
    products (``rules.payroll_products``, the question's default), the list itself is
    cached per enterprise, and dropped for the enterprises a change may affect (the patch
    of the coverage counts, :func:`_patch_per_enterprise`): O(1) when asked again. Another
    product set (a request's ``productTypes``) is not kept, so that requests cannot grow
    the cache. An absent enterprise has no employees.

    Returns
    -------
    list of str
        A copy of the tuple cached for the configured products
        (:func:`~graph_service.stores.embedded.adjacency.per_node`).
    """
    enterprise = graph.index[_ENTERPRISE].get(enterprise_id)
    if enterprise is None:
        return []
    wanted = frozenset(product_types)
    if wanted != frozenset(rules.payroll_products):
        covered = _owners_of_active(graph, wanted, rules)
        return [pid for pid, person in _staff(graph, enterprise) if not covered[person]]
    key = ("uncovered", wanted, rules.active_status)
    cache: dict[int, tuple[str, ...]] = graph.derived.setdefault(key, {})
    found = cache.get(enterprise)
    if found is None:
        covered = _owners_of_active(graph, wanted, rules)
        found = cache[enterprise] = tuple(
            pid for pid, person in _staff(graph, enterprise) if not covered[person]
        )
    return list(found)


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
    and cached per role (patched after changes), so that a question about one
    enterprise costs O(its executives), not O(its employees); the first question pays for
    the pass (measured on the 100,000-person benchmark bank, see
    benchmarks/README.md#tuning-constants). Enterprises without executives are absent.
    """
    key = ("executives", role)
    index: dict[int, list[int]] | None = graph.derived.get(key)
    if index is None:
        index = {}
        for enterprise in graph.index[_ENTERPRISE].values():
            found = _executives_of(graph, enterprise, role)
            if found:
                index[enterprise] = found
        graph.derived[key] = index
    return index


def _executives_of(graph: Adjacency, enterprise: int, role: str) -> list[int]:
    """The employees of ``enterprise`` whose ``EMPLOYED_BY.role`` is ``role``."""
    role_at = graph.fields[_EMPLOYED_BY].position.get("role")
    if role_at is None:
        return []
    return [
        person
        for person, values in _employees(graph, enterprise)
        if len(values) > role_at and values[role_at] == role
    ]


def _changed_enterprises(graph: Adjacency, changed: AbstractSet[int]) -> Iterator[int]:
    """The changed nodes that are enterprises (removed ones included)."""
    labels = graph.labels
    return (n for n in changed if labels[n] == _ENTERPRISE)


@patches("executives")
def _patch_executives(
    graph: Adjacency, key: tuple[str, str], index: dict[int, list[int]],
    changed: AbstractSet[int],
) -> dict[int, list[int]]:  # fmt: skip
    """The index with the changed enterprises' executives listed again (a removed one not)."""
    for enterprise in _changed_enterprises(graph, changed):
        removed = graph.pred[enterprise] is None
        found = [] if removed else _executives_of(graph, enterprise, key[1])
        if found:
            index[enterprise] = found
        else:
            index.pop(enterprise, None)
    return index


def _coverage_counts(graph: Adjacency, rules: LinkageRules) -> Callable[[int], tuple[int, int]]:
    """``counts(enterprise)``: its (employees, covered), cached per enterprise and products.

    O(employees) on first use; the cache is patched after changes (:func:`_patch_per_enterprise`),
    and kept for at most :data:`PRODUCT_SETS` product sets.
    """
    covered_flags = _owners_of_active(graph, rules.payroll_products, rules)
    key = ("coverage", frozenset(rules.payroll_products), rules.active_status)
    cache: dict[int, tuple[int, int]] | None = _recent(graph, key)
    if cache is None:
        cache = _keep(graph, key, {}, PRODUCT_SETS)

    def counts(enterprise: int) -> tuple[int, int]:
        counted = cache.get(enterprise)
        if counted is None:
            employees = covered = 0
            for person, _ in _employees(graph, enterprise):
                employees += 1
                covered += covered_flags[person]
            counted = cache[enterprise] = (employees, covered)
        return counted

    return counts


def payroll_coverage(
    graph: Adjacency, enterprise_ids: Sequence[str], rules: LinkageRules
) -> list[Coverage]:
    """Coverage per enterprise, aligned with ``enterprise_ids`` (zeros when absent).

    O(employees of the enterprises) on first use; the counts are cached per enterprise
    and product set (those a change may affect are dropped: :func:`_patch_per_enterprise`), so
    repeated calls are O(len(enterprise_ids)).
    """
    counts = _coverage_counts(graph, rules)
    numbers = graph.index[_ENTERPRISE].numbers_of(enterprise_ids)
    answer = []
    for enterprise_id, enterprise in zip(enterprise_ids, numbers, strict=True):
        if enterprise is None:
            answer.append(Coverage(enterprise_id, 0, 0))
        else:
            answer.append(Coverage(enterprise_id, *counts(enterprise)))
    return answer


def warm(graph: Adjacency, rules: LinkageRules) -> None:
    """Build the derived indexes over the whole graph that ``rules``' questions read first.

    The owners' flags of the payroll and private-banking products, every enterprise's
    coverage counts, the executives per enterprise and every person's lead facts
    (:data:`SNAPSHOT_KINDS`): what a snapshot then keeps, so that a process opening it
    (``serve``, ``report``) does not pay for them on its first question (the lead facts
    were most of a first ``managerLeads`` at 1M people: 7 of its 11 s). O(accounts + OWNS +
    EMPLOYED_BY + the people's relationships and their accounts' transfers).
    """
    counts = _coverage_counts(graph, rules)
    for enterprise in graph.index[_ENTERPRISE].values():
        counts(enterprise)
    _owners_of_active(graph, rules.private_banking_products, rules)
    _executives(graph, rules.executive_role)
    people = list(graph.index[_PERSON].values())
    deque(_facts_index(graph, rules).each(people, _lead_facts(graph, rules)), maxlen=0)


def _value(graph: Adjacency, label: str, name: str, default: Any = None) -> Callable[[int], Any]:
    """``value(node)``: the stored ``name`` property of a ``label`` node, ``default`` if unset."""
    at = graph.fields[label].position.get(name)
    values = graph.values

    def value(node: int) -> Any:
        props = values[node]
        found = props[at] if at is not None and at < len(props) else None
        return default if found is None else found

    return value


def _managed_by(graph: Adjacency, group_by: str) -> dict[int, set[str | None]]:
    """The manager ids (``MANAGER``) or branches (``BRANCH``) of each managed enterprise.

    From the managers' side: O(managers + MANAGES), not a pass over every enterprise's
    relationships. A manager without a branch gives none.
    """
    branch = _value(graph, _MANAGER, "branch")
    ids, labels, succ = graph.ids, graph.labels, graph.succ
    managed: dict[int, set[str | None]] = {}
    for manager in graph.index[_MANAGER].values():
        key = ids[manager] if group_by == "MANAGER" else branch(manager)
        if key is None:
            continue
        for client, edge in pairs(succ[manager]):
            if _MANAGES in edge and labels[client] == _ENTERPRISE:
                managed.setdefault(client, set()).add(key)
    return managed


def coverage_rollup(
    graph: Adjacency, group_by: str, rules: LinkageRules
) -> dict[str | None, tuple[int, int, int]]:
    """``(enterprises, employees, covered)`` per group key (:mod:`graph_service.linkage.rollup`).

    ``group_by`` is a ``RollupGroup`` value. One pass over the enterprises and their cached
    coverage counts (:func:`_coverage_counts`), the managers' keys read from the managers'
    side (:func:`_managed_by`): O(enterprises + MANAGES) once the counts are cached.
    """
    counts = _coverage_counts(graph, rules)
    if group_by in ("INDUSTRY", "REGION"):
        prop = _value(graph, _ENTERPRISE, group_by.lower())

        def keys(enterprise: int) -> set[str | None]:
            return {prop(enterprise)}
    else:
        managed = _managed_by(graph, group_by)

        def keys(enterprise: int) -> set[str | None]:
            return managed.get(enterprise) or {None}

    sums: dict[str | None, list[int]] = {}
    for enterprise in graph.index[_ENTERPRISE].values():
        employees, covered = counts(enterprise)
        for key in keys(enterprise):
            total = sums.setdefault(key, [0, 0, 0])
            total[0] += 1
            total[1] += employees
            total[2] += covered
    return {key: (n, employees, covered) for key, (n, employees, covered) in sums.items()}


@patches("uncovered")
@patches("coverage")
def _patch_per_enterprise(
    graph: Adjacency, key: object, cache: dict[int, T], changed: AbstractSet[int]
) -> dict[int, T]:
    """A cache per enterprise without the enterprises whose employees or their coverage changed.

    The caches of the coverage counts and of the uncovered employees. Dropped: the changed
    enterprises, and the employers of every node whose ownership may have changed
    (:func:`_maybe_owners`); the owners flags are patched likewise.
    """
    succ = graph.succ
    for enterprise in _changed_enterprises(graph, changed):
        cache.pop(enterprise, None)
    for person in _maybe_owners(graph, changed):
        for enterprise, edge in pairs(succ[person] or ()):  # None: removed
            if _EMPLOYED_BY in edge:
                cache.pop(enterprise, None)
    return cache


def _lead_facts(graph: Adjacency, rules: LinkageRules) -> Callable[[int], LeadFacts]:
    """``facts(person)``: what the lead rules read of ``person``, from its relationships.

    The reading of :func:`graph_service.linkage.prospecting.profiles`: its jobs, shares and
    accounts, and the transfers of those accounts (each pair of accounts once). The
    properties' places are looked up once, for the many people a search asks about.
    """
    fields, values, succ, pred = graph.fields, graph.values, graph.succ, graph.pred
    role_at = fields[_EMPLOYED_BY].position.get("role")
    ratio_at = fields[_SHAREHOLDER_OF].position.get("ratio")
    amount_at = fields[_TRANSFERRED_TO].position.get("totalAmount")
    account = fields[_ACCOUNT].position
    type_at, status_at = account.get("type"), account.get("status")
    segment_of = _value(graph, _PERSON, "segment")
    executive_role, active_status = rules.executive_role, rules.active_status
    payroll, private = rules.payroll_products, rules.private_banking_products

    def facts(person: int) -> LeadFacts:
        employed = executive = shareholder = False
        ratios: list[float] = []
        active: set[object] = set()
        moved: dict[tuple[int, int], Values] = {}
        for other, edge in pairs(succ[person]):
            job = edge.get(_EMPLOYED_BY)
            if job is not None:
                employed = True
                executive = executive or _at(job, role_at) == executive_role
            held = edge.get(_SHAREHOLDER_OF)
            if held is not None:
                shareholder = True
                ratios.append(_number(_at(held, ratio_at)))
            if _OWNS in edge:
                props = values[other]
                if _at(props, status_at) == active_status:
                    active.add(_at(props, type_at))
                for end, sent in pairs(succ[other]):
                    if _TRANSFERRED_TO in sent:
                        moved[(other, end)] = sent[_TRANSFERRED_TO]
                for start, received in pairs(pred[other]):
                    if _TRANSFERRED_TO in received:
                        moved[(start, other)] = received[_TRANSFERRED_TO]
        return LeadFacts(
            employed=employed,
            payroll=not active.isdisjoint(payroll),
            private=segment_of(person) == rules.private_segment
            or not active.isdisjoint(private),
            executive=executive,
            shareholder=shareholder,
            shareholding=max(ratios, default=0.0),
            transfer_amount=math.fsum(_number(_at(v, amount_at)) for v in moved.values()),
        )

    return facts


def _at(values: Values, at: int | None) -> object:
    """The value at position ``at`` of a property tuple; ``None`` when absent."""
    return values[at] if at is not None and at < len(values) else None


def _number(value: object) -> float:
    """A numeric property as a float, 0 when absent (as ``float(props.get(name, 0.0))``)."""
    return 0.0 if value is None else float(value)  # type: ignore[arg-type]


def _hop_rel(graph: Adjacency, parent: int, child: int, out: Edge | None, into: Edge | None,
             types: AbstractSet[str]) -> Relationship:  # fmt: skip
    """The first relationship of ``types`` joining ``parent`` and ``child``, in path-hop order.

    Either direction: ``out`` holds those from ``parent`` to ``child``, ``into`` the others
    (``None``: none). Path-hop order is the type's declaration order, then the start node's
    key (:func:`graph_service.linkage.traversal.reach`). O(1) in the common case of one
    relationship.
    """
    for edge, other, start, end in ((out, into, parent, child), (into, out, child, parent)):
        if other is None and edge is not None and len(edge) == 1:  # the common case
            [(rel_type, values)] = edge.items()
            return graph.rel(rel_type, start, end, values)
    last = len(REL_ORDER)
    found = [
        (REL_ORDER.get(t, last), start, end, t, edge[t])
        for edge, start, end in ((out, parent, child), (into, child, parent))
        if edge is not None
        for t in edge if t in types
    ]  # fmt: skip
    _, start, end, rel_type, values = min(found, key=lambda f: (f[0], graph.key(f[1])))
    return graph.rel(rel_type, start, end, values)


def manager_leads(
    graph: Adjacency,
    manager_id: str,
    rel_types: Iterable[str],
    max_hops: int,
    rules: LinkageRules,
    keep: Callable[[LeadFacts], T | None],
    rank: Callable[[T], tuple[float, ...]],
) -> Reached[T]:
    """The people within ``max_hops`` of the manager's clients that ``keep`` keeps.

    Parameters
    ----------
    graph : Adjacency
    manager_id : str
        Absent: no one.
    rel_types : iterable of str
        The relationship types walked, ignoring direction.
    max_hops : int
        Farthest hop (0: the clients, ``MANAGES`` from the manager).
    rules : LinkageRules
        Read for each person's :class:`~graph_service.stores.base.LeadFacts`.
    keep : callable
        ``keep(facts)``: what is listed of a person reached, ``None`` to leave them out; a
        pure function, whose answers are cached per person for as long as ``keep`` lives
        (pass the same one again to reuse them).
    rank : callable
        ``rank(answer)``: the numbers (as many for every answer) a hop's people are
        ordered by, ascending, before their ids; a pure function, cached likewise.

    Returns
    -------
    Reached
        Per hop, the people kept in order: their ids and what ``keep`` answered, read
        when asked; their paths built when asked: the shortest path from a client that
        :func:`graph_service.linkage.traversal.reach` chooses (each node's previous node
        the first in ``(label, id)`` order of the previous hop's nodes joined to it,
        :func:`_previous`; the relationship by :func:`_hop_rel`).

    Notes
    -----
    One breadth-first search over the node numbers, a hop at a time in numpy: the nodes
    joined to a hop's nodes gathered from the :class:`~graph_service.stores.embedded.
    joined.Joined` index, those not reached before kept as the next hop (O(relationships
    of the nodes within ``max_hops - 1`` hops of the clients), no Python step per node).
    Then each hop's people kept, by a flag per node of whether ``keep`` keeps them, and
    ordered by their ``rank`` numbers and the rank of their ids as far as they are read
    (:data:`FIRST_ORDERED` at first: a first page does not sort the hundreds of thousands
    of people two hops away) (:class:`_Kept`, filled
    for every person from their facts, :func:`_lead_facts`, the first time a ``keep`` is
    passed: a search two hops from a manager's clients reaches up to 40% of the people of
    the benchmark banks, so the people not yet asked about would be thousands per search
    for a long while; both patched after changes: :func:`_patch_lead_kept`;
    :func:`_id_order`). No id, answer, path or previous node is read here: a page reads
    those of its people.
    """
    manager = graph.index[_MANAGER].get(manager_id)
    if manager is None:
        return Reached([], _no_one, _no_people, _no_one)
    types = frozenset(rel_types)
    near = joined(graph, types)
    labels, ids = graph.labels, graph.ids
    clients = sorted((c for c, edge in pairs(graph.succ[manager]) if _MANAGES in edge),
                     key=lambda n: (labels[n], ids[n]))  # fmt: skip
    hop_of = np.full(len(labels), -1, np.int8)  # -1: not reached
    frontier = np.array(clients, np.int64)
    hop_of[frontier] = 0
    levels = [frontier]
    for hop in range(1, max_hops + 1):
        found = near.expand(graph, frontier)
        frontier = near.distinct(found[hop_of[found] < 0])
        hop_of[frontier] = hop
        levels.append(frontier)
    kept_of = _kept_cache(graph, ("lead kept", rules, keep, rank))
    order = _id_order(graph, _PERSON)
    kept = [kept_of.kept(graph, rules, level[near.person[level]]) for level in levels]
    ordered: dict[int, Numbers] = {}  # the first of a hop's people in order, as read

    def of_hop(hop: int, upto: int) -> Numbers:
        people = ordered.get(hop)
        if people is None or len(people) <= upto < len(kept[hop]):
            first = max(FIRST_ORDERED, 2 * (upto + 1))
            people = ordered[hop] = kept_of.ordered(kept[hop], order, first)
        return people

    answers = kept_of.answers
    paths: dict[int, Path] = {}

    def path(n: int) -> Path:
        # Up to the nearest node whose path is built, then down: a closure calling itself
        # would hold itself, a reference cycle freed by the cyclic GC, not as the answer ends.
        climbed: list[tuple[int, int]] = []  # (node, the node before it), nearest first
        at = n
        while at not in paths:
            hop = int(hop_of[at])
            if hop == 0:
                paths[at] = Path((graph.node(at),), ())
                break
            parent = _previous(graph, near, hop_of, at, hop - 1)
            climbed.append((at, parent))
            at = parent
        for child, parent in reversed(climbed):
            out = edge_to(graph.succ[parent], child)
            if out is not None and types.isdisjoint(out):
                out = None  # joined outwards by other types only: walked inwards
            rel = _hop_rel(graph, parent, child, out, edge_to(graph.pred[parent], child), types)
            before = paths[parent]
            paths[child] = Path((*before.nodes, graph.node(child)), (*before.relationships, rel))
        return paths[n]

    def person(hop: int, i: int) -> tuple[str, T]:
        n = int(of_hop(hop, i)[i])
        return ids[n], answers[n]

    def whole(hop: int) -> tuple[list[str], list[T]]:
        numbers = of_hop(hop, len(kept[hop]) - 1).tolist()
        return list(map(ids.__getitem__, numbers)), list(map(answers.__getitem__, numbers))

    return Reached([len(people) for people in kept], person, whole,
                   lambda hop, i: path(int(of_hop(hop, i)[i])))  # fmt: skip


def everyone_kept(
    graph: Adjacency,
    rules: LinkageRules,
    keep: Callable[[LeadFacts], T | None],
    rank: Callable[[T], tuple[float, ...]],
) -> Reached[T]:
    """Every person of the book that ``keep`` keeps, as the one hop of a :class:`Reached`.

    In the order of ``rank`` of their answers, then of their ids; each one's path is the
    person alone. ``keep`` and ``rank`` as for :func:`manager_leads`, whose cache of
    answers per person they share (:class:`_Kept`, asked about every person once): O(people)
    in numpy after it, plus the sort of the people kept.
    """
    kept_of = _kept_cache(graph, ("lead kept", rules, keep, rank))
    kept = kept_of.kept(graph, rules, members(graph, _PERSON))
    ordered = kept_of.ordered(kept, _id_order(graph, _PERSON), len(kept))
    ids, answers = graph.ids, kept_of.answers

    def person(hop: int, i: int) -> tuple[str, T]:
        n = int(ordered[i])
        return ids[n], answers[n]

    def whole(hop: int) -> tuple[list[str], list[T]]:
        numbers = ordered.tolist()
        return list(map(ids.__getitem__, numbers)), list(map(answers.__getitem__, numbers))

    return Reached([len(ordered)], person, whole,
                   lambda hop, i: Path((graph.node(int(ordered[i])),), ()))


FIRST_ORDERED = 256
"""People of a hop first put in order by :func:`manager_leads` when one is read: a page
(at most 100 by default) and its cursors, without sorting the whole hop; reading past them
orders twice as many as read."""


def _previous(graph: Adjacency, near: Joined, hop_of: npt.NDArray[np.int8], n: int,
              hop: int) -> int:  # fmt: skip
    """The node before ``n`` on its path: the first at ``hop`` joined to it.

    First in ``(label, id)`` order, as the breadth-first search of
    :func:`graph_service.linkage.traversal.reach`, walking each hop's nodes in that order,
    finds it.
    """
    labels, ids = graph.labels, graph.ids
    row = near.row(graph, n)  # thousands for an employer: picked in numpy first
    return min(row[hop_of[row] == hop].tolist(), key=lambda m: (labels[m], ids[m]))  # type: ignore[no-any-return]


def _id_order(graph: Adjacency, label: str) -> Numbers:
    """Per node, the place of its id among those of ``label`` sorted (-1 for other nodes).

    O(n log n) in the nodes of ``label`` on first use, then kept until a node of that
    label is added (:func:`_patch_id_order`).
    """
    key = ("id order", label)
    order: Numbers | None = graph.derived.get(key)
    if order is None:
        known = graph.index[label]
        order = np.full(len(graph.labels), -1, np.int64)
        order[np.fromiter(known.numbers_by_id(), np.int64, len(known))] = np.arange(len(known))
        graph.derived[key] = order
    return order


def members(graph: Adjacency, label: str) -> Numbers:
    """The node numbers of ``label`` in id order, kept until one is added or removed."""
    key = ("members", label)
    found: Numbers | None = graph.derived.get(key)
    if found is None:
        known = graph.index.get(label)
        numbers = known.numbers_by_id() if known is not None else []
        found = graph.derived[key] = np.fromiter(numbers, np.int64, len(numbers))
    return found


def _added_or_removed(graph: Adjacency, label: str, count: int,
                      changed: AbstractSet[int]) -> bool:  # fmt: skip
    """Whether a node of ``label`` was added or removed since it had ``count`` nodes."""
    labels, succ = graph.labels, graph.succ
    known = graph.index.get(label)
    return (0 if known is None else len(known)) != count or any(
        labels[n] == label and succ[n] is None for n in changed
    )


@patches("members")
def _patch_members(graph: Adjacency, key: tuple[str, str], numbers: Numbers,
                   changed: AbstractSet[int]) -> Numbers | None:  # fmt: skip
    """The members, dropped when a node of the label was added or removed."""
    return None if _added_or_removed(graph, key[1], len(numbers), changed) else numbers


@patches("id order")
def _patch_id_order(
    graph: Adjacency, key: tuple[str, str], order: Numbers, changed: AbstractSet[int]
) -> Numbers | None:
    """The order, kept while no node of its label is added (dropped then)."""
    labels, label, size = graph.labels, key[1], len(order)
    return None if any(n >= size and labels[n] == label for n in changed) else order


class _Kept(Generic[T]):
    """``keep``'s answers per person, their ``rank`` numbers, and whether ``keep`` keeps them.

    The derived index of :func:`manager_leads`.

    Attributes
    ----------
    keep, rank : callable
    answers : dict of int to object
        Person number -> ``keep``'s answer, for the people kept once asked about (an
        answer is replaced when asked again, never removed, so that a list read after a
        change still finds its people's).
    flags : ndarray of int8
        Per node: 1 kept, 0 not kept, -1 not asked about yet (or changed since).
    ranks : ndarray of float64, shape (nodes, numbers of ``rank``)
        Per node kept, ``rank`` of its answer.
    """

    def __init__(self, size: int, keep: Callable[[LeadFacts], T | None],
                 rank: Callable[[T], tuple[float, ...]]) -> None:  # fmt: skip
        self.keep, self.rank = keep, rank
        self.answers: dict[int, T] = {}
        self.flags = np.full(size, -1, np.int8)
        self.ranks: npt.NDArray[np.float64] | None = None

    def forget(self, graph: Adjacency, people: Iterable[int]) -> None:
        """Ask about ``people`` again (changed), and about the nodes added to ``graph``."""
        grown = len(graph.labels) - len(self.flags)
        if grown > 0:
            self.flags = np.concatenate([self.flags, np.full(grown, -1, np.int8)])
            if self.ranks is not None:
                self.ranks = np.concatenate([self.ranks, np.zeros((grown, self.ranks.shape[1]))])
        for person in people:
            self.flags[person] = -1

    def ask(self, graph: Adjacency, rules: LinkageRules, people: Numbers) -> None:
        """Ask ``keep`` about ``people``, flagging them and keeping the answers kept.

        Their facts are cached as the derived index ``("lead facts", rules)``.
        """
        answers, flags, keep, rank = self.answers, self.flags, self.keep, self.rank
        asked = people.tolist()
        facts_of = _facts_index(graph, rules)
        for person, facts in zip(asked, facts_of.each(asked, _lead_facts(graph, rules)),
                                 strict=True):  # fmt: skip
            answer = keep(facts)
            if answer is None:
                flags[person] = 0
                continue
            numbers = rank(answer)
            if self.ranks is None:
                self.ranks = np.zeros((len(flags), len(numbers)))
            flags[person] = 1
            answers[person] = answer
            self.ranks[person] = numbers

    def kept(self, graph: Adjacency, rules: LinkageRules, people: Numbers) -> Numbers:
        """Those of ``people`` that ``keep`` keeps (the ones not asked about yet asked).

        O(people) in numpy.
        """
        flags = self.flags
        self.ask(graph, rules, people[flags[people] < 0])
        return people[flags[people] == 1]

    def ordered(self, kept: Numbers, order: Numbers, first: int) -> Numbers:
        """The first ``first`` of the ``kept`` people, in order (all when that many or fewer).

        By ``rank`` of their answers, then by ``order`` (their ids).

        O(k) in numpy for k people, to narrow them down a column at a time to those that
        may be among the first (:func:`_first_of`), then O(f log f) to sort those f.
        """
        if not len(kept) or self.ranks is None:
            return kept
        numbers = self.ranks[kept]
        columns = [*(numbers[:, c] for c in range(numbers.shape[1])), order[kept]]
        chosen = _first_of(columns, first)
        ranked = np.lexsort([column[chosen] for column in reversed(columns)])
        return kept[chosen[ranked][:first]]


def _first_of(columns: list[npt.NDArray[Any]], first: int) -> Numbers:
    """Places of rows holding the ``first`` smallest in lexicographic order of ``columns``.

    Some rows may be beyond the first ``first`` (to sort and cut); none before them is
    left out. Column by column, the rows whose value is below the value at place
    ``first`` (among the rows still tied) are in, the rows above it out, and the tied
    ones go on to the next column; the last column's values are distinct (an id order),
    so at most ``first`` are left tied. O(rows) per column, by :func:`numpy.partition`.
    """
    rows = len(columns[0])
    if first >= rows:
        return np.arange(rows)
    sure: list[Numbers] = []
    tied = np.arange(rows)
    needed = first
    for column in columns:
        if len(tied) <= 2 * needed:
            break
        values = column[tied]
        bound = np.partition(values, needed - 1)[needed - 1]
        below = tied[values < bound]
        sure.append(below)
        needed -= len(below)
        tied = tied[values == bound]
    return np.concatenate([*sure, tied])


KEPT_CACHES = 8
"""Caches of ``keep``'s answers (:func:`manager_leads`) kept at once, one per ``keep`` and
rules: a question asking with each subset of the three lead kinds needs seven."""


def _kept_cache(graph: Adjacency, key: tuple[str, LinkageRules, Any, Any]) -> _Kept[Any]:
    """The derived index of the answers of ``keep`` and ``rank`` (``key[2:]``) per person.

    Made when missing, asking about every person (O(people and their relationships and
    accounts' transfers), once; in one :func:`~graph_service.memory.bulk_allocation`, so
    that the answers kept are left out of later garbage collections). Making one drops
    the oldest others beyond :data:`KEPT_CACHES` (a caller passing a new ``keep`` each
    time would otherwise leave a cache behind per call).
    """
    cache: _Kept[Any] | None = graph.derived.get(key)
    if cache is None:
        cache = _keep(graph, key, _Kept(len(graph.labels), key[2], key[3]), KEPT_CACHES)
        with bulk_allocation():
            cache.ask(graph, key[1], members(graph, _PERSON))
    return cache


def _no_people(hop: int) -> Any:
    """``people`` of an empty :class:`~graph_service.stores.base.Reached`."""
    raise IndexError(hop)


def _no_one(hop: int, i: int) -> Any:
    """``person`` and ``path`` of an empty :class:`~graph_service.stores.base.Reached`."""
    raise IndexError(i)


@patches("lead kept")
def _patch_lead_kept(
    graph: Adjacency, key: object, cache: _Kept[T], changed: AbstractSet[int]
) -> _Kept[T]:
    """``keep``'s answers, those of the changed nodes and accounts' owners to ask again.

    A changed transfer changes both its accounts, so their owners' answers are asked
    again too (:func:`_maybe_owners`).
    """
    cache.forget(graph, _maybe_owners(graph, changed))
    return cache


_BOOLEANS: list[tuple[bool, bool, bool, bool, bool]] = [
    (bool(bits & 2), bool(bits & 4), bool(bits & 8), bool(bits & 16), bool(bits & 32))
    for bits in range(64)
]
"""The five booleans of :class:`~graph_service.stores.base.LeadFacts`, in field order, that a
byte of :class:`_Facts` flags holds."""


class _Facts:
    """The :class:`~graph_service.stores.base.LeadFacts` of the people read so far, in columns.

    The derived index ``("lead facts", rules)`` of :meth:`_Kept.ask`. Per node number: a
    byte of flags (0: not read; else bit 0 set, then one bit per boolean, in field order)
    and two floats (``shareholding``, ``transfer_amount``): 17 bytes a node, where a dict
    of a million ``LeadFacts`` objects held about 190 bytes a person
    (benchmarks/README.md#tuning-constants). Grown to the node numbers asked about.
    """

    __slots__ = ("flags", "shareholding", "transfer")

    def __init__(self, flags: bytes = b"", shareholding: bytes = b"",
                 transfer: bytes = b"") -> None:  # fmt: skip
        self.flags = bytearray(flags)
        self.shareholding = array("d", shareholding)
        self.transfer = array("d", transfer)

    def __eq__(self, other: object) -> bool:
        """Equal to facts holding the same columns."""
        if not isinstance(other, _Facts):
            return NotImplemented
        return (self.flags, self.shareholding, self.transfer) == (
            other.flags, other.shareholding, other.transfer)  # fmt: skip

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __reduce__(self) -> tuple[type[_Facts], tuple[bytes, bytes, bytes]]:
        """Pickled as the columns' bytes (a snapshot names no class of :mod:`array`)."""
        columns = (bytes(self.flags), self.shareholding.tobytes(), self.transfer.tobytes())
        return (_Facts, columns)

    def each(self, people: list[int], read: Callable[[int], LeadFacts]) -> Iterator[LeadFacts]:
        """The facts of each of ``people``: as kept, or read by ``read(person)`` and kept.

        The columns are grown first to hold every one of ``people``.
        """
        flags, shareholding, transfer = self.flags, self.shareholding, self.transfer
        grown = max(people, default=-1) + 1 - len(flags)
        if grown > 0:
            flags.extend(bytes(grown))
            shareholding.frombytes(bytes(8 * grown))
            transfer.frombytes(bytes(8 * grown))
        for person in people:
            bits = flags[person]
            if bits:
                yield LeadFacts(*_BOOLEANS[bits], shareholding[person], transfer[person])
            else:
                facts = read(person)
                flags[person] = (1 | facts.employed << 1 | facts.payroll << 2
                                 | facts.private << 3 | facts.executive << 4
                                 | facts.shareholder << 5)  # fmt: skip
                shareholding[person] = facts.shareholding
                transfer[person] = facts.transfer_amount
                yield facts

    def forget(self, people: Iterable[int]) -> None:
        """Mark ``people`` not read (their facts to be read again)."""
        flags = self.flags
        for person in people:
            if person < len(flags):
                flags[person] = 0


def _facts_index(graph: Adjacency, rules: LinkageRules) -> _Facts:
    """The derived index ``("lead facts", rules)``: the people's facts read so far."""
    facts: _Facts | None = graph.derived.get(("lead facts", rules))
    if facts is None:
        facts = graph.derived["lead facts", rules] = _Facts()
    return facts


@patches("lead facts")
def _patch_lead_facts(
    graph: Adjacency, key: object, cache: _Facts, changed: AbstractSet[int]
) -> _Facts:
    """People's facts less the changed nodes' and accounts' owners' (:func:`_patch_lead_kept`)."""
    cache.forget(_maybe_owners(graph, changed))
    return cache
