"""Progress bars: drawn for load, generate and report on a terminal, absent otherwise."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

COMMAND = [sys.executable, "-c", "from graph_service.cli import main; main()"]
ENV = {**os.environ, "TERM": "xterm", "COLUMNS": "120", "NO_COLOR": "1"}


def on_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the command with a pseudo-terminal as standard error; its code and what it drew."""
    parent, child = pty.openpty()
    process = subprocess.Popen([*COMMAND, *args], cwd=cwd, env=ENV, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=child)
    os.close(child)
    drawn = b""
    poller = select.poll()  # not select.select: a long test session may hold fds past 1024
    poller.register(parent, select.POLLIN)
    while True:
        ready = poller.poll(120_000)
        if not ready:
            process.kill()
            pytest.fail("the command drew nothing for 120 s")
        try:
            chunk = os.read(parent, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    os.close(parent)
    return process.wait(timeout=60), drawn.decode("utf-8", "replace")


def piped(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], cwd=cwd, env=ENV, capture_output=True, text=True,
                          timeout=300, check=False)


def test_generate_load_and_report_draw_a_bar_on_a_terminal_only(tmp_path: Path) -> None:
    code, drawn = on_terminal(["generate", "--people", "20000", "--out", "bank"], tmp_path)
    assert code == 0, drawn
    assert "persons" in drawn and "20000/20000" in drawn
    code, drawn = on_terminal(["load", "bank", "--data-dir", "data"], tmp_path)
    assert code == 0, drawn
    assert "rows" in drawn and "━" in drawn
    code, drawn = on_terminal(["report", "payrollCoverage", "-o", "c.csv", "--data-dir", "data"],
                              tmp_path)
    assert code == 0, drawn
    assert "enterprises" in drawn and "2000/2000" in drawn

    quiet = [
        piped(["generate", "--people", "20000", "--seed", "2", "--out", "bank2"], tmp_path),
        piped(["load", "bank2", "--data-dir", "data2"], tmp_path),
        piped(["report", "payrollCoverage", "-o", "d.csv", "--data-dir", "data2"], tmp_path),
    ]
    for done in quiet:
        assert done.returncode == 0, done.stderr
        assert "━" not in done.stderr and "/2000" not in done.stderr, done.stderr
    assert quiet[2].stderr.startswith("2000 rows (2000 enterprises) written to d.csv")
