"""The fast execution context answers exactly what graphql-core's own execution answers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import strawberry
from graphql import ExecutionResult, execute, parse
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph_service.api.context import make_context
from graph_service.api.execution import FastExecutionContext, plain_fields
from graph_service.api.schema import schema
from graph_service.config import Settings
from graph_service.stores.base import GraphStore

EXAMPLES = Path(__file__).resolve().parents[2] / "queries" / "examples"
NESTED = """
query($id: ID!) {
  enterprise(id: $id) {
    id name industry createdAt
    employees(first: 3) {
      totalCount
      edges { cursor role title node { id name segment blocked
        accounts { edges { node { id type status balance openedAt } } } } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
    shareholders { edges { ratio node {
      __typename ... on Person { id } ... on Enterprise { id } } } }
  }
}"""


def both(document: str, variables: dict[str, Any], store: GraphStore,
         target: Any = None) -> tuple[ExecutionResult, ExecutionResult]:
    """Execute ``document`` with graphql-core's execution context, then with the fast one."""
    gschema = target or schema._schema

    async def run(cls: Any) -> ExecutionResult:
        context = make_context(store, Settings()) if target is None else None
        result = execute(gschema, parse(document), variable_values=variables,
                         context_value=context, executor_class=cls)
        return await result if asyncio.iscoroutine(result) else result  # type: ignore[return-value]

    return (asyncio.run(run(StrawberryGraphQLCoreExecutionContext)),
            asyncio.run(run(FastExecutionContext)))


def formatted(result: ExecutionResult) -> dict[str, Any]:
    return {"data": result.data, "errors": [e.formatted for e in result.errors or ()]}


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.graphql")))
def test_the_examples_answer_the_same(small_bank: GraphStore, name: str) -> None:
    document = (EXAMPLES / f"{name}.graphql").read_text(encoding="utf-8")
    variables = json.loads((EXAMPLES / f"{name}.variables.json").read_text(encoding="utf-8"))
    reference, fast = both(document, variables, small_bank)
    assert reference.errors is None
    assert formatted(fast) == formatted(reference)


@pytest.mark.parametrize("enterprise", ["E1", "E2", "E3", "nope"])
def test_nested_pages_answer_the_same(small_bank: GraphStore, enterprise: str) -> None:
    reference, fast = both(NESTED, {"id": enterprise}, small_bank)
    assert formatted(fast) == formatted(reference)


@strawberry.type
class Thing:
    name: str
    count: int
    inner: Thing | None = None


@strawberry.type
class Broken:
    @strawberry.field
    def things(self) -> list[Thing]:
        bad: Any = None
        return [Thing(name="ok", count=1, inner=Thing(name=bad, count=2)),
                Thing(name="x", count="many"),  # type: ignore[arg-type]
                Thing(name=True, count=3)]  # type: ignore[arg-type]


def test_nulls_and_bad_values_fail_as_in_graphql_core() -> None:
    broken = strawberry.Schema(query=Broken)._schema
    assert ("Thing", "name") in plain_fields(broken)
    reference, fast = both("{ things { name count inner { name count } } }", {}, None,  # type: ignore[arg-type]
                           target=broken)
    assert reference.errors  # a null in a non-null field and an Int that is not one
    assert formatted(fast) == formatted(reference)
