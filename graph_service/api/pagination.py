"""Relay-style keyset pagination over the store's sorted lists.

A cursor is the opaque base64 text of the node's ``label:id``. Every list a store answers is
sorted by ``(label, id)`` (see the ordering contract in :mod:`graph_service.stores.base`), so
a page starts right after the cursor's key, found by bisection: pages are stable, without
duplicates or gaps, and a cursor stays meaningful even when its own node has since gone.

This module knows nothing of GraphQL; :mod:`graph_service.api.types` turns a
:class:`Window` into a connection.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from graph_service.config import Settings
from graph_service.errors import InvalidInputError, shorten
from graph_service.model import NodeKey, NodeLabel

T = TypeVar("T")

_LABELS = frozenset(label.value for label in NodeLabel)


def encode_cursor(key: NodeKey) -> str:
    """Return the opaque cursor of a node.

    Parameters
    ----------
    key : (str, str)
        The node's ``(label, id)``.

    Returns
    -------
    str
        Base64 of ``"label:id"`` (UTF-8).

    Examples
    --------
    >>> encode_cursor(("Person", "P1"))
    'UGVyc29uOlAx'
    """
    label, node_id = key
    return base64.b64encode(f"{label}:{node_id}".encode()).decode("ascii")


def decode_cursor(cursor: str, labels: Collection[str] | None = None) -> NodeKey:
    """Return the ``(label, id)`` a cursor stands for.

    Parameters
    ----------
    cursor : str
        An ``endCursor`` or edge ``cursor`` this service issued.
    labels : collection of str, optional
        The labels of the nodes the connection lists; a cursor of another label could not
        have come from it. ``None`` accepts any label.

    Raises
    ------
    InvalidInputError
        If ``cursor`` is not a cursor this service issued: not base64 of UTF-8
        ``label:id``, an unknown label, an empty id, or a label outside ``labels`` (e.g. the
        cursor of an ``Enterprise`` given to a connection of people). The message shows
        at most 100 characters of the cursor (:func:`~graph_service.errors.shorten`).

    Examples
    --------
    >>> decode_cursor("UGVyc29uOlAx")
    ('Person', 'P1')
    """
    shown = shorten(cursor)
    try:
        text = base64.b64decode(cursor.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidInputError(f"invalid cursor {shown!r}") from None
    label, sep, node_id = text.partition(":")
    if not sep or label not in _LABELS:
        raise InvalidInputError(f"invalid cursor {shown!r}")
    if not node_id:
        raise InvalidInputError(f"invalid cursor {shown!r}: empty id")
    if labels is not None and label not in labels:
        listed = " and ".join(sorted(labels))
        raise InvalidInputError(
            f"invalid cursor {shown!r}: it is the cursor of {label} {shorten(node_id)!r}, and "
            f"this connection lists {listed} nodes only"
        )
    return (label, node_id)


@dataclass(frozen=True, slots=True)
class Window(Generic[T]):
    """One page of a sorted list.

    Attributes
    ----------
    items : list
        The page's items, in list order.
    keys : list of (str, str)
        The ``(label, id)`` of each item, aligned with ``items``.
    total : int
        Length of the whole list.
    has_next, has_previous : bool
        Whether items follow the page, or precede it.
    """

    items: list[T]
    keys: list[NodeKey]
    total: int
    has_next: bool
    has_previous: bool


@dataclass(frozen=True, slots=True)
class PageArgs:
    """Validated ``first`` / ``after`` arguments of a connection field.

    Build it with :meth:`parse`, before running the domain query, so that a bad argument is
    refused without work.

    Attributes
    ----------
    first : int
        Page size, 0 to ``Settings.max_page_size``.
    after : (str, str) or None
        Key of the node the page starts after; ``None`` for the first page.
    """

    first: int
    after: NodeKey | None

    @classmethod
    def parse(
        cls,
        first: int | None,
        after: str | None,
        settings: Settings,
        labels: Collection[str] | None = None,
    ) -> PageArgs:
        """Validate the arguments of a connection field.

        Parameters
        ----------
        first : int or None
            Requested page size; ``None`` means ``settings.default_page_size``.
        after : str or None
            A cursor from an earlier page.
        settings : Settings
            Supplies the default and the cap (``max_page_size``).
        labels : collection of str, optional
            Labels of the nodes the connection lists (see :func:`decode_cursor`).

        Raises
        ------
        InvalidInputError
            If ``first`` is negative or above the cap, or ``after`` is not a valid cursor
            of this connection.
        """
        size = settings.default_page_size if first is None else first
        if not 0 <= size <= settings.max_page_size:
            raise InvalidInputError(
                f"first must be between 0 and {settings.max_page_size}, got {size}"
            )
        return cls(size, None if after is None else decode_cursor(after, labels))

    def window(self, items: Sequence[T], key: Callable[[T], NodeKey]) -> Window[T]:
        """Cut this page out of ``items``.

        Parameters
        ----------
        items : sequence
            The whole list, sorted by ``key`` (the stores' ordering contract).
        key : callable
            Maps an item to its node's ``(label, id)``.

        Returns
        -------
        Window
            Items strictly after the ``after`` key, at most ``first`` of them.

        Notes
        -----
        O(log n + first): the start is found by bisection on ``key``.
        """
        start = 0 if self.after is None else bisect_right(items, self.after, key=key)
        stop = min(start + self.first, len(items))
        page = list(items[start:stop])
        return Window(
            items=page,
            keys=[key(item) for item in page],
            total=len(items),
            has_next=stop < len(items),
            has_previous=start > 0,
        )
