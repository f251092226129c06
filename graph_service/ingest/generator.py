"""The synthetic bank: deterministic canonical CSV of any size, up to millions of people.

Distributions and their rationale are specified in ``loaders/synthetic-bank.md``. Rows are
streamed to the files as they are drawn; what is kept in memory is per enterprise (a few
numbers each) plus the executive seats (about 0.2 per person).
"""

from __future__ import annotations

import csv
import os
import random
import secrets
import shutil
from bisect import bisect
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path
from typing import TextIO

from graph_service.errors import InvalidInputError, Location
from graph_service.ingest.canonical import NODE_FILES, RELATIONSHIP_FILES, header

MAX_PEOPLE = 10_000_000
"""Largest ``people`` :func:`generate` accepts, for its output's size on disk and the
drawing's memory (measured, see benchmarks/README.md#tuning-constants). Larger requests
are refused before anything is written (at 10**14 the drawing would run out of memory)."""
PEOPLE_PER_ENTERPRISE = 10
ZIPF_EXPONENT = 1.0
"""Workforce weight of the enterprise of size rank k is ``1 / k**ZIPF_EXPONENT``."""
EMPLOYMENT_RATE = 0.85
PEOPLE_PER_REFERRAL = 100
PEOPLE_PER_CONTACT = 50
"""History (``loaders/synthetic-bank.md``): one referral per 100 people and one contact per
50 (at least one each), drawn from their own random stream, so the other files are those
of a generator without history."""
ENTERPRISES_PER_CIRCLE = 1_000
CIRCLE_LENGTHS = (2, 3, 4)
"""Guarantee circles (``loaders/synthetic-bank.md``): one per 1,000 enterprises (at least
one where there are two), each of 2 to 4 uniform enterprises guaranteeing each other round
the circle, the mutual-guarantee pattern of small firms that ``guaranteeCircles`` finds;
drawn from their own random stream, so the other files are what they were before."""
COVERAGE_RANGE = (0.4, 0.8)
"""Each enterprise's payroll coverage (share of staff with an active debit card) is uniform
in this range."""

_FIRST = ("Anna", "Ben", "Carla", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas",
          "Klara", "Lukas", "Maria", "Noah", "Olga", "Paul", "Rosa", "Samuel", "Tina", "Victor",
          "Wanda", "Xaver", "Yara", "Zoe", "Amir", "Chen", "Priya", "Kenji", "Fatima", "Diego")
_LAST = ("Adler", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Horvat", "Ivanov",
         "Jansen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Quinn",
         "Rossi", "Schmidt", "Tanaka", "Unger", "Varga", "Weber", "Xu", "Yilmaz", "Zimmer")
_SUFFIX = ("Ltd", "GmbH", "AG", "SA", "Holding", "Group", "& Sons", "Partners", "Industries")
_INDUSTRIES = ("manufacturing", "retail", "construction", "logistics", "software", "health",
               "hospitality", "energy", "agriculture", "finance", "education", "media")
_REGIONS = ("North", "South", "East", "West", "Central", "Capital")
_TITLES = ("CFO", "COO", "CTO", "Managing director", "Board member")
_SEGMENTS = ("mass", "affluent", "private")
_CONTACT_KINDS = ("VISIT", "CALL", "MEETING", "MESSAGE")
_OUTCOMES = ("interested", "not interested", "call back", "documents sent")
# Product -> probability of holding it per segment (mass, affluent, private). Debit cards are
# drawn separately: they carry payroll coverage.
_PRODUCTS = (
    ("credit card", (0.30, 0.50, 0.60)),
    ("savings account", (0.40, 0.60, 0.50)),
    ("personal loan", (0.12, 0.10, 0.05)),
    ("mortgage", (0.08, 0.15, 0.20)),
    ("prepaid card", (0.05, 0.03, 0.01)),
    ("brokerage account", (0.02, 0.15, 0.40)),
    ("trust account", (0.002, 0.03, 0.60)),
)
_START = date(2005, 1, 1)
_DAYS = tuple((_START + timedelta(days=d)).isoformat() for d in range(20 * 365))


class _Sink:
    """A CSV file being written: header first, then counted rows."""

    __slots__ = ("rows", "_write")

    def __init__(self, handle: TextIO, columns: Sequence[str]) -> None:
        self._write = csv.writer(handle, lineterminator="\n").writerow
        self._write(columns)
        self.rows = 0

    def __call__(self, *values: object) -> None:
        self._write(values)
        self.rows += 1


PROGRESS_STEP = 10_000
"""Persons written between two calls of :func:`generate`'s ``progress``."""


def generate(
    people: int, seed: int, out: Path, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Write a synthetic bank of ``people`` persons as canonical CSV into ``out``.

    Parameters
    ----------
    people : int
        Number of persons, 1 to :data:`MAX_PEOPLE`. Enterprises: ``max(1, people // 10)``;
        about 2 accounts per person; in all about 7 data rows per person (see
        ``loaders/synthetic-bank.md``).
    seed : int
        Seed of the one ``random.Random`` that draws everything.
    out : Path
        Directory to create with the ten canonical files. It must not exist, or be an empty
        directory (which is replaced); missing parent directories are created.
    progress : callable, optional
        Called with the number of persons just written, every :data:`PROGRESS_STEP` and at
        the end (the draws do not depend on it).

    Returns
    -------
    dict of str to int
        Data rows written per file name (header excluded), for every canonical file.

    Raises
    ------
    InvalidInputError
        If ``people`` is outside 1 to :data:`MAX_PEOPLE`; if ``out`` exists and is not a
        directory (``/etc/passwd``) or not empty; if ``out`` or a parent cannot be created
        or written (``/proc/x``, ``/sys/gen``, no permission, disk full). The location
        names ``out`` as given. Nothing is left behind then.

    Notes
    -----
    All or nothing: the files are written into a hidden sibling directory
    (``.NAME.partial-XXXXXXXX`` next to ``out``), which is renamed to ``out`` only once
    every file is complete; any failure removes it (and the parents this call created). Only
    a killed process (``SIGKILL``, the out-of-memory killer) can leave that sibling; it is
    never taken for output.

    Deterministic: the same ``people`` and ``seed`` give byte-identical files (standard
    library ``random``, fixed draw order, LF line ends). Streaming, O(people) time; memory
    O(people / 10) for the enterprises plus the executive seats. Every relationship joins
    nodes the output holds, and no (type, start, end) repeats, so a load rejects nothing
    and each row is one relationship.
    """
    if people < 1:
        raise InvalidInputError(f"people must be at least 1, got {people}")
    if people > MAX_PEOPLE:
        raise InvalidInputError(f"people must be at most {MAX_PEOPLE:,}, got {people:,}")
    where = Location(str(out))
    target = out.resolve()
    _check_target(target, where)
    created = _make_parents(target.parent, where)
    work = target.parent / f".{target.name}.partial-{secrets.token_hex(4)}"
    try:
        work.mkdir()
    except OSError as exc:
        _remove_dirs(created)
        raise InvalidInputError(
            f"cannot create a directory in {target.parent}: {exc.strerror or exc}", where
        ) from None
    try:
        with ExitStack() as stack:
            sinks = {
                name: _Sink(
                    stack.enter_context((work / name).open("w", encoding="utf-8", newline="")),
                    header(name),
                )
                for name in (*NODE_FILES, *RELATIONSHIP_FILES)
            }
            bank = _Bank(random.Random(seed), people, sinks, progress)
            bank.write()
            bank.write_history(random.Random(f"history:{seed}"))
            bank.write_guarantee_circles(random.Random(f"circles:{seed}"))
        os.rename(work, target)  # replaces an empty directory; fails on any other entry
    except BaseException as exc:
        shutil.rmtree(work, ignore_errors=True)
        _remove_dirs(created)
        if isinstance(exc, OSError):
            raise InvalidInputError(f"cannot write: {exc.strerror or exc}", where) from None
        raise
    return {name: sink.rows for name, sink in sinks.items()}


def _check_target(target: Path, where: Location) -> None:
    """Refuse an output path that exists and is not an empty directory."""
    try:
        if not target.exists():
            return
        if not target.is_dir():
            raise InvalidInputError("exists and is not a directory", where)
        if any(target.iterdir()):
            raise InvalidInputError(
                "exists and is not empty; generate writes a new directory (remove it or"
                " choose another --out)",
                where,
            )
    except OSError as exc:
        raise InvalidInputError(f"cannot use as output: {exc.strerror or exc}", where) from None


def _make_parents(parent: Path, where: Location) -> list[Path]:
    """Create ``parent`` and its missing ancestors; return those created, deepest first."""
    missing = [p for p in (parent, *parent.parents) if not p.exists()]
    existing = parent.parents[len(missing) - 1] if missing else parent
    if not existing.is_dir():
        raise InvalidInputError(f"{existing} is not a directory", where)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_dirs(missing)
        raise InvalidInputError(
            f"cannot create the parent directory: {exc.strerror or exc}", where
        ) from None
    return missing


def _remove_dirs(directories: list[Path]) -> None:
    """Remove the given directories, deepest first, where they exist and are empty."""
    for directory in directories:
        try:
            directory.rmdir()
        except OSError:
            pass


class _Bank:
    """The drawing of one synthetic bank; methods write straight to the sinks."""

    def __init__(self, rng: random.Random, people: int, sinks: dict[str, _Sink],
                 progress: Callable[[int], None] | None = None) -> None:
        self.progress = progress
        self.rng = rng
        self.people = people
        self.enterprises = max(1, people // PEOPLE_PER_ENTERPRISE)
        self.sinks = sinks
        self.accounts = 0
        self.executive_of: dict[int, list[int]] = {}
        self.guaranteed: set[tuple[int, int]] = set()  # enterprise guarantees written

    def pick(self, values: Sequence[str]) -> str:
        return values[int(self.rng.random() * len(values))]

    def name(self) -> str:
        return f"{self.pick(_FIRST)} {self.pick(_LAST)}"

    def account(self, owner_label: str, owner_id: str, product: str, status: str) -> str:
        self.accounts += 1
        account_id = f"A{self.accounts}"
        balance = round(self.rng.lognormvariate(8.0, 1.2), 2)
        opened = self.pick(_DAYS)  # no dated activity is generated: last activity = opening
        self.sinks["accounts.csv"](account_id, product, status, opened, balance, opened)
        self.sinks["owns.csv"](owner_label, owner_id, account_id)
        return account_id

    def status(self) -> str:
        draw = self.rng.random()
        return "active" if draw < 0.90 else "dormant" if draw < 0.97 else "blocked"

    def write(self) -> None:
        self.write_managers()
        self.write_enterprises()
        self.write_persons()

    def write_history(self, rng: random.Random) -> None:
        """Referrals and contacts, from ``rng`` (the bank's own stream is not touched).

        A referral's party is a person (90%) or an enterprise, its manager any manager, its
        status OPEN, CONTACTED, CONVERTED or DECLINED (40/25/20/15%) at the version the
        workflow reaches it with; a contact's party likewise, logged by any manager.
        """
        managers = [m for ids in self.managers.values() for m in ids]

        def pick(values: Sequence[str]) -> str:
            return values[int(rng.random() * len(values))]

        def party() -> tuple[str, str]:
            if rng.random() < 0.9:
                return "Person", f"P{int(rng.random() * self.people) + 1}"
            return "Enterprise", f"E{int(rng.random() * self.enterprises) + 1}"

        referrals = self.sinks["referrals.csv"]
        for r in range(1, max(1, self.people // PEOPLE_PER_REFERRAL) + 1):
            draw = rng.random()
            status, version = (("OPEN", 1) if draw < 0.40 else ("CONTACTED", 2) if draw < 0.65
                               else ("CONVERTED", 3) if draw < 0.85 else ("DECLINED", 3))
            referrals(f"R{r}", *party(), pick(managers), status, version,
                      pick([p for p, _ in _PRODUCTS]), "",
                      f"staff-{int(rng.random() * 50) + 1:03d}", "", pick(_DAYS), "")
        contacts = self.sinks["contacts.csv"]
        for c in range(1, max(1, self.people // PEOPLE_PER_CONTACT) + 1):
            contacts(f"C{c}", *party(), pick(managers), pick(_CONTACT_KINDS), pick(_DAYS),
                     pick(_OUTCOMES), "", "", "", "")

    def write_guarantee_circles(self, rng: random.Random) -> None:
        """Circles of enterprises guaranteeing each other, from ``rng`` (:data:`CIRCLE_LENGTHS`).

        Each circle's enterprises are distinct and uniform; a guarantee the bank already
        holds is not written twice (the circle is then closed by the existing one).
        """
        n = self.enterprises
        if n < 2:
            return
        for _ in range(max(1, n // ENTERPRISES_PER_CIRCLE)):
            length = min(n, CIRCLE_LENGTHS[int(rng.random() * len(CIRCLE_LENGTHS))])
            members = rng.sample(range(1, n + 1), length)
            for e, other in zip(members, members[1:] + members[:1], strict=True):
                if (e, other) not in self.guaranteed:
                    self.guaranteed.add((e, other))
                    self.sinks["guarantees.csv"]("Enterprise", f"E{e}", f"E{other}")

    def write_managers(self) -> None:
        rng, write = self.rng, self.sinks["managers.csv"]
        counts = (max(1, self.enterprises // 40), max(1, self.people // 2000),
                  max(1, self.people // 20000))
        branches = [f"Branch {b:03d}" for b in range(1, max(3, sum(counts) // 8) + 1)]
        self.managers: dict[str, list[str]] = {}
        number = 0
        for kind, count in zip(("corporate", "retail", "private_banking"), counts, strict=True):
            ids = self.managers[kind] = []
            for _ in range(count):
                number += 1
                ids.append(f"M{number}")
                write(f"M{number}", self.name(), kind, branches[int(rng.random() * len(branches))])

    def write_enterprises(self) -> None:
        rng, sinks, n = self.rng, self.sinks, self.enterprises
        ranks = list(range(1, n + 1))
        rng.shuffle(ranks)
        self.cumulative = list(accumulate(1.0 / r**ZIPF_EXPONENT for r in ranks))
        self.coverage = [rng.uniform(*COVERAGE_RANGE) for _ in range(n)]
        self.payroll_account: list[str] = []
        corporate = self.managers["corporate"]
        guaranteed = self.guaranteed
        for e in range(1, n + 1):
            eid = f"E{e}"
            sinks["enterprises.csv"](
                eid, f"{self.pick(_LAST)} {self.pick(_SUFFIX)}", self.pick(_INDUSTRIES),
                self.pick(_REGIONS), "true" if rng.random() < 0.01 else "false",
                self.pick(_DAYS),
            )
            sinks["manages.csv"](self.pick(corporate), "Enterprise", eid)
            self.payroll_account.append(self.account("Enterprise", eid, "corporate account",
                                                     "active"))
            if rng.random() < 0.3:
                self.account("Enterprise", eid, "merchant account", self.status())
            self.write_board(e, eid)
            if n > 1 and rng.random() < 0.05:
                other = self.enterprise()
                if other != e and (e, other) not in guaranteed:
                    guaranteed.add((e, other))
                    sinks["guarantees.csv"]("Enterprise", eid, f"E{other}")

    def enterprise(self) -> int:
        """An enterprise number drawn by workforce weight (Zipf-like)."""
        return bisect(self.cumulative, self.rng.random() * self.cumulative[-1]) + 1

    def write_board(self, e: int, eid: str) -> None:
        """Executives (1 to 3) and shareholders of enterprise ``e``."""
        rng, sinks = self.rng, self.sinks
        seats = 1 + (rng.random() < 0.5) + (rng.random() < 0.2)
        holders: list[tuple[str, str]] = []
        for seat in range(seats):
            person = int(rng.random() * self.people) + 1
            if e in self.executive_of.setdefault(person, []):
                continue
            self.executive_of[person].append(e)
            title = "CEO" if seat == 0 else self.pick(_TITLES)
            sinks["employed_by.csv"](f"P{person}", eid, "executive", title, "")
            if rng.random() < 0.6:
                holders.append(("Person", f"P{person}"))
        if rng.random() < 0.2:
            investor = f"P{int(rng.random() * self.people) + 1}"
            if ("Person", investor) not in holders:
                holders.append(("Person", investor))
        if rng.random() < 0.3:
            parent = self.enterprise()
            if parent != e:
                holders.append(("Enterprise", f"E{parent}"))
        shares = [rng.uniform(0.05, 0.6) for _ in holders]
        scale = max(1.0, sum(shares) / 0.95)
        for (label, holder), share in zip(holders, shares, strict=True):
            sinks["shareholder_of.csv"](label, holder, eid, round(share / scale, 4))

    def write_persons(self) -> None:
        rng, sinks = self.rng, self.sinks
        persons, employed_by = sinks["persons.csv"], sinks["employed_by.csv"]
        transfers, manages = sinks["transferred_to.csv"], sinks["manages.csv"]
        private_managers, retail = self.managers["private_banking"], self.managers["retail"]
        guaranteed: set[tuple[int, int]] = set()
        for p in range(1, self.people + 1):
            if self.progress is not None and p % PROGRESS_STEP == 0:
                self.progress(PROGRESS_STEP)
            pid = f"P{p}"
            boards = self.executive_of.get(p, ())
            draw = rng.random()
            if boards:
                segment = 2 if draw < 0.25 else 1 if draw < 0.70 else 0
            else:
                segment = 2 if draw < 0.02 else 1 if draw < 0.15 else 0
            persons(pid, self.name(), _SEGMENTS[segment],
                    "true" if rng.random() < 0.005 else "false", self.pick(_DAYS))
            employer = self.enterprise() if rng.random() < EMPLOYMENT_RATE else 0
            if employer and employer not in boards:
                employed_by(pid, f"E{employer}", "employee", "", "")
            payroll = employer or (boards[0] if boards else 0)
            if payroll and rng.random() < self.coverage[payroll - 1]:
                card = self.account("Person", pid, "debit card", "active")
                months = 1 + int(rng.random() * 12)
                salary = rng.lognormvariate(8.0, 0.4)
                transfers(self.payroll_account[payroll - 1], card, months,
                          round(months * salary, 2))
            elif rng.random() < (0.35 if payroll else 0.55):
                self.account("Person", pid, "debit card",
                             ("dormant" if rng.random() < 0.7 else "blocked") if payroll
                             else "active")
            for product, chance in _PRODUCTS:
                if rng.random() < chance[segment]:
                    self.account("Person", pid, product, self.status())
            if segment == 2:
                manages(self.pick(private_managers), "Person", pid)
            elif rng.random() < (0.5 if segment else 0.05):
                manages(self.pick(retail), "Person", pid)
            if self.people > 1 and rng.random() < 0.02:
                other = int(rng.random() * self.people) + 1
                if other != p and (p, other) not in guaranteed:
                    guaranteed.add((p, other))
                    sinks["guarantees.csv"]("Person", pid, f"P{other}")
        if self.progress is not None:
            self.progress(self.people % PROGRESS_STEP)
