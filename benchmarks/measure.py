"""Timing helpers: percentiles, subprocesses with their peak RSS, a served service, load.

Peak RSS of a subprocess is its ``ru_maxrss`` as ``os.wait4`` reports it for that one
child (Linux: kilobytes), so it is exact and needs no polling.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

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


def run_measured(command: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run a command to completion; return its wall time and peak RSS.

    Returns
    -------
    dict
        ``seconds`` and ``peak_rss_mb`` (of the process and the children it waited for).

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
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


@contextmanager
def served(data_dir: Path, port: int, env: dict[str, str] | None = None) -> Iterator[float]:
    """Run ``graph-service serve`` on ``data_dir``; yield its start-up time in seconds.

    Start-up is the time from launching the process to the first ``GET /health`` that
    answers 200 (the store is open and answering). The server is stopped on exit.

    Raises
    ------
    RuntimeError
        If the server exits or does not answer within :data:`STARTUP_TIMEOUT_S`.
    """
    command = [GRAPH_SERVICE, "serve", "--data-dir", str(data_dir), "--port", str(port)]
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, env={**os.environ, **(env or {})},
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
        yield time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def throughput(
    request: Callable[[httpx.Client], None], url: str, clients: int, seconds: float
) -> float:
    """Requests per second that ``clients`` threads complete against ``url`` for ``seconds``.

    Each thread has its own keep-alive ``httpx.Client`` and calls ``request`` in a loop.
    """
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def work(slot: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while time.perf_counter() < stop:
                request(http)
                done[slot] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return round(sum(done) / (time.perf_counter() - start), 1)
