"""Cross-sell gaps: which products of the catalogue a person holds, and which not yet.

Rule (see :mod:`graph_service.rules`): a person *holds* a product type when they own
(``OWNS``) at least one account of that ``type`` whose ``status`` is active; they also hold
``personal loan`` when they applied for a loan, and ``e-banking`` when an active account of
theirs was signed into by an unblocked online or mobile medium. The catalogue
is the setting ``product_catalogue`` (``GRAPH_SERVICE_PRODUCT_CATALOGUE``); ``held`` lists the
catalogue's types the person holds, ``missing`` the others, each in catalogue order. Types
outside the catalogue are ignored.

Question ``crossSellGaps(personId)``, and the field ``Person.productsHeld`` (the length of
``held``), batched: the people of one batch are read with three reads
(:func:`~graph_service.linkage.holdings.products_held`). Generic rule only, on every store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from graph_service.config import Settings
from graph_service.linkage.holdings import products_held
from graph_service.linkage.question import Doc, Id, NodeField, Question, fixed_cost
from graph_service.model import NodeKey, NodeLabel
from graph_service.stores.base import GraphStore

PERSON_COST = 10
"""Base cost of one person's cross-sell gaps: their accounts."""


@dataclass(frozen=True, slots=True)
class CrossSellArgs:
    """Arguments of ``crossSellGaps``.

    Attributes
    ----------
    person_id : str
        The person.
    """

    person_id: Id


@dataclass(frozen=True, slots=True)
class CrossSellGaps:
    """The product catalogue split into what a person holds and what they do not.

    Attributes
    ----------
    held : list of str
        Catalogue types the person holds (an active account of the type, or the loan and
        e-banking evidence of :mod:`graph_service.rules`), in catalogue order.
    missing : list of str
        The other catalogue types, in catalogue order.
    """

    held: Annotated[
        list[str],
        Doc(
            "Catalogue product types held (an active account of the type; personal loan also "
            "from a loan application, e-banking from a sign-in by an unblocked online or "
            "mobile medium), in catalogue order."
        ),
    ]
    missing: Annotated[
        list[str], Doc("The other catalogue product types, in catalogue order.")
    ]


def person(args: CrossSellArgs) -> tuple[NodeKey, ...]:
    """The subject: the person."""
    return ((NodeLabel.PERSON.value, args.person_id),)


async def generic(
    store: GraphStore, settings: Settings, many: Sequence[CrossSellArgs]
) -> list[CrossSellGaps]:
    """Each person's gaps, from three reads for the whole batch (:func:`products_held`)."""
    held = await products_held(store, [args.person_id for args in many], settings.rules())
    catalogue = settings.product_catalogue
    return [
        CrossSellGaps(
            held=[p for p in catalogue if p in held[args.person_id]],
            missing=[p for p in catalogue if p not in held[args.person_id]],
        )
        for args in many
    ]


QUESTION = Question(
    name="cross_sell_gaps",
    description="The product catalogue (GRAPH_SERVICE_PRODUCT_CATALOGUE) split into the types "
    "the person holds (an active account of the type; personal loan also from a loan "
    "application, e-banking from a sign-in by an unblocked online or mobile medium into an "
    "active account) and the others; NOT_FOUND error if no such person.",
    arguments=CrossSellArgs,
    answer=CrossSellGaps,
    subjects=person,
    batch=generic,
    cost=fixed_cost(PERSON_COST),
    node_fields=(
        NodeField(
            label=NodeLabel.PERSON.value,
            name="products_held",
            subject="person_id",
            description="How many catalogue product types the person holds (the length of "
            "crossSellGaps.held).",
            project=lambda gaps: len(gaps.held),
            type=int,
        ),
    ),
)
"""``crossSellGaps``."""
