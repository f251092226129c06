"""Private-banking prospects: the book's executives and shareholders not yet private-banking.

Rule (``queries/private-banking-prospects.md``): a person with a lead kind
``EXECUTIVE_WITHOUT_PRIVATE_BANKING`` or ``SHAREHOLDER_WITHOUT_PRIVATE_BANKING``
(:mod:`.prospecting`), anywhere in the book; with ``minShareholding``, only those whose
largest shareholding is at least it; with ``minTransferAmount``, only those whose transfer
amount is at least it. Ranked by the :class:`~graph_service.linkage.prospecting.Signal`
(strongest first), then by id; for a caller who sees a prospect masked, it comes after the
unmasked ones, by id (:data:`RANKING`).

Question ``privateBankingProspects(minShareholding, minTransferAmount)``, a ranked
connection. Generic rule: the book's ``EMPLOYED_BY`` and ``SHAREHOLDER_OF`` read once for the
batch, then one profile read of the candidates (a minute at one million people). Pushed down
by stores that advertise it (:class:`Pushdown`): the embedded store judges every person once
from the lead facts it keeps (those ``managerLeads`` reads) and hands the people kept over
in order, a page's prospects built when read.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, cast

from graph_service.config import Settings
from graph_service.errors import InvalidInputError
from graph_service.linkage.holdings import staff
from graph_service.linkage.prospecting import (
    MASKED_SIGNAL_RANK,
    Judged,
    LeadKind,
    Signal,
    judged_rank,
    keeper,
    profiles,
)
from graph_service.linkage.question import (
    BOOK_SCAN_COST,
    Doc,
    Each,
    KeyPart,
    Lazy,
    MaskedRank,
    NodeOf,
    Order,
    Outside,
    Personal,
    Question,
    Ranked,
    Ranking,
    check_book_scan,
    fixed_cost,
)
from graph_service.model import NodeKey, NodeLabel, RelationshipType
from graph_service.rules import LinkageRules
from graph_service.stores.base import Direction, GraphStore, LeadFacts, Node, Reached

_ENTERPRISE, _PERSON = NodeLabel.ENTERPRISE.value, NodeLabel.PERSON.value
_PRIVATE_BANKING = (
    LeadKind.EXECUTIVE_WITHOUT_PRIVATE_BANKING, LeadKind.SHAREHOLDER_WITHOUT_PRIVATE_BANKING
)
_WANTED = frozenset(_PRIVATE_BANKING)


@dataclass(frozen=True, slots=True)
class ProspectsArgs:
    """Arguments of ``privateBankingProspects``.

    Attributes
    ----------
    min_shareholding : float, optional
        Keep those whose largest shareholding is at least this (0 to 1).
    min_transfer_amount : float, optional
        Keep those whose transfer amount is at least this.
    """

    min_shareholding: Annotated[
        float | None, Doc("Keep those whose largest shareholding is at least this, 0 to 1.")
    ] = None
    min_transfer_amount: Annotated[
        float | None, Doc("Keep those whose transfer amount is at least this.")
    ] = None


@dataclass(frozen=True, slots=True)
class Prospect:
    """An executive or shareholder who is not a private-banking customer."""

    node: Annotated[Node, Doc("The person."), NodeOf(_PERSON)]
    kinds: Annotated[
        list[LeadKind] | None,
        Doc("Their private-banking lead kinds (executive, shareholder); null when the "
            "person is masked."),
        Personal(),
    ]
    signal: Annotated[
        Signal | None, Doc("The ranking signal; null when the person is masked."), Personal()
    ]


def rank(prospect: Prospect) -> tuple[int, float, float, str]:
    """Sort key: the signal (strongest first), then id (before any masking)."""
    assert prospect.signal is not None
    return (*prospect.signal.rank(), prospect.node.id)


def validate(args: ProspectsArgs, settings: Settings) -> ProspectsArgs:
    """``args`` unchanged.

    Raises
    ------
    InvalidInputError
        If ``minShareholding`` is outside 0 to 1 or a minimum is not finite.
    """
    for name, value in (("minShareholding", args.min_shareholding),
                        ("minTransferAmount", args.min_transfer_amount)):  # fmt: skip
        if value is not None and not math.isfinite(value):
            raise InvalidInputError(f"{name} must be a finite number, got {value}")
    if args.min_shareholding is not None and not 0 <= args.min_shareholding <= 1:
        raise InvalidInputError(
            f"minShareholding must be between 0 and 1, got {args.min_shareholding}"
        )
    return args


def no_subjects(args: ProspectsArgs) -> tuple[NodeKey, ...]:
    """No node must exist: the question reads the whole book."""
    return ()


async def generic(
    store: GraphStore, settings: Settings, many: Sequence[ProspectsArgs]
) -> list[Ranked[Prospect]]:
    """Each answer: the book's candidates profiled once for the batch, then filtered.

    Refused past ``Settings.max_book_scan`` people (:func:`~graph_service.linkage.question.
    check_book_scan`).
    """
    await check_book_scan(store, settings, _PERSON, "privateBankingProspects")
    rules = settings.rules()
    book = await store.list_ids(_ENTERPRISE)
    candidates: dict[str, Node] = {}
    for found in await staff(store, book):
        candidates.update((p.id, p) for rel, p in found
                          if rel.props.get("role") == rules.executive_role)  # fmt: skip
    holders = await store.neighbors(
        _ENTERPRISE, book, RelationshipType.SHAREHOLDER_OF.value, Direction.INCOMING
    )
    candidates.update((h.id, h) for found in holders for _, h in found if h.label == _PERSON)
    people = [candidates[p] for p in sorted(candidates)]
    everyone = []
    for profile in await profiles(store, people, rules):
        kinds = [k for k in profile.kinds if k in _PRIVATE_BANKING]
        if kinds:
            everyone.append(Prospect(profile.person, kinds, profile.signal))
    return [
        Ranked.sort([p for p in everyone if p.signal is not None and _passes(args, p.signal)],
                    rank)  # fmt: skip
        for args in many
    ]


def _passes(args: ProspectsArgs, signal: Signal) -> bool:
    """Whether a prospect of ``signal`` has the least shareholding and transfer amount asked."""
    return ((args.min_shareholding is None or signal.shareholding >= args.min_shareholding)
            and (args.min_transfer_amount is None
                 or signal.transfer_amount >= args.min_transfer_amount))  # fmt: skip


class Pushdown(Protocol):
    """The optional method of a store advertising ``private_banking_prospects``."""

    async def private_banking_prospects(
        self,
        rules: LinkageRules,
        keep: Callable[[LeadFacts], Judged | None],
        rank: Callable[[Judged], tuple[float, ...]],
    ) -> Reached[Judged]:
        """Every person of the book that ``keep(facts)`` keeps, as one hop.

        In the order of ``rank`` of what ``keep`` answered (ascending), then of id; each
        one's ``path`` the person alone.
        """
        ...


def _from_store(found: Reached[Judged], everyone: Callable[[], tuple[list[str], list[Judged]]],
                positions: Sequence[int] | None) -> Ranked[Prospect]:  # fmt: skip
    """The prospects of a store's search (at ``positions`` of it, or all), read when asked.

    ``everyone()`` reads the store's whole list (once, for every answer of a batch). Their
    sort keys and node keys are read from the store as a page asks for them; the
    prospects themselves are built only when read (a page of a hundred of the book's
    hundred thousand).
    """
    size = found.counts[0] if found.counts else 0
    at: Callable[[int], int] = (lambda i: i) if positions is None else positions.__getitem__
    count = size if positions is None else len(positions)

    def whole() -> Iterator[tuple[str, Judged]]:
        pairs = zip(*everyone(), strict=True)
        if positions is None:
            return pairs
        chosen = set(positions)
        return (pair for i, pair in enumerate(pairs) if i in chosen)

    def build(i: int) -> Prospect:
        _, (kinds, signal, _) = found.person(0, at(i))
        node = found.path(0, at(i)).nodes[0]
        return Prospect(node, [k for k in kinds if k in _PRIVATE_BANKING], signal)

    def key(i: int) -> tuple[KeyPart, ...]:
        person_id, (_, _, signal_rank) = found.person(0, at(i))
        return (*signal_rank, person_id)

    nodes = Each(count, lambda i: (_PERSON, found.person(0, at(i))[0]),
                 lambda: ((_PERSON, person_id) for person_id, _ in whole()))
    keys = Each(count, key, lambda: ((*judged[2], person_id) for person_id, judged in whole()))
    return Ranked(Lazy(nodes, build), keys)


async def pushdown(
    store: GraphStore, settings: Settings, many: Sequence[ProspectsArgs]
) -> list[Ranked[Prospect]]:
    """Each answer from the store's own search of the book (:class:`Pushdown`).

    The people kept are those of the lead kinds ``EXECUTIVE_WITHOUT_PRIVATE_BANKING`` and
    ``SHAREHOLDER_WITHOUT_PRIVATE_BANKING`` (the kinds of :mod:`.prospecting`, one
    :func:`~graph_service.linkage.prospecting.keeper` shared with ``managerLeads``); the
    least shareholding and transfer amount are tested on each one's signal.
    """
    own = cast(Pushdown, store)
    found = await own.private_banking_prospects(settings.rules(), keeper(_WANTED), judged_rank)

    @functools.cache
    def everyone() -> tuple[list[str], list[Judged]]:
        """Every prospect's id and judgement, read from the store once for the batch."""
        return found.people(0) if found.counts and found.counts[0] else ([], [])

    answers = []
    for args in many:
        positions = None
        if args.min_shareholding is not None or args.min_transfer_amount is not None:
            judged = everyone()[1]
            positions = [i for i, (_, signal, _) in enumerate(judged) if _passes(args, signal)]
        answers.append(_from_store(found, everyone, positions))
    return answers


RANKING: Ranking[ProspectsArgs] = Ranking(
    order=Order("signal-id", (int, float, float, str)), item=Prospect,
    masked=MaskedRank(neutral=MASKED_SIGNAL_RANK,
                      left_out=lambda args: args.min_transfer_amount is not None),
)
"""Prospects by signal (executive, shareholding, transfer amount; strongest first), then id;
a masked person after the unmasked ones, by id, its signal
(:data:`~graph_service.linkage.prospecting.MASKED_SIGNAL_RANK`) hidden; left out when
``minTransferAmount`` chose the prospects."""

QUESTION: Question[ProspectsArgs, Any] = Question(
    name="private_banking_prospects",
    description="Executives and shareholders (of any enterprise) who are not private-banking "
    "customers, each once, optionally with a least shareholding or transfer amount, ranked "
    "by signal (executive, shareholding, transfer amount), then id; a person the caller sees "
    "masked after the others, by id alone.",
    arguments=ProspectsArgs,
    answer=Ranked,
    ranking=RANKING,
    validate=validate,
    subjects=no_subjects,
    outside=Outside.MASKED,
    batch=generic,
    pushdown=pushdown,
    cost=fixed_cost(BOOK_SCAN_COST),
)
"""``privateBankingProspects``."""
