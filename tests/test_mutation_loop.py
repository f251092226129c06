"""The mutation benchmark's client (benchmarks/mutation_loop.py) against a real ``serve``.

No timing is asserted: what must hold is that both phases ran, every answer was a 200
without GraphQL errors (``Connection.post`` raises otherwise), and the writes are there.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

from benchmarks.mutation_loop import Connection, measure, serve
from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer
from tests.conftest import write_small_bank


def test_the_loop_measures_both_phases_against_serve(tmp_path: Path) -> None:
    data_dir = write_small_bank(tmp_path / "bank")
    token = LocalIssuer(data_dir).issue("bench-admin", Role.ADMIN)
    process, url = serve(data_dir)
    try:
        args = argparse.Namespace(sequential=5, seconds=1.0, writers=2, readers=1)
        figures = asyncio.run(measure(url, token, args))

        async def refused() -> None:
            connection = await Connection.open(url, "not-a-token")
            try:
                await connection.post("{ __typename }", {})
            finally:
                await connection.close()

        with pytest.raises(RuntimeError, match="401"):
            asyncio.run(refused())
    finally:
        process.terminate()
        process.wait(timeout=60)
    assert figures["sequential"]["samples"] == 5
    load = figures["under_load"]
    assert load["mutations"]["samples"] > 0 and load["queries"]["samples"] > 0
    assert (load["writers"], load["readers"]) == (2, 1)
