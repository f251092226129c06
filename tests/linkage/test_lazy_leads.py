"""managerLeads on the embedded store: ranked on sort keys, each lead built when read.

The small bank (tests/conftest.py, queries/manager-leads.md's example): M1's leads are Dan
and Bob at hop 1, then Eve, Hank and Frank at hop 2.
"""

from __future__ import annotations

import asyncio

import pytest

from graph_service.access import MaskedNode, Scope
from graph_service.auth import Role
from graph_service.auth.caller import Caller
from graph_service.config import Settings
from graph_service.linkage import leads
from graph_service.linkage.question import Lazy, Ranked, answer
from graph_service.stores.embedded import EmbeddedStore


def _leads(store: EmbeddedStore, *, generic: bool = False) -> Ranked[leads.Lead]:
    args = leads.LeadsArgs(leads.Id("M1"), 2)
    return asyncio.run(answer(leads.QUESTION, store, Settings(), args, generic=generic))


def test_pushed_down_leads_are_built_when_read(small_bank: EmbeddedStore) -> None:
    ranked = _leads(small_bank)
    items = ranked.items
    assert isinstance(items, Lazy)
    assert items.nodes == [("Person", p) for p in ("P4", "P2", "P5", "P8", "P6")]
    assert repr(items) == "Lazy(5 items, 0 built)"  # ranked without a path built
    third = items[2]
    assert repr(items) == "Lazy(5 items, 1 built)"
    path = [n.id for n in third.path.nodes]
    assert (third.node.id, third.hop, path) == ("P5", 2, ["E1", "E2", "P5"])
    assert items[-5] is items[0] and items[2] is third  # built once
    with pytest.raises(IndexError):
        items[5]
    assert ranked == _leads(small_bank, generic=True)  # item by item, the generic rule's


def test_a_masked_caller_gets_lazy_leads_placed_and_viewed(small_bank: EmbeddedStore) -> None:
    ranked = _leads(small_bank)
    scope = Scope(Caller("app", Role.APP))
    args = leads.LeadsArgs(leads.Id("M1"), 2)
    viewed = scope.view_answer(ranked)
    shown = leads.RANKING.viewed(args, viewed, scope.masked_items(viewed.items))
    assert isinstance(shown.items, Lazy)
    assert repr(shown.items) == "Lazy(5 items, 0 built)"
    # Ranked again without their signal (masked): by hop, then id.
    assert [key[-1] for key in shown.sort_keys] == ["P2", "P4", "P5", "P6", "P8"]
    assert all(key[1:-1] == (1, 0.0, 0.0) for key in shown.sort_keys)
    lead = shown.items[0]
    assert isinstance(lead.node, MaskedNode) and lead.kinds is None and lead.signal is None
    assert isinstance(lead.path.nodes[-1], MaskedNode)
