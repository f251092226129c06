"""The stores' full-text indexes of names: candidates of search, kept by writes, and an
embedded store written before its index existed indexed when opened."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from graph_service.config import Settings
from graph_service.linkage import search
from graph_service.linkage.question import Ranked, answer
from graph_service.records import GraphBatch, NodeRow
from graph_service.search_text import SEARCH_PROPERTY
from graph_service.stores.base import GraphStore
from graph_service.stores.embedded import DB_FILE, EmbeddedStore
from graph_service.stores.embedded.record import _FIND, _SEARCH, SEARCH_INDEX_VERSION
from tests.conftest import small_bank_batch


def candidates(store: GraphStore, label: str, *words: str, limit: int = 100) -> list[str]:
    return [i for _, i, _ in found(store, [label], *words, limit=limit)]


def found(
    store: GraphStore, labels: list[str], *words: str, limit: int = 100
) -> list[tuple[str, str, str]]:
    answer = asyncio.run(store.search_names(labels, list(words), limit, 10_000))
    assert answer is not None
    return sorted(answer)


def test_candidates(bank: GraphStore) -> None:
    assert candidates(bank, "Person", "a") == ["P1"]  # Alice
    assert candidates(bank, "Manager", "re") == ["M2"]  # Rex Retail
    assert candidates(bank, "Manager", "ret", "rex") == ["M2"]
    assert candidates(bank, "Manager", "ret", "mona") == []
    assert candidates(bank, "Enterprise", "gmbh") == ["E2"]
    assert candidates(bank, "Account", "a") == []  # accounts have no name
    assert len(candidates(bank, "Person", "a", limit=0)) == 0


def test_candidates_of_several_labels_come_with_their_names_words(bank: GraphStore) -> None:
    every = ["Enterprise", "Person", "Account", "Manager"]
    assert found(bank, every, "re") == [("Manager", "M2", "rex retail")]
    assert found(bank, every, "a") == [("Enterprise", "E1", "acme ltd"), ("Person", "P1", "alice")]
    assert len(found(bank, every, "a", limit=1)) == 1  # the limit is for all labels


def reach(store: GraphStore, labels: list[str], *words: str, limit: int) -> bool:
    """Whether the store refuses at ``limit`` matches."""
    answer = asyncio.run(store.search_names(labels, list(words), 100, limit))
    assert answer is None or len(answer) < limit
    return answer is None


def test_the_matches_of_the_labels_searched_are_refused_at_the_bound(bank: GraphStore) -> None:
    every = ["Enterprise", "Person", "Account", "Manager"]
    # "a": Acme Ltd (E1) and Alice (P1); "e": Empty Co, Eve
    assert reach(bank, every, "a", limit=2) and not reach(bank, every, "a", limit=3)
    assert reach(bank, ["Person"], "a", limit=1) and not reach(bank, ["Person"], "a", limit=2)
    assert not reach(bank, ["Account"], "a", limit=1)
    assert reach(bank, ["Enterprise", "Person"], "e", limit=2)
    assert not reach(bank, ["Manager"], "e", limit=1)
    assert reach(bank, every, "ac", "lt", limit=1) and not reach(bank, every, "ac", "x", limit=1)


def _steps(store: EmbeddedStore, labels: list[str], refuse_at: int) -> tuple[int, int]:
    """What ``search_names(labels, ["acme"], 1000, refuse_at)`` answers (``-1``: refused),
    and the SQLite virtual machine's steps it took, in hundreds."""
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0

    store._record._db.set_progress_handler(step, 100)
    try:
        answer = asyncio.run(store.search_names(labels, ["acme"], 1000, refuse_at))
    finally:
        store._record._db.set_progress_handler(None, 0)
    return (-1 if answer is None else len(answer)), steps


def test_a_refusal_reads_no_name(tmp_path: Path) -> None:
    # 300 matches: refused at 300 without the steps of reading their rows that answering them
    # at 301 takes (about 40 % of those: every label with names searched, the index's rowids
    # decide); of some labels, their rows are counted inside SQLite, none returned.
    store = EmbeddedStore(tmp_path)
    nodes = [NodeRow("Enterprise", f"E{n}", {"name": f"Acme {n}"}) for n in range(300)]
    asyncio.run(store.write(GraphBatch(nodes=nodes, relationships=[], files=["x"])))
    try:
        every = ["Enterprise", "Person", "Manager"]
        (refused, refusing), (answered, answering) = (_steps(store, every, 300),
                                                      _steps(store, every, 301))  # fmt: skip
        assert (refused, answered) == (-1, 300)
        assert refusing < 0.7 * answering
        (refused, _), (answered, _) = (_steps(store, ["Enterprise"], 300),
                                       _steps(store, ["Person"], 300))  # fmt: skip
        assert (refused, answered) == (-1, 0)
    finally:
        asyncio.run(store.close())


def test_a_search_reads_the_full_text_index_once(small_bank_dir: Path) -> None:
    # One statement: the matches' rowids, then their rows by rowid; not a count and a join.
    store = EmbeddedStore(small_bank_dir, create=False)
    statements: list[str] = []
    store._record._db.set_trace_callback(statements.append)
    try:
        assert candidates(store, "Enterprise", "acm") == ["E1"]
    finally:
        store._record._db.set_trace_callback(None)
        asyncio.run(store.close())
    assert len([s for s in statements if "MATCH" in s]) == 1
    with sqlite3.connect(small_bank_dir / DB_FILE) as db:
        statement = _FIND.format(labels="?, ?")
        explained = db.execute(f"EXPLAIN QUERY PLAN {statement}", ('"a"*', 10, "Person", "Manager"))
        plan = [row[3] for row in explained]
    assert plan.count("MATERIALIZE m") == 1 and plan.count("SCAN search_index VIRTUAL TABLE "
                                                           "INDEX 0:M1") == 1  # fmt: skip
    assert "SEARCH s USING INTEGER PRIMARY KEY (rowid=?)" in plan


def test_a_repeated_or_implied_word_is_not_searched_again(small_bank_dir: Path) -> None:
    # "acme acm a acme ..." (40 words) asks of a name what "acme" asks: one prefix term in
    # the full-text query, not forty, each of which reads its doclist through.
    store = EmbeddedStore(small_bank_dir, create=False)
    statements: list[str] = []
    store._record._db.set_trace_callback(statements.append)
    try:
        found = asyncio.run(answer(search.QUESTION, store, Settings(),
                                   search.SearchArgs("acme acm a" + " acme" * 37)))
    finally:
        store._record._db.set_trace_callback(None)
        asyncio.run(store.close())
    assert isinstance(found, Ranked) and found.items == [("Enterprise", "E1")]  # Acme Ltd
    (matched,) = [s for s in statements if "MATCH" in s]
    assert matched.count('"acme"*') == 1 and '"acm"*' not in matched and '"a"*' not in matched


def test_the_refusal_counts_the_nodes_its_graph_holds(small_bank_dir: Path) -> None:
    # as the candidates: another connection's load counts from this store's next refresh on
    serving = EmbeddedStore(small_bank_dir, create=False)
    loader = EmbeddedStore(small_bank_dir, create=False)
    new = NodeRow("Enterprise", "E9", {"name": "Acme Two"})
    asyncio.run(loader.write(GraphBatch(nodes=[new], relationships=[], files=["x"])))
    assert not reach(serving, ["Enterprise"], "acm", limit=2)
    assert asyncio.run(serving.refresh()) is True
    assert reach(serving, ["Enterprise"], "acm", limit=2)


def test_the_search_terms_are_not_a_property(bank: GraphStore) -> None:
    (node,) = asyncio.run(bank.get_nodes("Person", ["P1"]))
    assert node is not None and SEARCH_PROPERTY not in node.props
    assert dict(node.props) == {"name": "Alice", "segment": "mass", "blocked": False}


def _finds_names_old_and_new(data_dir: Path) -> None:
    """Reopened, the store finds a stored name, and then one a write adds."""
    reopened = EmbeddedStore(data_dir, create=False)
    try:
        assert candidates(reopened, "Enterprise", "acm") == ["E1"]
        new = NodeRow("Enterprise", "E9", {"name": "Acme Two"})
        asyncio.run(reopened.write(GraphBatch(nodes=[new], relationships=[], files=["x"])))
        assert candidates(reopened, "Enterprise", "acm") == ["E1", "E9"]
    finally:
        asyncio.run(reopened.close())


def test_a_store_written_before_the_index_is_indexed_when_opened(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    asyncio.run(store.write(small_bank_batch()))
    asyncio.run(store.close())
    db = sqlite3.connect(tmp_path / DB_FILE)
    db.executescript(
        "DROP TABLE search_index; DROP TABLE search_names; DELETE FROM meta WHERE key = 'search';"
    )
    db.close()
    _finds_names_old_and_new(tmp_path)


def test_an_index_of_an_earlier_version_is_built_again_when_opened(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    asyncio.run(store.write(small_bank_batch()))
    asyncio.run(store.close())
    with sqlite3.connect(tmp_path / DB_FILE) as db:  # version 1: prefixes of 1 and 2 letters
        db.executescript(
            "DROP TABLE search_index; CREATE VIRTUAL TABLE search_index USING fts5(words, "
            "content = 'search_names', content_rowid = 'rowid', "
            "tokenize = 'unicode61 remove_diacritics 0', prefix = '1 2'); "
            "INSERT INTO search_index (search_index) VALUES ('rebuild'); "
            "UPDATE meta SET value = '1' WHERE key = 'search';"
        )
    _finds_names_old_and_new(tmp_path)
    with sqlite3.connect(tmp_path / DB_FILE) as db:
        (index,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'search_index'")
        (version,) = db.execute("SELECT value FROM meta WHERE key = 'search'")
    assert "prefix = '1 2 3'" in index[0]
    assert version == (SEARCH_INDEX_VERSION,)


def test_the_embedded_search_reads_the_full_text_index_once(tmp_path: Path) -> None:
    # The matches drive the join (one FTS5 scan, then rowid look-ups): the planner's other
    # order runs the MATCH once per node of the label, hundreds of times slower.
    store = EmbeddedStore(tmp_path)
    asyncio.run(store.write(small_bank_batch()))
    asyncio.run(store.close())
    with sqlite3.connect(tmp_path / DB_FILE) as db:
        statement = _SEARCH.format(labels="?, ?")
        explained = db.execute(f"EXPLAIN QUERY PLAN {statement}", ('"a"*', "Person", "Manager", 10))
        plan = [row[3] for row in explained]
    assert plan[0].startswith("SCAN search_index VIRTUAL TABLE")
    assert plan[1] == "SEARCH s USING INTEGER PRIMARY KEY (rowid=?)"


def test_the_embedded_search_answers_the_nodes_its_graph_holds(small_bank_dir: Path) -> None:
    # Another connection's load is in the file before this store refreshes: the candidates
    # are those of the graph in memory until then, as every other read's.
    serving = EmbeddedStore(small_bank_dir, create=False)
    assert candidates(serving, "Enterprise", "acm") == ["E1"]
    loader = EmbeddedStore(small_bank_dir, create=False)
    new = NodeRow("Enterprise", "E9", {"name": "Acme Two"})
    asyncio.run(loader.write(GraphBatch(nodes=[new], relationships=[], files=["x"])))
    assert candidates(serving, "Enterprise", "acm") == ["E1"]
    assert asyncio.run(serving.refresh()) is True
    assert candidates(serving, "Enterprise", "acm") == ["E1", "E9"]
