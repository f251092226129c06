"""crossSellGaps on the small bank, on every store, against answers worked out by hand."""

from __future__ import annotations

import asyncio

import pytest

from graph_service.config import Settings
from graph_service.errors import NotFoundError
from graph_service.linkage.cross_sell import QUESTION, CrossSellArgs, CrossSellGaps
from graph_service.linkage.question import Id, answer, answer_many
from graph_service.records import GraphBatch, NodeRow, RelationshipRow
from graph_service.stores.base import GraphStore

SETTINGS = Settings()
CATALOGUE = ["debit card", "e-banking", "credit card", "personal loan", "wealth management",
             "trust account"]


def gaps(store: GraphStore, person: str, settings: Settings = SETTINGS) -> CrossSellGaps:
    found = asyncio.run(answer(QUESTION, store, settings, CrossSellArgs(Id(person))))
    assert isinstance(found, CrossSellGaps)
    return found


def test_the_default_catalogue() -> None:
    assert SETTINGS.product_catalogue == CATALOGUE


@pytest.mark.parametrize(
    ("person", "held"),
    [
        # Carol: an active trust account and an active debit card.
        ("P3", ["debit card", "trust account"]),
        # Frank: an active credit card.
        ("P6", ["credit card"]),
        # Bob's debit card is blocked; Hank's trust account is dormant; Dan owns nothing.
        ("P2", []),
        ("P8", []),
        ("P4", []),
        ("P1", ["debit card"]),
    ],
)
def test_held_and_missing_in_catalogue_order(bank: GraphStore, person: str,
                                             held: list[str]) -> None:
    found = gaps(bank, person)
    assert found.held == held
    assert found.missing == [p for p in CATALOGUE if p not in held]


def test_the_catalogue_is_a_setting(bank: GraphStore) -> None:
    settings = Settings(product_catalogue=["trust account", "mortgage", "debit card"])
    found = gaps(bank, "P3", settings)
    # Catalogue order, not the accounts' order; types outside the catalogue ignored.
    assert (found.held, found.missing) == (["trust account", "debit card"], ["mortgage"])


def test_unknown_person_is_not_found(bank: GraphStore) -> None:
    with pytest.raises(NotFoundError, match="Person 'nobody' not found"):
        gaps(bank, "nobody")
    # An enterprise id is not a person id: keys are per label.
    with pytest.raises(NotFoundError):
        gaps(bank, "E1")


def test_a_batch_answers_each_person(bank: GraphStore) -> None:
    many = [CrossSellArgs(Id(p)) for p in ("P3", "nobody", "P6", "P3")]
    found = asyncio.run(answer_many(QUESTION, bank, SETTINGS, many))
    assert isinstance(found[1], NotFoundError)
    assert [f.held for f in found if isinstance(f, CrossSellGaps)] == [
        ["debit card", "trust account"], ["credit card"], ["debit card", "trust account"],
    ]


def _evidence() -> GraphBatch:
    """Loans and sign-ins over the small bank (tests/conftest.py)."""
    P, A, L, M = "Person", "Account", "Loan", "Medium"
    nodes = [
        NodeRow(L, "L1", {"loanAmount": 1000.0}),
        NodeRow(M, "phone", {"type": "PHONE", "blocked": False}),
        NodeRow(M, "stolen", {"type": "PHONE", "blocked": True}),
        NodeRow(M, "qr", {"type": "QR", "blocked": False}),
        NodeRow(M, "wifi", {"type": "WIFI"}),  # blocked absent: not blocked
    ]
    rels = [
        RelationshipRow("APPLIED_FOR", (P, "P6"), (L, "L1"), {}),
        RelationshipRow("APPLIED_FOR", (P, "P4"), (L, "L9"), {}),  # no such loan: rejected
        RelationshipRow("SIGNED_IN_TO", (M, "phone"), (A, "A1"), {"count": 1}),  # P1, active
        RelationshipRow("SIGNED_IN_TO", (M, "stolen"), (A, "A5"), {"count": 1}),  # blocked
        RelationshipRow("SIGNED_IN_TO", (M, "qr"), (A, "A4"), {"count": 1}),  # P3: terminal
        RelationshipRow("SIGNED_IN_TO", (M, "phone"), (A, "A2"), {"count": 1}),  # P2: blocked
        RelationshipRow("SIGNED_IN_TO", (M, "wifi"), (A, "A6"), {"count": 1}),  # P8: dormant
    ]
    return GraphBatch(nodes, rels)


@pytest.mark.parametrize(
    ("person", "held"),
    [
        ("P1", ["debit card", "e-banking"]),  # signed into her active debit card by a phone
        ("P6", ["credit card", "personal loan"]),  # applied for L1; his phone is blocked
        ("P3", ["debit card", "trust account"]),  # a QR terminal is no e-banking
        ("P2", []),  # the phone signed into his blocked account
        ("P8", []),  # a wifi sign-in into a dormant account
        ("P4", []),  # his application names no loan
    ],
)
def test_loans_and_e_banking_count(bank: GraphStore, person: str, held: list[str]) -> None:
    report = asyncio.run(bank.write(_evidence()))
    assert [r.reason for r in report.rejects] == ["end node Loan 'L9' does not exist"]
    assert gaps(bank, person).held == held


def test_e_banking_media_are_a_setting(bank: GraphStore) -> None:
    asyncio.run(bank.write(_evidence()))
    settings = Settings(e_banking_media=["QR"])
    assert gaps(bank, "P3", settings).held == ["debit card", "e-banking", "trust account"]
    assert gaps(bank, "P1", settings).held == ["debit card"]
