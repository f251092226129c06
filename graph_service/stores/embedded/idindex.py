"""The embedded store's per-label index from node id to node number, cheap to snapshot.

A dict of a million ids costs about 100 bytes an entry and, read back from a snapshot,
about 0.6 µs an entry to rebuild (hashing every id and inserting it), which was most of
opening the 1M-person benchmark bank (benchmarks/README.md, "Opening at 1M"). An
:class:`IdIndex` read from a snapshot is instead a *base*: two arrays of node numbers, one
in the order of their ids sorted as texts, found by binary search, plus a dict of the ids
added since and the numbers removed since. The base holds no id text: it reads a node's id
through a function of its number (:meth:`IdIndex.attach`; the graph's
:meth:`Adjacency.id_of <graph_service.stores.embedded.adjacency.Adjacency.id_of>`), so that
opening decodes no id and a lookup decodes the ids of the label's nodes it compares. Written
to a snapshot, it is merged into a new base again.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

_NUMBER = "i"
"""Array type code of node numbers: a C ``int``, up to 2,147,483,647 nodes."""
THAW_SHARE = 8
"""Batch lookups and additions of more ids in all than the base's size divided by this move
the base into the dict (:meth:`IdIndex.numbers_of`, :meth:`IdIndex.add`): the binary
searches done then cost at most about what building the dict does, and the lookups after it
run at C speed (a load of many rows, a report over every enterprise)."""


def _numbers(data: bytes = b"") -> array[int]:
    """An array of node numbers holding ``data`` (its machine bytes)."""
    numbers = array(_NUMBER)
    numbers.frombytes(data)
    return numbers


def _unattached(n: int) -> str:
    """The id reader of a base not attached to its graph yet: refuses (a programming error)."""
    raise LookupError("an id index read from a snapshot is read before its graph attaches it")


class IdIndex:
    """Node ids of one label mapped to their node numbers; a mapping's read and write methods.

    Parameters
    ----------
    numbers : bytes, optional
        The base's node numbers in the order of their ids sorted as texts (machine
        ``int`` s).
    order : bytes, optional
        The same numbers sorted ascending (what :meth:`values` yields first).
    id_of : callable, optional
        The id of a node number (:meth:`attach`); a base's lookups read ids through it.

    Raises
    ------
    ValueError
        If ``numbers`` and ``order`` differ in length.

    Notes
    -----
    Lookups cost a dict lookup, then O(log n) calls of ``id_of`` and text comparisons in
    the base. Iteration yields the base's live entries in id order, then the added ones in
    insertion order. A node number's id never changes (a removed node's number is not
    reused), so that a base stays true of the numbers it holds.

    The base's two arrays, the numbers removed from it and the dict of added ids are one
    tuple (``_state``), which each method reads once and a batch of lookups that moves the
    base into the dict (:meth:`_thaw`) replaces whole rather than changing: a lookup or
    iteration under way meanwhile (in another thread, or in the ``id_of`` it calls) goes on
    over the state it began with. (When they were four attributes, a lookup whose base was
    thawed midway read the emptied base: an ``IndexError``, or an id missed.) Writes
    (:meth:`add`, :meth:`pop`) change that state in place, as a dict's do: they are not to
    run during another method.
    """

    __slots__ = ("_id_of", "_searched", "_state")

    def __init__(
        self,
        numbers: bytes = b"",
        order: bytes = b"",
        id_of: Callable[[int], str] = _unattached,
    ) -> None:
        base, ascending = _numbers(numbers), _numbers(order)
        if len(base) != len(ascending):
            raise ValueError("an id index's two arrays of node numbers differ in length")
        self._id_of = id_of
        # (base numbers by id, the same ascending, base numbers removed since, ids added since)
        self._state: tuple[array[int], array[int], set[int], dict[str, int]] = (
            base, ascending, set(), {}
        )
        self._searched = 0  # ids looked up or added in batches (_batch)

    def attach(self, id_of: Callable[[int], str]) -> None:
        """Read the base's ids through ``id_of`` from now on (a node number -> its id)."""
        self._id_of = id_of

    def __reduce__(self) -> tuple[type[IdIndex], tuple[bytes, bytes]]:
        """Pickled as a base holding every entry: its two arrays' bytes, without ids."""
        base, ascending, dead, added = self._state
        if added or dead:
            base = _numbers()
            base.extend(n for _, n in sorted(self.items()))
            ascending = _numbers()
            ascending.extend(sorted(base))
        return (IdIndex, (base.tobytes(), ascending.tobytes()))

    def _base_position(self, base: array[int], dead: set[int], key: str) -> int | None:
        """Where ``key`` is in ``base`` (of the state read), if it is there and not in ``dead``."""
        id_of = self._id_of
        at = bisect_left(base, key, key=id_of)
        if at < len(base) and id_of(base[at]) == key and base[at] not in dead:
            return at
        return None

    def get(self, key: str, default: Any = None) -> Any:
        """The node number of ``key``; ``default`` when absent."""
        base, _, dead, added = self._state
        found = added.get(key)
        if found is not None:
            return found
        if not base or key.__class__ is not str:
            return default
        at = self._base_position(base, dead, key)
        return default if at is None else base[at]

    def __getitem__(self, key: str) -> int:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None  # type: ignore[arg-type]

    def __len__(self) -> int:
        base, _, dead, added = self._state
        return len(base) - len(dead) + len(added)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __eq__(self, other: object) -> bool:
        """Equal to an index or mapping with the same entries, as dicts compare."""
        if isinstance(other, IdIndex | Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable as a dict is

    def items(self) -> Iterator[tuple[str, int]]:
        """``(id, node number)`` of every entry, base first (removed ones skipped)."""
        numbers, _, dead, added = self._state
        base = zip(map(self._id_of, numbers), numbers, strict=True)
        live = base if not dead else ((k, n) for k, n in base if n not in dead)
        return chain(live, added.items())

    def __iter__(self) -> Iterator[str]:
        return (key for key, _ in self.items())

    def values(self) -> Iterable[int]:
        """Every node number, ascending (the base's, then those added since)."""
        _, ascending, dead, added = self._state
        base: Iterable[int] = ascending if not dead else (n for n in ascending if n not in dead)
        return chain(base, added.values())

    def sorted_keys(self) -> list[str]:
        """Every id, sorted as text (the base's as they are when nothing changed since)."""
        base, _, dead, added = self._state
        if not added and not dead:
            return list(map(self._id_of, base))
        return sorted(self)

    def numbers_by_id(self) -> Sequence[int]:
        """Every node number, in the order of their ids sorted as text.

        The base's array itself when nothing changed since it was read.
        """
        base, _, dead, added = self._state
        if not added and not dead:
            return base
        return [n for _, n in sorted(self.items())]

    def numbers_of(self, keys: Sequence[str]) -> list[int | None]:
        """The node number of each of ``keys``, aligned; ``None`` where absent.

        Once the keys looked up this way number more than the base's size over
        :data:`THAW_SHARE`, the base is first moved into the dict (:meth:`_thaw`), so that
        they are looked up in C.
        """
        self._batch(len(keys))
        base, _, _, added = self._state
        if not base:
            return list(map(added.get, keys))
        return list(map(self.get, keys))

    def require(self, keys: Sequence[str]) -> list[int]:
        """The node number of each of ``keys``, aligned (:meth:`numbers_of`).

        Raises
        ------
        KeyError
            Naming the first of ``keys`` that is absent.
        """
        found = self.numbers_of(keys)
        if None in found:
            raise KeyError(keys[found.index(None)])
        return found  # type: ignore[return-value]

    def _batch(self, count: int) -> None:
        """Count ``count`` more ids looked up or added; past :data:`THAW_SHARE`, thaw the base."""
        self._searched += count
        base = self._state[0]
        if base and self._searched * THAW_SHARE > len(base):
            self._thaw()

    def _thaw(self) -> None:
        """Move the base's live entries into the dict, in node-number order (:meth:`values`).

        A new state replaces the one read, whole (see the class's notes).
        """
        added = dict(sorted(self.items(), key=itemgetter(1)))
        self._state = (_numbers(), _numbers(), set(), added)

    def add(self, keys: Sequence[str], numbers: Iterable[int]) -> None:
        """Map each of ``keys`` to its node number in ``numbers`` (aligned).

        A key already present is renumbered. Many keys (as in :meth:`numbers_of`) move the
        base into the dict first, so that they are added in C.
        """
        self._batch(len(keys))
        base, _, dead, added = self._state
        if not base:
            added.update(zip(keys, numbers, strict=True))
            return
        for key, n in zip(keys, numbers, strict=True):
            at = self._base_position(base, dead, key)
            if at is not None:
                dead.add(base[at])
            added[key] = n

    def pop(self, key: str, default: Any = None) -> Any:
        """Remove ``key``; its node number, or ``default`` when absent."""
        base, _, dead, added = self._state
        found = added.pop(key, None)
        if found is not None:
            return found
        at = self._base_position(base, dead, key) if base else None
        if at is None:
            return default
        n = base[at]
        dead.add(n)
        return n
