"""The embedded store's leads: a hop's partial ordering (questions._first_of), the facts kept."""

from __future__ import annotations

import itertools

import numpy as np

from graph_service.stores.base import LeadFacts
from graph_service.stores.embedded.questions import _Facts, _first_of


def test_the_first_rows_are_among_those_chosen_whatever_the_ties() -> None:
    rng = np.random.default_rng(7)
    rows = 5_000
    for few in (1, 3, 50):  # distinct values per column: many ties with few
        columns = [rng.integers(0, few, rows).astype(float) for _ in range(3)]
        columns.append(rng.permutation(rows))  # an id order: distinct
        everyone = np.lexsort(list(reversed(columns)))
        for first in (1, 100, 256, 4_999, 5_000, 6_000):
            chosen = _first_of(columns, first)
            assert len(np.unique(chosen)) == len(chosen)
            ranked = chosen[np.lexsort([c[chosen] for c in reversed(columns)])]
            assert ranked[:first].tolist() == everyone[:first].tolist(), (few, first)


def test_kept_facts_read_back_as_read_and_are_read_again_once_forgotten() -> None:
    combos = itertools.product([False, True], repeat=5)
    facts = [LeadFacts(*booleans, i / 32, -1.5e9 * i) for i, booleans in enumerate(combos)]
    people = [3 * i for i in range(len(facts))]  # the columns grow to the largest
    read: list[int] = []

    def reader(person: int) -> LeadFacts:
        read.append(person)
        return facts[person // 3]

    kept = _Facts()
    assert list(kept.each(people, reader)) == facts and read == people
    assert list(kept.each(people, reader)) == facts and read == people  # none read again
    kept.forget([people[5], 10_000])  # one kept, one past the columns
    assert list(kept.each(people, reader)) == facts and read == [*people, people[5]]
