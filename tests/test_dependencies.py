"""The lock files (`make lock`): every dependency pinned exactly, and the venv holding them."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from tests.conftest import REPO_ROOT

PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
DEPENDENCIES = [Requirement(r) for r in PROJECT["dependencies"]]
EXTRAS = {
    extra: [Requirement(r) for r in requirements]
    for extra, requirements in PROJECT["optional-dependencies"].items()
}
LOCK = REPO_ROOT / "requirements.lock"  # the runtime's
DEV_LOCK = REPO_ROOT / "requirements-dev.lock"  # the runtime's and every extra's


def applies(requirement: Requirement, extra: str = "") -> bool:
    """Whether ``requirement`` holds on this interpreter (the lock's target: 3.11, Linux)."""
    return requirement.marker is None or requirement.marker.evaluate({"extra": extra})


def read_lock(path: Path) -> dict[NormalizedName, Requirement]:
    """The requirements of a lock file by name, comments (uv's ``# via``) left out."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    requirements = [Requirement(line) for line in lines if line]
    by_name = {canonicalize_name(r.name): r for r in requirements}
    assert len(by_name) == len(requirements), f"{path.name} names a package twice"
    return by_name


def pinned(requirement: Requirement) -> str:
    """The exact version a lock line pins (``name==version``)."""
    [spec] = requirement.specifier
    return spec.version


def needed(roots: list[Requirement]) -> set[NormalizedName]:
    """Every package that ``roots`` need here, transitively, from the installed metadata."""
    names: set[NormalizedName] = set()
    expanded: set[tuple[NormalizedName, str]] = set()
    todo = [r for r in roots if applies(r)]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        names.add(name)
        for extra in ("", *sorted(requirement.extras)):
            if (name, extra) in expanded:
                continue
            expanded.add((name, extra))
            try:
                requires = distribution(name).requires or []
            except PackageNotFoundError:
                pytest.fail(f"{name} is needed but not installed")
            todo += [r for r in map(Requirement, requires) if applies(r, extra)]
    return names


@pytest.mark.parametrize("path", [LOCK, DEV_LOCK], ids=lambda p: p.name)
def test_every_requirement_is_pinned_to_one_version(path: Path) -> None:
    locked = read_lock(path)
    assert locked
    for name, requirement in locked.items():
        assert requirement.url is None and not requirement.extras, name
        [spec] = requirement.specifier
        assert spec.operator == "==" and "*" not in spec.version, f"{name}: {spec}"


def test_the_locks_cover_every_dependency_and_every_extra_within_its_range() -> None:
    runtime, dev = read_lock(LOCK), read_lock(DEV_LOCK)
    for lock, requirements in (
        (runtime, DEPENDENCIES),
        (dev, DEPENDENCIES + [r for rs in EXTRAS.values() for r in rs]),
    ):
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            assert name in lock, f"{requirement} is not locked"
            assert requirement.specifier.contains(pinned(lock[name])), (
                f"{requirement}: locked {pinned(lock[name])}"
            )
    # The ones the issue named (strawberry's dependencies) among the transitive ones.
    assert {"graphql-core", "cross-web"} <= runtime.keys()


def test_the_runtime_lock_pins_the_dev_lock_versions() -> None:
    dev = read_lock(DEV_LOCK)
    for name, requirement in read_lock(LOCK).items():
        assert str(dev.get(name)) == str(requirement), name


@pytest.mark.parametrize(
    ("path", "roots"),
    [(LOCK, DEPENDENCIES), (DEV_LOCK, DEPENDENCIES + [r for rs in EXTRAS.values() for r in rs])],
    ids=["requirements.lock", "requirements-dev.lock"],
)
def test_a_lock_holds_exactly_what_its_dependencies_need(
    path: Path, roots: list[Requirement]
) -> None:
    locked = {name for name, r in read_lock(path).items() if applies(r)}
    need = needed(roots)
    assert not need - locked, f"needed, not locked: {sorted(need - locked)}"
    assert not locked - need, f"locked, not needed: {sorted(locked - need)}"


def test_the_venv_holds_the_dev_lock_versions() -> None:
    for name, requirement in read_lock(DEV_LOCK).items():
        if not applies(requirement):
            continue
        try:
            installed = distribution(name).version
        except PackageNotFoundError:
            pytest.fail(f"{name} is locked but not installed: make rebuilds the venv")
        assert installed == pinned(requirement), (
            f"{name} {installed} installed, {pinned(requirement)} locked"
        )
