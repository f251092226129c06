"""How the embedded store holds properties: value tuples aligned with field names.

A row's properties, on disk and in memory, are a tuple of values aligned with the field
names of its label or relationship type (:class:`Fields`, append-only), ``None`` where a
property is absent and trailing absents cut. No dict is kept per node or relationship:
readers get read-only :class:`Properties` views of the tuples.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from itertools import zip_longest
from typing import Any

Values = tuple[Any, ...]
"""Property values aligned with a kind's field names; ``None`` where absent."""

_intern = sys.intern
IN_ORDER_MEMO = 256
"""Name tuples of property maps :meth:`Fields.encode` remembers per kind."""


def merge(stored: Values, new: Values) -> Values:
    """The values of a row upserted over a stored one: the new value where present.

    The dict merge ``{**stored, **new}`` of the properties the tuples encode (aligned with
    the same field names; ``()`` for none).
    """
    return tuple(o if n is None else n for o, n in zip_longest(stored, new))


class Fields:
    """Field names of one label or relationship type, in storage order (append-only).

    ``committed`` is how many of them SQLite holds; the rest were added by a load not yet
    committed and are dropped again if it fails.
    """

    __slots__ = ("_in_order", "committed", "names", "position")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.position: dict[str, int] = {}
        self.committed = 0
        self._in_order: dict[tuple[str, ...], bool] = {}
        """Whether a property map's names (in its order) are the first field names, in order."""

    def add(self, name: str) -> int:
        """Append ``name``; answer its position."""
        self.position[name] = len(self.names)
        self.names.append(name)
        return len(self.names) - 1

    def truncate(self) -> None:
        """Forget the names added since the last commit."""
        for name in self.names[self.committed :]:
            del self.position[name]
        del self.names[self.committed :]
        self._in_order.clear()

    def encode(self, props: Mapping[str, Any]) -> Values:
        """Values of ``props`` in field order (new names are appended); trailing absents cut.

        Texts are interned: ``marshal`` then writes them as interned and reading interns
        them again, so the many repeated values (types, statuses, roles, dates, names) are
        one object each in memory instead of one per row.

        A map whose names are the first field names in order (a loader's rows, mostly) is
        encoded without looking its names up (which of the maps' name tuples are is
        remembered, up to :data:`IN_ORDER_MEMO` of them).
        """
        names = tuple(props)
        in_order = self._in_order.get(names)
        if in_order is None:
            in_order = names == tuple(self.names[: len(names)])
            # Names not yet all fields may be once the general path below has added them.
            if len(self._in_order) < IN_ORDER_MEMO and len(names) <= len(self.names):
                self._in_order[names] = in_order
        if in_order:
            aligned = [_intern(v) if v.__class__ is str else v for v in props.values()]
            if not aligned or aligned[-1] is not None:
                return tuple(aligned)
        position = self.position
        values: list[Any] = [None] * len(self.names)
        for name, value in props.items():
            i = position.get(name)
            if i is None:
                i = self.add(name)
                values.append(None)
            values[i] = _intern(value) if value.__class__ is str else value
        while values and values[-1] is None:
            values.pop()
        return tuple(values)


class Properties(Mapping[str, Any]):
    """Read-only mapping view of one node's or relationship's stored property values.

    Parameters
    ----------
    fields : Fields
        Field names of the label or relationship type.
    values : tuple
        Values aligned with ``fields.names``, ``None`` where absent (it may be shorter).

    Notes
    -----
    Lookup is O(1); iteration yields the present names in storage order (declared
    properties first, then extra ones in the order they were first loaded).
    """

    __slots__ = ("_fields", "_values")

    def __init__(self, fields: Fields, values: Values) -> None:
        self._fields = fields
        self._values = values

    def __getitem__(self, name: str) -> Any:
        i = self._fields.position.get(name)
        if i is not None and i < len(self._values):
            value = self._values[i]
            if value is not None:
                return value
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        names = self._fields.names
        return (names[i] for i, value in enumerate(self._values) if value is not None)

    def __len__(self) -> int:
        return sum(value is not None for value in self._values)

    def __repr__(self) -> str:
        return f"Properties({dict(self)!r})"
