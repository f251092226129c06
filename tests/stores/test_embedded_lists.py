"""The embedded store's own lists follow writes: after the columns and orders are built, a
write changing names and segments, adding and removing people and employing them leaves
every list equal to the generic rule's, read again from the nodes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from graph_service.config import Settings
from graph_service.ingest import read_input
from graph_service.ingest.generator import generate
from graph_service.linkage.lists import (
    ENTERPRISES,
    PERSONS,
    EnterpriseListArgs,
    EnterpriseSort,
    PersonListArgs,
    PersonSort,
    PersonWhere,
    SortDirection,
    StringFilter,
)
from graph_service.linkage.question import Question, answer, pushes_down
from graph_service.records import GraphBatch, NodeRow, RelationshipRow
from graph_service.stores.embedded import EmbeddedStore

ASC, DESC = SortDirection.ASC, SortDirection.DESC
PERSON_LISTS = [
    PersonListArgs(),
    PersonListArgs(sort=(PersonSort(name=ASC),)),
    PersonListArgs(sort=(PersonSort(segment=DESC), PersonSort(name=ASC))),
    PersonListArgs(PersonWhere(segment=StringFilter(eq="private")), (PersonSort(name=DESC),)),
    PersonListArgs(PersonWhere(name=StringFilter(starts_with="Zed"))),
    PersonListArgs(sort=(PersonSort(segment=ASC), PersonSort(id=DESC))),
]
ENTERPRISE_LISTS = [
    EnterpriseListArgs(sort=(EnterpriseSort(uncovered_employees=DESC),)),
    EnterpriseListArgs(sort=(EnterpriseSort(region=ASC), EnterpriseSort(name=DESC))),
]


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    generate(600, 3, tmp_path / "input")
    found = EmbeddedStore(tmp_path / "data")
    asyncio.run(found.write(read_input("canonical", tmp_path / "input")))
    return found


def _both(store: EmbeddedStore, question: Question[Any, Any], args: Any) -> tuple[Any, Any]:
    """The pushdown's answer and the generic rule's, as (node ids, sort keys)."""
    found = []
    for generic in (False, True):
        ranked = asyncio.run(answer(question, store, Settings(), args, generic=generic))
        found.append(([key[1] for key in ranked.items], list(ranked.sort_keys)))
    return found[0], found[1]


def _check(store: EmbeddedStore) -> None:
    for question, many in ((PERSONS, PERSON_LISTS), (ENTERPRISES, ENTERPRISE_LISTS)):
        for args in many:
            pushed, generic = _both(store, question, args)
            assert pushed == generic, args


def test_lists_follow_writes(store: EmbeddedStore) -> None:
    assert pushes_down(store, PERSONS) and pushes_down(store, ENTERPRISES)
    _check(store)  # builds the columns and orders
    people = asyncio.run(store.list_ids("Person"))
    enterprise = asyncio.run(store.list_ids("Enterprise"))[0]
    first, second, gone = people[0], people[1], people[2]
    asyncio.run(store.write(GraphBatch(
        nodes=[NodeRow("Person", first, {"name": "Zed Brand-New", "segment": "private"}),
               NodeRow("Person", second, {"name": "Aaron Early"}),
               NodeRow("Person", "P-new", {"name": "Zed Newcomer", "segment": "mass"})],
        relationships=[RelationshipRow("EMPLOYED_BY", ("Person", "P-new"),
                                       ("Enterprise", enterprise), {"role": "staff"})],
        deleted_nodes=[("Person", gone)],
    )))  # fmt: skip
    _check(store)
    pushed, _ = _both(store, PERSONS, PERSON_LISTS[4])
    assert pushed[0] == sorted([first, "P-new"])
    assert gone not in _both(store, PERSONS, PERSON_LISTS[0])[0][0]


def test_a_write_leaving_the_sort_values_keeps_the_order(store: EmbeddedStore) -> None:
    _check(store)
    graph = store._current()
    orders = {k for k in graph.derived if k[0] == "list order"}
    assert orders
    person = asyncio.run(store.list_ids("Person"))[5]
    enterprise = asyncio.run(store.list_ids("Enterprise"))[1]
    asyncio.run(store.write(GraphBatch(
        nodes=[], relationships=[RelationshipRow("EMPLOYED_BY", ("Person", person),
                                                 ("Enterprise", enterprise), {"role": "staff"})],
    )))  # fmt: skip
    store._current()
    assert {k for k in graph.derived if k[0] == "list order"} == orders
    _check(store)


def test_an_order_whose_column_was_dropped_is_dropped_by_a_write(store: EmbeddedStore) -> None:
    """A write does not build a column again (a scan of the label): the order goes instead."""
    _check(store)
    graph = store._current()
    for key in [k for k in graph.derived if k[0] == "list column" and k[1] == "Person"]:
        del graph.derived[key]
    person = asyncio.run(store.list_ids("Person"))[5]
    asyncio.run(store.write(GraphBatch(
        nodes=[NodeRow("Person", person, {"name": "Renamed Person"})], relationships=[],
    )))  # fmt: skip
    store._current()
    assert not [k for k in graph.derived if k[0] in ("list column", "list order")
                and k[1] == "Person"]  # fmt: skip
    _check(store)
