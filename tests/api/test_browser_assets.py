"""The vendored browser files (GraphiQL, React, cytoscape.js): exactly package.json's "vendor"
map of tools/browser-assets, each equal to the file of the npm package that `npm ci`
installed from the lock (make test installs tools/browser-assets first)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from graph_service.api.graphiql import STATIC_DIR
from tests.conftest import REPO_ROOT

TOOL = REPO_ROOT / "tools" / "browser-assets"


def manifest() -> dict[str, Any]:
    return json.loads((TOOL / "package.json").read_text(encoding="utf-8"))


def test_pins_are_exact_and_locked() -> None:
    pins = manifest()["dependencies"]
    lock = json.loads((TOOL / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    assert set(pins) == {"cytoscape", "graphiql", "react", "react-dom"}
    for name, version in pins.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is not exact"
        assert lock[f"node_modules/{name}"]["version"] == version
    assert pins["graphiql"].startswith("4.") and pins["react"].startswith("18.")
    assert pins["cytoscape"].startswith("3.")


@pytest.mark.parametrize("folder", ["graphiql", "cytoscape"])
def test_vendored_files_are_the_locked_packages_files(folder: str) -> None:
    vendor = manifest()["vendor"][folder]
    target = STATIC_DIR / folder
    assert sorted(p.name for p in target.iterdir()) == sorted(vendor)
    modules = TOOL / "node_modules"
    if not (modules / ".package-lock.json").is_file():
        pytest.fail("tools/browser-assets is not installed: run `make browser-assets`")
    for name, version in manifest()["dependencies"].items():
        installed = json.loads((modules / name / "package.json").read_text(encoding="utf-8"))
        assert installed["version"] == version, f"{name}: run `make browser-assets`"
    for file, source in vendor.items():
        assert (target / file).read_bytes() == (modules / source).read_bytes(), (
            f"graph_service/api/static/{folder}/{file} differs from {source}: "
            "run `make browser-assets`"
        )


def test_the_vendor_map_names_every_vendored_folder() -> None:
    """Each folder of static/ is vendored (in the map) or the explorer's own code."""
    folders = {p.name for p in STATIC_DIR.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(manifest()["vendor"]) | {"explorer"}
