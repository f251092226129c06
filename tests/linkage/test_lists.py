"""enterprises, persons and managers on the small bank, on every store: filters, sorts (by
properties and by linkage figures) and their orders, against answers worked out by hand; the
bound on the whole-book reads of their generic rule (and privateBankingProspects')."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from graph_service.config import Settings
from graph_service.errors import InvalidInputError
from graph_service.linkage.lists import (
    ENTERPRISES,
    MANAGERS,
    PERSONS,
    BooleanFilter,
    EnterpriseListArgs,
    EnterpriseSort,
    IdFilter,
    ManagerListArgs,
    ManagerSort,
    ManagerWhere,
    PersonListArgs,
    PersonSort,
    PersonWhere,
    SortDirection,
    StringFilter,
)
from graph_service.linkage.prospects import QUESTION as PROSPECTS
from graph_service.linkage.prospects import ProspectsArgs
from graph_service.linkage.question import Id, Question, Ranked, answer, pushes_down
from graph_service.stores.base import GraphStore

ASC, DESC = SortDirection.ASC, SortDirection.DESC


def ids(store: GraphStore, question: Question[Any, Any], args: Any) -> list[str]:
    found = asyncio.run(answer(question, store, Settings(), args))
    assert isinstance(found, Ranked)
    assert [key[-1] for key in found.sort_keys] == [i for _, i in found.items]
    return [i for _, i in found.items]


def people(store: GraphStore, where: PersonWhere | None = None,
           *sort: PersonSort) -> list[str]:
    return ids(store, PERSONS, PersonListArgs(where, sort or None))


def test_persons_by_id_without_arguments(bank: GraphStore) -> None:
    assert people(bank) == ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (PersonWhere(segment=StringFilter(eq="mass")), ["P1", "P2", "P4"]),
        (PersonWhere(segment=StringFilter(in_=("private", "affluent"))), ["P3", "P5", "P8"]),
        (PersonWhere(segment=StringFilter(in_=())), []),
        (PersonWhere(name=StringFilter(contains="an")), ["P4", "P6", "P8"]),
        (PersonWhere(name=StringFilter(starts_with="C")), ["P3"]),
        (PersonWhere(name=StringFilter(starts_with="c")), []),  # case-sensitive
        (PersonWhere(name=StringFilter(lt="C")), ["P1", "P2"]),
        (PersonWhere(name=StringFilter(gte="E", lte="G")), ["P5", "P6"]),
        (PersonWhere(id=IdFilter(in_=(Id("P2"), Id("P7"), Id("nobody")))), ["P2", "P7"]),
        (PersonWhere(blocked=BooleanFilter(eq=False)), [f"P{i}" for i in range(1, 9)]),
        # An absent segment satisfies no operator; NOT negates what was found.
        (PersonWhere(NOT=PersonWhere(segment=StringFilter(eq="mass"))),
         ["P3", "P5", "P6", "P7", "P8"]),
        (PersonWhere(OR=(PersonWhere(name=StringFilter(eq="Alice")),
                         PersonWhere(segment=StringFilter(eq="private")))), ["P1", "P5"]),
        (PersonWhere(AND=(PersonWhere(segment=StringFilter(eq="mass")),
                          PersonWhere(name=StringFilter(gt="B")))), ["P2", "P4"]),
        (PersonWhere(segment=StringFilter(eq="mass"), name=StringFilter(gt="B")), ["P2", "P4"]),
    ],
)
def test_person_filters(bank: GraphStore, where: PersonWhere, expected: list[str]) -> None:
    assert people(bank, where) == expected


def test_person_sorts(bank: GraphStore) -> None:
    # Absent segments (Frank, Gina) last in both directions; ties by id.
    assert people(bank, None, PersonSort(segment=ASC)) == [
        "P3", "P8", "P1", "P2", "P4", "P5", "P6", "P7"]
    assert people(bank, None, PersonSort(segment=DESC)) == [
        "P5", "P1", "P2", "P4", "P3", "P8", "P6", "P7"]
    assert people(bank, None, PersonSort(segment=DESC), PersonSort(name=DESC)) == [
        "P5", "P4", "P2", "P1", "P8", "P3", "P7", "P6"]
    assert people(bank, None, PersonSort(id=DESC)) == [f"P{i}" for i in range(8, 0, -1)]


def test_enterprises_by_linkage_figures(bank: GraphStore) -> None:
    def by(sort: EnterpriseSort) -> list[str]:
        return ids(bank, ENTERPRISES, EnterpriseListArgs(sort=(sort,)))

    # E1: 4 employees, 2 covered, 1 executive without private banking (Dan);
    # E2: 4 employees, none covered, 2 (Dan, Hank); E3: no employees.
    assert by(EnterpriseSort(uncovered_employees=DESC)) == ["E2", "E1", "E3"]
    assert by(EnterpriseSort(uncovered_employees=ASC)) == ["E3", "E1", "E2"]
    assert by(EnterpriseSort(coverage_rate=ASC)) == ["E2", "E1", "E3"]  # no rate: last
    assert by(EnterpriseSort(coverage_rate=DESC)) == ["E1", "E2", "E3"]
    assert by(EnterpriseSort(executives_without_private_banking=DESC)) == ["E2", "E1", "E3"]
    assert by(EnterpriseSort(industry=ASC)) == ["E1", "E2", "E3"]
    where = EnterpriseListArgs(where=None, sort=(EnterpriseSort(name=DESC),))
    assert ids(bank, ENTERPRISES, where) == ["E3", "E2", "E1"]


def test_enterprise_sort_keys_hold_the_figures(bank: GraphStore) -> None:
    args = EnterpriseListArgs(sort=(EnterpriseSort(coverage_rate=DESC),))
    found = asyncio.run(answer(ENTERPRISES, bank, Settings(), args))
    # (absent flag, value, id) per node: the cursor of each edge holds it.
    assert found.sort_keys == [(0, 0.5, "E1"), (0, 0.0, "E2"), (1, 0.0, "E3")]
    order = ENTERPRISES.ranking.order_of(args)  # type: ignore[union-attr]
    assert order.name == "coverageRate-desc.id"
    assert order.parts == (int, float, str)


def test_managers(bank: GraphStore) -> None:
    assert ids(bank, MANAGERS, ManagerListArgs(sort=(ManagerSort(branch=DESC),))) == ["M2", "M1"]
    where = ManagerWhere(kind=StringFilter(eq="corporate"))
    assert ids(bank, MANAGERS, ManagerListArgs(where=where)) == ["M1"]


def test_a_sort_entry_sets_one_field(bank: GraphStore) -> None:
    for entry in (PersonSort(), PersonSort(name=ASC, segment=DESC)):
        with pytest.raises(InvalidInputError, match=r"sort\[0\] must set exactly one field"):
            people(bank, None, entry)


def test_a_filter_or_sort_too_large_for_a_scan_of_the_book_is_refused(bank: GraphStore) -> None:
    """Every node is tested against each condition: 50,000 of them held the service."""
    eq = [PersonWhere(id=IdFilter(eq=Id(f"P{i}"))) for i in range(1, 11)]
    everyone = people(bank)
    assert people(bank, PersonWhere(OR=tuple(eq))) == everyone  # 10 entries of 1 test: 20
    nested = PersonWhere(NOT=PersonWhere(AND=(PersonWhere(OR=tuple(eq)),)),
                         blocked=BooleanFilter(eq=False))
    with pytest.raises(InvalidInputError, match=r"^where gives 23 conditions .* at most 20"):
        people(bank, nested)
    # A filter without operators is still a test of every node (it passes a present value).
    assert people(bank, PersonWhere(OR=(PersonWhere(id=IdFilter()),) * 10)) == everyone
    with pytest.raises(InvalidInputError, match=r"^where gives 22 conditions"):
        people(bank, PersonWhere(OR=(PersonWhere(id=IdFilter()),) * 11))
    many = tuple(Id(f"P{i}") for i in range(1_001))
    assert people(bank, PersonWhere(id=IdFilter(in_=many[:1_000]))) == everyone
    with pytest.raises(InvalidInputError, match=r"^where.id.in holds 1,001 values; at most 1,000"):
        people(bank, PersonWhere(OR=(PersonWhere(id=IdFilter(in_=many)),)))
    sort = [PersonSort(id=ASC)] * 11
    assert people(bank, None, *sort[:10])[:2] == ["P1", "P2"]
    with pytest.raises(InvalidInputError, match=r"^sort has 11 entries; at most 10"):
        people(bank, None, *sort)


def test_a_label_too_large_to_read_whole_is_listed_only_by_a_store_that_lists_it(
    bank: GraphStore,
) -> None:
    """The generic rule reads every node of the label: at most ``max_book_scan`` of them."""
    small = Settings(max_book_scan=7)  # the small bank has 8 people and 3 enterprises
    args = PersonListArgs(sort=(PersonSort(name=DESC),))
    everyone = asyncio.run(answer(PERSONS, bank, Settings(), args))
    assert len(everyone.items) == 8
    with pytest.raises(InvalidInputError, match=r"^persons would read all 8 Person nodes of "
                       r"this store, which reads at most 7 for one question \(GRAPH_SERVICE_"):
        asyncio.run(answer(PERSONS, bank, small, args, generic=True))
    assert len(asyncio.run(answer(ENTERPRISES, bank, small, EnterpriseListArgs(),
                                  generic=True)).items) == 3  # fmt: skip
    if pushes_down(bank, PERSONS):  # the embedded store: any size
        assert asyncio.run(answer(PERSONS, bank, small, args)) == everyone
    else:
        with pytest.raises(InvalidInputError, match="GRAPH_SERVICE_MAX_BOOK_SCAN"):
            asyncio.run(answer(PERSONS, bank, small, args))


def test_prospects_past_the_book_scan_bound_are_answered_only_by_a_store_that_answers_them(
    bank: GraphStore,
) -> None:
    small = Settings(max_book_scan=7)  # 8 people
    everyone = asyncio.run(answer(PROSPECTS, bank, Settings(), ProspectsArgs()))
    assert [key[-1] for key in everyone.sort_keys] == ["P4", "P8"]
    with pytest.raises(InvalidInputError, match=r"^privateBankingProspects would read all 8 "
                       r"Person nodes of this store"):
        asyncio.run(answer(PROSPECTS, bank, small, ProspectsArgs(), generic=True))
    if pushes_down(bank, PROSPECTS):
        assert asyncio.run(answer(PROSPECTS, bank, small, ProspectsArgs())) == everyone
    else:
        with pytest.raises(InvalidInputError, match="GRAPH_SERVICE_MAX_BOOK_SCAN"):
            asyncio.run(answer(PROSPECTS, bank, small, ProspectsArgs()))
