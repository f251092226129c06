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
from graph_service.records import GraphBatch, NodeRow
from graph_service.stores.base import GraphStore


def ask(store: GraphStore, module: Any, args: Any, settings: Settings) -> list[Any]:
    return asyncio.run(answer(module.QUESTION, store, settings, args)).items


def test_dormant_statuses(bank: GraphStore) -> None:
    args = dormant.DormantArgs(Id("E1"))
    assert ask(bank, dormant, args, Settings()) == []
    # Bob's (P2) debit card is blocked: listed once blocked counts as dormant.
    found = ask(bank, dormant, args, Settings(dormant_statuses=["dormant", "blocked"]))
    assert [(d.node.id, [o.id for o in d.owners]) for d in found] == [("A2", ["P2"])]


def test_inactive_days(bank: GraphStore) -> None:
    def row(account: str, type_: str, status: str, last: str | None) -> NodeRow:
        props = {"type": type_, "status": status}
        return NodeRow("Account", account, props | ({"lastActivityAt": last} if last else {}),
                       "test", 0)  # fmt: skip

    asyncio.run(bank.write(GraphBatch(nodes=[
        row("A1", "debit card", "active", "2021-01-01T00:00:00"),  # 90 days before the as-of
        row("A2", "debit card", "blocked", "2019-01-01T00:00:00"),  # blocked: never INACTIVE
        row("A3", "trust account", "active", "2020-12-31T23:59:59.999999"),
        row("A4", "debit card", "active", None),  # no known activity: never INACTIVE
        row("A5", "credit card", "active", "2021-04-01T00:00:00"),  # the as-of time
        row("A6", "trust account", "dormant", "2021-03-30T00:00:00"),  # its status first
    ])))  # fmt: skip
    assert asyncio.run(bank.as_of()) == "2021-04-01T00:00:00"

    def listed(enterprise: str, days: int | None, settings: Settings | None = None) -> Any:
        args = dormant.DormantArgs(Id(enterprise), days)
        found = ask(bank, dormant, args, settings or Settings())
        return [(d.node.id, d.reason.value) for d in found]

    assert listed("E1", None) == []
    assert listed("E1", 90) == [("A3", "INACTIVE")]
    assert listed("E1", 89) == [("A1", "INACTIVE"), ("A3", "INACTIVE")]
    assert listed("E1", 36_500) == []
    assert listed("E2", 1) == [("A6", "STATUS_DORMANT")]
    blocked = Settings(dormant_statuses=["blocked"])
    assert listed("E1", 90, blocked) == [("A2", "STATUS_DORMANT"), ("A3", "INACTIVE")]
    # A dormant status no longer configured: the account is judged by its activity.
    assert listed("E2", 1, blocked) == [("A6", "INACTIVE")]
    for days in (0, -5, 36_501):
        with pytest.raises(InvalidInputError, match=f"inactiveDays must be between 1 and "
                                                    f"36500, got {days}"):  # fmt: skip
            listed("E1", days)


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
