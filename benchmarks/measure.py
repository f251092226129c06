"""Timing helpers: percentiles, subprocesses with their peak RSS, a served service, load.

The throughput load comes from ``wrk`` when it is on PATH, from Python threads with
``httpx`` otherwise (:func:`load_generator`); the run records which.

Peak RSS of a subprocess is its ``ru_maxrss`` as ``os.wait4`` reports it for that one
child (Linux: kilobytes), so it is exact and needs no polling.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import psutil

GRAPH_SERVICE = str(Path(sys.executable).with_name("graph-service"))
"""The ``graph-service`` script of the interpreter running the benchmark."""

STARTUP_TIMEOUT_S = 600.0
"""Longest wait for ``graph-service serve`` to answer ``/health`` (1M people: minutes)."""


def percentiles(samples_s: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of latencies in seconds, in milliseconds (nearest rank).

    Examples
    --------
    >>> percentiles([0.001] * 99 + [0.1])["p99_ms"]
    1.0
    """
    ordered = sorted(samples_s)

    def rank(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

    return {"p50_ms": rank(0.50), "p95_ms": rank(0.95), "p99_ms": rank(0.99)}


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``call``; return (seconds it took, what it returned)."""
    start = time.perf_counter()
    answer = call()
    return time.perf_counter() - start, answer


def run_measured(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a command to completion; return its wall time, peak RSS and standard error.

    Returns
    -------
    dict
        ``seconds`` and ``peak_rss_mb`` (of the process and the children it waited for),
        ``stderr`` (its text).

    Raises
    ------
    subprocess.CalledProcessError
        If the command fails (its standard error is in ``stderr``).
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    stderr = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, command, stderr=stderr.decode())
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "stderr": stderr.decode(errors="replace")}  # fmt: skip


SERVED_RATE_LIMITS = {
    "GRAPH_SERVICE_RATE_LIMIT_SUBJECT": "1000000/minute",
    "GRAPH_SERVICE_RATE_LIMIT_ADDRESS": "1000000/minute",
}
"""The rate limits the benchmark's server runs with (its environment). The throughput run
sends 500 and more requests a second from one subject and one address (30,000 and more a
minute), above the defaults (100/second and 3,000/minute per subject): raised, the limiter
still counts every request, so its cost is in the figures, but refuses none."""


@dataclass(frozen=True)
class Served:
    """A running ``graph-service serve``: when it was launched and its process."""

    launched: float
    """:func:`time.perf_counter` when the process was launched."""
    startup_s: float
    """Seconds from the launch to the first ``GET /health`` answering 200."""
    process: psutil.Process

    def rss_mb(self) -> float:
        """The server's resident memory now, in MiB."""
        return round(self.process.memory_info().rss / 2**20, 1)


@contextmanager
def served(data_dir: Path, port: int, env: dict[str, str] | None = None) -> Iterator[Served]:
    """Run ``graph-service serve`` on ``data_dir``; yield it once it answers ``/health``.

    Start-up is the time from launching the process to the first ``GET /health`` that
    answers 200 (``serve`` opens the store before it listens). The server runs with
    :data:`SERVED_RATE_LIMITS`, then ``env``. It is stopped on exit.

    Raises
    ------
    RuntimeError
        If the server exits or does not answer within :data:`STARTUP_TIMEOUT_S`.
    """
    command = [GRAPH_SERVICE, "serve", "--data-dir", str(data_dir), "--port", str(port)]
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, env={**os.environ, **SERVED_RATE_LIMITS, **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"graph-service serve exited with {proc.returncode}")
            if time.perf_counter() - start > STARTUP_TIMEOUT_S:
                raise RuntimeError("graph-service serve did not answer /health in time")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.02)
        yield Served(start, time.perf_counter() - start, psutil.Process(proc.pid))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


FIRST_QUERY = """query($id: ID!) {
  uncoveredEmployees(enterpriseId: $id, first: 5) { totalCount edges { node { id } } }
}"""
"""The first GraphQL query :func:`first_answer` sends: it reads an enterprise's employees."""


def first_answer(server: Served, port: int, headers: dict[str, str], enterprise: str) -> float:
    """Seconds from ``server``'s launch to the answer of its first GraphQL query.

    Sent as soon as ``/health`` answers (:data:`FIRST_QUERY` on ``enterprise``).

    Raises
    ------
    RuntimeError
        If the answer is not a 200 without errors.
    """
    answer = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": FIRST_QUERY, "variables": {"id": enterprise}},
        headers=headers, timeout=STARTUP_TIMEOUT_S,
    )  # fmt: skip
    seconds = time.perf_counter() - server.launched
    if answer.status_code != 200 or "errors" in answer.json():
        raise RuntimeError(f"the first query failed: {answer.status_code} {answer.text[:300]}")
    return round(seconds, 3)


LOAD_GENERATORS = ("auto", "wrk", "httpx")
"""Choices of ``run.py --load-generator``: ``auto`` is ``wrk`` when it is on PATH."""


def load_generator(choice: str = "auto") -> str:
    """The load generator of the throughput measure: ``wrk`` or ``httpx``.

    Parameters
    ----------
    choice : str
        One of :data:`LOAD_GENERATORS`; ``auto`` takes ``wrk`` when it is on PATH (the
        standard HTTP load generator, in C: it leaves the CPU to the server) and the Python
        clients otherwise (e.g. CI's smoke run).

    Raises
    ------
    RuntimeError
        If ``wrk`` is asked for and not on PATH.
    """
    if choice not in LOAD_GENERATORS:
        raise ValueError(f"load generator {choice!r} is not one of {LOAD_GENERATORS}")
    found = shutil.which("wrk") is not None
    if choice == "wrk" and not found:
        raise RuntimeError("--load-generator wrk: wrk is not on PATH")
    return "wrk" if choice == "wrk" or (choice == "auto" and found) else "httpx"


def describe_generator(generator: str) -> str:
    """The load generator and its version, e.g. ``wrk 4.1.0`` or ``httpx 0.28.1``."""
    if generator == "wrk":
        banner = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
        found = re.search(r"\b(\d+\.\d+\.\d+)", banner)
        return f"wrk {found.group(1) if found else 'unknown version'} ({WRK_THREADS} threads)"
    return f"httpx {version('httpx')} (one Python thread per connection)"


WRK_THREADS = 2
"""``wrk`` threads sharing the connections (one event loop each)."""


def throughput(
    url: str, body: dict[str, Any], clients: int, seconds: float, generator: str,
    headers: dict[str, str] | None = None,
) -> float:
    """Requests per second of ``clients`` keep-alive connections POSTing JSON ``body`` to ``url``.

    Parameters
    ----------
    url : str
        The full URL, e.g. ``http://127.0.0.1:8000/graphql``.
    body : dict
        Sent as the JSON body of every request.
    clients : int
        Concurrent connections, each sending its next request when the last is answered.
    seconds : float
        Duration (whole seconds for ``wrk``, at least 1).
    generator : str
        ``wrk`` (:func:`wrk_throughput`) or ``httpx`` (:func:`httpx_throughput`).
    headers : dict, optional
        Sent with every request (the bearer token).

    Raises
    ------
    RuntimeError
        If a request fails (a non-2xx answer, a socket error or a timeout).
    """
    if generator == "wrk":
        return wrk_throughput(url, body, clients, seconds, headers)
    return httpx_throughput(url, body, clients, seconds, headers)


def httpx_throughput(url: str, body: dict[str, Any], clients: int, seconds: float,
                     headers: dict[str, str] | None = None) -> float:
    """Requests per second of ``clients`` Python threads POSTing ``body`` in a loop.

    Each thread has its own keep-alive ``httpx.Client``; the threads share the GIL, and the
    CPU with the server.
    """
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def work(slot: int) -> None:
        with httpx.Client(timeout=60, headers=headers) as http:
            while time.perf_counter() < stop:
                http.post(url, json=body).raise_for_status()
                done[slot] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return round(sum(done) / (time.perf_counter() - start), 1)


def wrk_throughput(url: str, body: dict[str, Any], clients: int, seconds: float,
                   headers: dict[str, str] | None = None) -> float:
    """Requests per second of ``wrk`` POSTing ``body`` over ``clients`` keep-alive connections.

    The body is set by a Lua script (``wrk.method``, ``wrk.headers``, ``wrk.body``), the
    connections shared by :data:`WRK_THREADS` threads; the figure is wrk's ``Requests/sec``.

    Raises
    ------
    RuntimeError
        If wrk reports a non-2xx answer or a socket error (timeouts included, after 60 s).
    """
    text = json.dumps(body)
    level = next(n for n in itertools.count() if f"]{'=' * n}]" not in text)
    script = (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        + "".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n"
                  for k, v in (headers or {}).items())
        + f"wrk.body = [{'=' * level}[{text}]{'=' * level}]\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8") as lua:
        lua.write(script)
        lua.flush()
        command = ["wrk", "-t", str(min(WRK_THREADS, clients)), "-c", str(clients),
                   "-d", f"{max(1, round(seconds))}s", "--timeout", "60s", "-s", lua.name,
                   url]  # fmt: skip
        report = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    failures = re.findall(r"(Non-2xx or 3xx responses: \d+|Socket errors: [^\n]*)", report)
    if failures:
        raise RuntimeError(f"wrk: {'; '.join(failures)}")
    rate = re.search(r"Requests/sec:\s*([\d.]+)", report)
    if rate is None:
        raise RuntimeError(f"wrk printed no Requests/sec: {report!r}")
    return round(float(rate.group(1)), 1)
