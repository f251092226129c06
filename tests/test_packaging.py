"""What ships: the wheel's contents and the container configuration."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

from tests.conftest import REPO_ROOT


def test_wheel_holds_every_module_and_marker(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path),
         str(REPO_ROOT)],
        check=True, timeout=300,
    )  # fmt: skip
    [wheel] = tmp_path.glob("graph_service-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package = REPO_ROOT / "graph_service"
    expected = {p.relative_to(REPO_ROOT).as_posix() for p in package.rglob("*.py")}
    assert expected and expected <= names
    assert "graph_service/py.typed" in names
    assert not any(n.startswith(("tests/", "schema/", "queries/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "graph-service = graph_service.cli:main" in text


def test_compose_serves_with_a_health_check() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["graph-service"]
    assert service["build"] == "."
    assert "8000:8000" in service["ports"]
    assert service["environment"]["GRAPH_SERVICE_DATA_DIR"] == "/data"
    assert any(v.endswith(":/data") for v in service["volumes"])
    assert "/health" in " ".join(service["healthcheck"]["test"])
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert 'CMD ["graph-service", "serve"]' in dockerfile
    assert "GRAPH_SERVICE_HOST=0.0.0.0" in dockerfile
