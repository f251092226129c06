"""Manager leads: the prospects reachable from an account manager's clients.

Rule (``queries/manager-leads.md``): the manager's clients (``MANAGES``) are at hop 0; a
person within ``maxHops`` hops of a client over the configured relationship types
(``GRAPH_SERVICE_LEAD_RELATIONSHIP_TYPES``, default ``EMPLOYED_BY``, ``SHAREHOLDER_OF``,
``GUARANTEES``), ignoring direction, is a *lead* when they have at least one
:class:`~graph_service.linkage.prospecting.LeadKind` (of ``kinds``, when given). One lead
per person, listing all of their kinds, at their hop distance, with one shortest path from a
client (:func:`graph_service.linkage.traversal.reach`). Ranked by hop (closest first), then
by the :class:`~graph_service.linkage.prospecting.Signal` (strongest first), then by id; for
a caller who sees a lead masked, it comes after the unmasked leads of its hop, by id
(:data:`RANKING`).

Question ``managerLeads(managerId, maxHops, kinds)``, a ranked connection. Generic rule: one
breadth-first search per manager, then one profile read for the people reached; the managers
of a batch in turn. Pushed down by stores that advertise it (:class:`Pushdown`): the store
walks and reads the people's :class:`~graph_service.stores.base.LeadFacts` itself, the kinds
and signal are judged here (:func:`~graph_service.linkage.prospecting.judge`), and the store
puts each hop's people in the order of their signal's part of the sort key, then their ids.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, cast

from graph_service.config import Settings
from graph_service.errors import InvalidInputError
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
    PATH_SEARCH_COST,
    Cost,
    CostArguments,
    Doc,
    Each,
    Id,
    Lazy,
    MaskedRank,
    NodeOf,
    Order,
    Outside,
    Personal,
    Question,
    Ranked,
    Ranking,
)
from graph_service.linkage.traversal import reach
from graph_service.memory import bulk_allocation
from graph_service.model import NodeKey, NodeLabel, RelationshipType
from graph_service.rules import LinkageRules
from graph_service.stores.base import Direction, GraphStore, LeadFacts, Node, Path, Reached

_PERSON, _MANAGER = NodeLabel.PERSON.value, NodeLabel.MANAGER.value
"""A person's lead kinds and signal, as :func:`~graph_service.linkage.prospecting.judge`
answers, and the signal's part of their sort key (:meth:`~graph_service.linkage.
prospecting.Signal.rank`)."""


@dataclass(frozen=True, slots=True)
class LeadsArgs:
    """Arguments of ``managerLeads``.

    Attributes
    ----------
    manager_id : str
    max_hops : int
        Farthest hop from a client, 0 to ``GRAPH_SERVICE_MAX_LEAD_HOPS``.
    kinds : tuple of LeadKind, optional
        Keep the people with one of these kinds; ``None``: every kind.
    """

    manager_id: Id
    max_hops: Annotated[
        int, Doc("Farthest hop from a client (0: the clients themselves), at most "
                 "GRAPH_SERVICE_MAX_LEAD_HOPS (3).")  # fmt: skip
    ] = 2
    kinds: Annotated[
        tuple[LeadKind, ...] | None,
        Doc("Keep the people with at least one of these kinds; every kind when omitted."),
    ] = None


@dataclass(frozen=True, slots=True)
class Lead:
    """A person reachable from the manager's clients who is a prospect, and why."""

    node: Annotated[Node, Doc("The person."), NodeOf(_PERSON)]
    hop: Annotated[int, Doc("Hops from the nearest client (0: a client).")]
    kinds: Annotated[
        list[LeadKind] | None,
        Doc("Every kind of lead the person is, in enum order; null when the person is masked."),
        Personal(),
    ]
    signal: Annotated[
        Signal | None,
        Doc("The ranking signal, after the hop; null when the person is masked."),
        Personal(),
    ]
    path: Annotated[Path, Doc("One shortest path from a client to the person.")]


SortKey = tuple[int, int, float, float, str]
"""A lead's place: hop, then the signal (strongest first), then the person's id."""


def rank(lead: Lead) -> SortKey:
    """Sort key: hop, then the signal (strongest first), then id (before any masking)."""
    assert lead.signal is not None
    return (lead.hop, *lead.signal.rank(), lead.node.id)


def validate(args: LeadsArgs, settings: Settings) -> LeadsArgs:
    """``args`` with ``kinds`` in enum order, each once.

    Raises
    ------
    InvalidInputError
        If ``maxHops`` is outside 0 to ``max_lead_hops`` or ``kinds`` is empty.
    """
    if not 0 <= args.max_hops <= settings.max_lead_hops:
        raise InvalidInputError(
            f"maxHops must be between 0 and {settings.max_lead_hops}, got {args.max_hops}"
        )
    if args.kinds is None:
        return args
    if not args.kinds:
        raise InvalidInputError("kinds must list at least one LeadKind (omit it for all)")
    return dataclasses.replace(args, kinds=tuple(k for k in LeadKind if k in args.kinds))


def manager(args: LeadsArgs) -> tuple[NodeKey, ...]:
    """The subject: the manager."""
    return ((_MANAGER, args.manager_id),)


async def leads(store: GraphStore, settings: Settings, args: LeadsArgs) -> Ranked[Lead]:
    """One manager's leads by the rule, over the store primitives."""
    [clients] = await store.neighbors(
        _MANAGER, [args.manager_id], RelationshipType.MANAGES.value, Direction.OUTGOING
    )
    types = [t.value for t in settings.lead_relationship_types]
    paths = await reach(store, [client.key for _, client in clients], types, args.max_hops)
    people = [path.nodes[-1] for path in paths.values() if path.nodes[-1].label == _PERSON]
    wanted = set(args.kinds or LeadKind)
    found = [
        Lead(p.person, paths[p.person.key].length, list(p.kinds), p.signal, paths[p.person.key])
        for p in await profiles(store, people, settings.rules())
        if wanted.intersection(p.kinds)
    ]
    return Ranked.sort(found, rank)


async def each_in_turn(
    store: GraphStore, settings: Settings, many: Sequence[LeadsArgs]
) -> list[Ranked[Lead]]:
    """The batch form: one manager after the other.

    Each answer is a breadth-first search of several reads over thousands of nodes; a bulk
    batch of them at once would send a server store hundreds of such searches together
    and time out, where in turn each reads at the store's pace.
    """
    return [await leads(store, settings, args) for args in many]


class Pushdown(Protocol):
    """The optional method of a store advertising ``manager_leads``."""

    async def manager_leads(
        self,
        manager_id: str,
        rel_types: Sequence[str],
        max_hops: int,
        rules: LinkageRules,
        keep: Callable[[LeadFacts], Judged | None],
        rank: Callable[[Judged], tuple[float, ...]],
    ) -> Reached[Judged]:
        """Each person within ``max_hops`` of the manager's clients that ``keep(facts)`` keeps.

        Per hop, their ids and what ``keep`` answered, ordered by ``rank`` of that answer
        (ascending), then by id; on demand their path of
        :func:`~graph_service.linkage.traversal.reach`; no one for an absent manager.
        """
        ...


class _ByHop:
    """A store's search (:class:`~graph_service.stores.base.Reached`) as one ranked list.

    Hop by hop (closest first), each hop's people in the store's order (signal, then id):
    the ``i``-th lead and its sort key are read from the store when asked, so a page reads
    a hundred people, not the hundreds of thousands a search reaches. Reading every sort
    key (:meth:`keys`, as a masked caller's ranking does) reads each hop whole, once.
    """

    def __init__(self, reached: Reached[Judged]) -> None:
        self.reached = reached
        self.starts = [0]
        for count in reached.counts:
            self.starts.append(self.starts[-1] + count)
        self.whole: dict[int, tuple[list[str], list[Judged]]] = {}

    def __len__(self) -> int:
        return self.starts[-1]

    def person(self, i: int) -> tuple[int, int, str, Judged]:
        """The ``i``-th lead (0 to ``len(self) - 1``): hop, place there, id, judgement.

        Its hop, its place among the people of that hop, its person's id and what was
        judged of them.
        """
        if not 0 <= i < len(self):
            raise IndexError(f"position {i} of {len(self)} leads")
        hop = bisect_right(self.starts, i) - 1
        j = i - self.starts[hop]
        whole = self.whole.get(hop)
        if whole is None:
            return (hop, j, *self.reached.person(hop, j))
        return hop, j, whole[0][j], whole[1][j]

    def key(self, i: int) -> SortKey:
        """The sort key of the ``i``-th lead."""
        hop, _, pid, (_, _, signal_rank) = self.person(i)
        return (hop, *signal_rank, pid)

    def hops(self) -> Iterator[tuple[int, list[str], list[Judged]]]:
        """Each hop, its people's ids and judgements: read at once (and kept)."""
        for hop in range(len(self.starts) - 1):
            whole = self.whole.get(hop)
            if whole is None:
                whole = self.whole[hop] = self.reached.people(hop)
            yield hop, *whole

    def keys(self) -> Iterator[SortKey]:
        """Every sort key, in order (:meth:`hops`)."""
        for hop, ids, kept in self.hops():
            yield from [(hop, *signal_rank, pid)
                        for pid, (_, _, signal_rank) in zip(ids, kept, strict=True)]  # fmt: skip

    def node(self, i: int) -> NodeKey:
        """The key of the ``i``-th lead's person."""
        return (_PERSON, self.person(i)[2])

    def nodes(self) -> Iterator[NodeKey]:
        """Every lead's person key, in order (:meth:`hops`)."""
        for _, ids, _ in self.hops():
            yield from [(_PERSON, pid) for pid in ids]

    def lead(self, i: int) -> Lead:
        """The ``i``-th lead, with its path."""
        hop, j, _, (kinds, signal, _) = self.person(i)
        path = self.reached.path(hop, j)
        return Lead(path.nodes[-1], hop, list(kinds), signal, path)


def _ranked(reached: Reached[Judged]) -> Ranked[Lead]:
    """The leads of a store's search, in order, each read from it and built when read.

    Their sort keys are read when asked too (:class:`_ByHop`); only the leads read are
    built with their paths (:class:`~graph_service.linkage.question.Lazy`): a manager's
    whole list runs to hundreds of thousands of people at two hops, a page to a hundred.
    """
    leads = _ByHop(reached)
    size = len(leads)
    return Ranked(Lazy(Each(size, leads.node, leads.nodes), leads.lead),
                  Each(size, leads.key, leads.keys))


async def pushdown(
    store: GraphStore, settings: Settings, many: Sequence[LeadsArgs]
) -> list[Ranked[Lead]]:
    """Each manager's leads from the store's own ``manager_leads``, in turn.

    Cyclic GC is suspended during each search (:func:`~graph_service.memory.
    bulk_allocation`): the people it is the first to ask about get their facts and
    answers cached, objects for thousands of them, which would set off a collection every
    few hundred allocations.
    """
    rules, own = settings.rules(), cast(Pushdown, store)
    types = [t.value for t in settings.lead_relationship_types]
    answers = []
    for args in many:
        wanted = frozenset(args.kinds or LeadKind)
        with bulk_allocation(freeze=False):
            found = await own.manager_leads(
                args.manager_id, types, args.max_hops, rules, keeper(wanted), judged_rank
            )
            answers.append(_ranked(found))
    return answers


def cost(arguments: CostArguments, settings: Settings) -> Cost:
    """Price one occurrence: a bounded breadth-first search, as ``linkagePaths``.

    :data:`~graph_service.linkage.question.PATH_SEARCH_COST` per hop of ``maxHops`` (at
    least one; at most ``Settings.max_lead_hops``, as ``linkagePaths`` clamps its own, so
    that a ``maxHops`` out of range is refused by its check, naming it, not priced).
    """
    hops = arguments.integer("max_hops")
    return Cost(base=PATH_SEARCH_COST * min(max(1, hops if hops is not None else 2),
                                            max(1, settings.max_lead_hops)))


RANKING: Ranking[LeadsArgs] = Ranking(
    order=Order("hop-signal-id", (int, int, float, float, str)), item=Lead,
    masked=MaskedRank(kept=1, neutral=MASKED_SIGNAL_RANK,
                      left_out=lambda args: args.kinds is not None),
)
"""Leads by hop, then signal (executive, shareholding, transfer amount; strongest first),
then person id; a masked person's lead after the unmasked ones of its hop, by id, its signal
(:data:`~graph_service.linkage.prospecting.MASKED_SIGNAL_RANK`) hidden; left out when
``kinds`` chose the leads, a lead's kinds being personal."""

QUESTION: Question[LeadsArgs, Any] = Question(
    name="manager_leads",
    description="People within maxHops of the manager's clients (hop 0) over "
    "GRAPH_SERVICE_LEAD_RELATIONSHIP_TYPES, ignoring direction, who are leads of some "
    "LeadKind; one edge per person with all their kinds and one shortest path from a client, "
    "ranked by hop, then signal (executive, shareholding, transfer amount), then id; a "
    "person the caller sees masked after the others of their hop, by id alone. NOT_FOUND "
    "error if no such manager.",
    arguments=LeadsArgs,
    answer=Ranked,
    ranking=RANKING,
    validate=validate,
    subjects=manager,
    outside=Outside.OWN_PORTFOLIO,
    batch=each_in_turn,
    pushdown=pushdown,
    cost=cost,
)
"""``managerLeads``."""
