"""No private internal of strawberry or graphql-core outside graph_service/api/fast_path.py.

The service runs on the libraries' public API; the fast path (``GRAPH_SERVICE_FAST_PATH``)
is the one module allowed to reach past it. The scan reads every module of graph_service/
and reports, by file and line:

- an import of a ``_``-prefixed name, or from a ``_``-prefixed module, of either package;
- access to (also by ``getattr``, or a definition of) a name known to be internal: ``_schema``,
  ``_implements_resolve``, ``_process_result``, ``create_sub_executor``,
  ``DEFINITION_BACKREF``, ...;
- ``Executor.build`` (or ``ExecutionContext.build``), and a class derived from
  graphql-core's executor or strawberry's execution context (their methods are not an API).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "graph_service"
ALLOWED = PACKAGE / "api" / "fast_path.py"
LIBRARIES = ("strawberry", "graphql")
PRIVATE_NAMES = frozenset({
    "_schema", "_implements_resolve", "_process_result", "_process_errors", "_is_default",
    "_raw_info", "_strawberry_schema", "_get_middleware_manager", "_execute_operation",
    "create_sub_executor", "build_per_event_executor", "DEFINITION_BACKREF",
})
"""Internals of the two libraries that a public-looking access could reach."""
EXECUTORS = frozenset({"Executor", "ExecutionContext", "StrawberryGraphQLCoreExecutionContext"})
"""graphql-core's executor classes and strawberry's subclass of them."""


def _library(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in LIBRARIES


def _private_module(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def private_uses(source: str) -> list[tuple[int, str]]:
    """``(line, what)`` of each use of a private internal of strawberry or graphql-core."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and _library(node.module):
            assert node.module is not None
            for alias in node.names:
                if alias.name.startswith("_") or _private_module(node.module):
                    found.append((node.lineno, f"from {node.module} import {alias.name}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _library(alias.name) and _private_module(alias.name):
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.Attribute):
            if node.attr in PRIVATE_NAMES:
                found.append((node.lineno, f".{node.attr}"))
            elif node.attr == "build" and _name(node.value) in EXECUTORS:
                found.append((node.lineno, f"{_name(node.value)}.build"))
        elif (
            isinstance(node, ast.Call) and _name(node.func) in ("getattr", "hasattr")
            and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in PRIVATE_NAMES
        ):
            found.append((node.lineno, f"{_name(node.func)}(..., {node.args[1].value!r})"))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
            node.name in PRIVATE_NAMES
        ):
            found.append((node.lineno, f"def {node.name}"))
        elif isinstance(node, ast.ClassDef):
            for base in node.bases:
                if _name(base) in EXECUTORS:
                    found.append((node.lineno, f"class {node.name}({_name(base)})"))
    return found


@pytest.mark.parametrize(
    "snippet",
    [
        "from strawberry.schema.schema import _run_validation",
        "from graphql._private import x",
        "import strawberry._internal",
        "graphql_schema = schema._schema",
        "if extension._implements_resolve(): pass",
        "class Codes(MaskErrors):\n    def _process_result(self, result): pass",
        "executor = first.create_sub_executor()",
        'default = getattr(field.resolve, "_is_default", False)',
        "key = GraphQLCoreConverter.DEFINITION_BACKREF",
        "built = Executor.build(schema, document)",
        "class Fast(StrawberryGraphQLCoreExecutionContext): pass",
        "from graphql.execution import ExecutionContext\nclass E(ExecutionContext): pass",
    ],
)
def test_the_scan_finds_private_internals(snippet: str) -> None:
    assert private_uses(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "from strawberry.extensions import MaskErrors, SchemaExtension",
        "from graphql import build_schema, get_variable_values",
        "self._schema_ready = True",  # a name of our own that merely starts alike
        "schema = build_schema(strawberry_schema.as_str())",
        "window = PageArgs.build(x)",
    ],
)
def test_the_scan_lets_public_api_through(snippet: str) -> None:
    assert private_uses(snippet) == []


def test_no_private_internal_outside_the_fast_path() -> None:
    offences = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != ALLOWED
        for line, what in private_uses(path.read_text(encoding="utf-8"))
    ]
    assert offences == [], "private internals of strawberry or graphql-core:\n" + "\n".join(
        offences
    )


def test_the_allowed_module_is_the_fast_path_and_uses_them() -> None:
    # If the fast path stops needing internals, it goes, and so does this allowance.
    assert private_uses(ALLOWED.read_text(encoding="utf-8"))
