"""A first load's snapshot, written by a forked process while the load commits its rows.

A first load into an empty store holds every row it read in columns, put in key order
(:class:`~.firstload.FirstLoad`). From there its work is two halves that share nothing but
those columns: SQLite writing the rows, their ``load_seq`` indexes and the search index, then
``COMMIT`` (mostly SQLite's C code); and building the in-memory graph, the derived indexes a
snapshot keeps, and the snapshot's encoding (Python). Run one after the other, they were
two fifths of ``graph-service load`` at 1M people. :class:`ForkedSnapshot` runs the second
half in a child process forked from the loading one (:func:`os.fork`: the columns are shared
copy-on-write, not copied or sent), so that on two cores the halves overlap (measured on the
1M-person benchmark bank: BENCHMARKS.md).

The child writes the snapshot to its own temporary file (:func:`.snapshot.write_temp`), then
waits for the parent's word: the ``load_seq`` the rows were committed as, on which it puts
the file in place (:func:`.snapshot.install`), or anything else (end of file: the write
rolled back, or the parent died), on which it removes it. So no snapshot ever names a load
that was not committed. The child never touches the SQLite connection it inherits, and ends
with :func:`os._exit` (no finalizer, no ``atexit`` handler of the parent's runs twice);
SIGINT and SIGTERM end it, as they end the parent's load.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path as FsPath

from graph_service.stores.embedded import snapshot
from graph_service.stores.embedded.adjacency import Adjacency
from graph_service.stores.embedded.firstload import FirstLoad

logger = logging.getLogger(__name__)

_INSTALLED, _FAILED, _DISCARDED = 0, 1, 2
"""The child's exit statuses: the snapshot is in place; it failed (its error on standard
error); no commit was announced, and its file is removed."""


class ForkedSnapshot:
    """The child process writing a first load's snapshot (see the module).

    Made by :meth:`start` in the loading process, with the load's transaction open; then
    exactly one of :meth:`finish` (the rows are committed) or :meth:`abandon`.
    """

    def __init__(self, data_dir: FsPath, pid: int, word: int) -> None:
        self._data_dir = data_dir
        self._pid = pid
        self._word: int | None = word  # the pipe's write end, until the word is said
        self._running = True  # until the child is waited for

    @classmethod
    def start(
        cls,
        data_dir: FsPath,
        kept: FirstLoad,
        memory: Adjacency,
        seq: int,
        store_id: str,
        prepare: Callable[[Adjacency], None],
        chunk: int,
    ) -> ForkedSnapshot | None:
        """Fork the child building ``kept``'s graph in ``memory`` and writing it as the snapshot.

        Parameters
        ----------
        data_dir : Path
            The store's directory.
        kept : FirstLoad
            The load's rows, in key order, as they will be committed.
        memory : Adjacency
            The store's in-memory graph, empty: the child's copy is built
            (:meth:`FirstLoad.build <.firstload.FirstLoad.build>`, ``chunk`` rows per
            call); the parent's is left as it is.
        seq, store_id : int, str
            The ``load_seq`` the rows are to be committed as, and the record's store id: the
            snapshot's stamp.
        prepare : callable
            ``prepare(graph)``, run on the built graph before it is encoded (the derived
            indexes to keep: :func:`.questions.warm`).
        chunk : int
            Rows per call when building (the rebuild's chunk).

        Returns
        -------
        ForkedSnapshot or None
            ``None`` where processes cannot be forked (not POSIX): the caller writes the
            snapshot itself, after the commit.
        """
        if not hasattr(os, "fork"):
            return None
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid:
            os.close(read_end)
            return cls(data_dir, pid, write_end)
        status = _FAILED  # the child, from here on: never returns
        try:
            os.close(write_end)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            gc.disable()  # a collection would touch, and so copy, every shared page
            kept.build(memory, chunk)
            memory.settle()
            for fields in memory.fields.values():
                fields.committed = len(fields.names)  # as once the rows are committed
            prepare(memory)
            stamp = snapshot.Stamp(store_id, seq, memory.size(), snapshot.fingerprint())
            temp = snapshot.write_temp(data_dir, stamp, *memory.snapshot_state())
            with os.fdopen(read_end, "rb") as word:
                committed = word.readline().strip()
            if committed == str(seq).encode():
                snapshot.install(temp)
                status = _INSTALLED
            else:
                temp.unlink(missing_ok=True)
                status = _DISCARDED
        except BaseException as exc:  # noqa: BLE001 - the child reports, then exits
            # Written to the descriptor itself: sys.stderr may be a progress bar's proxy,
            # whose lock a thread of the parent (not forked) may have held.
            os.write(2, f"graph-service: the load's snapshot was not written: {exc!r}\n".encode())
        finally:
            os._exit(status)

    def finish(self, seq: int) -> bool:
        """Tell the child the rows are committed as load ``seq``; wait for it to end.

        Returns
        -------
        bool
            Whether it put the snapshot in place. When not (it failed, or ``seq`` is not
            the one it was started with: a load that changed nothing), a warning says so
            and the caller writes the snapshot itself.

        Raises
        ------
        BaseException
            What interrupts the wait (a signal): the child is stopped and its file removed,
            as by :meth:`abandon`, unless it already put the snapshot in place.
        """
        try:
            if self._word is not None:
                try:
                    os.write(self._word, f"{seq}\n".encode())
                except BrokenPipeError:
                    pass  # the child is gone: its status says why
                finally:
                    os.close(self._word)
                    self._word = None
            _, status = os.waitpid(self._pid, 0)
        except BaseException:
            self.abandon()
            raise
        self._running = False
        code = os.waitstatus_to_exitcode(status)
        if code == _INSTALLED:
            return True
        if code != _DISCARDED:
            logger.warning("the process writing the load's snapshot ended with status %s; "
                           "writing it after the load", code)  # fmt: skip
        snapshot.temp_file(self._data_dir, self._pid).unlink(missing_ok=True)
        return False

    def abandon(self) -> None:
        """Stop the child and remove its file, if it still runs (no commit, or the wait stopped)."""
        if not self._running:
            return
        if self._word is not None:
            os.close(self._word)
            self._word = None
        try:
            os.kill(self._pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self._pid, 0)
        self._running = False
        snapshot.temp_file(self._data_dir, self._pid).unlink(missing_ok=True)


__all__ = ["ForkedSnapshot"]
