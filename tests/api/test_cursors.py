"""Versioned cursors: today's node cursors stay valid; a cursor of another connection or
order is refused with BAD_USER_INPUT naming `after`."""

from __future__ import annotations

import base64

import pytest

from graph_service.api.pagination import (
    CursorOrder,
    PageArgs,
    decode_cursor,
    encode_cursor,
)
from graph_service.config import Settings
from graph_service.errors import InvalidInputError
from tests.api.conftest import Client

LEADS = CursorOrder("rankedLeads", "score-desc", (float, str))
GROUPS = CursorOrder("coverageRollup", "rate-asc", (float, str))
UNCOVERED = (
    'query($after: String) { uncoveredEmployees(enterpriseId: "E2", first: 2, after: $after) '
    "{ edges { cursor node { id } } } }"
)


def text(cursor: str) -> str:
    return base64.b64decode(cursor).decode()


def test_node_cursors_keep_todays_format() -> None:
    assert text(encode_cursor(("Person", "P1"))) == "Person:P1"
    assert decode_cursor(base64.b64encode(b"Person:P1").decode()) == ("Person", "P1")


def test_todays_connection_issues_and_takes_node_cursors(client: Client) -> None:
    edges = client.data(UNCOVERED)["uncoveredEmployees"]["edges"]
    assert [text(e["cursor"]) for e in edges] == ["Person:P4", "Person:P5"]
    after = client.data(UNCOVERED, {"after": edges[-1]["cursor"]})["uncoveredEmployees"]
    assert [e["node"]["id"] for e in after["edges"]] == ["P6", "P8"]


def test_a_versioned_cursor_names_version_connection_order_and_key() -> None:
    cursor = LEADS.encode((-0.5, "P7"))
    assert text(cursor) == 'v1:rankedLeads:score-desc:[-0.5,"P7"]'
    assert LEADS.decode(cursor) == (-0.5, "P7")
    assert LEADS.decode(LEADS.encode((3, "é:x"))) == (3, "é:x")  # int in a float part


def test_versioned_keys_page_by_bisection() -> None:
    items = [(-0.9, "P2"), (-0.5, "P1"), (-0.5, "P7"), (0.0, "P3")]
    page = PageArgs.parse(2, LEADS.encode((-0.5, "P1")), Settings(), order=LEADS)
    window = page.window(items, key=lambda item: item)
    assert window.items == [(-0.5, "P7"), (0.0, "P3")]
    assert window.has_previous and not window.has_next


@pytest.mark.parametrize(
    ("cursor", "reason"),
    [
        (GROUPS.encode((0.5, "E1")), "it is a cursor of coverageRollup ordered by rate-asc"),
        (CursorOrder("rankedLeads", "name-asc", (str,)).encode(("Ann",)),
         "it is a cursor of rankedLeads ordered by name-asc"),
        (encode_cursor(("Person", "P1")),
         "it is the cursor of Person 'P1' in a connection ordered by label and id"),
        (base64.b64encode(b'v2:rankedLeads:score-desc:[1,"P1"]').decode(),
         "it is a cursor of version 'v2', not v1"),
        (base64.b64encode(b'v1:rankedLeads:score-desc:["x","P1"]').decode(),
         "its position is not one of rankedLeads ordered by score-desc"),
        (base64.b64encode(b"v1:rankedLeads:score-desc:[1,").decode(), "its position is not one"),
        ("not a cursor!", "not a cursor this service issued"),
    ],
)
def test_a_foreign_cursor_is_refused_naming_after(cursor: str, reason: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        PageArgs.parse(10, cursor, Settings(), order=LEADS)
    assert refused.value.code == "BAD_USER_INPUT"
    message = str(refused.value)
    assert message.startswith(f"invalid cursor {cursor!r} in `after`: "), message
    assert reason in message
    if "position" not in reason and "issued" not in reason:
        assert message.endswith("this connection is rankedLeads ordered by score-desc")


def test_todays_connections_refuse_a_versioned_cursor(client: Client) -> None:
    cursor = LEADS.encode((-0.5, "P7"))
    (error,) = client.post(UNCOVERED, {"after": cursor})["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == (
        f"invalid cursor {cursor!r} in `after`: it is a cursor of rankedLeads ordered by "
        "score-desc, and this connection lists Person nodes by label and id"
    )


@pytest.mark.parametrize(
    "declaration",
    [("ranked:leads", "score", (float,)), ("rankedLeads", "", (float,)),
     ("rankedLeads", "score", ()), ("rankedLeads", "score", (bool,))],
)
def test_a_bad_declaration_is_a_fault_of_the_code(declaration: tuple) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError):
        CursorOrder(*declaration)


def test_a_key_that_does_not_fit_is_not_encoded() -> None:
    for key in [("P1",), (1.0, 2), (float("nan"), "P1")]:
        with pytest.raises(ValueError):
            LEADS.encode(key)  # type: ignore[arg-type]
