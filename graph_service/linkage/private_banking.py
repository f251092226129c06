"""Executives without private banking: the private bank's prospects among client executives.

Rule (see :mod:`graph_service.rules`): an executive is a person with an ``EMPLOYED_BY``
relationship of role ``"executive"``; they are a private-banking customer when their segment
is ``"private"`` or they own an active private-banking product (default
``"trust account"``).

Question ``executivesWithoutPrivateBanking(enterpriseId)``, a connection of people; without
``enterpriseId`` it scans the whole book and lists each person once, however many boards
they sit on. Pushed down by stores that advertise it (:class:`Pushdown`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from graph_service.config import Settings
from graph_service.linkage.holdings import holders, staff
from graph_service.linkage.question import (
    BOOK_SCAN_COST,
    ENTERPRISE_COST,
    Cost,
    CostArguments,
    Id,
    IdList,
    Question,
    each,
)
from graph_service.model import NodeKey, NodeLabel
from graph_service.rules import LinkageRules
from graph_service.stores.base import GraphStore

_ENTERPRISE, _PERSON = NodeLabel.ENTERPRISE.value, NodeLabel.PERSON.value


@dataclass(frozen=True, slots=True)
class ExecutivesArgs:
    """Arguments of ``executivesWithoutPrivateBanking``.

    Attributes
    ----------
    enterprise_id : str, optional
        Restrict to one enterprise's executives; ``None`` scans every enterprise.
    """

    enterprise_id: Id | None = None


def subjects(args: ExecutivesArgs) -> tuple[NodeKey, ...]:
    """The enterprise, when one is named."""
    return () if args.enterprise_id is None else ((_ENTERPRISE, args.enterprise_id),)


async def generic(
    store: GraphStore, settings: Settings, many: Sequence[ExecutivesArgs]
) -> list[IdList]:
    """Each answer by the rule, over the store primitives (the book read once for all)."""
    rules = settings.rules()
    scopes = [
        None if args.enterprise_id is None else [args.enterprise_id] for args in many
    ]
    book = await store.list_ids(_ENTERPRISE) if None in scopes else []
    enterprises = list(dict.fromkeys([*book, *(e for s in scopes if s for e in s)]))
    staffs = dict(zip(enterprises, await staff(store, enterprises), strict=True))
    executives = {
        e: {p.id: p for rel, p in found if rel.props.get("role") == rules.executive_role}
        for e, found in staffs.items()
    }
    people = {p.id: p for found in executives.values() for p in found.values()}
    customers = await holders(store, list(people), rules.private_banking_products, rules)
    customers |= {
        pid for pid, p in people.items() if p.props.get("segment") == rules.private_segment
    }
    return [
        IdList(_PERSON, sorted({
            pid for e in (book if scope is None else scope) for pid in executives[e]
        } - customers))
        for scope in scopes
    ]


class Pushdown(Protocol):
    """The optional method of a store advertising ``executives_without_private_banking``."""

    async def executives_without_private_banking(
        self, enterprise_id: str | None, rules: LinkageRules
    ) -> list[str]:
        """Sorted distinct ids of executives (of one or all enterprises) not private-banking."""
        ...


async def pushdown(
    store: GraphStore, settings: Settings, many: Sequence[ExecutivesArgs]
) -> list[IdList]:
    """Each answer from the store's own ``executives_without_private_banking``."""
    rules = settings.rules()
    own = cast(Pushdown, store)
    found = await each([
        own.executives_without_private_banking(args.enterprise_id, rules) for args in many
    ])
    return [IdList(_PERSON, ids) for ids in found]


def cost(arguments: CostArguments, settings: Settings) -> Cost:
    """Price one occurrence: one enterprise, or a whole-book scan without ``enterpriseId``.

    :data:`~graph_service.linkage.question.ENTERPRISE_COST` or
    :data:`~graph_service.linkage.question.BOOK_SCAN_COST`.
    """
    given = arguments.given("enterprise_id")
    return Cost(base=ENTERPRISE_COST if given else BOOK_SCAN_COST)


QUESTION = Question(
    name="executives_without_private_banking",
    description="Executives (of one enterprise, or of all, each once) who are not "
    "private-banking customers, by id.",
    arguments=ExecutivesArgs,
    answer=IdList,
    lists=_PERSON,
    subjects=subjects,
    batch=generic,
    pushdown=pushdown,
    cost=cost,
)
"""``executivesWithoutPrivateBanking``: person ids sorted as text, each once."""
