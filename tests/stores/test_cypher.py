"""The Cypher store's statements, upsert semantics and failure behaviour (FalkorDB here;
Neo4j too when NEO4J_URI is set)."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from graph_service.config import Settings
from graph_service.errors import StoreTimeoutError, StoreUnavailableError
from graph_service.model import RelationshipType
from graph_service.records import GraphBatch, NodeRow, RelationshipRow
from graph_service.rules import LinkageRules
from graph_service.stores.base import GraphStore
from graph_service.stores.cypher import CypherStore, statement_names
from graph_service.stores.falkordb_server import free_port, running_falkordb
from graph_service.stores.statements import load_statements, statements_dir
from tests.conftest import (
    BACKENDS,
    REPO_ROOT,
    backend_settings,
    close,
    small_bank_batch,
    store_for,
)

CYPHER_DIR = REPO_ROOT / "queries" / "cypher"


def test_every_statement_used_has_a_file_and_every_file_is_used() -> None:
    shared = {p.stem for p in CYPHER_DIR.glob("*.cypher")}
    variants = {p.stem for p in (CYPHER_DIR / "falkordb").glob("*.cypher")}
    assert shared == statement_names()
    assert variants <= shared  # a variant replaces a shared statement, never adds one
    assert set(load_statements("neo4j")) == set(load_statements("falkordb")) == shared
    assert Path(str(statements_dir())) == CYPHER_DIR  # the source checkout's files


def test_statements_are_parameterised_text() -> None:
    # Values travel as parameters: no Python formatting placeholders in any statement.
    for path in CYPHER_DIR.rglob("*.cypher"):
        text = path.read_text()
        assert "{}" not in text and "%s" not in text and "{0" not in text, path


def test_links_statements_name_every_relationship_type() -> None:
    # The pattern lists the types (FalkorDB traverses an untyped one slowly): a type added
    # to the model but not here would silently vanish from traversals.
    types = {t.value for t in RelationshipType}
    for path in CYPHER_DIR.glob("links.*.cypher"):
        [pattern] = re.findall(r"-\[r:([A-Z_|]+)\]-", path.read_text())
        assert set(pattern.split("|")) == types, path


@pytest.fixture(params=BACKENDS)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> GraphStore:
    store = store_for(backend_settings(request, request.param, tmp_path))
    request.addfinalizer(lambda: close(store))
    return store


def test_upsert_rejects_dangling_relationships_like_embedded(empty: GraphStore) -> None:
    batch = GraphBatch(
        nodes=[NodeRow("Person", "1", {"name": "A"}, "persons.csv", 2)],
        relationships=[
            RelationshipRow("GUARANTEES", ("Person", "1"), ("Person", "2"), {}, "g.csv", 3),
            RelationshipRow("OWNS", ("Person", "9"), ("Account", "1"), {}, "o.csv", 2),
        ],
        files=["persons.csv", "g.csv", "o.csv"],
    )
    report = asyncio.run(empty.write(batch))
    assert report.loaded == {"persons.csv": 1}
    assert report.rejected == {"g.csv": 1, "o.csv": 1}
    assert [(r.file, r.line, r.reason) for r in report.rejects] == [
        ("g.csv", 3, "end node Person '2' does not exist"),
        ("o.csv", 2, "start node Person '9' does not exist"),
    ]
    assert asyncio.run(empty.counts())["GUARANTEES"] == 0
    # A later load may point at the stored node.
    later = GraphBatch(
        nodes=[NodeRow("Person", "2", {"name": "B"}, "b.csv", 2)],
        relationships=[
            RelationshipRow("GUARANTEES", ("Person", "2"), ("Person", "1"), {}, "b.csv", 3)
        ],
        files=["b.csv"],
    )
    assert asyncio.run(empty.write(later)).total_rejected == 0
    assert asyncio.run(empty.counts())["GUARANTEES"] == 1


def test_upsert_merges_and_is_idempotent(empty: GraphStore) -> None:
    asyncio.run(empty.write(small_bank_batch()))
    first = asyncio.run(empty.counts())
    asyncio.run(empty.write(small_bank_batch()))
    assert asyncio.run(empty.counts()) == first
    batch = GraphBatch(
        nodes=[NodeRow("Person", "P3", {"segment": "private", "nickname": "CC"}, "f.csv", 2)],
        files=["f.csv"],
    )
    asyncio.run(empty.write(batch))
    [carol] = asyncio.run(empty.get_nodes("Person", ["P3"]))
    assert carol is not None and dict(carol.props) == {
        "name": "Carol", "segment": "private", "blocked": False, "nickname": "CC",
    }  # fmt: skip
    [account] = asyncio.run(empty.get_nodes("Account", ["A3"]))
    assert account is not None and account.props["balance"] == 2_500_000.0
    assert isinstance(account.props["balance"], float)


def test_small_write_batches(falkordb_url: str) -> None:
    settings = Settings(backend="falkordb", falkordb_url=falkordb_url,
                        falkordb_graph="small-batches", write_batch_size=3)  # fmt: skip
    store = CypherStore(settings)
    report = asyncio.run(store.write(small_bank_batch()))
    assert report.total_loaded == 39 and report.total_rejected == 0
    assert asyncio.run(store.counts())["Person"] == 8
    close(store)


def test_unreachable_server_is_one_clear_error() -> None:
    settings = Settings(backend="falkordb", falkordb_url=f"redis://127.0.0.1:{free_port()}")
    store = CypherStore(settings)
    with pytest.raises(StoreUnavailableError, match=r"^FalkorDB at redis://127\.0\.0\.1:\d+ "
                       "is unreachable: ") as caught:
        asyncio.run(store.counts())
    assert "\n" not in str(caught.value)
    close(store)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (its backlog does) and never answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as listener:
        yield listener.getsockname()[1]


@pytest.fixture
def http_port() -> Iterator[int]:
    """A loopback HTTP server: a service that is not Redis."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_server_that_never_answers_is_unreachable_within_the_timeouts(
    silent_port: int,
) -> None:
    settings = Settings(backend="falkordb", falkordb_url=f"redis://127.0.0.1:{silent_port}",
                        query_timeout_s=0.5)  # fmt: skip
    store = CypherStore(settings)
    for call in (store.counts, lambda: store.write(small_bank_batch())):
        began = time.monotonic()
        with pytest.raises(StoreUnavailableError, match=r"^FalkorDB at redis://127\.0\.0\.1:\d+ "
                           r"is unreachable: no answer within 2\.5 s$"):  # fmt: skip
            asyncio.run(call())
        assert time.monotonic() - began < 4
    close(store)


def test_neo4j_at_a_server_that_never_answers_is_unreachable_in_bounded_time(
    silent_port: int,
) -> None:
    store = CypherStore(Settings(backend="neo4j", neo4j_uri=f"bolt://127.0.0.1:{silent_port}"))
    began = time.monotonic()
    with pytest.raises(StoreUnavailableError, match=r"^Neo4j at bolt://127\.0\.0\.1:\d+ "
                       r"\(database 'neo4j'\) is unreachable: .*handshake") as caught:  # fmt: skip
        asyncio.run(store.counts())
    assert time.monotonic() - began < 14
    assert "\n" not in str(caught.value)
    close(store)


def test_a_service_that_is_not_redis_is_one_clear_error(http_port: int) -> None:
    store = CypherStore(Settings(backend="falkordb", falkordb_url=f"redis://127.0.0.1:{http_port}"))
    with pytest.raises(StoreUnavailableError, match="is not a Redis/FalkorDB server") as caught:
        asyncio.run(store.counts())
    assert "\n" not in str(caught.value)
    close(store)


def test_a_slow_query_times_out_with_its_own_error(falkordb_url: str) -> None:
    settings = Settings(backend="falkordb", falkordb_url=falkordb_url,
                        falkordb_graph="timeout", query_timeout_s=0.001)  # fmt: skip
    store = CypherStore(settings)
    people = [NodeRow("Person", str(i), {"name": f"n{i}"}, "p.csv", i) for i in range(40_000)]
    jobs = [RelationshipRow("EMPLOYED_BY", ("Person", str(i)), ("Enterprise", "E"),
                            {"role": "employee"}, "r.csv", i) for i in range(40_000)]  # fmt: skip
    enterprise = NodeRow("Enterprise", "E", {"name": "E"}, "e.csv", 2)
    asyncio.run(store.write(GraphBatch(nodes=[enterprise, *people], relationships=jobs)))
    with pytest.raises(StoreTimeoutError, match="GRAPH_SERVICE_QUERY_TIMEOUT_S"):
        asyncio.run(store.payroll_coverage(["E"], LinkageRules()))
    close(store)


def _shutdown(url: str) -> None:
    """Stop the FalkorDB server at ``url`` at once (``SHUTDOWN NOSAVE``), as a crash would."""
    host, port = url.removeprefix("redis://").split(":")
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(b"SHUTDOWN NOSAVE\r\n")
        conn.recv(16)


def test_server_killed_mid_load_reports_what_was_written(tmp_path: Path) -> None:
    rows = [NodeRow("Person", f"p{i}", {"name": f"n{i}", "note": "x" * 100}, "big.csv", i)
            for i in range(100_000)]  # fmt: skip
    with running_falkordb(tmp_path / "doomed") as url:
        store = CypherStore(Settings(backend="falkordb", falkordb_url=url, write_batch_size=1_000))

        async def load_and_kill() -> None:
            task = asyncio.create_task(store.write(GraphBatch(nodes=rows, files=["big.csv"])))
            while (await store.counts())["Person"] < 5_000:
                await asyncio.sleep(0.01)
            _shutdown(url)
            await task

        with pytest.raises(StoreUnavailableError) as caught:
            asyncio.run(load_and_kill())
    message = str(caught.value)
    assert "before the connection was lost" in message
    assert ".;" not in message and "the batch in flight may also have been written" in message
    found = re.search(r"wrote at least ([\d,]+) of 100,000 node rows", message)
    written = int(found[1].replace(",", ""))
    # The server had committed 5,000 rows; the fifth batch's answer may not have been read
    # when it died (a committed batch in flight is not counted as written).
    assert 4_000 <= written < 100_000 and written % 1_000 == 0
    assert "0 of 0 relationship rows" in message


def test_links_read_keys_only_or_only_to_given_nodes(falkordb_url: str) -> None:
    # The searches read keys only; the answers' relationships are read filtered to their
    # other ends in the database (a hub's other relationships are not sent).
    store = CypherStore(Settings(backend="falkordb", falkordb_url=falkordb_url,
                                 falkordb_graph="links"))  # fmt: skip
    asyncio.run(store.write(small_bank_batch()))
    types = [t.value for t in RelationshipType]
    e1 = ("Enterprise", "E1")
    full = asyncio.run(store._links([e1], types))[e1]
    keys = asyncio.run(store._links([e1], types, props=False))[e1]

    def shape(links: list[Any]) -> list[tuple[Any, ...]]:
        return sorted((o, r.type, r.start, r.end) for o, r in links)

    assert shape(keys) == shape(full) and len(full) == 7
    assert all(r.props == {} for _, r in keys) and any(r.props for _, r in full)
    wanted = {("Person", "P4"), ("Enterprise", "E2"), ("Person", "E2")}
    chosen = asyncio.run(store._links([e1], types, others=wanted))[e1]
    assert sorted((r.type, r.start, r.end, dict(r.props)) for _, r in chosen) == [
        ("EMPLOYED_BY", ("Person", "P4"), e1, {"role": "executive", "title": "CEO"}),
        ("SHAREHOLDER_OF", e1, ("Enterprise", "E2"), {"ratio": 0.6}),
        ("SHAREHOLDER_OF", ("Person", "P4"), e1, {"ratio": 0.3}),
    ]
    close(store)
