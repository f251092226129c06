"""Rule pieces shared by the linkage questions, over the store primitives only.

The generic answers of :mod:`graph_service.linkage` are built from these reads: an
enterprise's staff (``EMPLOYED_BY`` relationships reaching it), the active product types
each person holds (``OWNS`` relationships leaving them to accounts whose ``status`` is the
active status) and the products held from other evidence (loan applications, e-banking
sign-ins: :func:`products_held`). Each read is one batched
:meth:`~graph_service.stores.base.GraphStore.neighbors` call for all the nodes it is given.
"""

from __future__ import annotations

from collections.abc import Sequence

from graph_service.model import NodeLabel, RelationshipType
from graph_service.rules import E_BANKING, PERSONAL_LOAN, LinkageRules
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


async def _active_accounts(
    store: GraphStore, person_ids: list[str], rules: LinkageRules
) -> list[list[Node]]:
    """The active accounts each person owns, aligned with ``person_ids`` (one read)."""
    owned = await store.neighbors(
        NodeLabel.PERSON.value, person_ids, RelationshipType.OWNS.value, Direction.OUTGOING
    )
    return [
        [account for _, account in accounts
         if account.props.get("status") == rules.active_status]
        for accounts in owned
    ]  # fmt: skip


def _types(accounts: list[Node]) -> set[str]:
    return {account.props["type"] for account in accounts if "type" in account.props}


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
    owned = await _active_accounts(store, ids, rules)
    return {person: _types(accounts) for person, accounts in zip(ids, owned, strict=True)}


async def loan_applicants(store: GraphStore, label: str, ids: Sequence[str]) -> set[str]:
    """Those of ``ids`` (people or enterprises) with an ``APPLIED_FOR`` to a loan that exists.

    A relationship is stored only when both its ends exist (a load rejects the others), so
    any ``APPLIED_FOR`` counts. One read.
    """
    unique = list(dict.fromkeys(ids))
    applied = await store.neighbors(
        label, unique, RelationshipType.APPLIED_FOR.value, Direction.OUTGOING
    )
    return {node_id for node_id, loans in zip(unique, applied, strict=True) if loans}


async def products_held(
    store: GraphStore, person_ids: Sequence[str], rules: LinkageRules
) -> dict[str, set[str]]:
    """The product types each person holds, from every kind of evidence.

    Parameters
    ----------
    person_ids : sequence of str
        People; duplicates are read once.
    rules : LinkageRules
        The active status and the e-banking media types.

    Returns
    -------
    dict of str to set of str
        Person id to product types: the types of their active accounts; ``personal loan``
        if they applied for a loan (:func:`loan_applicants`); ``e-banking`` if one of their
        active accounts was signed into by an unblocked medium of a type in
        ``rules.e_banking_media`` (rules: :mod:`graph_service.rules`).

    Notes
    -----
    Three reads for the whole batch: ``OWNS`` of the people, ``APPLIED_FOR`` of the people,
    ``SIGNED_IN_TO`` into their active accounts.
    """
    ids = list(dict.fromkeys(person_ids))
    owned = await _active_accounts(store, ids, rules)
    borrowers = await loan_applicants(store, NodeLabel.PERSON.value, ids)
    accounts = list(dict.fromkeys(a.id for found in owned for a in found))
    signed_in = await store.neighbors(
        NodeLabel.ACCOUNT.value, accounts, RelationshipType.SIGNED_IN_TO.value,
        Direction.INCOMING,
    )
    media = set(rules.e_banking_media)
    online = {
        account
        for account, sign_ins in zip(accounts, signed_in, strict=True)
        if any(not m.props.get("blocked", False) and m.props.get("type") in media
               for _, m in sign_ins)
    }  # fmt: skip
    held: dict[str, set[str]] = {}
    for person, found in zip(ids, owned, strict=True):
        types = _types(found)
        if person in borrowers:
            types.add(PERSONAL_LOAN)
        if any(a.id in online for a in found):
            types.add(E_BANKING)
        held[person] = types
    return held


async def holders(
    store: GraphStore, person_ids: Sequence[str], products: Sequence[str], rules: LinkageRules
) -> set[str]:
    """Those of ``person_ids`` owning an active account whose type is in ``products``."""
    wanted = set(products)
    held = await active_products(store, person_ids, rules)
    return {person for person, types in held.items() if types & wanted}
