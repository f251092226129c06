"""The settings of the remaining linkage questions change their answers as documented, on
every store (the small bank of tests/conftest.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from graph_service.config import Settings
from graph_service.errors import InvalidInputError
from graph_service.linkage import dormant, leads
from graph_service.linkage.question import Id, answer
from graph_service.model import RelationshipType
from graph_service.stores.base import GraphStore


def ask(store: GraphStore, module: Any, args: Any, settings: Settings) -> list[Any]:
    return asyncio.run(answer(module.QUESTION, store, settings, args)).items


def test_dormant_statuses(bank: GraphStore) -> None:
    args = dormant.DormantArgs(Id("E1"))
    assert ask(bank, dormant, args, Settings()) == []
    # Bob's (P2) debit card is blocked: listed once blocked counts as dormant.
    found = ask(bank, dormant, args, Settings(dormant_statuses=["dormant", "blocked"]))
    assert [(d.node.id, [o.id for o in d.owners]) for d in found] == [("A2", ["P2"])]


def test_lead_relationship_types(bank: GraphStore) -> None:
    args = leads.LeadsArgs(Id("M2"), 3)
    # Gina (P7) reaches Acme's staff through Alice's guarantee, then her employer.
    assert [lead.node.id for lead in ask(bank, leads, args, Settings())] == ["P4", "P2"]
    only = Settings(lead_relationship_types=[RelationshipType.GUARANTEES])
    assert ask(bank, leads, args, only) == []


def test_max_lead_hops(bank: GraphStore) -> None:
    with pytest.raises(InvalidInputError, match="maxHops must be between 0 and 2, got 3"):
        ask(bank, leads, leads.LeadsArgs(Id("M2"), 3), Settings(max_lead_hops=2))


def test_settings_refuse_empty_lists() -> None:
    with pytest.raises(ValueError, match="dormant_statuses must list"):
        Settings(dormant_statuses=[])
    with pytest.raises(ValueError, match="lead_relationship_types must list"):
        Settings(lead_relationship_types=[])
