"""A document sent again is neither parsed nor validated again (parser and validation caches)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from strawberry.types import ExecutionResult

from graph_service.api.context import make_context
from graph_service.api.schema import schema
from graph_service.config import Settings
from graph_service.stores.base import GraphStore
from tests.api.conftest import Client


def unique(document: str) -> str:
    """``document`` with a comment making it unseen by the process-wide caches."""
    return f"# {uuid.uuid4()}\n{document}"


def run(store: GraphStore, document: str, settings: Settings | None = None,
        variables: dict[str, Any] | None = None) -> ExecutionResult:
    """Execute ``document`` in-process, as the CLI does."""
    context = make_context(store, settings or Settings())
    return asyncio.run(
        schema.execute(document, variable_values=variables, context_value=context)
    )


def test_repeated_executions_parse_and_validate_once(
    small_bank: GraphStore, parse_counts: dict[str, int]
) -> None:
    document = unique("query($id: ID!) { payrollCoverage(enterpriseId: $id) { rate } }")
    for enterprise, rate in [("E1", 0.5), ("E2", 0.0), ("E1", 0.5)]:
        result = run(small_bank, document, variables={"id": enterprise})
        assert result.errors is None
        assert result.data == {"payrollCoverage": {"rate": rate}}
    assert parse_counts == {"parse": 1, "validate": 1}


def test_each_depth_limit_is_validated_on_its_own(
    small_bank: GraphStore, parse_counts: dict[str, int]
) -> None:
    document = unique('{ person(id: "P1") { employers { edges { node { name } } } } }')
    for depth, refused in [(12, False), (3, True), (12, False), (3, True)]:
        result = run(small_bank, document, Settings(max_query_depth=depth))
        codes = [(e.extensions or {}).get("code") for e in result.errors or ()]
        assert codes == (["GRAPHQL_VALIDATION_FAILED"] if refused else []), depth
    assert parse_counts == {"parse": 1, "validate": 2}  # one validation per depth limit


def test_errors_keep_their_codes_when_sent_again(
    client: Client, parse_counts: dict[str, int]
) -> None:
    syntax, invalid = unique("{ person("), unique("{ nope }")
    for _ in range(2):
        assert client.error_codes(syntax) == ["GRAPHQL_PARSE_FAILED"]
        assert client.error_codes(invalid) == ["GRAPHQL_VALIDATION_FAILED"]
    flood = " ".join(f'a{i}: person(id: "P1") {{ name }}' for i in range(51))
    too_many = unique("{ " + flood + " }")
    for _ in range(2):
        assert client.error_codes(too_many) == ["GRAPHQL_VALIDATION_FAILED"]
    assert parse_counts["validate"] == 2  # the invalid document and the alias flood, once each


def test_over_http_a_document_sent_again_is_not_parsed_again(
    serve: Callable[..., Client], parse_counts: dict[str, int]
) -> None:
    client = serve()
    document = unique('query($id: ID!) { person(id: $id) { name } }')
    names = [client.data(document, {"id": i})["person"]["name"] for i in ("P1", "P2", "P1")]
    assert names[0] == names[2] == "Alice"
    assert parse_counts == {"parse": 1, "validate": 1}
