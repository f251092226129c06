"""docker-compose.yml: services, ports, health checks, profiles and the settings they give."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from graph_service.config import Settings
from tests.conftest import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
# ${NAME}, ${NAME:?message}, ${NAME:-default}: a value compose takes from the environment.
VARIABLE = re.compile(r"\$\{(\w+)(?::?[?-][^}]*)?\}")
SHELL_ENV = {"NEO4J_PASSWORD": "pw-12345678"}


def container_ports(service: str) -> set[int]:
    return {int(p.rsplit(":", 1)[1]) for p in SERVICES[service]["ports"]}


def settings_of(service: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The Settings the service reads from its environment, interpolated from SHELL_ENV."""
    for name, value in SERVICES[service]["environment"].items():
        monkeypatch.setenv(name, VARIABLE.sub(lambda m: SHELL_ENV[m[1]], value))
    return Settings()


def test_neo4j_is_the_default_and_falkordb_and_embedded_are_profiles() -> None:
    profiles = {name: s.get("profiles", []) for name, s in SERVICES.items()}
    assert profiles == {
        "neo4j": [],
        "graph-service": [],
        "falkordb": ["falkordb"],
        "graph-service-falkordb": ["falkordb"],
        "graph-service-embedded": ["embedded"],
    }


def test_every_service_has_a_health_check_and_distinct_host_ports() -> None:
    for service in SERVICES.values():
        check = service["healthcheck"]
        assert check["test"][0] in {"CMD", "CMD-SHELL"} and len(check["test"]) > 1
        assert {"interval", "timeout", "retries", "start_period"} <= check.keys()
    host_ports = [p.rsplit(":", 2)[-2] for s in SERVICES.values() for p in s["ports"]]
    assert len(host_ports) == len(set(host_ports))


def test_neo4j_5_community_with_auth_from_env_a_volume_and_a_cypher_health_check() -> None:
    neo4j = SERVICES["neo4j"]
    assert re.fullmatch(r"neo4j:5\.\d+(\.\d+)?-community", neo4j["image"])
    assert container_ports("neo4j") == {7474, 7687}
    assert neo4j["environment"]["NEO4J_AUTH"].startswith("neo4j/${NEO4J_PASSWORD:?")
    volume, path = neo4j["volumes"][0].split(":")
    assert path == "/data" and volume in COMPOSE["volumes"]
    assert "cypher-shell" in neo4j["healthcheck"]["test"][1]


def test_service_connects_to_neo4j_once_it_is_healthy(monkeypatch: pytest.MonkeyPatch) -> None:
    service = SERVICES["graph-service"]
    assert service["build"] == "."
    assert service["depends_on"] == {"neo4j": {"condition": "service_healthy"}}
    assert "127.0.0.1:8000:8000" in service["ports"]
    assert "/health" in " ".join(service["healthcheck"]["test"])
    settings = settings_of("graph-service", monkeypatch)
    assert settings.backend == "neo4j"
    assert settings.neo4j_uri == "neo4j://neo4j:7687" and 7687 in container_ports("neo4j")
    assert settings.neo4j_user == "neo4j"  # the user NEO4J_AUTH sets the password of
    assert settings.neo4j_password.get_secret_value() == SHELL_ENV["NEO4J_PASSWORD"]
    assert (settings.host, settings.port) == ("0.0.0.0", 8000)


def test_falkordb_profile_serves_from_falkordb(monkeypatch: pytest.MonkeyPatch) -> None:
    falkordb = SERVICES["falkordb"]
    assert re.fullmatch(r"falkordb/falkordb:v\d+\.\d+\.\d+", falkordb["image"])
    assert container_ports("falkordb") == {6379}
    assert falkordb["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert falkordb["volumes"][0].split(":")[0] in COMPOSE["volumes"]
    service = SERVICES["graph-service-falkordb"]
    assert service["depends_on"] == {"falkordb": {"condition": "service_healthy"}}
    settings = settings_of("graph-service-falkordb", monkeypatch)
    assert settings.backend == "falkordb"
    assert settings.falkordb_url == "redis://falkordb:6379"
    assert (settings.host, settings.port) == ("0.0.0.0", 8000)


def test_embedded_profile_keeps_its_store_on_a_volume(monkeypatch: pytest.MonkeyPatch) -> None:
    service = SERVICES["graph-service-embedded"]
    settings = settings_of("graph-service-embedded", monkeypatch)
    assert settings.backend == "embedded"
    assert f"graph-data:{settings.data_dir}" in service["volumes"]


def test_no_secret_is_written_in_the_file() -> None:
    for service in SERVICES.values():
        for name, value in service.get("environment", {}).items():
            if "PASSWORD" in name or "AUTH" in name:
                assert VARIABLE.search(value), name


def test_every_port_is_published_on_loopback_only() -> None:
    """Other machines reach the service through a TLS-terminating proxy (README, Security)."""
    for name, service in SERVICES.items():
        for port in service["ports"]:
            assert port.startswith("127.0.0.1:"), (name, port)
