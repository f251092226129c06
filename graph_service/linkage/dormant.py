"""Dormant accounts: the "sleeping households" around a client enterprise, to revive.

Rule (``queries/dormant-accounts.md``, issue 14): the accounts owned (``OWNS``) by the
enterprise or by its employees and executives (``EMPLOYED_BY``, any role) that are dormant
for a :class:`DormantReason` (:func:`reason`):

- ``STATUS_DORMANT``: a ``status`` among the configured ones
  (``GRAPH_SERVICE_DORMANT_STATUSES``, default ``dormant``);
- ``INACTIVE``, only when ``inactiveDays`` is given: otherwise an account that is not
  ``blocked`` whose ``lastActivityAt`` is more than ``inactiveDays`` days before the store's
  as-of time (:meth:`~graph_service.stores.base.GraphStore.as_of`, the latest
  ``lastActivityAt`` held, so that answers do not drift with the clock). 365 (a year
  without activity) is the usual choice.

One item per distinct account, with its owners among the enterprise and its staff (people
and enterprise in ``(label, id)`` order) and its reason, sorted by account id. An account the
caller sees masked is left out (:data:`RANKING`): its listing tells its status and activity.

Question ``dormantAccounts(enterpriseId, inactiveDays)``, a ranked connection. Generic rule
only, as for the other ranked questions: three batched reads for the whole batch, plus the
as-of time once when an argument set has ``inactiveDays``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from graph_service.config import Settings
from graph_service.errors import InvalidInputError
from graph_service.linkage.holdings import staff
from graph_service.linkage.question import (
    ENTERPRISE_COST,
    Doc,
    Id,
    MaskedRank,
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
BLOCKED_STATUS = "blocked"
"""The account ``status`` that keeps an account out of ``INACTIVE`` (it cannot be revived)."""
MAX_INACTIVE_DAYS = 36_500
"""Largest ``inactiveDays`` accepted: a hundred years."""


class DormantReason(StrEnum):
    """Why an account is listed: STATUS_DORMANT (its status) or INACTIVE (no recent activity)."""

    STATUS_DORMANT = "STATUS_DORMANT"
    INACTIVE = "INACTIVE"


@dataclass(frozen=True, slots=True)
class DormantArgs:
    """Arguments of ``dormantAccounts``.

    Attributes
    ----------
    enterprise_id : str
    inactive_days : int, optional
        Days without activity, 1 to :data:`MAX_INACTIVE_DAYS`, that make an account that is
        not blocked ``INACTIVE``; ``None``: only ``STATUS_DORMANT`` accounts are listed.
    """

    enterprise_id: Id
    inactive_days: Annotated[
        int | None,
        Doc("Also list the accounts, not blocked, whose lastActivityAt is more than this many "
            "days before the store's as-of time (its latest activity), 1 to 36500; 365 (a "
            "year) is the usual choice. Omitted: only accounts of a dormant status."),
    ] = None


@dataclass(frozen=True, slots=True)
class DormantAccount:
    """An account owned by an enterprise or its staff that is dormant, and why."""

    node: Annotated[Node, Doc("The account."), NodeOf(_ACCOUNT)]
    owners: Annotated[
        list[Annotated[Node, NodeOf(_ENTERPRISE, _PERSON)]],
        Doc("Its owners among the enterprise and its employees and executives."),
    ]
    reason: Annotated[DormantReason, Doc("Why it is listed.")]


def validate(args: DormantArgs, settings: Settings) -> DormantArgs:
    """``args`` as given.

    Raises
    ------
    InvalidInputError
        If ``inactiveDays`` is outside 1 to :data:`MAX_INACTIVE_DAYS`.
    """
    days = args.inactive_days
    if days is not None and not 1 <= days <= MAX_INACTIVE_DAYS:
        raise InvalidInputError(
            f"inactiveDays must be between 1 and {MAX_INACTIVE_DAYS}, got {days}"
        )
    return args


def inactive_before(as_of: str | None, days: int | None) -> str | None:
    """The time an account's last activity must precede for the account to be ``INACTIVE``.

    Parameters
    ----------
    as_of : str or None
        The store's as-of time (:meth:`~graph_service.stores.base.GraphStore.as_of`).
    days : int or None
        ``inactiveDays``.

    Returns
    -------
    str or None
        ``as_of`` minus ``days`` days, as ISO-8601 text written as the loaders write times
        (``datetime.isoformat``), so that it compares as text the way the as-of time does;
        ``None`` (no account is ``INACTIVE``) without ``days``, without an as-of time, or
        when the difference falls before year 1.
    """
    if days is None or as_of is None:
        return None
    try:
        return (datetime.fromisoformat(as_of) - timedelta(days=days)).isoformat()
    except OverflowError:
        return None


def reason(
    account: Node, settings: Settings, before: str | None = None
) -> DormantReason | None:
    """Why ``account`` is dormant; ``None`` if it is not.

    ``STATUS_DORMANT`` when its ``status`` is one of ``settings.dormant_statuses``; else
    ``INACTIVE`` when its status is not ``blocked`` and its ``lastActivityAt`` is earlier
    than ``before`` (:func:`inactive_before`; compared as text, like the as-of time). An
    account without ``lastActivityAt`` has no known activity and is never ``INACTIVE``.
    """
    props = account.props
    if props.get("status") in settings.dormant_statuses:
        return DormantReason.STATUS_DORMANT
    last = props.get("lastActivityAt")
    if before is not None and last is not None and props.get("status") != BLOCKED_STATUS:
        return DormantReason.INACTIVE if last < before else None
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
    as_of = await store.as_of() if any(a.inactive_days is not None for a in many) else None
    companies = [c for c in await store.get_nodes(_ENTERPRISE, ids) if c is not None]
    assert len(companies) == len(ids), "subjects exist"
    circles = [
        sorted([company, *(person for _, person in found)], key=lambda n: n.key)
        for company, found in zip(companies, await staff(store, ids), strict=True)
    ]
    owned = await owned_accounts(store, [node for circle in circles for node in circle])
    answers = []
    for args, circle in zip(many, circles, strict=True):
        before = inactive_before(as_of, args.inactive_days)
        accounts: dict[str, Node] = {}
        owners: dict[str, list[Node]] = defaultdict(list)
        for owner in circle:
            for account in owned[owner.key]:
                accounts[account.id] = account
                owners[account.id].append(owner)
        items = []
        for account_id in sorted(accounts):
            why = reason(accounts[account_id], settings, before)
            if why is not None:
                items.append(DormantAccount(accounts[account_id], owners[account_id], why))
        answers.append(Ranked.sort(items, account_key))
    return answers


def account_key(item: DormantAccount) -> tuple[str]:
    """Sort key: the account's id."""
    return (item.node.id,)


RANKING: Ranking[DormantArgs] = Ranking(
    order=Order("account-id", (str,)), item=DormantAccount,
    masked=MaskedRank(left_out=lambda args: True),
)
"""Dormant accounts by account id; those the caller sees masked left out: an account's listing
and its ``reason`` tell its ``status`` and its ``lastActivityAt`` (to the day, asking again
with other ``inactiveDays``), which are personal data of its owners
(``model.PERSONAL_FIELDS``)."""

QUESTION: Question[DormantArgs, Any] = Question(
    name="dormant_accounts",
    description="Dormant accounts owned by the enterprise or its employees and executives: "
    "status in GRAPH_SERVICE_DORMANT_STATUSES, and with inactiveDays also the accounts, not "
    "blocked, without activity for more than inactiveDays before the store's as-of time; one "
    "edge per account with its owners and reason, by account id, the accounts masked for the "
    "caller left out (every account, for analysts and applications); NOT_FOUND error if "
    "no such enterprise, BAD_USER_INPUT if inactiveDays is outside 1 to 36500.",
    arguments=DormantArgs,
    validate=validate,
    answer=Ranked,
    ranking=RANKING,
    subjects=enterprise,
    batch=generic,
    cost=fixed_cost(ENTERPRISE_COST),
)
"""``dormantAccounts``."""
