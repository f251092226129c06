"""The published files stay true to the code: schema/schema.graphql and queries/examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graph_service.api.export_schema import export_schema, main, sdl
from tests.api.conftest import Client

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "queries" / "examples"


def test_published_sdl_is_current() -> None:
    published = (REPO / "schema" / "schema.graphql").read_text(encoding="utf-8")
    assert published == sdl(), (
        "schema/schema.graphql is stale: run `python -m graph_service.api.export_schema`"
    )


def test_export_writes_then_checks(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    assert main([str(target), "--check"]) == 1
    assert not target.exists()
    assert export_schema(target) is False
    assert export_schema(target, check=True) is True
    assert main([str(target), "--check"]) == 0


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


def check_uncovered(data: dict[str, Any]) -> None:
    answer = data["uncoveredEmployees"]
    assert ids(answer) == ["P2", "P4"]
    assert answer["edges"][0]["node"]["accounts"]["edges"] == [
        {"node": {"id": "A2", "type": "debit card", "status": "blocked"}}
    ]


def check_executives(data: dict[str, Any]) -> None:
    answer = data["executivesWithoutPrivateBanking"]
    assert ids(answer) == ["P4", "P8"]
    assert [e["title"] for e in answer["edges"][0]["node"]["employers"]["edges"]] == [
        "CEO",
        "Board member",
    ]


def check_coverage(data: dict[str, Any]) -> None:
    assert data["payrollCoverage"] == {
        "enterprise": {"id": "E1", "name": "Acme Ltd"},
        "employees": 4,
        "covered": 2,
        "uncovered": 2,
        "rate": 0.5,
    }


def check_network(data: dict[str, Any]) -> None:
    network = data["clientNetwork"]
    assert [(n["label"], n["id"]) for n in network["nodes"]] == [
        ("PERSON", "P7"),
        ("MANAGER", "M2"),
        ("PERSON", "P1"),
        ("ACCOUNT", "A1"),
        ("ENTERPRISE", "E1"),
    ]
    assert {(r["type"], r["start"]["id"], r["end"]["id"]) for r in network["relationships"]} == {
        ("MANAGES", "M2", "P7"),
        ("GUARANTEES", "P1", "P7"),
        ("OWNS", "P1", "A1"),
        ("EMPLOYED_BY", "P1", "E1"),
    }
    assert network["truncated"] is False


def check_paths(data: dict[str, Any]) -> None:
    (path,) = data["linkagePaths"]
    assert path["length"] == 3
    assert [n["id"] for n in path["nodes"]] == ["M1", "E1", "P1", "P7"]
    assert [r["type"] for r in path["relationships"]] == ["MANAGES", "EMPLOYED_BY", "GUARANTEES"]


def check_search(data: dict[str, Any]) -> None:
    answer = data["search"]
    assert answer["totalCount"] == 3
    assert [(e["node"]["__typename"], e["node"]["id"]) for e in answer["edges"]] == [
        ("Enterprise", "E3"), ("Manager", "M1"), ("Person", "P3"),
    ]


def check_lists(data: dict[str, Any]) -> None:
    assert ids(data["enterprises"]) == ["E2", "E1", "E3"]
    assert [e["node"]["payrollCoverage"]["uncovered"] for e in data["enterprises"]["edges"]] == [
        4, 2, 0,
    ]
    assert ids(data["persons"]) == ["P1", "P2", "P4", "P8"]


def check_rollup(data: dict[str, Any]) -> None:
    assert data["coverageRollup"] == {"totalCount": 2, "edges": [
        {"key": "Central", "enterprises": 1, "employees": 4, "covered": 2, "uncovered": 2,
         "rate": 0.5},
        {"key": None, "enterprises": 2, "employees": 4, "covered": 0, "uncovered": 4,
         "rate": 0.0},
    ]}  # fmt: skip


def check_dormant(data: dict[str, Any]) -> None:
    assert data["dormantAccounts"] == {"totalCount": 1, "edges": [
        {"reason": "STATUS_DORMANT", "node": {"id": "A6", "type": "trust account",
         "status": "dormant"}, "owners": [{"id": "P8", "name": "Hank"}]},
    ]}  # fmt: skip


def check_leads(data: dict[str, Any]) -> None:
    edges = data["managerLeads"]["edges"]
    assert [(e["hop"], e["node"]["id"]) for e in edges] == [
        (1, "P4"), (1, "P2"), (2, "P5"), (2, "P8"), (2, "P6")
    ]
    assert edges[0]["kinds"] == ["UNCOVERED_EMPLOYEE", "EXECUTIVE_WITHOUT_PRIVATE_BANKING",
                                 "SHAREHOLDER_WITHOUT_PRIVATE_BANKING"]  # fmt: skip
    assert edges[0]["signal"] == {"executive": True, "shareholding": 0.3, "transferAmount": 0.0}
    assert edges[2]["path"] == {"nodes": [{"id": "E1"}, {"id": "E2"}, {"id": "P5"}],
                                "relationships": [{"type": "SHAREHOLDER_OF"},
                                                  {"type": "EMPLOYED_BY"}]}  # fmt: skip


def check_prospects(data: dict[str, Any]) -> None:
    edges = data["privateBankingProspects"]["edges"]
    assert [(e["node"]["id"], e["kinds"]) for e in edges] == [
        ("P4", ["EXECUTIVE_WITHOUT_PRIVATE_BANKING", "SHAREHOLDER_WITHOUT_PRIVATE_BANKING"]),
        ("P8", ["EXECUTIVE_WITHOUT_PRIVATE_BANKING"]),
    ]


def check_cross_sell_rollup(data: dict[str, Any]) -> None:
    rollup = data["crossSellRollup"]
    assert (rollup["employees"], rollup["productsPerEmployee"]) == (4, 0.75)
    assert [(p["product"], p["holders"], p["rate"]) for p in rollup["penetration"]] == [
        ("debit card", 2, 0.5), ("e-banking", 0, 0.0), ("credit card", 0, 0.0),
        ("personal loan", 0, 0.0), ("wealth management", 0, 0.0), ("trust account", 1, 0.25),
    ]


CHECKS = {
    "uncovered-employees": check_uncovered,
    "executives-without-private-banking": check_executives,
    "payroll-coverage": check_coverage,
    "client-network": check_network,
    "linkage-paths": check_paths,
    "search": check_search,
    "lists": check_lists,
    "coverage-rollup": check_rollup,
    "dormant-accounts": check_dormant,
    "manager-leads": check_leads,
    "private-banking-prospects": check_prospects,
    "cross-sell-rollup": check_cross_sell_rollup,
}


def test_every_example_is_checked_and_documented() -> None:
    assert {p.stem for p in EXAMPLES.glob("*.graphql")} == set(CHECKS)
    for name in CHECKS:
        document = (REPO / "queries" / f"{name}.md").read_text(encoding="utf-8")
        assert f"examples/{name}.graphql" in document


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_example_runs_on_the_small_bank(client: Client, name: str) -> None:
    document = (EXAMPLES / f"{name}.graphql").read_text(encoding="utf-8")
    variables = json.loads((EXAMPLES / f"{name}.variables.json").read_text(encoding="utf-8"))
    CHECKS[name](client.data(document, variables))
