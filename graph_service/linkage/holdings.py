"""Rule pieces shared by the linkage questions, over the store primitives only.

The generic answers of :mod:`graph_service.linkage` are built from these reads: an
enterprise's staff (``EMPLOYED_BY`` relationships reaching it) and the active product types
each person holds (``OWNS`` relationships leaving them to accounts whose ``status`` is the
active status). Each function makes one batched
:meth:`~graph_service.stores.base.GraphStore.neighbors` call for all the nodes it is given.
"""

from __future__ import annotations

from collections.abc import Sequence

from graph_service.model import NodeLabel, RelationshipType
from graph_service.rules import LinkageRules
from graph_service.stores.base import Direction, GraphStore, Node, Relationship

Staff = list[tuple[Relationship, Node]]
"""An enterprise's ``EMPLOYED_BY`` relationships and the people at their other end."""


async def staff(store: GraphStore, enterprise_ids: Sequence[str]) -> list[Staff]:
    """The ``EMPLOYED_BY`` relationships reaching each enterprise, with their people.

    Returns
    -------
    list of Staff
        Aligned with ``enterprise_ids``; each sorted by the person's id, one entry per person.
    """
    return await store.neighbors(
        NodeLabel.ENTERPRISE.value,
        enterprise_ids,
        RelationshipType.EMPLOYED_BY.value,
        Direction.INCOMING,
    )


async def active_products(
    store: GraphStore, person_ids: Sequence[str], rules: LinkageRules
) -> dict[str, set[str]]:
    """The account types each person owns at least one active account of.

    Parameters
    ----------
    person_ids : sequence of str
        People; duplicates are read once.
    rules : LinkageRules
        Supplies the active status.

    Returns
    -------
    dict of str to set of str
        Person id to account types; a person without active accounts maps to an empty set.
    """
    ids = list(dict.fromkeys(person_ids))
    owned = await store.neighbors(
        NodeLabel.PERSON.value, ids, RelationshipType.OWNS.value, Direction.OUTGOING
    )
    return {
        person: {
            account.props["type"]
            for _, account in accounts
            if account.props.get("status") == rules.active_status and "type" in account.props
        }
        for person, accounts in zip(ids, owned, strict=True)
    }


async def holders(
    store: GraphStore, person_ids: Sequence[str], products: Sequence[str], rules: LinkageRules
) -> set[str]:
    """Those of ``person_ids`` owning an active account whose type is in ``products``."""
    wanted = set(products)
    held = await active_products(store, person_ids, rules)
    return {person for person, types in held.items() if types & wanted}
