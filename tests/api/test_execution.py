"""The fast path's execution context answers exactly what graphql-core's own execution answers."""

from __future__ import annotations

import asyncio
import gc
import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, cast

import pytest
import strawberry
from graphql import ExecutionResult, execute, parse
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph_service.api.context import make_context
from graph_service.api.fast_path import FastExecutionContext, fast_schema, plain_fields
from graph_service.api.schema import schema
from graph_service.api.types import Connection
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


def plans_run(monkeypatch: pytest.MonkeyPatch, kind: type) -> list[tuple[Any, Any]]:
    """Record each plan run on a ``kind`` object: ``(object, answer)``, ``answer`` ``None``
    when it gave up (graphql-core then completed the object)."""
    from graph_service.api import fast_path as execution

    runs: list[tuple[Any, Any]] = []
    execution_run_plan = execution.run_plan

    def recorded(plan: Any, source: Any, is_awaitable: Any) -> Any:
        if not isinstance(source, kind):
            return execution_run_plan(plan, source, is_awaitable)
        runs.append((source, None))
        answer = execution_run_plan(plan, source, is_awaitable)
        runs[-1] = (source, answer)
        return answer

    monkeypatch.setattr(execution, "run_plan", recorded)
    return runs


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


@strawberry.type
class Box:
    label: str
    things: list[Thing] | None
    maybe: list[Thing | None]
    first: Thing | None = None


@strawberry.type
class Shelves:
    @strawberry.field
    def boxes(self) -> list[Box]:
        bad: Any = None
        return [
            Box(label="fine", things=[Thing(name="a", count=1)], maybe=[None],
                first=Thing(name="f", count=0)),
            Box(label="null item", things=[Thing(name="a", count=1), bad], maybe=[]),
            Box(label="tuple", things=(Thing(name="t", count=1),), maybe=[]),  # type: ignore[arg-type]
            Box(label="deep", things=[Thing(name="d", count=1, inner=Thing(name=bad, count=2))],
                maybe=[Thing(name="m", count="x")]),  # type: ignore[arg-type]
        ]


SHELVES = "{ boxes { label first { name } things { name count inner { name } } maybe { count } } }"


def test_planned_selections_fail_as_in_graphql_core(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = plans_run(monkeypatch, Box)
    shelves = strawberry.Schema(query=Shelves)._schema
    reference, fast = both(SHELVES, {}, None, target=shelves)  # type: ignore[arg-type]
    assert reference.errors  # a null item of a non-null list, a null name, an Int that is not
    assert formatted(fast) == formatted(reference)
    # every box was tried by its plan; all but the first were completed by graphql-core
    assert {box.label: answer is not None for box, answer in runs} == {
        "fine": True, "null item": False, "tuple": False, "deep": False}


def test_a_page_of_people_is_one_plan(small_bank: GraphStore, monkeypatch: pytest.MonkeyPatch
                                      ) -> None:
    runs = plans_run(monkeypatch, Connection)
    document = ('query($id: ID!) { enterprise(id: $id) { employees(first: 5) { totalCount '
                'edges { cursor role node { id name createdAt } } '
                'pageInfo { endCursor hasNextPage } } } }')
    reference, fast = both(document, {"id": "E1"}, small_bank)
    assert reference.errors is None
    assert formatted(fast) == formatted(reference)
    assert [answer for _, answer in runs] == [reference.data["enterprise"]["employees"]]  # type: ignore[index]


SEARCH = """query($text: String!) { search(text: $text, first: 10) { totalCount
  edges { cursor node { __typename ... on Person { id name }
    ... on Enterprise { id kind: __typename } ... on Manager { id } } }
  pageInfo { endCursor hasNextPage } } }"""


@pytest.mark.parametrize("text", ["a", "M1", "nothing"])
def test_a_page_of_a_union_is_one_plan(small_bank: GraphStore, text: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """``__typename`` and each member's fragment are completed by the connection's plan."""
    runs = plans_run(monkeypatch, Connection)
    reference, fast = both(SEARCH, {"text": text}, small_bank)
    assert reference.errors is None
    assert formatted(fast) == formatted(reference)
    assert [answer for _, answer in runs] == [reference.data["search"]]  # type: ignore[index]


@strawberry.type
class Cat:
    name: str


@strawberry.type
class Dog:
    name: str


@strawberry.type
class Stranger:
    name: str


@strawberry.type
class Home:
    label: str
    pets: list[Annotated[Cat | Dog, strawberry.union("Pet")]]


@strawberry.type
class Street:
    @strawberry.field
    def homes(self, stranger: bool) -> list[Home]:
        bad: Any = Stranger(name="s")
        homes = [Home(label="plain", pets=[Cat(name="c"), Dog(name="d")]),
                 Home(label="cast", pets=[strawberry.cast(Dog, Cat(name="dog-like"))])]
        return [*homes, Home(label="stranger", pets=[Cat(name="c"), bad])] if stranger else homes


HOMES = """query($stranger: Boolean!) { homes(stranger: $stranger) { label
  pets { __typename ... on Cat { name } ... on Dog { dog: name } } } }"""


@pytest.mark.parametrize("stranger", [False, True])
def test_union_members_resolve_as_in_strawberry(stranger: bool,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A cast value, or one of no member, is completed as strawberry resolves it (graphql-core)."""
    runs = plans_run(monkeypatch, Home)
    street = strawberry.Schema(query=Street)._schema
    reference, fast = both(HOMES, {"stranger": stranger}, None, target=street)  # type: ignore[arg-type]
    assert formatted(fast) == formatted(reference)
    outcomes = {home.label: answer is not None for home, answer in runs}
    if stranger:  # of no member: an error, and a null for the non-null list of homes
        assert reference.data is None
        assert reference.errors
        assert outcomes == {"plain": True, "cast": False, "stranger": False}
    else:  # the cast Cat is a Dog
        assert reference.errors is None
        assert reference.data == {"homes": [
            {"label": "plain", "pets": [{"__typename": "Cat", "name": "c"},
                                        {"__typename": "Dog", "dog": "d"}]},
            {"label": "cast", "pets": [{"__typename": "Dog", "dog": "dog-like"}]}]}
        assert outcomes == {"plain": True, "cast": False}


@strawberry.enum
class Colour(Enum):
    RED = "red"
    GREEN = "green"


@strawberry.type
class Paint:
    label: str
    colour: Colour


@strawberry.type
class Palette:
    @strawberry.field
    def paints(self, bad: bool) -> list[Paint]:
        its_value: Any = "green"  # the member's value, not the member
        paints = [Paint(label="member", colour=Colour.RED),
                  Paint(label="its value", colour=its_value)]
        return [*paints, Paint(label="none", colour=cast(Any, "blue"))] if bad else paints


@pytest.mark.parametrize("bad", [False, True])
def test_enums_are_named_as_strawberry_names_them(bad: bool,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan names an enum member by lookup; any other value is left to graphql-core."""
    runs = plans_run(monkeypatch, Paint)
    palette = strawberry.Schema(query=Palette)._schema
    reference, fast = both("query($bad: Boolean!) { paints(bad: $bad) { label colour } }",
                           {"bad": bad}, None, target=palette)  # type: ignore[arg-type]
    assert formatted(fast) == formatted(reference)
    assert {paint.label: answer is not None for paint, answer in runs} == {
        "member": True, "its value": False, **({"none": False} if bad else {})}
    if bad:
        assert reference.data is None and reference.errors
    else:
        assert reference.data == {"paints": [{"label": "member", "colour": "RED"},
                                             {"label": "its value", "colour": "GREEN"}]}


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.graphql")
                                         if p.stem != "influence"))  # fmt: skip
def test_an_operation_leaves_no_reference_cycle(small_bank: GraphStore, name: str) -> None:
    """Everything an operation builds is freed by reference counting as it ends: the request
    context holds its DataLoaders, which hold it weakly (Context._loader), the fast path's
    executor holds graphql-core's helpers, which hold it weakly (_weak_helpers), and a lazy
    answer's reader is a closure (Lazy). Garbage left to the cyclic GC made collections run
    every dozen light questions. (``influence`` runs networkx's PageRank on a graph built
    for the request, whose views networkx keeps on the graph: a cycle of networkx's, of the
    graph's shell alone, since ``release_graph`` empties it.)"""
    document = (EXAMPLES / f"{name}.graphql").read_text(encoding="utf-8")
    variables = json.loads((EXAMPLES / f"{name}.variables.json").read_text(encoding="utf-8"))
    settings = Settings()

    async def run() -> Any:
        return await fast_schema().execute(document, variable_values=variables,
                                           context_value=make_context(small_bank, settings))

    assert asyncio.run(run()).errors is None  # the first one builds the per-document caches
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        result = asyncio.run(run())
        del result
        gc.collect()
        left = sorted({type(o).__qualname__ for o in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == []
