"""A server backend that is down: the service keeps serving, says why, and recovers."""

from __future__ import annotations

from pathlib import Path

import httpx

from graph_service.stores.falkordb_server import free_port, running_falkordb
from tests.api.conftest import running


def test_unreachable_database_is_unhealthy_then_recovers(tmp_path: Path) -> None:
    port = free_port()
    with running(tmp_path, backend="falkordb", falkordb_url=f"redis://127.0.0.1:{port}",
                 falkordb_graph="recovering") as client:  # fmt: skip
        health = client.http.get("/health")
        assert health.status_code == 503
        body = health.json()
        assert body["status"] == "unhealthy"
        assert body["reason"].startswith(f"FalkorDB at redis://127.0.0.1:{port} is unreachable")
        assert "Traceback" not in health.text
        # An anonymous caller learns the service is down, not where its database lives.
        anonymous = httpx.get(client.http.base_url.join("/health"))
        assert anonymous.status_code == 503 and anonymous.json() == {"status": "unhealthy"}
        codes = client.error_codes('{ person(id: "P1") { name } }')
        assert codes == ["STORE_UNAVAILABLE"]
        with running_falkordb(tmp_path / "falkordb", port=port):
            health = client.http.get("/health")
            assert health.status_code == 200, health.text
            assert health.json()["counts"]["Person"] == 0
            assert client.error_codes('{ person(id: "P1") { name } }') == ["NOT_FOUND"]
