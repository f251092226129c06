"""The execution thread: GraphQL over the embedded store runs off the server's event loop.

The embedded store answers in Python, synchronously: the CPU of an operation (its store
calls, and above all graphql-core completing tens of thousands of nodes) runs between two
awaits without a break. On the server's event loop, every other request, ``/health``
included, waits for those steps of every operation under way: measured with four clients
sending the heaviest operation the node budget admits, ``/health`` took up to a second
(benchmarks/README.md, *Health under load*).

:class:`ExecutionThread` is one thread running an event loop of its own (uvloop's where it is
installed, as uvicorn picks for the server's loop: its scheduling and the hand-offs between
threads run in C: 43 to 95 fewer Python calls per request than asyncio's loop,
benchmarks/README.md "The service's CPU per request"). The application
sends each GraphQL operation over the embedded store there (:meth:`ExecutionThread.run`),
with the store's refresh before it and the GraphiQL page's example lookup, so that one
thread only ever reads or changes the in-memory graph (no lock is needed: the operations
interleave at their awaits, as they did on the server's loop). The server's loop keeps
reading requests, checking tokens and rate limits and answering ``/health``, waiting only
for Python's GIL, which a thread gives up every 5 ms (``sys.getswitchinterval()``).

Cypher stores (FalkorDB, Neo4j) spend their time in the database and their drivers belong
to the loop that opened them, so they run on the server's loop (:func:`execution_thread_for`
answers ``None``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from graph_service.stores.embedded.store import EmbeddedStore

try:
    import uvloop
except ImportError:  # not installed on Windows (pyproject.toml)
    uvloop = None  # type: ignore[assignment]

T = TypeVar("T")


class ExecutionThread:
    """A daemon thread running an event loop, where coroutines are sent to run.

    Parameters
    ----------
    name : str
        The thread's name.

    Notes
    -----
    Cancelling the awaitable :meth:`run` returns (a time limit) cancels the coroutine on
    the thread's loop, at its next await.
    """

    def __init__(self, name: str = "graphql-execution") -> None:
        self.loop = asyncio.new_event_loop() if uvloop is None else uvloop.new_event_loop()
        self.thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the thread's loop; return (or raise) what it does."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Stop the loop once its current step ends; join the thread; close the loop."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


def execution_thread_for(store: Any) -> ExecutionThread | None:
    """An execution thread for ``store`` if it is the embedded store, else ``None``."""
    return ExecutionThread() if isinstance(store, EmbeddedStore) else None


def decode_in_background(store: Any) -> threading.Thread | None:
    """Start a daemon thread decoding what ``store`` deferred at opening; ``None`` if nothing.

    The embedded store opened from a snapshot decodes some parts of it when first read
    (:meth:`~graph_service.stores.embedded.store.EmbeddedStore.decode_deferred`); a server
    decodes them at once, beside the first requests, rather than in whichever requests read
    them first (at 1M people, up to half a second each). Join the thread before closing the
    store.
    """
    if not isinstance(store, EmbeddedStore):
        return None
    thread = threading.Thread(target=store.decode_deferred, name="snapshot-decode", daemon=True)
    thread.start()
    return thread


async def run_on(thread: ExecutionThread | None, coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on ``thread``, or on the current loop when ``thread`` is ``None``."""
    if thread is None:
        return await coroutine
    return await thread.run(coroutine)


__all__ = ["ExecutionThread", "decode_in_background", "execution_thread_for", "run_on"]
