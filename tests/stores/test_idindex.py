"""The id index answers as a dict would, through snapshots (bases) and the writes after them.

A base holds node numbers only and reads their ids through the function it is attached to
(the graph's ids by number; here a list of them).
"""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph_service.stores.embedded.idindex import THAW_SHARE, IdIndex

ID = st.text(alphabet="abcé字0", min_size=1, max_size=4)
OPERATION = st.one_of(
    st.tuples(st.just("add"), st.lists(ID, max_size=12, unique=True)),
    st.tuples(st.just("pop"), ID),
    st.tuples(st.just("snapshot"), st.none()),
)


def _same(index: IdIndex, expected: dict[str, int], probes: list[str]) -> None:
    """``index`` holds exactly ``expected``, read through every method."""
    assert dict(index.items()) == expected
    assert list(index.values()) == sorted(expected.values())  # numbers ascending
    assert len(index) == len(expected) and bool(index) == bool(expected)
    assert sorted(index) == sorted(expected) == index.sorted_keys()
    assert list(index.numbers_by_id()) == [expected[k] for k in sorted(expected)]
    for key in probes:
        assert index.get(key) == expected.get(key)
        assert (key in index) == (key in expected)
    assert index.numbers_of(probes) == [expected.get(key) for key in probes]
    assert index == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(OPERATION, max_size=25))
def test_the_index_answers_as_a_dict_through_snapshots_and_writes(
    operations: list[tuple[str, object]],
) -> None:
    """Random adds (new numbers, ascending, as the graph gives them), pops and snapshots."""
    index, expected, probes = IdIndex(), {}, ["zz"]
    ids: list[str] = []  # by node number, never reused, as the graph's
    for kind, argument in operations:
        if kind == "add":
            keys = [k for k in argument if k not in expected]  # type: ignore[union-attr]
            numbers = range(len(ids), len(ids) + len(keys))
            ids += keys
            index.add(keys, numbers)
            expected.update(zip(keys, numbers, strict=True))
            probes += keys
        elif kind == "pop":
            assert index.pop(argument) == expected.pop(argument, None)  # type: ignore[call-overload]
            probes.append(argument)  # type: ignore[arg-type]
        else:  # what a snapshot writes and opening reads back
            index = pickle.loads(pickle.dumps(index))
            index.attach(ids.__getitem__)
        _same(index, expected, probes)


def test_a_base_is_searched_and_written_again_merged() -> None:
    keys = [f"P{i:04d}" for i in range(99, -1, -1)]  # numbered against their text order
    read: list[int] = []
    index = _based(keys, read)
    assert not index._state[3] and index.sorted_keys() == sorted(keys)  # noqa: SLF001 (a base)
    read.clear()
    assert index["P0042"] == 57 and 0 < len(read) <= 8  # a binary search: log2(100) ids read
    index.add(["Q1"], [100])  # fewer than the base's size over THAW_SHARE: no thaw
    keys.append("Q1")
    assert index._state[0] and index.pop("P0003") == 96  # noqa: SLF001
    assert index.get("P0003") is None and index["Q1"] == 100 and len(index) == 100
    merged = pickle.loads(pickle.dumps(index))
    merged.attach(keys.__getitem__)
    assert merged.sorted_keys() == sorted(k for k in keys if k != "P0003")
    assert dict(merged.items()) == dict(index.items())


def test_a_base_holds_no_id_and_refuses_lookups_until_attached() -> None:
    keys = [f"P{i}" for i in range(50)]
    data = pickle.dumps(_filled(keys))
    assert b"P1" not in data  # node numbers only
    index = pickle.loads(data)
    assert len(index) == 50 and list(index.values()) == list(range(50))
    with pytest.raises(LookupError, match="before its graph attaches it"):
        index.get("P1")


def test_many_lookups_move_the_base_into_the_dict() -> None:
    keys = [f"P{i}" for i in range(10 * THAW_SHARE)]
    index = _based(keys, [])
    assert index.require(keys[:5]) == [0, 1, 2, 3, 4] and index._state[0]  # noqa: SLF001
    assert index.require(keys) == list(range(len(keys)))
    assert not index._state[0]  # noqa: SLF001 (thawed)
    with pytest.raises(KeyError, match="nobody"):
        index.require(["P1", "nobody"])


@pytest.mark.parametrize("removed", [False, True], ids=["live", "removed"])
def test_a_lookup_whose_base_is_thawed_midway_answers_from_the_base_it_began_with(
    removed: bool,
) -> None:
    """A batch of lookups moving the base into the dict while another lookup searches it
    (another thread's, here run by the first id the search reads): the search ends over
    the state it began with. It raised ``IndexError`` on the emptied base before."""
    keys = [f"P{i:03d}" for i in range(100)]
    index = pickle.loads(pickle.dumps(_filled(keys)))
    index.attach(keys.__getitem__)
    if removed:
        assert index.pop("P042") == 42
    thawed: list[int] = []

    def id_of(n: int) -> str:
        if not thawed:
            thawed.append(n)
            assert index.numbers_of(keys)[41] == 41  # many: the base moves into the dict
        return keys[n]

    index.attach(id_of)
    assert index.get("P042") == (None if removed else 42)
    assert thawed and not index._state[0]  # noqa: SLF001 (thawed midway)
    assert index.get("P042") == (None if removed else 42) and len(index) == 100 - removed


def test_a_base_of_mismatched_lengths_is_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        IdIndex(b"\0\0\0\0" * 2, b"\0\0\0\0")


def _based(keys: list[str], read: list[int]) -> IdIndex:
    """``keys`` numbered in order, as a base read from a snapshot; ``read`` gets each number
    whose id it reads."""
    index = pickle.loads(pickle.dumps(_filled(keys)))
    index.attach(lambda n: read.append(n) or keys[n])
    return index


def _filled(keys: list[str]) -> IdIndex:
    index = IdIndex()
    index.add(keys, range(len(keys)))
    return index
