"""The command line's side of authentication: token, and serve's profiles and warnings."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer, local_verifier
from graph_service.config import Settings
from tests.test_cli import CLI, run


@pytest.mark.parametrize("args", [("--role", "boss"), ("--role", "manager"),
                                  ("--role", "admin", "--ttl", "8x")])
def test_the_token_command_refuses_bad_options(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run("token", "--subject", "ann", *args, "--data-dir", tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_token_command_prints_only_a_token_serve_accepts(tmp_path: Path) -> None:
    result = run("token", "--subject", "mary", "--role", "manager", "--manager-id", "M1",
                 "--ttl", "15m", "--data-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    [token] = result.stdout.split()
    key = tmp_path / "auth" / "local-issuer.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    verified = local_verifier(LocalIssuer(tmp_path), Settings(data_dir=tmp_path)).verify(token)
    assert (verified.subject, verified.role, verified.manager_id) == ("mary", Role.MANAGER, "M1")
    assert verified.expires_at is not None


def test_a_group_readable_key_is_refused(tmp_path: Path) -> None:
    assert run("token", "--subject", "a", "--role", "admin", "--data-dir", tmp_path).returncode == 0
    (tmp_path / "auth" / "local-issuer.pem").chmod(0o640)
    result = run("token", "--subject", "a", "--role", "admin", "--data-dir", tmp_path)
    assert result.returncode == 2 and "chmod 600" in result.stderr


def test_the_production_profile_refuses_to_start_without_an_oidc_issuer(
    small_bank_dir: Path,
) -> None:
    env = {**os.environ, "GRAPH_SERVICE_PROFILE": "production"}
    result = subprocess.run([*CLI, "serve", "--port", "0", "--data-dir", str(small_bank_dir)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "needs an OIDC issuer" in line and "GRAPH_SERVICE_OIDC_ISSUER" in line


def test_serve_says_how_it_authenticates_and_warns_when_it_does_not(
    small_bank_dir: Path, tmp_path: Path
) -> None:
    for options, expected in (((), "bearer tokens of the local issuer of"),
                              (("--insecure-no-auth",), "warning: authentication is OFF")):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        log = tmp_path / "serve.log"
        with log.open("w") as out:
            server = subprocess.Popen(
                [*CLI, "serve", "--port", str(port), "--data-dir", str(small_bank_dir),
                 *options], stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while expected not in log.read_text():
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            while True:
                try:
                    health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
            assert ("counts" in health.json()) == bool(options)  # anonymous: liveness only
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)


def test_the_query_command_reads_as_the_local_admin(small_bank_dir: Path, tmp_path: Path
                                                    ) -> None:
    # Unmasked (P5 is outside every manager's portfolio), and the audit trail readable.
    import getpass
    import json

    document = tmp_path / "q.graphql"
    document.write_text('{ person(id: "P5") { name masked } }', encoding="utf-8")
    result = run("query", document, data_dir=small_bank_dir)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"data": {"person": {"name": "Eve", "masked": False}}}
    document.write_text("{ auditRecords(last: 1) { subject role rootFields } }",
                        encoding="utf-8")
    result = run("query", document, data_dir=small_bank_dir)
    assert json.loads(result.stdout) == {"data": {"auditRecords": [
        {"subject": f"cli:{getpass.getuser()}", "role": "admin", "rootFields": ["person"]}]}}
