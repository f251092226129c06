"""The graph model's value parsers: strict numbers and date-times, the GraphQL Int range."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime
from typing import Any

import pytest

from graph_service.errors import InvalidInputError, Location
from graph_service.linkage.lists import EnterpriseWhere, ManagerWhere, PersonWhere
from graph_service.linkage.registry import QUESTIONS
from graph_service.model import (
    GRAPHQL_INT_MAX,
    GRAPHQL_INT_MIN,
    RELATIONSHIP_SPECS,
    PropertySpec,
    camel_case,
)

INT = PropertySpec("n", "n", "int")
FLOAT = PropertySpec("x", "x", "float")
DATETIME = PropertySpec("t", "t", "datetime")


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12), (" -7 ", -7), ("+3", 3), ("0", 0), ("-0", 0), ("007", 7),
     (str(GRAPHQL_INT_MAX), GRAPHQL_INT_MAX), (str(GRAPHQL_INT_MIN), GRAPHQL_INT_MIN),
     (42, 42)],
)
def test_int_accepts_plain_ascii_digits(text: Any, value: int) -> None:
    assert INT.parse(text) == value


@pytest.mark.parametrize(
    "text",
    ["1_000", "١٢", "１２", "1.0", "1e3", "0x10", "", "+", "1 000", "12\u00a0", True,
     "nan", 1.0],
)
def test_int_refuses_anything_else(text: Any) -> None:
    with pytest.raises(ValueError, match="expected an integer"):
        INT.parse(text)


@pytest.mark.parametrize(
    "value", [GRAPHQL_INT_MAX + 1, str(GRAPHQL_INT_MAX + 1), "3000000000", GRAPHQL_INT_MIN - 1]
)
def test_int_is_bounded_to_graphql_int(value: Any) -> None:
    with pytest.raises(ValueError, match="GraphQL Int is 32-bit"):
        INT.parse(value)


def test_transfer_count_above_graphql_int_names_file_line_field() -> None:
    spec = RELATIONSHIP_SPECS["TRANSFERRED_TO"]
    assert spec.by_name["count"].maximum == GRAPHQL_INT_MAX
    with pytest.raises(InvalidInputError) as caught:
        spec.coerce({"count": "3000000000", "totalAmount": "1.0"},
                    Location("transferred_to.csv", 2))
    assert caught.value.location == Location("transferred_to.csv", 2, "count")
    assert "2147483647" in caught.value.message


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.5", 0.5), (" -2 ", -2.0), ("+1.25", 1.25), (".5", 0.5), ("5.", 5.0),
     ("1e-3", 0.001), ("2.5E+2", 250.0), ("10", 10.0), (3, 3.0), (0.25, 0.25)],
)
def test_float_accepts_plain_ascii_decimals(text: Any, value: float) -> None:
    assert FLOAT.parse(text) == value


@pytest.mark.parametrize("text", ["-0", "-0.0", "-0e5", "+0", -0.0, "0"])
def test_float_zero_is_stored_positive(text: Any) -> None:
    parsed = FLOAT.parse(text)
    assert parsed == 0.0
    assert math.copysign(1.0, parsed) == 1.0


@pytest.mark.parametrize(
    "text",
    ["0.0_5", "1_000", "٠.٥", "１.５", "1,5", "0x1p3", "e3", ".", "-", "1e", "1.2.3",
     "nan", "NaN", "inf", "-Infinity", "1e999", float("nan"), float("inf"),
     pytest.param(10**400, id="10**400"), True],
)
def test_float_refuses_anything_else(text: Any) -> None:
    with pytest.raises(ValueError, match="expected a"):
        FLOAT.parse(text)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("2020-01-01", "2020-01-01T00:00:00"),
        ("2020-01-01 10:00", "2020-01-01T10:00:00"),
        ("2020-01-01T10:00:05", "2020-01-01T10:00:05"),
        ("2020-01-01 18:14:47.133", "2020-01-01T18:14:47.133000"),
        ("2020-01-01T10:00:00.5Z", "2020-01-01T10:00:00.500000+00:00"),
        ("2020-01-01T10:00+05:30", "2020-01-01T04:30:00+00:00"),
        (" 2020-01-01 10:00:00-01:00 ", "2020-01-01T11:00:00+00:00"),
        ("2020-01-01T01:00+05:00", "2019-12-31T20:00:00+00:00"),
        (datetime(2020, 1, 1, tzinfo=UTC), "2020-01-01T00:00:00+00:00"),
    ],
)
def test_datetime_accepts_iso_calendar_forms(text: Any, stored: str) -> None:
    assert DATETIME.parse(text) == stored


@pytest.mark.parametrize(
    "text",
    ["20200101", "2020-W01-1", "2020-W01", "2020-001", "2020-01", "2020", "20200101T1000",
     "2020-01-01x10:00", "2020-01-01t10:00", "2020-01-01 10", "2020-01-01 1000",
     "2020-01-01 10:00:00+0530", "2020-01-01 10:00:00z", "2020-01-01Z",
     "٢٠٢٠-٠١-٠١", "2020-13-01", "2020-02-30", "2020-01-01 24:00", "June 2020", ""],
)
def test_datetime_refuses_other_forms(text: str) -> None:
    with pytest.raises(ValueError, match="expected an ISO-8601 date-time"):
        DATETIME.parse(text)


def test_camel_case_publishes_names_as_strawberry_does() -> None:
    from strawberry.utils.str_converters import to_camel_case

    names = {"a__b", "_private", "trailing_", "x2_y", "already_camelCase", "e2e_id"}
    for question in QUESTIONS:
        names.add(question.name)
        names.update(f.name for f in dataclasses.fields(question.arguments))
    for where in (EnterpriseWhere, PersonWhere, ManagerWhere):
        names.update(f.name for f in dataclasses.fields(where))
    assert len(names) > 50
    assert {name: camel_case(name) for name in names} == {
        name: to_camel_case(name) for name in names
    }
