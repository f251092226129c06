"""Coverage rollup: payroll coverage summed per manager, branch, industry or region.

Rule (``queries/coverage-rollup.md``): a group is a set of enterprises, keyed by

- ``MANAGER``: each manager managing it (``MANAGES``); an enterprise with two managers is in
  both groups;
- ``BRANCH``: the ``branch`` of each of its managers (the enterprises managed from the
  branch), each branch once per enterprise;
- ``INDUSTRY``, ``REGION``: its property of that name.

An enterprise with none (no manager, no manager with a branch, no such property) is in the
group of key ``null``. A group's ``employees``, ``covered`` and ``uncovered`` are the sums of
its enterprises' ``payrollCoverage`` figures (the configured payroll products), so a person
employed by two of its enterprises counts in each, as banks add up per-enterprise matching
rates; ``rate`` is ``covered / employees`` (``null`` without employees). Groups are listed by
key, the ``null`` one last.

Question ``coverageRollup(groupBy)``, a ranked connection. Generic rule: the per-enterprise
figures from :mod:`.coverage` (its pushdown where the store has one) for the whole book at
once, then one ``MANAGES`` read and a Python loop. Pushed down by stores that advertise it
(:class:`Pushdown`: the sums of every group, in one pass over the book).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Protocol, cast

from graph_service.config import Settings
from graph_service.linkage.coverage import QUESTION as PAYROLL_COVERAGE
from graph_service.linkage.coverage import PayrollArgs
from graph_service.linkage.question import (
    BOOK_SCAN_COST,
    Doc,
    Id,
    Order,
    Outside,
    Question,
    Ranked,
    Ranking,
    answer_many,
    fixed_cost,
)
from graph_service.model import NodeKey, NodeLabel, RelationshipType
from graph_service.rules import LinkageRules
from graph_service.stores.base import Coverage, Direction, GraphStore

_ENTERPRISE = NodeLabel.ENTERPRISE.value


class RollupGroup(StrEnum):
    """What the enterprises of a coverage rollup are grouped by."""

    MANAGER = "MANAGER"
    BRANCH = "BRANCH"
    INDUSTRY = "INDUSTRY"
    REGION = "REGION"


@dataclass(frozen=True, slots=True)
class RollupArgs:
    """Arguments of ``coverageRollup``.

    Attributes
    ----------
    group_by : RollupGroup
    """

    group_by: Annotated[RollupGroup, Doc("What the enterprises are grouped by.")]


@dataclass(frozen=True, slots=True)
class CoverageGroup:
    """Payroll coverage summed over one group of enterprises."""

    key: Annotated[
        str | None,
        Doc("Manager id, branch, industry or region; null for the enterprises without one."),
    ]
    enterprises: Annotated[int, Doc("Enterprises in the group.")]
    employees: Annotated[int, Doc("Sum of their employees (a person in each employer).")]
    covered: Annotated[int, Doc("Sum of their covered employees.")]
    uncovered: Annotated[int, Doc("employees - covered.")]
    rate: Annotated[float | None, Doc("covered / employees, 0 to 1; null without employees.")]


def group_key(group: CoverageGroup) -> tuple[int, str]:
    """Sort key: by key, the ``null`` group last."""
    return (0, group.key) if group.key is not None else (1, "")


def no_subjects(args: RollupArgs) -> tuple[NodeKey, ...]:
    """No node must exist: the rollup reads the whole book."""
    return ()


async def memberships(
    store: GraphStore, group_by: RollupGroup, enterprise_ids: Sequence[str]
) -> list[set[str | None]]:
    """The keys of the groups each enterprise is in (``{None}`` for none), aligned."""
    if group_by in (RollupGroup.INDUSTRY, RollupGroup.REGION):
        name = group_by.value.lower()
        nodes = await store.get_nodes(_ENTERPRISE, enterprise_ids)
        return [{None if n is None else n.props.get(name)} for n in nodes]
    managers = await store.neighbors(
        _ENTERPRISE, enterprise_ids, RelationshipType.MANAGES.value, Direction.INCOMING
    )
    keys: list[set[str | None]] = []
    for found in managers:
        if group_by is RollupGroup.MANAGER:
            mine: set[str | None] = {m.id for _, m in found}
        else:
            mine = {m.props["branch"] for _, m in found if m.props.get("branch") is not None}
        keys.append(mine or {None})
    return keys


Totals = dict[str | None, tuple[int, int, int]]
"""``(enterprises, employees, covered)`` per group key."""


def totals(memberships: Sequence[set[str | None]], coverages: Sequence[Coverage]) -> Totals:
    """The sums of each group: its enterprises, their employees and covered employees."""
    sums: dict[str | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    for keys, coverage in zip(memberships, coverages, strict=True):
        for key in keys:
            total = sums[key]
            total[0] += 1
            total[1] += coverage.employees
            total[2] += coverage.covered
    return {key: (n, employees, covered) for key, (n, employees, covered) in sums.items()}


def groups(found: Totals) -> Ranked[CoverageGroup]:
    """The groups of ``found``, ranked by :func:`group_key`."""
    listed = [
        CoverageGroup(key, n, employees, covered, employees - covered,
                      covered / employees if employees else None)  # fmt: skip
        for key, (n, employees, covered) in found.items()
    ]
    return Ranked.sort(listed, group_key)


async def generic(
    store: GraphStore, settings: Settings, many: Sequence[RollupArgs]
) -> list[Ranked[CoverageGroup]]:
    """Each rollup: the book's coverage read once for the batch, then grouped."""
    book = await store.list_ids(_ENTERPRISE)
    found = await answer_many(PAYROLL_COVERAGE, store, settings,
                              [PayrollArgs(Id(e)) for e in book])  # fmt: skip
    coverages = [c for c in found if isinstance(c, Coverage)]
    assert len(coverages) == len(book), "every listed enterprise exists"
    by_group = {
        group_by: groups(totals(await memberships(store, group_by, book), coverages))
        for group_by in dict.fromkeys(args.group_by for args in many)
    }
    return [by_group[args.group_by] for args in many]


class Pushdown(Protocol):
    """The optional method of a store advertising ``coverage_rollup``."""

    async def coverage_rollup(self, group_by: str, rules: LinkageRules) -> Totals:
        """The sums of every group by ``group_by`` (a :class:`RollupGroup` value)."""
        ...


async def pushdown(
    store: GraphStore, settings: Settings, many: Sequence[RollupArgs]
) -> list[Ranked[CoverageGroup]]:
    """Each rollup from the store's own ``coverage_rollup``, once per ``groupBy``."""
    own, rules = cast(Pushdown, store), settings.rules()
    by_group = {
        group_by: groups(await own.coverage_rollup(group_by.value, rules))
        for group_by in dict.fromkeys(args.group_by for args in many)
    }
    return [by_group[args.group_by] for args in many]


RANKING: Ranking[RollupArgs] = Ranking(order=Order("key", (int, str)), item=CoverageGroup)
"""Groups by key, the ``null`` group last."""

QUESTION: Question[RollupArgs, Any] = Question(
    name="coverage_rollup",
    description="Payroll coverage summed over the enterprises of each manager, branch, "
    "industry or region (an enterprise in each of its groups; key null for those without "
    "one), one edge per group by key, null last.",
    arguments=RollupArgs,
    answer=Ranked,
    ranking=RANKING,
    subjects=no_subjects,
    outside=Outside.AGGREGATE,
    batch=generic,
    pushdown=pushdown,
    cost=fixed_cost(BOOK_SCAN_COST),
)
"""``coverageRollup``."""
