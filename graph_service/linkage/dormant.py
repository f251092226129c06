"""Dormant accounts: the "sleeping households" around a client enterprise, to revive.

Rule (``queries/dormant-accounts.md``): the accounts owned (``OWNS``) by the enterprise or
by its employees and executives (``EMPLOYED_BY``, any role) that are dormant for a
:class:`DormantReason`: today ``STATUS_DORMANT``, a ``status`` among the configured ones
(``GRAPH_SERVICE_DORMANT_STATUSES``, default ``dormant``). One item per distinct account,
with its owners among the enterprise and its staff (people and enterprise in ``(label,
id)`` order) and its reason, sorted by account id.

A later reason (no activity for some days) adds a member to :class:`DormantReason` and a
test to :func:`reason`.

Question ``dormantAccounts(enterpriseId)``, a ranked connection. Generic rule only: three
batched reads for the whole batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from graph_service.config import Settings
from graph_service.linkage.holdings import staff
from graph_service.linkage.question import (
    ENTERPRISE_COST,
    Doc,
    Id,
    NodeOf,
    Order,
    Question,
    Ranked,
    Ranking,
    fixed_cost,
)
from graph_service.model import NodeKey, NodeLabel, RelationshipType
from graph_service.stores.base import Direction, GraphStore, Node

_ENTERPRISE, _PERSON, _ACCOUNT = (
    NodeLabel.ENTERPRISE.value, NodeLabel.PERSON.value, NodeLabel.ACCOUNT.value
)
_OWNS = RelationshipType.OWNS.value


class DormantReason(StrEnum):
    """Why an account is listed as dormant."""

    STATUS_DORMANT = "STATUS_DORMANT"


@dataclass(frozen=True, slots=True)
class DormantArgs:
    """Arguments of ``dormantAccounts``.

    Attributes
    ----------
    enterprise_id : str
    """

    enterprise_id: Id


@dataclass(frozen=True, slots=True)
class DormantAccount:
    """An account owned by an enterprise or its staff that is dormant, and why."""

    node: Annotated[Node, Doc("The account."), NodeOf(_ACCOUNT)]
    owners: Annotated[
        list[Annotated[Node, NodeOf(_ENTERPRISE, _PERSON)]],
        Doc("Its owners among the enterprise and its employees and executives."),
    ]
    reason: Annotated[DormantReason, Doc("Why it is listed.")]


def reason(account: Node, settings: Settings) -> DormantReason | None:
    """Why ``account`` is dormant; ``None`` if it is not."""
    if account.props.get("status") in settings.dormant_statuses:
        return DormantReason.STATUS_DORMANT
    return None


def enterprise(args: DormantArgs) -> tuple[NodeKey, ...]:
    """The subject: the enterprise."""
    return ((_ENTERPRISE, args.enterprise_id),)


async def owned_accounts(
    store: GraphStore, owners: Sequence[Node]
) -> dict[NodeKey, list[Node]]:
    """The accounts each of ``owners`` owns (``OWNS``): one read per label."""
    found: dict[NodeKey, list[Node]] = {}
    for label in (_ENTERPRISE, _PERSON):
        ids = sorted({owner.id for owner in owners if owner.label == label})
        accounts = await store.neighbors(label, ids, _OWNS, Direction.OUTGOING)
        found.update(
            ((label, i), [account for _, account in listed])
            for i, listed in zip(ids, accounts, strict=True)
        )
    return found


async def generic(
    store: GraphStore, settings: Settings, many: Sequence[DormantArgs]
) -> list[Ranked[DormantAccount]]:
    """Each enterprise's dormant accounts: staff, then accounts, read once for the batch."""
    ids = [args.enterprise_id for args in many]
    companies = [c for c in await store.get_nodes(_ENTERPRISE, ids) if c is not None]
    assert len(companies) == len(ids), "subjects exist"
    circles = [
        sorted([company, *(person for _, person in found)], key=lambda n: n.key)
        for company, found in zip(companies, await staff(store, ids), strict=True)
    ]
    owned = await owned_accounts(store, [node for circle in circles for node in circle])
    answers = []
    for circle in circles:
        accounts: dict[str, Node] = {}
        owners: dict[str, list[Node]] = defaultdict(list)
        for owner in circle:
            for account in owned[owner.key]:
                accounts[account.id] = account
                owners[account.id].append(owner)
        items = []
        for account_id in sorted(accounts):
            why = reason(accounts[account_id], settings)
            if why is not None:
                items.append(DormantAccount(accounts[account_id], owners[account_id], why))
        answers.append(Ranked.sort(items, account_key))
    return answers


def account_key(item: DormantAccount) -> tuple[str]:
    """Sort key: the account's id."""
    return (item.node.id,)


RANKING: Ranking[DormantArgs] = Ranking(order=Order("account-id", (str,)), item=DormantAccount)
"""Dormant accounts by account id."""

QUESTION: Question[DormantArgs, Any] = Question(
    name="dormant_accounts",
    description="Dormant accounts (status in GRAPH_SERVICE_DORMANT_STATUSES) owned by the "
    "enterprise or its employees and executives, one edge per account with its owners and "
    "reason, by account id; NOT_FOUND error if no such enterprise.",
    arguments=DormantArgs,
    answer=Ranked,
    ranking=RANKING,
    subjects=enterprise,
    batch=generic,
    cost=fixed_cost(ENTERPRISE_COST),
)
"""``dormantAccounts``."""
