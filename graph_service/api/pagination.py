"""Relay-style keyset pagination over sorted lists, and the cursors that mark a position.

Two cursor formats, both opaque base64 of UTF-8 text:

- **Node cursors** (:func:`encode_cursor`, :func:`decode_cursor`): ``label:id``, the cursors
  of today's connections, which list nodes sorted by ``(label, id)`` (the ordering contract
  in :mod:`graph_service.stores.base`). Issued and accepted unchanged.
- **Versioned cursors** (:class:`CursorOrder`): ``v1:<connection>:<order>:<key>``, where
  ``<key>`` is the JSON array of the sort key of the item the cursor marks, e.g.
  ``v1:rankedLeads:score-desc:[-0.93,"P17"]``. For connections over other orders (sorted
  lists, ranked leads, rollup groups): each names its kind and order, so a cursor of
  another connection or order, or a node cursor, is refused with ``BAD_USER_INPUT``
  naming the argument (``after``). A later format takes the next version (``v2``); a
  label is never of the form ``v<digits>``, so both formats are told apart.

A page starts right after the cursor's key, found by bisection: pages are stable, without
duplicates or gaps, and a cursor stays meaningful even when its own item has since gone.

The bulk path watches the pages an execution cuts (:data:`PAGING`, :class:`Paging`): a
list left with items after its page is counted as truncated, or, with ``--all-pages``, given
whole from the ``after`` cursor on.

This module knows nothing of GraphQL; :mod:`graph_service.api.types` turns a
:class:`Window` into a connection.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from bisect import bisect_right
from collections.abc import Callable, Collection, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from graph_service.config import Settings
from graph_service.errors import InvalidInputError, shorten
from graph_service.model import NodeKey, NodeLabel

T = TypeVar("T")

_LABELS = frozenset(label.value for label in NodeLabel)
CURSOR_VERSION = "v1"
"""Version of the cursors :class:`CursorOrder` issues."""
_VERSION = re.compile(r"v[0-9]+")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
KeyPart = str | int | float
"""One part of a sort key a versioned cursor holds."""
CursorKey = tuple[KeyPart, ...]
"""The sort key of the item a versioned cursor marks, e.g. ``(-0.93, "P17")``."""


def _cursor_text(cursor: str) -> str | None:
    """The UTF-8 text a cursor is the base64 of; ``None`` if it is not one."""
    try:
        return base64.b64decode(cursor.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return None


def _versioned(text: str) -> tuple[str, str, str, str] | None:
    """``(version, connection, order, key)`` of a versioned cursor's text; ``None`` if not one."""
    parts = text.split(":", 3)
    if len(parts) == 4 and _VERSION.fullmatch(parts[0]):
        return parts[0], parts[1], parts[2], parts[3]
    return None


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


def decode_cursor(
    cursor: str, labels: Collection[str] | None = None, argument: str = "after"
) -> NodeKey:
    """Return the ``(label, id)`` a cursor stands for.

    Parameters
    ----------
    cursor : str
        An ``endCursor`` or edge ``cursor`` this service issued.
    labels : collection of str, optional
        The labels of the nodes the connection lists; a cursor of another label could not
        have come from it. ``None`` accepts any label.
    argument : str
        The argument that gave ``cursor``, named when it is a versioned cursor.

    Raises
    ------
    InvalidInputError
        If ``cursor`` is not a cursor this service issued: not base64 of UTF-8
        ``label:id``, an unknown label, an empty id, or a label outside ``labels`` (e.g. the
        cursor of an ``Enterprise`` given to a connection of people), or a versioned
        cursor (:class:`CursorOrder`: another connection's, ``argument`` named). The
        message shows at most 100 characters of the cursor
        (:func:`~graph_service.errors.shorten`).

    Examples
    --------
    >>> decode_cursor("UGVyc29uOlAx")
    ('Person', 'P1')
    """
    shown = shorten(cursor)
    text = _cursor_text(cursor)
    if text is None:
        raise InvalidInputError(f"invalid cursor {shown!r}")
    versioned = _versioned(text)
    if versioned is not None:
        listed = "any" if labels is None else " and ".join(sorted(labels))
        raise InvalidInputError(
            f"invalid cursor {shown!r} in `{argument}`: {_describe(versioned)}, and this "
            f"connection lists {listed} nodes by label and id"
        )
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


def _describe(versioned: tuple[str, str, str, str]) -> str:
    """What a versioned cursor is, for an error message."""
    version, connection, order, _ = versioned
    if version != CURSOR_VERSION:
        return f"it is a cursor of version {shorten(version, 12)!r}, not {CURSOR_VERSION}"
    return (f"it is a cursor of {shorten(connection, 40)} ordered by {shorten(order, 40)}")


@dataclass(frozen=True, slots=True)
class CursorOrder:
    """The versioned cursors of one kind of connection over one order.

    A connection over another order than ``(label, id)`` declares one, encodes the cursor
    of each edge from its item's sort key and decodes ``after`` with it.

    Parameters
    ----------
    connection : str
        The kind of connection, e.g. ``"rankedLeads"``: a letter, then letters, digits,
        ``_``, ``.`` or ``-``.
    order : str
        The order it lists by, e.g. ``"score-desc"`` (same characters).
    parts : tuple of type
        The type of each part of the sort key, each ``str``, ``int`` or ``float`` (a
        ``float`` part also takes an ``int``), e.g. ``(float, str)``.

    Raises
    ------
    ValueError
        If ``connection`` or ``order`` is not such a name, or ``parts`` is empty or names
        another type (a fault of the code declaring it).

    Examples
    --------
    >>> leads = CursorOrder("rankedLeads", "score-desc", (float, str))
    >>> cursor = leads.encode((-0.93, "P17"))
    >>> base64.b64decode(cursor).decode()
    'v1:rankedLeads:score-desc:[-0.93,"P17"]'
    >>> leads.decode(cursor)
    (-0.93, 'P17')
    """

    connection: str
    order: str
    parts: tuple[type, ...]

    def __post_init__(self) -> None:
        for name in (self.connection, self.order):
            if not _NAME.fullmatch(name):
                raise ValueError(f"invalid connection or order name {name!r}")
        if not self.parts or any(part not in (str, int, float) for part in self.parts):
            raise ValueError(f"sort key parts must be str, int or float, got {self.parts!r}")

    def _fits(self, key: Sequence[Any]) -> bool:
        """Whether ``key`` has one value of the declared type per part."""
        return len(key) == len(self.parts) and all(
            type(value) is part or (part is float and type(value) is int)
            for value, part in zip(key, self.parts, strict=True)
        )

    def encode(self, key: CursorKey) -> str:
        """The cursor of the item whose sort key is ``key``.

        Parameters
        ----------
        key : tuple
            One value per part of :attr:`parts` (finite numbers).

        Returns
        -------
        str
            Base64 of ``v1:<connection>:<order>:<key as a JSON array>`` (UTF-8).

        Raises
        ------
        ValueError
            If ``key`` does not fit :attr:`parts` or holds a number JSON cannot spell.
        """
        if not self._fits(key):
            raise ValueError(f"sort key {key!r} does not fit {self.parts!r}")
        payload = json.dumps(list(key), ensure_ascii=False, separators=(",", ":"),
                             allow_nan=False)
        text = f"{CURSOR_VERSION}:{self.connection}:{self.order}:{payload}"
        return base64.b64encode(text.encode()).decode("ascii")

    def decode(self, cursor: str, argument: str = "after") -> CursorKey:
        """The sort key a cursor of this connection and order marks.

        Parameters
        ----------
        cursor : str
            A cursor this service issued with :meth:`encode`.
        argument : str
            The argument that gave it, named in the error.

        Returns
        -------
        tuple
            The sort key, one value per part.

        Raises
        ------
        InvalidInputError
            ``BAD_USER_INPUT``, naming ``argument``: not a cursor this service issued, a
            node cursor (:func:`encode_cursor`), a cursor of another version, connection or
            order, or a key that does not fit :attr:`parts`. The message shows at most 100
            characters of the cursor.
        """
        shown = shorten(cursor)
        where = f"invalid cursor {shown!r} in `{argument}`"
        wanted = f"this connection is {self.connection} ordered by {self.order}"
        text = _cursor_text(cursor)
        if text is None:
            raise InvalidInputError(f"{where}: not a cursor this service issued")
        versioned = _versioned(text)
        if versioned is None:
            label, sep, node_id = text.partition(":")
            if sep and label in _LABELS:
                raise InvalidInputError(
                    f"{where}: it is the cursor of {label} {shorten(node_id)!r} in a "
                    f"connection ordered by label and id, and {wanted}"
                )
            raise InvalidInputError(f"{where}: not a cursor this service issued")
        version, connection, order, payload = versioned
        if (version, connection, order) != (CURSOR_VERSION, self.connection, self.order):
            raise InvalidInputError(f"{where}: {_describe(versioned)}, and {wanted}")
        try:
            key = json.loads(payload)
        except (ValueError, RecursionError):
            key = None
        if not isinstance(key, list) or not self._fits(key):
            raise InvalidInputError(
                f"{where}: its position is not one of {self.connection} ordered by "
                f"{self.order}"
            )
        return tuple(key)


@dataclass(frozen=True, slots=True)
class Window(Generic[T]):
    """One page of a sorted list.

    Attributes
    ----------
    items : list
        The page's items, in list order.
    keys : list of tuple
        The sort key of each item, aligned with ``items``: its node's ``(label, id)``, or
        its key under a :class:`CursorOrder`.
    total : int
        Length of the whole list.
    has_next, has_previous : bool
        Whether items follow the page, or precede it.
    """

    items: list[T]
    keys: list[Any]
    total: int
    has_next: bool
    has_previous: bool


@dataclass(slots=True)
class Paging:
    """How the pages of one execution are cut, and what was left out (the bulk path's).

    Attributes
    ----------
    all_pages : bool
        Give each list whole from its ``after`` cursor on, ``first`` notwithstanding (a
        page of ``first: 0`` stays empty: no item was asked for).
    truncated : int
        Lists cut with items left after their page (``hasNextPage``), ``first`` > 0.
    """

    all_pages: bool = False
    truncated: int = 0


PAGING: ContextVar[Paging | None] = ContextVar("graph_service_paging", default=None)
"""The :class:`Paging` of the execution running in this context; ``None`` (pages as asked)
outside the bulk path. Set per line by :mod:`graph_service.bulk.runner`; the tasks an
execution starts inherit it."""


@dataclass(frozen=True, slots=True)
class PageArgs:
    """Validated ``first`` / ``after`` arguments of a connection field.

    Build it with :meth:`parse`, before running the domain query, so that a bad argument is
    refused without work.

    Attributes
    ----------
    first : int
        Page size, 0 to ``Settings.max_page_size``.
    after : tuple or None
        Key of the item the page starts after: a node's ``(label, id)``, or a key of a
        :class:`CursorOrder`; ``None`` for the first page.
    """

    first: int
    after: NodeKey | CursorKey | None

    @classmethod
    def parse(
        cls,
        first: int | None,
        after: str | None,
        settings: Settings,
        labels: Collection[str] | None = None,
        order: CursorOrder | None = None,
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
        order : CursorOrder, optional
            The order of a connection of versioned cursors: ``after`` is decoded by it
            (``labels`` then unused); node cursors when omitted.

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
        if after is None:
            return cls(size, None)
        return cls(size, order.decode(after) if order else decode_cursor(after, labels))

    def window(self, items: Sequence[T], key: Callable[[T], Any]) -> Window[T]:
        """Cut this page out of ``items``.

        Parameters
        ----------
        items : sequence
            The whole list, sorted by ``key`` (the stores' ordering contract).
        key : callable
            Maps an item to its sort key: its node's ``(label, id)``, or its key under the
            connection's :class:`CursorOrder`.

        Returns
        -------
        Window
            Items strictly after the ``after`` key, at most ``first`` of them.

        Notes
        -----
        O(log n + first): the start is found by bisection on ``key``. Under a
        :class:`Paging` (:data:`PAGING`), a page of ``first`` > 0 runs to the end of the
        list with ``all_pages``, and one that leaves items after it is counted in
        ``truncated``.
        """
        start = 0 if self.after is None else bisect_right(items, self.after, key=key)
        stop = min(start + self.first, len(items))
        paging = PAGING.get()
        if paging is not None and self.first > 0:
            if paging.all_pages:
                stop = len(items)
            elif stop < len(items):
                paging.truncated += 1
        page = list(items[start:stop])
        return Window(
            items=page,
            keys=[key(item) for item in page],
            total=len(items),
            has_next=stop < len(items),
            has_previous=start > 0,
        )

    def positions(
        self, sort_keys: Sequence[CursorKey], comparable: Callable[[CursorKey], Any]
    ) -> Window[int]:
        """Cut this page out of a ranked list given by its items' sort keys.

        Parameters
        ----------
        sort_keys : sequence of tuple
            Each item's key under the connection's :class:`CursorOrder`, in list order.
        comparable : callable
            Maps a key to a value whose ascending order is the list's (descending parts
            reversed), as ``Order.comparable`` of :mod:`graph_service.linkage.question`.

        Returns
        -------
        Window of int
            The positions in ``sort_keys`` of the page's items (see :meth:`window`).

        Notes
        -----
        Reads O(log n + first) keys, so a sequence computing each key when read (a lead
        list ranks a hop at a time) computes those alone.
        """
        after = None if self.after is None else comparable(self.after)
        return PageArgs(self.first, after).window(
            range(len(sort_keys)), key=lambda i: comparable(sort_keys[i])
        )
