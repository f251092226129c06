"""The Cypher lint (tools/cypher-lint) on fixture files whose verdicts are known."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

LINT = REPO_ROOT / "tools" / "cypher-lint" / "lint.mjs"
FIXTURES = Path("tests") / "cypher_lint"


def run_lint(*args: str | Path) -> subprocess.CompletedProcess[str]:
    if not (LINT.parent / "node_modules").is_dir():
        pytest.fail("tools/cypher-lint is not installed: run `make lint-cypher`")
    return subprocess.run(
        ["node", str(LINT), *map(str, args)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_valid_statements_pass_without_parameter_complaints() -> None:
    valid = FIXTURES / "valid"
    result = run_lint(valid, "--exclude", valid / "falkordb")
    assert result.returncode == 0, result.stdout + result.stderr
    # Two files, one in a subfolder; their $parameters are not reported.
    assert result.stdout == "cypher-lint: 2 file(s), 0 problem(s)\n"


def test_excluded_falkordb_folder_would_fail_as_neo4j_cypher() -> None:
    result = run_lint(FIXTURES / "valid")
    assert result.returncode == 1
    assert "valid/falkordb/node-by-id.cypher:3:7 warning" in result.stdout
    assert "3 file(s), 1 problem(s)" in result.stdout


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("syntax-error", "syntax-error.cypher:3:9 error Invalid input ''"),
        ("deprecated", "deprecated.cypher:2:8 warning The query used a deprecated function."),
        ("two-statements", "two-statements.cypher:1:1 error expected exactly one statement"),
        ("cypher-25", "cypher-25.cypher:1:1 error CYPHER 25 is not Neo4j 5"),
    ],
)
def test_problem_fails_with_file_and_position(name: str, expected: str) -> None:
    result = run_lint(FIXTURES / "invalid" / f"{name}.cypher")
    assert result.returncode == 1
    assert expected in result.stdout
    assert "Parameter $" not in result.stdout


def test_lint_of_no_file_fails(tmp_path: Path) -> None:
    result = run_lint(tmp_path)
    assert result.returncode == 2
    assert "no .cypher file found" in result.stderr
