"""Referral conversion: how many referrals each manager or branch received, contacted, won.

Rule: every ``Referral`` node counts once, in the group of the account manager it is
``REFERRED_TO`` (``MANAGER``: the manager's id) or of that manager's ``branch``
(``BRANCH``); a referral without a manager, or whose manager has no branch, counts in the
group whose key is null. Per group:

- ``referred``: its referrals, whatever their status;
- ``contacted``: those that reached CONTACTED (status CONTACTED, CONVERTED or DECLINED: the
  workflow reaches the last two only through CONTACTED, :data:`~graph_service.model.
  REFERRAL_TRANSITIONS`);
- ``converted``: those CONVERTED;
- ``rate``: ``converted / referred``, in [0, 1].

Groups are listed by key as text, the null key last; a group without referrals is not
listed. Question ``referralConversion(groupBy)``; generic rule only (three reads, on every
store): the referrals, their managers, the managers' branches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from graph_service.config import Settings
from graph_service.linkage.question import BOOK_SCAN_COST, Doc, Question, fixed_cost, one_by_one
from graph_service.model import NodeKey, NodeLabel, RelationshipType
from graph_service.stores.base import Direction, GraphStore

CONTACTED_STATUSES = frozenset({"CONTACTED", "CONVERTED", "DECLINED"})
"""Statuses of a referral that has been contacted."""
CONVERTED_STATUS = "CONVERTED"


class ConversionGroupBy(StrEnum):
    """What ``referralConversion`` groups the referrals by."""

    MANAGER = "MANAGER"
    BRANCH = "BRANCH"


@dataclass(frozen=True, slots=True)
class ConversionArgs:
    """Arguments of ``referralConversion``.

    Attributes
    ----------
    group_by : ConversionGroupBy
    """

    group_by: Annotated[
        ConversionGroupBy,
        Doc("MANAGER: one group per manager referred to; BRANCH: per that manager's branch."),
    ]


@dataclass(frozen=True, slots=True)
class ReferralConversion:
    """The referrals of one group, contacted and converted.

    Attributes
    ----------
    key : str or None
        The manager's id or the branch; null for referrals without either.
    referred, contacted, converted : int
    rate : float or None
        ``converted / referred``.
    """

    key: Annotated[str | None, Doc("Manager id or branch; null: referrals without one.")]
    referred: Annotated[int, Doc("Referrals in the group, any status.")]
    contacted: Annotated[int, Doc("Of them, those that reached CONTACTED (also CONVERTED, "
                                  "DECLINED).")]  # fmt: skip
    converted: Annotated[int, Doc("Of them, those CONVERTED.")]
    rate: Annotated[float | None, Doc("converted / referred, 0 to 1.")]


def no_subject(args: ConversionArgs) -> tuple[NodeKey, ...]:
    """No node must exist: the question is about the whole book."""
    return ()


async def conversion(
    store: GraphStore, settings: Settings, args: ConversionArgs
) -> list[ReferralConversion]:
    """The groups of :mod:`this module's rule <graph_service.linkage.conversion>`."""
    referral = NodeLabel.REFERRAL.value
    ids = await store.list_ids(referral)
    nodes = await store.get_nodes(referral, ids)
    managers = await store.neighbors(
        referral, ids, RelationshipType.REFERRED_TO.value, Direction.OUTGOING
    )
    counts: dict[str | None, Counter[str]] = {}
    for node, found in zip(nodes, managers, strict=True):
        if node is None:
            continue
        manager = found[0][1] if found else None
        if args.group_by is ConversionGroupBy.MANAGER:
            key = manager.id if manager is not None else None
        else:
            key = manager.props.get("branch") if manager is not None else None
        status = node.props.get("status")
        group = counts.setdefault(key, Counter())
        group["referred"] += 1
        group["contacted"] += status in CONTACTED_STATUSES
        group["converted"] += status == CONVERTED_STATUS
    ordered: Sequence[str | None] = sorted(k for k in counts if k is not None)
    if None in counts:
        ordered = [*ordered, None]
    return [
        ReferralConversion(
            key=key,
            referred=counts[key]["referred"],
            contacted=counts[key]["contacted"],
            converted=counts[key]["converted"],
            rate=counts[key]["converted"] / counts[key]["referred"],
        )
        for key in ordered
    ]


QUESTION = Question(
    name="referral_conversion",
    description="Referrals per account manager or branch: referred, contacted, converted "
    "and the conversion rate (queries/referral-conversion.md).",
    arguments=ConversionArgs,
    answer=list[ReferralConversion],
    subjects=no_subject,
    batch=one_by_one(conversion),
    cost=fixed_cost(BOOK_SCAN_COST),
)
"""``referralConversion``."""
