"""The GraphQL fields, their DataLoaders and costs come from the question registry."""

from __future__ import annotations

from collections.abc import Callable

from graphql import GraphQLObjectType, build_schema
from strawberry.utils.str_converters import to_camel_case

from graph_service.api.questions import costed_fields
from graph_service.api.schema import schema
from graph_service.linkage.registry import QUESTIONS
from graph_service.stores.embedded import EmbeddedStore
from tests.api.conftest import Client, CountingStore

PUBLISHED = build_schema(schema.as_str())


def fields(type_name: str) -> list[str]:
    found = PUBLISHED.get_type(type_name)
    assert isinstance(found, GraphQLObjectType)
    return list(found.fields)


def test_every_question_has_its_fields_in_registration_order() -> None:
    roots = [to_camel_case(q.name) for q in QUESTIONS]
    assert fields("Query") == ["enterprise", "person", "account", "manager", "referral",
                               "contact", "auditRecords", *roots]
    for question in QUESTIONS:
        for node_field in question.node_fields:
            assert to_camel_case(node_field.name) in fields(node_field.label)


def test_every_generated_field_is_priced_by_its_question() -> None:
    table = costed_fields()
    expected = {("Query", to_camel_case(q.name)) for q in QUESTIONS} | {
        (f.label, to_camel_case(f.name)) for q in QUESTIONS for f in q.node_fields
    }
    assert set(table) == expected
    for (parent, name), costed in table.items():
        published = PUBLISHED.get_type(parent)
        assert isinstance(published, GraphQLObjectType)
        # Every argument a cost reads by Python name is published under the mapped name.
        assert set(costed.names.values()) <= set(published.fields[name].args) | {
            costed.names.get(costed.subject or "")
        }


COVERAGE = """{
  payrollCoverage(enterpriseId: "E2") { employees covered }
  uncoveredEmployees(enterpriseId: "E2") { totalCount }
  executivesWithoutPrivateBanking { totalCount }
}"""


def test_a_store_without_pushdowns_answers_by_the_generic_rules(
    serve: Callable[..., Client], small_bank: EmbeddedStore
) -> None:
    pushing = CountingStore(small_bank)
    generic = CountingStore(small_bank)
    generic.pushdowns = frozenset()
    answers = {}
    for name, store in (("pushing", pushing), ("generic", generic)):
        answers[name] = serve(store=store).data(COVERAGE)
    assert answers["pushing"] == answers["generic"] == {
        "payrollCoverage": {"employees": 4, "covered": 0},
        "uncoveredEmployees": {"totalCount": 4},
        "executivesWithoutPrivateBanking": {"totalCount": 2},
    }
    pushed_down = {"payroll_coverage", "uncovered_employees", "executives_without_private_banking"}
    assert pushed_down <= set(pushing.calls)
    assert not pushed_down & set(generic.calls)
    assert generic.calls["neighbors"] >= 2  # staff and accounts, read through the primitives
