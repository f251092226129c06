"""A load as one call: open the store, write the batch, close; undone on failure or signal.

Once a load into the embedded store commits, it writes the store's snapshot
(:mod:`~graph_service.stores.embedded.snapshot`), from which the next opening starts.

The CLI's ``load`` and ``demo`` call :func:`load` and nothing else of the store. What undoing
means is the store's business: the embedded store's write is one SQLite transaction, rolled
back, and the files and directories a failed first load created are removed
(:func:`~graph_service.stores.embedded.store.removed_on_failure`); a Cypher store writes in
batched transactions (see :meth:`~graph_service.stores.cypher.CypherStore.write`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

from graph_service.config import Settings
from graph_service.errors import GraphServiceError, LoadInterruptedError
from graph_service.records import GraphBatch, LoadReport
from graph_service.stores import open_store

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[list[int]]:
    """Make SIGINT and SIGTERM raise :class:`KeyboardInterrupt` in the main thread.

    Yields the list the signal numbers received are appended to. Replacing Python's SIGINT
    handler also keeps :func:`asyncio.run` from installing its own, which only cancels the
    main task at its next ``await`` and so lets a blocking write (a load) run to its end. A
    shell leaves SIGINT ignored in a background job; it is handled here all the same. The
    previous handlers are restored on exit. Main thread only (:func:`signal.signal`).
    """
    received: list[int] = []

    def stop(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def load(settings: Settings, batch: GraphBatch) -> LoadReport:
    """Write ``batch`` into the store ``settings`` names, creating an embedded one if missing.

    Called from outside any event loop, in the main thread. SIGINT and SIGTERM interrupt
    the write (:func:`stopped_by_signals`); on the embedded store a failed or interrupted
    load leaves the data directory as it was, the store files and directories it created
    removed (never an empty store that readers would accept).

    Parameters
    ----------
    settings : Settings
        The store (``backend``, ``data_dir`` or the server's settings).
    batch : GraphBatch
        The rows; lazy ones are read while the store writes them.

    Returns
    -------
    LoadReport
        Also when a signal arrives once the write is committed (while the store closes):
        the load is done, and a warning says so.

    Raises
    ------
    LoadInterruptedError
        If a signal stopped the load before its write was committed (rolled back on the
        embedded store).
    GraphServiceError
        What opening the store or writing raises (``InvalidInputError`` from a lazy
        batch's rows, ``StoreUnavailableError``), the load undone likewise.
    """
    with stopped_by_signals() as received:
        committed: list[LoadReport] = []
        try:
            return asyncio.run(_load(settings, batch, committed))
        except (KeyboardInterrupt, GraphServiceError):
            if not received:
                raise
            if committed:
                logger.warning("interrupted once the load was committed: it is loaded")
                return committed[0]
            # Rolled back either way: the interrupt, raised where Python code was running,
            # comes out of SQLite as an error when that code was one of its callbacks.
            raise LoadInterruptedError(received[0]) from None


async def _load(
    settings: Settings, batch: GraphBatch, committed: list[LoadReport]
) -> LoadReport:
    """:func:`load`'s work; its report is appended to ``committed`` once it is written."""
    if settings.backend != "embedded":
        store = open_store(settings, create=True)
        try:
            committed.append(await store.write(batch))
            return committed[0]
        finally:
            await store.close()
    from graph_service.stores.embedded.store import EmbeddedStore, removed_on_failure

    rules = settings.rules()
    with removed_on_failure(settings.data_dir):
        embedded = EmbeddedStore(settings.data_dir, create=True)
        try:
            report = await embedded.write(batch, snapshot_rules=rules)
        except BaseException:
            await embedded.close()
            raise
    committed.append(report)
    try:  # committed: a failed or interrupted snapshot costs the next start-up a rebuild
        # A load that changed nothing leaves a whole snapshot of the same graph as it is.
        if not await embedded.snapshot_current():
            await embedded.save_snapshot(rules)
    except (GraphServiceError, KeyboardInterrupt) as exc:
        logger.warning("the load is committed but its snapshot was not written: %s",
                       str(exc) or type(exc).__name__)  # fmt: skip
    finally:
        await embedded.close()
    return report
