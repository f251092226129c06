"""The embedded store's partial ordering of a hop's leads (questions._first_of)."""

from __future__ import annotations

import numpy as np

from graph_service.stores.embedded.questions import _first_of


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
