"""Allocation-heavy phases, and a server's long-lived state, kept out of cyclic GC passes.

CPython's cyclic garbage collector runs every few hundred allocations of container objects;
while a load or a graph rebuild allocates millions of dicts and tuples that all stay alive,
each pass rescans the growing heap for nothing, a large share of the build time
(measured on the 100,000-person benchmark bank, see benchmarks/README.md#tuning-constants).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache


@contextmanager
def bulk_allocation(*, freeze: bool = True) -> Iterator[None]:
    """Suspend cyclic GC for the block; afterwards, with ``freeze``, freeze what survived.

    The objects alive at the end (the graph just built) are moved to the permanent
    generation (:func:`gc.freeze`), so later collections, e.g. while serving requests, do
    not rescan them. Without ``freeze`` (an answer built of many objects that die with it),
    they are left to the next collection, one pass instead of one every few hundred
    allocations. Reference counting still frees everything that dies meanwhile; only
    reference cycles created inside the block wait until it ends. Nesting is safe: GC is
    re-enabled only if it was enabled on entry; ``freeze`` freezes at the end of its own
    block even inside another one (a derived index built during a request, whose block
    does not freeze, is left out of later collections all the same).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Collect garbage, then freeze every object alive for the block: a started server's state.

    The modules imported (tens of thousands of functions, classes and dicts: strawberry,
    graphql-core, FastAPI) and the open store then leave the collections run while serving
    (:func:`gc.freeze`). A full collection otherwise rescans them all, every few dozen
    requests, and lands on the request that triggers it; frozen, it scans only what requests
    keep (benchmarks/README.md, tuning constants). Reference counting still frees what dies;
    frozen reference cycles are collected only after the block (:func:`gc.unfreeze`), hence
    the collection first. CPython's collection thresholds are left as they are: fewer,
    larger collections made the lightest requests' p99 worse (benchmarks/README.md#tuning-
    constants).
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """The C library's ``malloc_trim`` (glibc); ``None`` where it has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None


def release_free_heap() -> None:
    """Hand the free pages of the C heap back to the operating system (``malloc_trim(0)``).

    For a computation that builds and drops hundreds of megabytes (an analytics question's
    networkx graph at one million people): glibc keeps what Python's large objects freed in
    its heap, so the process stays that much larger for good. Dask's workers trim so too.
    A no-op where the C library has no ``malloc_trim``.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
