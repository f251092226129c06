"""Mutations over HTTP: commit latency, and mutations per second while queries run.

Usage: ``python benchmarks/mutation_loop.py DATA_DIR --size 10k [--sequential 500]
[--seconds 20] [--writers 4] [--readers 2] [--rate R] [--read-rate Q]`` on a copy of a data
directory loaded with a generated bank (``generate --people N``; it writes into it). It
starts ``graph-service serve`` on that directory (a real process, the embedded store,
default settings: audited, fast path, the benchmark's raised rate limits
``measure.SERVED_RATE_LIMITS``) and sends,
with an admin token of the directory's local issuer:

1. ``--sequential`` ``createReferral`` mutations one after the other: the latency of a
   mutation committed durably (its SQLite transaction's write-ahead log synced, as
   ``synchronous=FULL`` does, and the audit record's ``fsync``, before the answer), seen by
   the client;
2. for ``--seconds``, ``--writers`` connections each sending mutations back to back
   (``createReferral`` and ``logContact`` alternately) while ``--readers`` connections ask
   ``payrollCoverage`` and ``uncoveredEmployees(first: 20)`` of random enterprises (after
   :data:`WARM_UP` such queries, untimed):
   mutations per second sustained, their latency under load, and the queries' latency.
   With ``--rate R``, the writers together offer ``R`` mutations a second on a fixed
   schedule instead (writer ``i`` sends its ``k``-th at ``start + (k * writers + i) / R``,
   at once when it is late), and each latency runs from the time scheduled, not from the
   send: a mutation kept waiting behind a slow one counts its wait, as wrk2 measures to
   avoid "coordinated omission" (Gil Tene). This is the latency at the target's rate; without
   ``--rate``, the writers measure the most the service sustains, and their latency is
   that of a closed loop at saturation (by Little's law, senders / requests per second).
   ``--read-rate Q`` puts the readers on such a schedule too, ``Q`` queries a second
   together: mutations beside a stated query load, rather than beside readers taking
   every cycle the service leaves.

Prints the figures and writes them to ``benchmarks/results/mutations-<size>-<UTC time>.json``
(with the client's own CPU time under load, ``client_cpu_s``), which ``benchmarks/report.py``
puts in BENCHMARKS.md, one row per file. The client runs on the same machine (one
process, a thread and a keep-alive :mod:`http.client` connection per sender:
:class:`Sender`), so it shares the cores with the service. Targets (issue
11, at 1M people): p99 <= 20 ms, >= 200 mutations/s sustained while queries run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import json
import os
import platform
import random
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson

from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer

try:
    from measure import SERVED_RATE_LIMITS
except ModuleNotFoundError:  # imported as benchmarks.mutation_loop (tests/test_mutation_durability)
    from benchmarks.measure import SERVED_RATE_LIMITS

RESULTS = Path(__file__).resolve().parent / "results"
CLI = [sys.executable, "-c", "from graph_service.cli import main; main()"]
CREATE = ("mutation($in: CreateReferralInput!) "
          "{ createReferral(input: $in) { id version } }")  # fmt: skip
LOG = "mutation($in: LogContactInput!) { logContact(input: $in) { id } }"
QUERY = ("query($e: ID!) { payrollCoverage(enterpriseId: $e) { rate } "
         "uncoveredEmployees(enterpriseId: $e, first: 20) { totalCount edges { node { id } } } }")
CLIENT = "http.client"
"""The client, as the results name it (:class:`Sender`; results without it used httpx)."""
WARM_UP = 20
"""Queries asked before the phase under load: the first ones after a start build the indexes
their questions read (the payroll owners' at 1M: about a second, once), which would
otherwise stall the first writers of the phase (and, on a schedule, every one after)."""
TARGET_P99_MS = 20.0
TARGET_PER_S = 200.0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (seconds) in milliseconds."""
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000, 2)


def latency(values: list[float]) -> dict[str, float]:
    """p50, p99 and max in milliseconds."""
    return {"p50_ms": percentile(values, 0.5), "p99_ms": percentile(values, 0.99),
            "max_ms": round(max(values) * 1000, 2), "samples": len(values)}  # fmt: skip


def serve(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``graph-service serve`` on ``data_dir``; answer it and its URL once healthy."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, **SERVED_RATE_LIMITS, "GRAPH_SERVICE_DATA_DIR": str(data_dir)}
    process = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("graph-service serve exited")
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("graph-service serve did not become healthy")


class Workload:
    """Random parties, managers and enterprises of a generated bank (ids ``P1``, ``M1``...)."""

    def __init__(self, counts: dict[str, int], seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.people, self.managers = counts["Person"], counts["Manager"]
        self.enterprises = counts["Enterprise"]
        self.numbers = itertools.count(1)  # next() is atomic: senders are threads

    def referral(self) -> dict[str, Any]:
        """Variables of a new ``createReferral`` (a fresh idempotency key)."""
        return {"in": {"party": {"label": "PERSON", "id": f"P{self.rng.randint(1, self.people)}"},
                       "toManagerId": f"M{self.rng.randint(1, self.managers)}",
                       "idempotencyKey": f"bench-{time.time_ns()}-{next(self.numbers)}",
                       "product": "credit card"}}

    def contact(self) -> dict[str, Any]:
        """Variables of a ``logContact`` with a random enterprise."""
        return {"in": {"party": {"label": "ENTERPRISE",
                                 "id": f"E{self.rng.randint(1, self.enterprises)}"},
                       "kind": "CALL", "at": dt.datetime.now(dt.UTC).isoformat()}}

    def enterprise(self) -> dict[str, Any]:
        """Variables of the query: a random enterprise."""
        return {"e": f"E{self.rng.randint(1, self.enterprises)}"}


class Sender:
    """One keep-alive HTTP/1.1 connection POSTing GraphQL documents to ``/graphql``.

    The standard library's :class:`http.client.HTTPConnection`, one per sender thread: the
    load generator shares the 2 cores with the service, and httpx's ``AsyncClient``, used
    before, took about 2 ms of CPU per request here (benchmarks/README.md, *Mutations over
    HTTP*).
    """

    def __init__(self, url: str, token: str) -> None:
        where = urllib.parse.urlsplit(url)
        self.http = http.client.HTTPConnection(where.hostname or "", where.port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, query: str, variables: dict[str, Any]) -> float:
        """Send one document; answer its latency in seconds.

        Raises
        ------
        RuntimeError
            If the answer is not 200 or has GraphQL errors.
        """
        started = time.perf_counter()
        self.http.request("POST", "/graphql", headers=self.headers,
                          body=orjson.dumps({"query": query, "variables": variables}))
        response = self.http.getresponse()
        answer = orjson.loads(response.read())
        elapsed = time.perf_counter() - started
        if response.status != 200 or answer.get("errors"):
            raise RuntimeError(f"{response.status}: {answer}")
        return elapsed

    def close(self) -> None:
        """Close the connection."""
        self.http.close()


def measure(url: str, token: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run both phases against the service at ``url``, a thread and connection per sender.

    Raises
    ------
    RuntimeError
        If an answer is not 200 or has GraphQL errors (:meth:`Sender.post`).
    """
    counts = httpx.get(f"{url}/health", headers={"Authorization": f"Bearer {token}"}
                       ).json()["counts"]
    work = Workload(counts)
    senders = [Sender(url, token) for _ in range(max(1, args.writers + args.readers))]
    try:
        sequential = [senders[0].post(CREATE, work.referral()) for _ in range(args.sequential)]
        for _ in range(WARM_UP):  # the indexes the readers' first queries build, built now
            senders[-1].post(QUERY, work.enterprise())

        writes: list[float] = []
        reads: list[float] = []

        start = time.monotonic()
        stop = start + args.seconds

        def send(index: int, of: int, rate: float | None, sender: Sender,
                 next_document: Callable[[], tuple[str, dict[str, Any]]],
                 latencies: list[float]) -> None:  # fmt: skip
            """Sender ``index`` of ``of``: back to back, or its share of ``rate`` a second.

            On a schedule, its ``k``-th at ``start + (k * of + index) / rate`` (at once when
            late), each latency from the time scheduled.
            """
            for k in itertools.count():
                due = start + (k * of + index) / rate if rate else time.monotonic()
                if due >= stop:
                    break
                wait = due - time.monotonic()
                if wait > 0:  # one reading of the clock: two could pass ``due`` between them
                    time.sleep(wait)
                document, variables = next_document()
                sent = time.monotonic()
                took = sender.post(document, variables)
                latencies.append(took + (sent - due))

        def writer(index: int) -> None:
            turns = itertools.count(index + 1)
            send(index, args.writers, args.rate, senders[index],
                 lambda: ((CREATE, work.referral()) if next(turns) % 2
                          else (LOG, work.contact())), writes)  # fmt: skip

        def reader(index: int) -> None:
            send(index, args.readers, args.read_rate, senders[args.writers + index],
                 lambda: (QUERY, work.enterprise()), reads)

        started, cpu = time.perf_counter(), time.process_time()
        with ThreadPoolExecutor(len(senders)) as pool:
            running = [*(pool.submit(writer, i) for i in range(args.writers)),
                       *(pool.submit(reader, i) for i in range(args.readers))]
            for sent in running:
                sent.result()  # an error answer raises here
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - cpu
    finally:
        for sender in senders:
            sender.close()
    return {
        "people": counts["Person"],
        "sequential": latency(sequential),
        "under_load": {
            "seconds": round(elapsed, 2),
            "writers": args.writers,
            "readers": args.readers,
            "offered_per_s": args.rate,
            "queries_offered_per_s": args.read_rate,
            "mutations_per_s": round(len(writes) / elapsed, 1),
            "mutations": latency(writes),
            "queries_per_s": round(len(reads) / elapsed, 1),
            "queries": latency(reads) if reads else None,
            "client_cpu_s": round(client_cpu, 2),
        },
    }


def main() -> None:
    """Parse the arguments, run the benchmark, print and keep its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--size", required=True, help="label of the bank, e.g. 10k")
    parser.add_argument("--sequential", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=None,
                        help="mutations per second the writers offer on a schedule "
                             "(default: back to back)")  # fmt: skip
    parser.add_argument("--read-rate", type=float, default=None,
                        help="queries per second the readers offer on a schedule "
                             "(default: back to back)")  # fmt: skip
    args = parser.parse_args()
    token = LocalIssuer(args.data_dir).issue("bench-admin", Role.ADMIN)
    process, url = serve(args.data_dir)
    try:
        figures = measure(url, token, args)
    finally:
        process.terminate()
        process.wait(timeout=60)
    now = dt.datetime.now(dt.UTC)
    document = {
        "size": args.size,
        "date": now.isoformat(timespec="seconds"),
        "client": CLIENT,
        "machine": {"cores": os.cpu_count(), "os": platform.platform(),
                    "load_average": [round(x, 2) for x in os.getloadavg()]},
        "targets": {"p99_ms": TARGET_P99_MS, "mutations_per_s": TARGET_PER_S},
        "rate_limits": SERVED_RATE_LIMITS,
        **figures,
    }
    print(json.dumps(document, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"mutations-{args.size}-{now:%Y-%m-%dT%H%M%S}.json").write_text(
        json.dumps(document, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
