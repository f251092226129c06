"""Layering of the package: stores do not import loaders (read from the modules' source)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import graph_service

PACKAGE = Path(graph_service.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports (relative imports resolved)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_imported_modules_resolves_relative_imports() -> None:
    stores = PACKAGE / "stores"
    found = imported_modules(stores / "__init__.py")
    assert "graph_service.stores.base" in found
    assert "graph_service.config.Settings" in found


def test_stores_do_not_import_loaders() -> None:
    modules = sorted((PACKAGE / "stores").rglob("*.py"))
    assert len(modules) >= 5
    offending = {
        str(path.relative_to(PACKAGE)): sorted(
            name for name in imported_modules(path)
            if name == "graph_service.ingest" or name.startswith("graph_service.ingest.")
        )
        for path in modules
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_running_documents_outside_serve_does_not_import_fastapi() -> None:
    # The bulk `query` and `report` build a Context and run documents in-process: FastAPI
    # (about 0.1 s to import) belongs to `serve` alone.
    code = (
        "import sys\n"
        "import graph_service.cli, graph_service.bulk, graph_service.reports\n"
        "from graph_service.api.context import make_context\n"
        "from graph_service.api.fast_path import schema_for\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'fastapi'))\n"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)  # fmt: skip
    assert ran.stdout.strip() == "[]"
