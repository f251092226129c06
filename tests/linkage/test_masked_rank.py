"""Where masked items go in a ranked answer (``MaskedRank``, ``Ranking.viewed``).

The rule's statement is a sort: every item by its own key, a masked one by
``MaskedRank.key``. ``MaskedRank.positions`` finds that order a run of keys at a time,
without a key per item; these tests hold it to the sort on random lists.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph_service.linkage.question import MaskedRank, Order, Ranked, Ranking

NEUTRAL = (1, 0.0)
"""Above every flag and amount the strategy draws (-1 or 0, then a negative amount)."""
NEUTRAL_AFTER = {0: (4, *NEUTRAL), 1: NEUTRAL, 2: NEUTRAL[1:]}
"""The neutral parts of a rule keeping 0, 1 or 2 leading parts (a group is 0 to 3)."""


@st.composite
def ranked_lists(draw: st.DrawFn) -> tuple[list[tuple[int, int, float, str]], list[bool]]:
    """Distinct ascending keys ``(group, -flag, -amount, id)`` and a masked flag each."""
    ids = draw(st.lists(st.integers(0, 60), unique=True, max_size=40))
    keys = sorted((draw(st.integers(0, 3)), -draw(st.integers(0, 1)),
                   -float(draw(st.integers(1, 5))), f"P{i}") for i in ids)  # fmt: skip
    masked = draw(st.lists(st.booleans(), min_size=len(keys), max_size=len(keys)))
    return keys, masked


@given(ranked_lists(), st.integers(0, 2))
def test_positions_are_the_order_of_the_masked_keys(
    case: tuple[list[tuple[int, int, float, str]], list[bool]], kept: int
) -> None:
    keys, masked = case
    rule: MaskedRank[None] = MaskedRank(kept=kept, neutral=NEUTRAL_AFTER[kept])
    shown = [rule.key(key) if m else key for key, m in zip(keys, masked, strict=True)]
    expected = sorted(range(len(keys)), key=shown.__getitem__)
    assert rule.positions(keys, masked, [key[-1] for key in keys]) == expected


@given(ranked_lists())
def test_viewed_places_masked_items_with_their_masked_keys(
    case: tuple[list[tuple[int, int, float, str]], list[bool]]
) -> None:
    keys, masked = case
    rule: MaskedRank[None] = MaskedRank(kept=1, neutral=NEUTRAL)
    ranking: Ranking[None] = Ranking(Order("t", (int, int, float, str)), masked=rule)
    viewed = ranking.viewed(None, Ranked([key[-1] for key in keys], keys), masked)
    shown = sorted(rule.key(key) if m else key for key, m in zip(keys, masked, strict=True))
    assert list(viewed.sort_keys) == shown
    assert viewed.items == [key[-1] for key in shown]


def test_viewed_leaves_masked_items_out_when_the_arguments_chose_them() -> None:
    keys = [(0, -1, -3.0, "P1"), (0, 0, -2.0, "P2"), (1, 0, 0.0, "P3")]
    ranking: Ranking[bool] = Ranking(
        Order("t", (int, int, float, str)), masked=MaskedRank(kept=1, neutral=NEUTRAL,
                                                              left_out=lambda args: args))
    ranked = Ranked(["P1", "P2", "P3"], keys)
    out = ranking.viewed(True, ranked, [False, True, False])
    assert (out.items, list(out.sort_keys)) == (["P1", "P3"], [keys[0], keys[2]])
    kept = ranking.viewed(False, ranked, [False, True, False])
    assert list(kept.sort_keys) == [keys[0], (0, 1, 0.0, "P2"), keys[2]]
    assert ranking.viewed(True, ranked, [False] * 3) is ranked  # nothing masked


def test_a_masked_item_has_no_place_in_a_descending_order() -> None:
    ranking: Ranking[None] = Ranking(Order("t", (int, str), descending=(True, False)),
                                     masked=MaskedRank(neutral=(9,)))  # fmt: skip
    with pytest.raises(ValueError, match="ascending"):
        ranking.viewed(None, Ranked(["a"], [(1, "a")]), [True])
