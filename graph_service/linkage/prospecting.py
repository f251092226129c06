"""Rule pieces shared by ``managerLeads`` and ``privateBankingProspects``: lead kinds and signal.

Over the store primitives only, one batched
:meth:`~graph_service.stores.base.GraphStore.neighbors` call per relationship type for all
the people given (see ``queries/manager-leads.md``):

- **Kinds** (:class:`LeadKind`, rules of :mod:`graph_service.rules`):
  ``UNCOVERED_EMPLOYEE``, employed by some enterprise (``EMPLOYED_BY``, any role) and owning
  no active payroll product; ``EXECUTIVE_WITHOUT_PRIVATE_BANKING``, an executive of some
  enterprise who is not a private-banking customer; ``SHAREHOLDER_WITHOUT_PRIVATE_BANKING``,
  holding shares of some enterprise (``SHAREHOLDER_OF``) and not a private-banking customer.
- **Signal** (:class:`Signal`), how strong a prospect is, compared in this order, each
  higher first: ``executive`` (an executive of some enterprise), ``shareholding`` (the
  largest ``SHAREHOLDER_OF.ratio`` they hold), ``transferAmount`` (the sum of the
  ``totalAmount`` of the ``TRANSFERRED_TO`` relationships leaving or reaching the accounts
  they own, any status, each relationship once; an account owned by two people counts for
  each).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Annotated

from graph_service.linkage.question import Doc
from graph_service.model import NodeLabel, RelationshipType
from graph_service.rules import LinkageRules
from graph_service.stores.base import Direction, GraphStore, LeadFacts, Node, Relationship

_PERSON, _ACCOUNT = NodeLabel.PERSON.value, NodeLabel.ACCOUNT.value
_OUT = Direction.OUTGOING


class LeadKind(StrEnum):
    """Why a person is a prospect (see queries/manager-leads.md)."""

    UNCOVERED_EMPLOYEE = "UNCOVERED_EMPLOYEE"
    EXECUTIVE_WITHOUT_PRIVATE_BANKING = "EXECUTIVE_WITHOUT_PRIVATE_BANKING"
    SHAREHOLDER_WITHOUT_PRIVATE_BANKING = "SHAREHOLDER_WITHOUT_PRIVATE_BANKING"


@dataclass(frozen=True, slots=True)
class Signal:
    """How strong a prospect is: compared executive, then shareholding, then transfer amount.

    Attributes
    ----------
    executive : bool
    shareholding : float
        Largest share held of an enterprise, 0 to 1 (0 without shares).
    transfer_amount : float
        Sum of the amounts sent from or received by the accounts the person owns.
    """

    executive: Annotated[bool, Doc("An executive of some enterprise.")]
    shareholding: Annotated[
        float, Doc("Largest share held of an enterprise, 0 to 1 (0 without shares).")
    ]
    transfer_amount: Annotated[
        float,
        Doc("Sum of the totalAmount of the transfers leaving or reaching the accounts the "
            "person owns, each once."),
    ]

    def rank(self) -> tuple[int, float, float]:
        """The signal's part of a sort key: ascending sorts the strongest first."""
        return (-int(self.executive), -self.shareholding, -self.transfer_amount)


MASKED_SIGNAL_RANK: tuple[int, float, float] = (1, 0.0, 0.0)
"""The signal's part of a masked person's sort key, a lead's or a prospect's
(:class:`~graph_service.linkage.question.MaskedRank`).

Its first part, 1, is above every :meth:`Signal.rank`'s (-1 for an executive, 0 otherwise),
so a masked person comes after every unmasked one of the same rank before the signal (a
lead's hop), by id alone; its two amounts are constants, the same for every masked person.
A lead's kinds are personal (the products the person lacks), and the signal would tell
them: a masked lead who is neither an executive nor a shareholder can only be an uncovered
employee, one without a payroll product. So neither their cursor nor their place among the
others may carry any part of it; the amounts of their transfers are personal data too
(:data:`graph_service.model.PERSONAL_RELATIONSHIP_FIELDS`)."""


@dataclass(frozen=True, slots=True)
class Profile:
    """A person's lead kinds (in :class:`LeadKind` order) and signal."""

    person: Node
    kinds: tuple[LeadKind, ...]
    signal: Signal


async def profiles(
    store: GraphStore, people: Sequence[Node], rules: LinkageRules
) -> list[Profile]:
    """The lead kinds and signal of each person, aligned with ``people``.

    Five batched ``neighbors`` reads (``EMPLOYED_BY``, ``SHAREHOLDER_OF`` and ``OWNS``
    leaving the people, ``TRANSFERRED_TO`` leaving and reaching their accounts), whatever
    their number.
    """
    ids = [p.id for p in people]

    async def out(of: Sequence[str], rel: RelationshipType) -> list[list[tuple[Relationship,
                                                                                  Node]]]:
        return await store.neighbors(_PERSON, of, rel.value, _OUT)

    jobs = await out(ids, RelationshipType.EMPLOYED_BY)
    shares = await out(ids, RelationshipType.SHAREHOLDER_OF)
    owned = await out(ids, RelationshipType.OWNS)
    accounts = sorted({account.id for found in owned for _, account in found})
    transfers: dict[str, list[Relationship]] = {a: [] for a in accounts}
    for direction in Direction:
        moving = await store.neighbors(
            _ACCOUNT, accounts, RelationshipType.TRANSFERRED_TO.value, direction
        )
        for account, rels in zip(accounts, moving, strict=True):
            transfers[account] += [rel for rel, _ in rels]
    found: list[Profile] = []
    for person, employers, held, own in zip(people, jobs, shares, owned, strict=True):
        active = {
            a.props.get("type") for _, a in own if a.props.get("status") == rules.active_status
        }
        moved = {(r.start, r.end): r for _, a in own for r in transfers[a.id]}
        facts = LeadFacts(
            employed=bool(employers),
            payroll=bool(active & set(rules.payroll_products)),
            private=person.props.get("segment") == rules.private_segment
            or bool(active & set(rules.private_banking_products)),
            executive=any(rel.props.get("role") == rules.executive_role for rel, _ in employers),
            shareholder=bool(held),
            shareholding=max((float(rel.props.get("ratio", 0.0)) for rel, _ in held), default=0.0),
            transfer_amount=math.fsum(
                float(r.props.get("totalAmount", 0.0)) for r in moved.values()
            ),
        )
        found.append(Profile(person, *judge(facts)))
    return found


def judge(facts: LeadFacts) -> tuple[tuple[LeadKind, ...], Signal]:
    """A person's lead kinds (in :class:`LeadKind` order) and signal, from their facts.

    The one place of the kinds' rule (module docstring); the facts are read by
    :func:`profiles` or by a store's own ``managerLeads``.
    """
    kinds = []
    if facts.employed and not facts.payroll:
        kinds.append(LeadKind.UNCOVERED_EMPLOYEE)
    if facts.executive and not facts.private:
        kinds.append(LeadKind.EXECUTIVE_WITHOUT_PRIVATE_BANKING)
    if facts.shareholder and not facts.private:
        kinds.append(LeadKind.SHAREHOLDER_WITHOUT_PRIVATE_BANKING)
    signal = Signal(facts.executive, facts.shareholding, facts.transfer_amount)
    found = tuple(kinds)
    return _KINDS.setdefault(found, found), signal


_KINDS: dict[tuple[LeadKind, ...], tuple[LeadKind, ...]] = {}
"""The kinds :func:`judge` answers, one tuple per combination (at most eight), shared by the
hundreds of thousands of people a store keeps the judgements of (:mod:`graph_service.stores.
embedded.questions`)."""


Judged = tuple[tuple[LeadKind, ...], Signal, tuple[int, float, float]]
"""What a store's own search keeps of a person (:func:`keeper`): kinds, signal, its rank."""


def _judged(wanted: frozenset[LeadKind], facts: LeadFacts) -> Judged | None:
    """The kinds and signal of a person of ``facts``; ``None`` unless of a ``wanted`` kind."""
    kinds, signal = judge(facts)
    return None if wanted.isdisjoint(kinds) else (kinds, signal, signal.rank())


def judged_rank(judged: Judged) -> tuple[float, ...]:
    """The ``rank`` a store's search orders people by: the signal's part of the sort key."""
    return judged[2]


@functools.cache
def keeper(wanted: frozenset[LeadKind]) -> Callable[[LeadFacts], Judged | None]:
    """The ``keep`` of the people of the ``wanted`` kinds, one per set of kinds.

    The same function each time, so that a store may cache its answers per person
    (``managerLeads`` and ``privateBankingProspects`` asking for the same kinds share them).
    """
    return partial(_judged, wanted)
