"""Lists at scale: the embedded store's own lists against the generic rule, in one process.

Usage: ``python benchmarks/lists.py DATA_DIR`` on a data directory loaded with a generated
bank (``generate --people N``). For each list below it answers the question
(:func:`graph_service.linkage.question.answer`) by the generic rule (every node of the label
read, filtered and sorted in Python; once, it takes seconds at 1M) and by the store's
pushdown (:mod:`graph_service.stores.embedded.lists`): its first answer (the columns and
the order built) and the median of :data:`WARM` more; the answers must be equal (every node
and sort key). Then, over GraphQL in-process, a document of four aliased lists (what the
default node budget admits), as an admin and as a manager, whose lists by personal data keep
only their portfolio. Prints a Markdown table of milliseconds, to paste into
``benchmarks/results/by-hand-lists.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from graph_service.api.context import make_context
from graph_service.api.fast_path import schema_for
from graph_service.auth.caller import Caller, Role
from graph_service.config import Settings
from graph_service.linkage.lists import (
    ENTERPRISES,
    PERSONS,
    EnterpriseListArgs,
    EnterpriseSort,
    EnterpriseWhere,
    PersonListArgs,
    PersonSort,
    PersonWhere,
    SortDirection,
    StringFilter,
)
from graph_service.linkage.question import Question, answer
from graph_service.stores import open_store

WARM = 5
"""Answers timed after the first, by the pushdown."""
ASC, DESC = SortDirection.ASC, SortDirection.DESC
CASES: list[tuple[str, Question[Any, Any], Any]] = [
    ("persons", PERSONS, PersonListArgs()),
    ("persons by name", PERSONS, PersonListArgs(sort=(PersonSort(name=ASC),))),
    ("persons of a segment", PERSONS,
     PersonListArgs(PersonWhere(segment=StringFilter(eq="private")))),
    ("persons named A..., by name descending", PERSONS,
     PersonListArgs(PersonWhere(name=StringFilter(starts_with="A")), (PersonSort(name=DESC),))),
    ("enterprises by uncovered employees", ENTERPRISES,
     EnterpriseListArgs(sort=(EnterpriseSort(uncovered_employees=DESC),))),
    ("enterprises of regions from M, by region and name", ENTERPRISES,
     EnterpriseListArgs(EnterpriseWhere(region=StringFilter(gte="M")),
                        (EnterpriseSort(region=ASC), EnterpriseSort(name=DESC)))),
]  # fmt: skip
ALIASES = """{ a: persons(first: 10, sort: [{name: ASC}]) { totalCount edges { node { id } } }
  b: persons(first: 10, sort: [{name: DESC}]) { totalCount edges { node { id } } }
  c: persons(first: 10, where: {name: {startsWith: "B"}}) { totalCount edges { node { id } } }
  d: persons(first: 10, sort: [{segment: ASC}, {name: ASC}]) {
    totalCount edges { node { id } } } }"""


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


async def _timed(question: Question[Any, Any], store: Any, settings: Settings, args: Any,
                 generic: bool) -> tuple[float, Any]:  # fmt: skip
    started = time.perf_counter()
    found = await answer(question, store, settings, args, generic=generic)
    return time.perf_counter() - started, found


async def run(data_dir: Path) -> list[str]:
    """Measure every case and the aliased document; answer the table's lines."""
    # The generic rule refuses a label over max_book_scan on a store without the pushdown;
    # here it is measured on the embedded store, at any size.
    settings = Settings(data_dir=data_dir, max_book_scan=1 << 40)
    store = open_store(settings)
    counts = await store.counts()
    lines = [f"{counts['Person']:,} people, {counts['Enterprise']:,} enterprises.", "",
             "| list | nodes listed | generic rule | pushdown, first | pushdown, median of "
             f"{WARM} more | same answer |", "|---|---|---|---|---|---|"]  # fmt: skip
    for name, question, args in CASES:
        generic_s, expected = await _timed(question, store, settings, args, generic=True)
        first_s, found = await _timed(question, store, settings, args, generic=False)
        same, listed = found == expected, len(expected.items)
        del found, expected  # a million nodes and keys built: not kept for the GC to walk
        gc.collect()
        warm = [(await _timed(question, store, settings, args, False))[0] for _ in range(WARM)]
        lines.append(f"| {name} | {listed:,} | {_ms(generic_s)} | {_ms(first_s)} "
                     f"| {_ms(statistics.median(warm))} | {'yes' if same else 'NO'} |")
        if not same:
            raise SystemExit(f"{name}: the pushdown's answer differs from the generic rule's")
    manager = (await store.list_ids("Manager"))[0]
    schema = schema_for(settings)
    lines += ["", "| four aliased `persons` lists in one document (GraphQL, in-process) | "
              "first | median of 5 more |", "|---|---|---|"]  # fmt: skip
    for who, caller in (("admin", Caller("bench", Role.ADMIN, issuer="cli")),
                        ("manager", Caller("bench", Role.MANAGER, manager, issuer="cli"))):
        times = []
        for _ in range(6):
            started = time.perf_counter()
            result = await schema.execute(ALIASES, context_value=make_context(store, settings,
                                                                              caller))
            times.append(time.perf_counter() - started)
            if result.errors:
                raise SystemExit(f"{who}: {result.errors[0].message}")
        lines.append(f"| as {who} | {_ms(times[0])} | {_ms(statistics.median(times[1:]))} |")
    await store.close()
    return lines


def main() -> None:
    """Parse the arguments, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()  # fmt: skip
    lines = asyncio.run(run(args.data_dir))
    print(f"Measured {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC at {commit}, "
          f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}: "
          + lines[0])
    print("\n".join(lines[1:]))


if __name__ == "__main__":
    main()
