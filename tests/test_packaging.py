"""What ships: the wheel's contents and the container image (compose: test_compose.py)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once for this module's tests."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out),
         str(REPO_ROOT)],
        check=True, timeout=300,
    )  # fmt: skip
    [built] = out.glob("graph_service-*.whl")
    return built


def test_wheel_holds_every_module_and_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    package = REPO_ROOT / "graph_service"
    expected = {p.relative_to(REPO_ROOT).as_posix() for p in package.rglob("*.py")}
    assert expected and expected <= names
    assert "graph_service/py.typed" in names
    assert not any(n.startswith(("tests/", "schema/", "queries/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "graph-service = graph_service.cli:main" in text


def test_wheel_ships_the_cypher_statements(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    cypher = REPO_ROOT / "queries" / "cypher"
    expected = {
        "graph_service/cypher/" + p.relative_to(cypher).as_posix() for p in cypher.rglob("*.cypher")
    }
    assert expected and expected <= names
    assert "graph_service/cypher/README.md" in names


def test_wheel_ships_graphiql_and_its_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    api = REPO_ROOT / "graph_service" / "api"
    expected = {
        p.relative_to(REPO_ROOT).as_posix() for p in (api / "static").rglob("*") if p.is_file()
    }
    assert "graph_service/api/static/graphiql/graphiql.min.js" in expected
    assert expected <= names
    assert "graph_service/api/graphiql.html" in names


def test_image_serves_on_all_interfaces_with_the_server_drivers() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert 'CMD ["graph-service", "serve"]' in dockerfile
    assert "GRAPH_SERVICE_HOST=0.0.0.0" in dockerfile
    # The image installs the runtime lock, which holds both server drivers, then the project.
    assert "RUN pip install --no-cache-dir -r requirements.lock\n" in dockerfile
    assert "RUN pip install --no-cache-dir --no-deps .\n" in dockerfile
    dependencies = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=\[ ]", d)[0] for d in dependencies["dependencies"]}
    assert {"neo4j", "falkordb"} <= names
    # Every source directory the package build maps (the Cypher statements) is in the image.
    package_dirs = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"][
        "setuptools"
    ]["package-dir"]
    for source in package_dirs.values():
        assert f"COPY {source} ./{source}\n" in dockerfile, source
