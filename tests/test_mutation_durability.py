"""kill -9 of a real ``graph-service serve`` while mutations run: each is all there or absent.

The senders run at once, so the service commits their mutations in groups (one SQLite
transaction each, :meth:`Record.commit <graph_service.stores.embedded.record.Record.commit>`):
the kill lands in a stream of grouped commits.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx

from benchmarks.mutation_loop import serve
from graph_service.auth import Role
from graph_service.auth.caller import Caller
from graph_service.auth.tokens import LocalIssuer
from graph_service.linkage.commands import referral_id
from graph_service.stores.base import Direction
from graph_service.stores.embedded import DB_FILE, EmbeddedStore
from tests.conftest import write_small_bank

CREATE = """mutation($in: CreateReferralInput!) { createReferral(input: $in) { id version } }"""
SENDERS = 8


def send(url: str, token: str, prefix: str, stop: threading.Event,
         acknowledged: set[str], errors: list[object]) -> None:
    """Create referrals one after the other until ``stop`` or the server is gone."""
    with httpx.Client(base_url=url, timeout=10,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        number = 0
        while not stop.is_set():
            number += 1
            key = f"{prefix}-{number}"
            variables = {"in": {"party": {"label": "PERSON", "id": f"P{1 + number % 8}"},
                                "toManagerId": "M2", "idempotencyKey": key, "note": "x" * 500}}
            try:
                body = http.post("/graphql", json={"query": CREATE, "variables": variables}).json()
            except (httpx.TransportError, ValueError):
                return  # the server is gone
            if "errors" in body:
                errors.append(body["errors"])
            else:
                acknowledged.add(key)


def test_kill_9_during_mutations_leaves_each_whole_or_absent(tmp_path: Path) -> None:
    data_dir = write_small_bank(tmp_path / "bank")
    token = LocalIssuer(data_dir).issue("sam", Role.STAFF)
    acknowledged: set[str] = set()
    errors: list[object] = []
    for round_number, extra in enumerate((0.0, 0.13, 0.31)):
        process, url = serve(data_dir)
        stop = threading.Event()
        before = len(acknowledged)
        threads = [threading.Thread(target=send, args=(url, token, f"r{round_number}-s{i}", stop,
                                                       acknowledged, errors))
                   for i in range(SENDERS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < before + 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(extra)  # then kill at some point of the stream of writes
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert not errors, errors
        assert len(acknowledged) >= before + 20, "too few mutations answered before the kill"

    async def check() -> None:
        store = EmbeddedStore(data_dir, create=False)
        try:
            ids = await store.list_ids("Referral")
            nodes = await store.get_nodes("Referral", ids)
            parties = await store.neighbors("Referral", ids, "REFERS", Direction.OUTGOING)
            managers = await store.neighbors("Referral", ids, "REFERRED_TO", Direction.OUTGOING)
            for node, party, manager in zip(nodes, parties, managers, strict=True):
                assert node is not None
                assert {"status", "version", "referredBy", "idempotencyKey", "note",
                        "createdAt"} <= node.props.keys(), node
                assert len(node.props["note"]) == 500
                assert len(party) == 1 and len(manager) == 1, node.id
            caller = Caller("sam", Role.STAFF)
            assert {referral_id(caller, key) for key in acknowledged} <= set(ids)
            counts = await store.counts()
            assert counts["Referral"] == counts["REFERS"] == counts["REFERRED_TO"]
            assert counts["Referral"] >= len(acknowledged)
        finally:
            await store.close()

    asyncio.run(check())
    # A transaction's rows carry its load_seq: referrals sharing one were committed together.
    with sqlite3.connect(data_dir / DB_FILE) as db:
        groups = [n for (n,) in db.execute(
            "SELECT count(*) FROM nodes WHERE label = 'Referral' GROUP BY load_seq")]
    assert max(groups) > 1, groups
