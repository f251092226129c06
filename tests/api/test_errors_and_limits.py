"""Argument contracts, error codes and query limits, over HTTP."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable

import pytest

from graph_service.stores.embedded import EmbeddedStore
from tests.api.conftest import Client, CountingStore

UNCOVERED = (
    "query($first: Int, $after: String) { uncoveredEmployees("
    'enterpriseId: "E1", first: $first, after: $after) { totalCount } }'
)
NESTED = 'query($first: Int) { enterprise(id: "E1") { employees(first: $first) { totalCount } } }'


@pytest.mark.parametrize("first", [1001, 5000, -1])
def test_first_out_of_range_is_bad_user_input(client: Client, first: int) -> None:
    body = client.post(UNCOVERED, {"first": first})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "first must be between 0 and 1000" in error["message"]


def test_first_at_the_cap_is_accepted(client: Client) -> None:
    assert client.data(UNCOVERED, {"first": 1000})["uncoveredEmployees"]["totalCount"] == 2


def test_first_is_capped_on_nested_connections_too(client: Client) -> None:
    assert client.error_codes(NESTED, {"first": 1001}) == ["BAD_USER_INPUT"]


def test_page_size_cap_comes_from_settings(serve: Callable[..., Client]) -> None:
    client = serve(max_page_size=2, default_page_size=2)
    assert client.error_codes(UNCOVERED, {"first": 3}) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        base64.b64encode(b"Bogus:P1").decode(),  # unknown label
        base64.b64encode(b"no-separator").decode(),
        base64.b64encode(b"\xff\xfe").decode(),  # not UTF-8
    ],
)
def test_bad_cursor_is_bad_user_input(client: Client, cursor: str) -> None:
    body = client.post(UNCOVERED, {"after": cursor})
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "invalid cursor" in error["message"]


@pytest.mark.parametrize("depth", [0, 4, -1])
def test_network_depth_out_of_range(client: Client, depth: int) -> None:
    query = (
        f'{{ clientNetwork(node: {{label: PERSON, id: "P1"}}, depth: {depth}) '
        "{ truncated } }"
    )
    body = client.post(query)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert "depth must be between 1 and 3" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("maxHops: 0", "maxHops must be between 1 and 10"),
        ("maxHops: 11", "maxHops must be between 1 and 10"),
        ("limit: 0", "limit must be between 1 and 100"),
        ("limit: 101", "limit must be between 1 and 100"),
        ("relationshipTypes: []", "relationshipTypes must name at least one type"),
    ],
)
def test_linkage_paths_arguments_out_of_range(client: Client, argument: str, message: str) -> None:
    query = (
        '{ linkagePaths(from: {label: PERSON, id: "P1"}, to: {label: PERSON, id: "P7"}, '
        f"{argument}) {{ length }} }}"
    )
    body = client.post(query)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]


def test_invalid_enum_variable_is_bad_user_input(client: Client) -> None:
    query = "query($n: NodeRef!) { clientNetwork(node: $n) { truncated } }"
    codes = client.error_codes(query, {"n": {"label": "PLANET", "id": "P1"}})
    assert codes == ["BAD_USER_INPUT"]


def test_unknown_field_and_syntax_errors(client: Client) -> None:
    assert client.error_codes("{ nope }") == ["GRAPHQL_VALIDATION_FAILED"]
    assert client.error_codes("{ person(") == ["GRAPHQL_PARSE_FAILED"]


def deep_query(levels: int) -> str:
    """A document whose selection nests ``levels`` deep (person -> employers -> ...)."""
    inner = "id"
    for _ in range((levels - 1) // 3):
        inner = f"employers {{ edges {{ node {{ employees {{ edges {{ node {{ {inner} }} }} }} }} }} }}"  # noqa: E501
    return f'{{ person(id: "P1") {{ {inner} }} }}'


def test_query_depth_is_limited(client: Client) -> None:
    body = client.post(deep_query(40))
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "exceeds maximum operation depth of 12" in error["message"]
    assert "data" not in body or body["data"] is None


def test_query_depth_limit_comes_from_settings(serve: Callable[..., Client]) -> None:
    query = '{ person(id: "P1") { employers { edges { node { id } } } } }'  # depth 4
    assert serve().data(query)["person"]["employers"]["edges"] == [{"node": {"id": "E1"}}]
    assert serve(max_query_depth=3).error_codes(query) == ["GRAPHQL_VALIDATION_FAILED"]


@pytest.mark.parametrize("digits", [11, 5_000])
def test_an_integer_literal_too_large_for_int_fails_validation(
    client: Client, digits: int
) -> None:
    query = f'{{ uncoveredEmployees(enterpriseId: "E1", first: {"9" * digits}) {{ totalCount }} }}'
    body = client.post(query)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", error
    assert "Int" in error["message"]  # graphql-core's own words differ by length


DOCUMENT_VARIABLE_FAULTS = {
    "never used": ("query($e: String) { __typename }", {}),
    "not defined": ('query { uncoveredEmployees(enterpriseId: $e) { totalCount } }', {}),
    "nullable in a non-null position": (
        "query($s: Boolean) { __typename @include(if: $s) }", {"s": True}
    ),
}


@pytest.mark.parametrize("case", sorted(DOCUMENT_VARIABLE_FAULTS))
def test_variable_faults_of_the_document_fail_validation(client: Client, case: str) -> None:
    query, variables = DOCUMENT_VARIABLE_FAULTS[case]
    body = client.post(query, variables)
    (error,) = body["errors"]
    assert error["message"].startswith("Variable '$"), error
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", error


def test_variable_values_that_do_not_coerce_are_bad_user_input(client: Client) -> None:
    assert client.error_codes(UNCOVERED, {"first": "ten"}) == ["BAD_USER_INPUT"]
    assert client.error_codes(UNCOVERED, {"first": 99_999_999_999}) == ["BAD_USER_INPUT"]


def test_variables_holding_too_many_values_are_refused_before_they_are_converted(
    client: Client,
) -> None:
    # An OR of 40,000 filters (900 KB) took 5 to 7 s to convert before any limit applied.
    query = "query($w: PersonWhere) { persons(where: $w, first: 1) { totalCount } }"
    ids = [f"P{i}" for i in range(4_998)]  # the variable, its object, its id filter, 4,998
    assert client.data(query, {"w": {"id": {"in": ids[:998]}}})["persons"]["totalCount"] > 0
    assert client.error_codes(query, {"w": {"id": {"in": ids[:1_001]}}}) == ["BAD_USER_INPUT"]
    # 5,000 values: past the conversion, refused by the filter's own bound (1,000 in an in)
    assert client.error_codes(query, {"w": {"id": {"in": ids[:4_997]}}}) == ["BAD_USER_INPUT"]
    where = {"OR": [{"id": {"eq": f"P{i}"}} for i in range(40_000)]}
    started = time.monotonic()
    body = client.post(query, {"w": where})
    assert time.monotonic() - started < 1.5
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "limit": 5_000}
    assert error["message"].startswith("variables hold more than 5,000 values")


def test_aliases_are_limited(client: Client) -> None:
    query = "{ " + " ".join(f'a{i}: person(id: "P1") {{ id }}' for i in range(51)) + " }"
    assert client.error_codes(query) == ["GRAPHQL_VALIDATION_FAILED"]


def test_unexpected_errors_are_masked_and_logged(
    serve: Callable[..., Client], small_bank: EmbeddedStore, caplog: pytest.LogCaptureFixture
) -> None:
    store = CountingStore(small_bank, fail={"neighbors": RuntimeError("secret detail")})
    client = serve(store=store)
    with caplog.at_level(logging.ERROR, logger="graph_service.api"):
        body = client.post('{ person(id: "P1") { name accounts { totalCount } } }')
    assert body["data"] == {"person": None}
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert error["message"] == "Internal server error"
    assert error["path"] == ["person", "accounts"]
    assert "secret" not in str(body)
    assert any("secret detail" in record.getMessage() for record in caplog.records)


def test_store_unavailable_keeps_its_code(
    serve: Callable[..., Client], small_bank: EmbeddedStore
) -> None:
    from graph_service.errors import StoreUnavailableError

    store = CountingStore(small_bank, fail={"get_nodes": StoreUnavailableError("store down")})
    body = serve(store=store).post('{ person(id: "P1") { name } }')
    assert [e["extensions"]["code"] for e in body["errors"]] == ["STORE_UNAVAILABLE"]
    assert body["errors"][0]["message"] == "store down"


def doubling_fragments(levels: int) -> str:
    """A document of ``levels`` fragments, each spreading the next twice: 2**levels fields."""
    spreads = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"query {{ ...F0 }} {spreads} fragment F{levels} on Query {{ __typename }}"


def test_combinatorial_fragments_are_refused_at_once_while_health_answers(
    client: Client,
) -> None:
    started = time.monotonic()
    body = client.post(doubling_fragments(40))
    elapsed = time.monotonic() - started
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "expand to 1,099,511,627,776 fields" in error["message"]
    assert elapsed < 1.0, elapsed
    assert client.http.get("/health").status_code == 200


def test_fragments_within_the_expansion_bound_run(client: Client) -> None:
    assert client.data(doubling_fragments(10)) == {"__typename": "Query"}


def repeated(field: str, times: int) -> str:
    """A query writing ``field`` ``times`` times side by side."""
    return "{ " + " ".join([field] * times) + " }"


@pytest.mark.parametrize(
    "document",
    [
        repeated('search(text: "a") { totalCount }', 400),  # 1.9 s in graphql-core's rule
        repeated("__typename", 900),  # graphql-core: a bare "Validation aborted."
        repeated('enterprise(id: "E1") { ' + " ".join(["id"] * 60) + " }", 20),  # merged below
        "{ ...F ...G } fragment F on Query { " + repeated("__typename", 40)[2:-2]
        + " } fragment G on Query { " + repeated("__typename", 40)[2:-2] + " }",
    ],
    ids=["root fields", "typename", "sub-selections", "fragments"],
)
def test_fields_repeated_too_often_are_refused_before_validation_compares_them(
    client: Client, document: str
) -> None:
    body = client.post(document)
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": 2_000}
    assert "pairs of fields with the same response name" in error["message"]
    assert client.http.get("/health").status_code == 200


def test_a_field_repeated_within_the_bound_runs_as_one(client: Client) -> None:
    assert client.data(repeated("__typename", 60)) == {"__typename": "Query"}  # 1,770 pairs


def test_same_name_pairs_counts_what_graphql_core_compares() -> None:
    from graphql import parse

    from graph_service.api.extensions import same_name_pairs

    def pairs(document: str) -> int:
        return same_name_pairs(parse(document), limit=10**9)

    assert pairs("{ a b c }") == 0
    assert pairs("{ x: a y: a a }") == 0  # aliases: other response names
    assert pairs("{ a a a }") == 3
    assert pairs("{ a { x } a { x y } }") == 2  # the a's, then the x's of their union
    assert pairs("{ a ... on Query { a } ...F ...F } fragment F on Query { a }") == 3
    assert pairs("{ ...F } fragment F on Query { a { ...F } }") == 0  # a cycle ends


def test_a_fragment_cycle_is_a_coded_validation_error(client: Client) -> None:
    cycle = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
    assert client.error_codes(cycle) == ["GRAPHQL_VALIDATION_FAILED"]
    assert client.error_codes("query { ...Nope }") == ["GRAPHQL_VALIDATION_FAILED"]


@pytest.mark.parametrize("document", [
    "{}", "query Q {}", '{ enterprise(id: "E1") {} }', "{ ...F } fragment F on Query {}",
    "{ __schema {} }", '{ search(text: "acme") { edges { node { ... on Enterprise {} } } } }',
])
def test_an_empty_selection_set_is_a_coded_validation_error(client: Client, document: str) -> None:
    # graphql-core parses "{}"; strawberry's depth rule failed on it with a ValueError that
    # reached the answer uncoded ("max() arg is an empty sequence"), or answered {} for it.
    body = client.post(document)
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "selects nothing" in error["message"] and error["locations"]
