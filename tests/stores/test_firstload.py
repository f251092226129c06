"""The graph a first load builds from the rows it writes equals the one rebuilt from SQLite."""

from __future__ import annotations

import asyncio
import marshal
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_service.errors import InvalidInputError, Location
from graph_service.ingest import read_input
from graph_service.ingest.generator import generate
from graph_service.records import GraphBatch, NodeRow, RelationshipRow
from graph_service.stores.base import Direction
from graph_service.stores.embedded import EmbeddedStore, record
from graph_service.stores.embedded.adjacency import CACHES, Adjacency, pairs

P, E, A = "Person", "Enterprise", "Account"


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated bank of 1,500 people (canonical CSVs)."""
    out = tmp_path_factory.mktemp("bank") / "input"
    generate(1_500, 3, out)
    return out


def _with_repeats(bank: Path) -> GraphBatch:
    """The bank, streamed, then rows that repeat keys (merged), reject, and add a property."""
    batch = read_input("canonical", bank, stream=True)
    nodes, rels = batch.nodes, batch.relationships

    def more_nodes() -> Iterator[NodeRow]:
        yield from nodes
        yield NodeRow(P, "P7", {"segment": "private", "nickname": "Seven"}, "x.csv", 2)
        yield NodeRow(P, "P7", {"blocked": True}, "x.csv", 3)
        yield NodeRow(P, "P0", {"name": "Zero"}, "x.csv", 4)  # a new id, sorted first
        yield NodeRow(E, "E2", {"name": "Renamed"}, "x.csv", 5)

    def more_rels() -> Iterator[RelationshipRow]:
        yield from rels
        yield RelationshipRow("EMPLOYED_BY", (P, "P0"), (E, "E2"), {"role": "employee"}, "y.csv", 2)
        yield RelationshipRow("EMPLOYED_BY", (P, "P0"), (E, "E2"), {"title": "Clerk"}, "y.csv", 3)
        yield RelationshipRow("EMPLOYED_BY", (P, "P0"), (E, "E2"), {}, "y.csv", 4)
        yield RelationshipRow("GUARANTEES", (P, "P0"), (P, "P7"), {}, "y.csv", 5)
        yield RelationshipRow("GUARANTEES", (P, "P0"), (P, "P7"), {}, "y.csv", 6)
        yield RelationshipRow("SHAREHOLDER_OF", (P, "P0"), (E, "E2"), {"ratio": 0.5}, "y.csv", 7)
        yield RelationshipRow("OWNS", (P, "P0"), (A, "A-none"), {}, "y.csv", 8)  # rejected

    batch.nodes, batch.relationships = more_nodes(), more_rels()
    batch.files = [*batch.files, "x.csv", "y.csv"]
    return batch


def _assert_same_graph(mine: Adjacency, rebuilt: Adjacency) -> None:
    """Every attribute equal, neighbourhoods in the same order and form, edge dicts shared alike."""
    assert set(vars(mine)) == set(vars(rebuilt))
    for name in set(vars(rebuilt)) - CACHES:
        a, b = getattr(mine, name), getattr(rebuilt, name)
        if name == "fields":
            assert {k: f.names for k, f in a.items()} == {k: f.names for k, f in b.items()}
        else:
            assert a == b, name
    for side in ("succ", "pred"):  # a dict's order too
        ours, theirs = getattr(mine, side), getattr(rebuilt, side)
        assert [list(pairs(h)) for h in ours] == [list(pairs(h)) for h in theirs], side
    assert _sharing(mine) == _sharing(rebuilt)


def _sharing(graph: Adjacency) -> list[int]:
    """For each edge of ``succ`` in order, the index of the first edge that is the same dict."""
    first: dict[int, int] = {}
    return [first.setdefault(id(edge), len(first)) for hood in graph.succ
            for _, edge in pairs(hood)]  # fmt: skip


def _rebuilt(data_dir: Path) -> Adjacency:
    """The graph a fresh open builds from the record (no snapshot: ``write`` writes none)."""
    store = EmbeddedStore(data_dir, create=False)
    assert store.snapshot_unused == "there is none"
    return store._current()  # noqa: SLF001 (the graph compared whole)


def test_a_first_load_builds_what_a_rebuild_builds(
    bank: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks, so that runs of a relationship kind are applied in several calls.
    monkeypatch.setattr(record, "READ_CHUNK", 700)
    store = EmbeddedStore(tmp_path / "data")
    report = asyncio.run(store.write(_with_repeats(bank)))
    assert report.rejected == {"y.csv": 1}
    assert store._record._kept is not None  # noqa: SLF001 (kept, not read back)
    mine = store._current()  # noqa: SLF001
    assert store._record._kept is None  # noqa: SLF001
    _assert_same_graph(mine, _rebuilt(tmp_path / "data"))
    [seven] = asyncio.run(store.get_nodes(P, ["P7"]))
    assert seven is not None and dict(seven.props)["nickname"] == "Seven"
    assert dict(seven.props)["blocked"] is True
    [[(rel, _)]] = asyncio.run(store.neighbors(P, ["P0"], "EMPLOYED_BY", Direction.OUTGOING))
    assert dict(rel.props) == {"role": "employee", "title": "Clerk"}


def _content(graph: Adjacency) -> tuple[dict[object, object], dict[object, object]]:
    """Every node's values and every relationship's by key, whatever the node numbers."""
    nodes = {graph.key(n): graph.values[n] for ids in graph.index.values() for n in ids.values()}
    rels = {(t, graph.key(n), graph.key(m)): values for n in range(len(graph.succ))
            for m, edge in pairs(graph.succ[n]) for t, values in edge.items()}  # fmt: skip
    return nodes, rels


def test_a_second_load_applies_both_as_a_rebuild(bank: Path, tmp_path: Path) -> None:
    # The second write catches memory up with the first's kept rows, then reads its own (a
    # new node numbered last, as a refresh does, where a rebuild numbers it in id order).
    store = EmbeddedStore(tmp_path / "data")
    asyncio.run(store.write(read_input("canonical", bank, stream=True)))
    asyncio.run(store.write(_with_repeats(bank)))
    assert _content(store._current()) == _content(_rebuilt(tmp_path / "data"))  # noqa: SLF001


def test_a_failed_first_load_keeps_nothing(bank: Path, tmp_path: Path) -> None:
    def failing() -> Iterator[NodeRow]:
        yield NodeRow(P, "P1", {"name": "One"}, "x.csv", 2)
        raise InvalidInputError("bad row", Location("x.csv", 3))

    store = EmbeddedStore(tmp_path / "data")
    with pytest.raises(InvalidInputError, match="bad row"):
        asyncio.run(store.write(GraphBatch(nodes=failing(), files=["x.csv"])))
    assert store._record._kept is None  # noqa: SLF001
    asyncio.run(store.write(read_input("canonical", bank, stream=True)))
    _assert_same_graph(store._current(), _rebuilt(tmp_path / "data"))  # noqa: SLF001


def test_a_load_into_a_loaded_store_keeps_nothing(bank: Path, tmp_path: Path) -> None:
    EmbeddedStore(tmp_path / "data")
    asyncio.run(EmbeddedStore(tmp_path / "data").write(read_input("canonical", bank, stream=True)))
    store = EmbeddedStore(tmp_path / "data", create=False)
    asyncio.run(store.write(_with_repeats(bank)))
    assert store._record._kept is None  # noqa: SLF001 (memory catches up from the record)
    assert _content(store._current()) == _content(_rebuilt(tmp_path / "data"))  # noqa: SLF001


def _stored(data_dir: Path) -> dict[str, object]:
    """What SQLite holds: every table's rows (properties decoded), and the schema's objects."""
    db = sqlite3.connect(data_dir / record.DB_FILE)
    try:
        def decoded(blob: bytes | None) -> object:
            return None if blob is None else marshal.loads(blob)

        return {
            "nodes": [(*row[:2], decoded(row[2]), row[3]) for row in db.execute(
                "SELECT label, id, props, load_seq FROM nodes ORDER BY label, id")],
            "relationships": [(*row[:5], decoded(row[5]), row[6]) for row in db.execute(
                "SELECT * FROM relationships ORDER BY type, start_label, start_id, end_label, "
                "end_id")],
            "fields": db.execute("SELECT * FROM fields ORDER BY kind, position").fetchall(),
            "names": db.execute("SELECT rowid, * FROM search_names ORDER BY rowid").fetchall(),
            "search": db.execute(
                "SELECT rowid FROM search_index WHERE search_index MATCH 'zero OR renamed' "
                "ORDER BY rowid").fetchall(),
            "schema": db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name")
            .fetchall(),
            "load_seq": db.execute("SELECT value FROM meta WHERE key = 'load_seq'").fetchall(),
        }  # fmt: skip
    finally:
        db.close()


def test_a_first_load_stores_what_a_streamed_write_stores(bank: Path, tmp_path: Path) -> None:
    # The first load writes its rows sorted and merged from the columns it kept; the group
    # commit streams them in row order, SQLite merging repeated keys: the same tables.
    first = EmbeddedStore(tmp_path / "first")
    asyncio.run(first.write(_with_repeats(bank)))
    assert first._record._kept is not None  # noqa: SLF001 (the first load's path)
    streamed = EmbeddedStore(tmp_path / "streamed")
    batch = _with_repeats(bank).materialized()  # the group commit reads its rows twice
    asyncio.run(streamed._record.commit(batch))  # noqa: SLF001 (one batch, streamed)
    assert streamed._record._kept is None  # noqa: SLF001
    asyncio.run(first.close())
    asyncio.run(streamed.close())
    ours, theirs = _stored(tmp_path / "first"), _stored(tmp_path / "streamed")
    assert ours["search"] and len(ours["names"]) > 1_500  # type: ignore[arg-type]
    assert ours == theirs
