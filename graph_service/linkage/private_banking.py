"""Executives without private banking: the private bank's prospects among client executives.

Rule (see :mod:`graph_service.rules`): an executive is a person with an ``EMPLOYED_BY``
relationship of role ``"executive"``; they are a private-banking customer when their segment
is ``"private"`` or they own an active private-banking product (default
``"trust account"``).
"""

from __future__ import annotations

from graph_service.linkage.lookup import get_node
from graph_service.model import NodeLabel
from graph_service.rules import LinkageRules
from graph_service.stores.base import GraphStore


async def executives_without_private_banking(
    store: GraphStore, rules: LinkageRules, enterprise_id: str | None = None
) -> list[str]:
    """Executives who are not yet private-banking customers.

    Parameters
    ----------
    store : GraphStore
    rules : LinkageRules
    enterprise_id : str, optional
        Restrict to one enterprise's executives; ``None`` scans every enterprise and counts
        each person once, however many boards they sit on.

    Returns
    -------
    list of str
        Person ids, sorted as text, each once.

    Raises
    ------
    NotFoundError
        If ``enterprise_id`` is given and does not exist.
    """
    if enterprise_id is not None:
        await get_node(store, (NodeLabel.ENTERPRISE.value, enterprise_id))
    return await store.executives_without_private_banking(enterprise_id, rules)
