"""The synthetic bank: determinism, loadability, partial coverage, skew."""

from __future__ import annotations

import asyncio
import csv
import errno
from collections import Counter
from pathlib import Path

import pytest

from graph_service.errors import InvalidInputError, Location
from graph_service.ingest.canonical import NODE_FILES, RELATIONSHIP_FILES, read_canonical
from graph_service.ingest.generator import MAX_PEOPLE, _Bank, generate
from graph_service.rules import LinkageRules
from graph_service.stores.embedded import EmbeddedStore
from tests.ingest.conftest import load

FILES = [*NODE_FILES, *RELATIONSHIP_FILES]


def column(path: Path, name: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[name] for row in csv.DictReader(handle)]


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    first = generate(300, 7, tmp_path / "a")
    second = generate(300, 7, tmp_path / "b")
    generate(300, 8, tmp_path / "c")
    assert first == second
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(FILES)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert any((tmp_path / "a" / n).read_bytes() != (tmp_path / "c" / n).read_bytes()
               for n in FILES)


def test_output_loads_without_rejects(tmp_path: Path, store: EmbeddedStore) -> None:
    rows = generate(2000, 1, tmp_path / "bank")
    assert rows["persons.csv"] == 2000
    assert rows["enterprises.csv"] == 200
    for name, count in rows.items():
        lines = (tmp_path / "bank" / name).read_text(encoding="utf-8").count("\n")
        assert lines == count + 1, name
    report, counts = load(store, read_canonical(tmp_path / "bank"))
    assert report.total_rejected == 0
    assert dict(report.loaded) == {name: n for name, n in rows.items() if n}
    by_file = {label: name for name, label in NODE_FILES.items()}
    by_file |= {layout.type: name for name, layout in RELATIONSHIP_FILES.items()}
    # Each referral refers to one party and one manager; each contact likewise.
    by_file |= {"REFERS": "referrals.csv", "REFERRED_TO": "referrals.csv",
                "CONTACTED": "contacts.csv", "LOGGED_BY": "contacts.csv"}
    assert counts == {key: rows[name] for key, name in by_file.items()}  # no repeated keys


def test_mix_and_partial_coverage(tmp_path: Path, store: EmbeddedStore) -> None:
    generate(2000, 3, tmp_path / "bank")
    bank = tmp_path / "bank"
    products = Counter(column(bank / "accounts.csv", "type"))
    assert {"debit card", "credit card", "savings account", "personal loan",
            "trust account", "corporate account"} <= products.keys()
    assert set(Counter(column(bank / "accounts.csv", "status"))) == {
        "active", "dormant", "blocked"}
    segments = Counter(column(bank / "persons.csv", "segment"))
    assert 0 < segments["private"] < segments["affluent"] < segments["mass"]
    assert set(column(bank / "managers.csv", "kind")) == {
        "corporate", "retail", "private_banking"}
    assert "executive" in column(bank / "employed_by.csv", "role")

    load(store, read_canonical(bank))
    staff = Counter(column(bank / "employed_by.csv", "enterprise_id"))
    large = [e for e, n in staff.items() if n >= 40]
    rates = [c.rate for c in asyncio.run(store.payroll_coverage(large, LinkageRules()))]
    assert len(rates) >= 5
    assert all(rate is not None and 0.25 < rate < 0.95 for rate in rates)
    assert max(r for r in rates if r is not None) - min(r for r in rates if r is not None) > 0.1


def test_largest_workforces_reach_a_thousand_at_100k(tmp_path: Path) -> None:
    generate(100_000, 42, tmp_path / "bank")
    staff = Counter(column(tmp_path / "bank" / "employed_by.csv", "enterprise_id"))
    sizes = sorted(staff.values(), reverse=True)
    assert sizes[0] >= 1000
    assert sizes[len(sizes) // 2] < 20  # most enterprises are small


@pytest.mark.parametrize("people", [0, -5])
def test_people_must_be_positive(tmp_path: Path, people: int) -> None:
    with pytest.raises(InvalidInputError, match="people must be at least 1"):
        generate(people, 1, tmp_path / "bank")


def test_a_single_person(tmp_path: Path, store: EmbeddedStore) -> None:
    rows = generate(1, 0, tmp_path / "bank")
    assert (rows["persons.csv"], rows["enterprises.csv"]) == (1, 1)
    report, _ = load(store, read_canonical(tmp_path / "bank"))
    assert report.total_rejected == 0


# -- output paths, size bound, all or nothing -------------------------------------------


@pytest.mark.parametrize("people", [MAX_PEOPLE + 1, 99_999_999_999_999])
def test_people_above_the_bound_are_refused_before_writing(tmp_path: Path, people: int) -> None:
    with pytest.raises(InvalidInputError, match="people must be at most 10,000,000"):
        generate(people, 1, tmp_path / "bank")
    assert list(tmp_path.iterdir()) == []


def test_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "passwd"
    out.write_text("root:x:0:0\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="exists and is not a directory") as caught:
        generate(5, 1, out)
    assert caught.value.location == Location(str(out))
    assert out.read_text(encoding="utf-8") == "root:x:0:0\n"
    with pytest.raises(InvalidInputError, match="passwd is not a directory") as caught:
        generate(5, 1, out / "bank")
    assert caught.value.location == Location(str(out / "bank"))


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("out", ["/proc/x", "/proc/self/bank"])
def test_out_that_cannot_be_created_is_an_input_error(out: str) -> None:
    with pytest.raises(InvalidInputError, match="cannot create a directory in /proc") as caught:
        generate(5, 1, Path(out))
    assert caught.value.location == Location(out)


def test_out_that_is_not_empty_is_refused_and_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "bank"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="exists and is not empty"):
        generate(5, 1, out)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank"]  # no partial sibling


def test_an_empty_out_directory_and_missing_parents_are_fine(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    generate(5, 1, tmp_path / "empty")
    generate(5, 1, tmp_path / "a" / "b" / "bank")
    for out in (tmp_path / "empty", tmp_path / "a" / "b" / "bank"):
        assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "empty"]


@pytest.mark.parametrize(
    ("error", "raised"),
    [(OSError(errno.ENOSPC, "No space left on device"), InvalidInputError),
     (MemoryError(), MemoryError), (KeyboardInterrupt(), KeyboardInterrupt)],
)
def test_a_failure_midway_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException,
    raised: type[BaseException],
) -> None:
    def write_then_fail(bank: _Bank) -> None:
        bank.write_managers()
        bank.write_enterprises()
        raise error

    monkeypatch.setattr(_Bank, "write", write_then_fail)
    with pytest.raises(raised) as caught:
        generate(200, 1, tmp_path / "a" / "b" / "bank")
    if isinstance(caught.value, InvalidInputError):
        assert "No space left on device" in caught.value.message
        assert caught.value.location == Location(str(tmp_path / "a" / "b" / "bank"))
    assert list(tmp_path.iterdir()) == []  # no files, no partial sibling, no parents
