"""The audit records of GraphQL operations served over HTTP (graph_service/audit.py)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graph_service.audit import parse_time, read_records, trail_files, variables_hash
from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer
from tests.api.conftest import Client

SECRET = "zz-secret-product-type"


def records(directory: Path) -> list[dict[str, Any]]:
    return list(read_records(directory))


def test_every_operation_over_http_leaves_a_record(serve: Callable[..., Client],
                                                   tmp_path: Path) -> None:
    audit_dir = tmp_path / "audit"
    client = serve(audit_dir=audit_dir)
    ok = client.http.post("/graphql", headers={"X-Request-ID": "req-1"}, json={
        "query": "query Staff($e: ID!, $t: [String!]) { "
                 "uncoveredEmployees(enterpriseId: $e, productTypes: $t) "
                 "{ totalCount edges { node { id name } } } }",
        "operationName": "Staff", "variables": {"e": "E1", "t": [SECRET]},
    })  # fmt: skip
    assert ok.status_code == 200 and "errors" not in ok.json()
    returned = [e["node"]["id"] for e in ok.json()["data"]["uncoveredEmployees"]["edges"]]
    missing = client.post('{ person(id: "NOPE") { name } }')
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    invalid = client.post("{ nosuchfield }")
    assert invalid["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"

    first, second, third = records(audit_dir)
    assert first["request_id"] == "req-1" and ok.headers["x-request-id"] == "req-1"
    assert (first["subject"], first["role"], first["manager_id"]) == ("test-admin", "admin", None)
    assert (first["operation"], first["operation_type"]) == ("Staff", "query")
    assert first["root_fields"] == ["uncoveredEmployees"]
    assert first["node_ids"] == returned and first["node_count"] == len(returned) > 0
    assert first["variables_sha256"] == variables_hash({"e": "E1", "t": [SECRET]})
    assert (first["outcome"], first["error_codes"]) == ("ok", [])
    assert first["duration_ms"] > 0
    assert parse_time(first["time"]) <= parse_time(second["time"])
    assert (second["outcome"], second["error_codes"]) == ("partial", ["NOT_FOUND"])
    assert second["root_fields"] == ["person"] and second["node_ids"] == []
    assert (third["outcome"], third["error_codes"]) == ("error", ["GRAPHQL_VALIDATION_FAILED"])
    assert len({r["request_id"] for r in (first, second, third)}) == 3
    # Never the variables' values; the file is the owner's only.
    text = "".join(p.read_text() for p in trail_files(audit_dir))
    assert SECRET not in text
    assert stat.S_IMODE(os.stat(audit_dir / "audit.jsonl").st_mode) == 0o600


def test_a_managers_record_names_the_manager(serve: Callable[..., Client], bank_dir: Path,
                                             tmp_path: Path) -> None:
    client = serve(audit_dir=tmp_path)
    token = LocalIssuer(bank_dir).issue("mary", Role.MANAGER, "M1")
    client.http.post("/graphql", json={"query": "{ __typename }"},
                     headers={"Authorization": f"Bearer {token}"})
    [record] = records(tmp_path)
    assert (record["subject"], record["role"], record["manager_id"]) == ("mary", "manager", "M1")


def test_the_nodes_read_are_recorded_whatever_the_query_calls_id(
        serve: Callable[..., Client], bank_dir: Path, tmp_path: Path) -> None:
    client = serve(audit_dir=tmp_path)
    for query in ('{ person(id: "P1") { name } }',  # id not selected
                  '{ person(id: "P1") { pid: id name } }',  # id aliased away
                  '{ person(id: "P1") { id: __typename segment } }',  # another field as id
                  '{ person(id: "P1") { productsHeld } }'):  # a question's, personal
        assert "errors" not in client.post(query), query
    app = LocalIssuer(bank_dir).issue("apps", Role.APP)  # people are masked for an app
    masked = client.http.post("/graphql", json={"query": '{ person(id: "P1") { pid: id name } }'},
                              headers={"Authorization": f"Bearer {app}"})  # fmt: skip
    assert masked.json()["data"]["person"] == {"pid": "P1", "name": None}
    ids = [r["node_ids"] for r in records(tmp_path)]
    assert [("P1" in found) for found in ids] == [True, True, True, True, False]
