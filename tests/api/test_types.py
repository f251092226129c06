"""Node types built from store nodes read their properties on demand, with the same values."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from graph_service.api.types import GraphNode, Person, _from_props, as_type
from graph_service.stores.base import Node
from graph_service.stores.embedded import EmbeddedStore


@pytest.mark.parametrize(("label", "node_id"), [("Enterprise", "E1"), ("Person", "P3"),
                                                ("Account", "A3"), ("Manager", "M1")])
def test_a_node_type_reads_the_stored_properties(small_bank: EmbeddedStore, label: str,
                                                 node_id: str) -> None:
    [node] = asyncio.run(small_bank.get_nodes(label, [node_id]))
    assert node is not None
    built = as_type(node)
    eager = _from_props(type(built), node.props, id=node.id, masked=False)
    assert built == eager  # every field compared, each read from the properties once
    assert vars(built).keys() >= vars(eager).keys()


def test_fields_are_read_when_asked_and_dates_parsed() -> None:
    node = Node("Person", "P9", {"name": "Ida", "createdAt": "2020-02-03T04:05:06"})
    person = as_type(node)
    assert isinstance(person, Person)
    assert set(vars(person)) == {"id", "masked", "_props"}
    assert person.created_at == dt.datetime(2020, 2, 3, 4, 5, 6)
    assert (person.name, person.segment) == ("Ida", None)
    assert "name" in vars(person)
    with pytest.raises(AttributeError, match="'Person' object has no attribute 'nickname'"):
        person.nickname  # type: ignore[attr-defined]  # noqa: B018


def test_a_declared_default_is_answered_for_a_property_never_stored() -> None:
    node = Node("Person", "P9", {"name": "Ida"})
    person = as_type(node)
    assert isinstance(person, Person) and person.blocked is False
    assert _from_props(Person, node.props, id="P9").blocked is False
    assert GraphNode.of(node).properties == {"name": "Ida", "blocked": False}
    stored = GraphNode.of(Node("Person", "P9", {"name": "Ida", "blocked": True}))
    assert stored.properties == {"name": "Ida", "blocked": True}
