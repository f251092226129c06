"""Snapshots of the in-memory graph beside the SQLite record, for a fast start-up.

After a load commits, the whole state of the in-memory graph
(:class:`~graph_service.stores.embedded.adjacency.Adjacency`: every attribute it holds, the
derived-index cache aside) is written to ``graph.snapshot`` beside ``graph.sqlite3``,
stamped with the record's ``load_seq`` and store id. Opening reads it back and replays the
writes committed after it (loads and mutations, through the ``load_seq`` indexes), instead
of rebuilding the graph from every row.

File layout: :data:`MAGIC`, a 4-byte big-endian length, a JSON header (:class:`Stamp` plus
the payload's length and CRC-32, and where its deferred parts start), then the payload: the
graph's state in parts, each a :mod:`pickle` (protocol 5) whose large containers of
builtins are encoded with :mod:`marshal` beside it (:class:`_Pickler`). Each part after the
first holds a group of the attributes named *deferred* when it was written (a run of the
nodes' ids or property values; the neighbourhoods), decoded only when first read
(:func:`read_state`), so that a process that does not read them (a report from indexes the
snapshot keeps) does not pay for decoding them. The header holds
a fingerprint of the code that wrote it (:func:`fingerprint`: this format's number, the
Python version and the source of the embedded store's modules, the model's and the
rules'), so a snapshot written by another version is rejected before its payload is read.

Trust: unpickling runs code named by the payload, and :mod:`marshal` is not meant for data
one does not trust either. The snapshot is as trusted as the SQLite
file beside it (whoever can write one can write the other); reading it is nonetheless
restricted to the classes of the modules fingerprinted and a few builtins
(:class:`_Unpickler`), and the checksum is checked first.

Written atomically: a temporary file in the same directory, ``fsync``, :func:`os.replace`,
then ``fsync`` of the directory; a writer killed midway leaves the previous snapshot (or
none) and a temporary file, removed by the next writer.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import io
import itertools
import json
import marshal
import mmap
import os
import pickle
import struct
import sys
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path as FsPath
from typing import Any

SNAPSHOT_FILE = "graph.snapshot"
MAGIC = b"GRAPHSNAP\n"
FORMAT = 6
"""This layout's number (part of the fingerprint). 6: the nodes' ids in runs as their values
are, and the id index without id texts. 5: the header names each deferred part's
items (``deferred``), so that their number may vary (the nodes' values in runs). 2: the
graph's neighbourhoods are lists of tuples and dicts, no longer a networkx graph (1). 3: the
id index of each label is a sorted
base (:class:`~graph_service.stores.embedded.idindex.IdIndex`), the derived indexes of
:data:`~graph_service.stores.embedded.adjacency.SNAPSHOT_KINDS` are kept, and the payload
has a deferred part. 4: a deferred part per group of attributes (``deferred_at`` a list). A
snapshot of an earlier layout is rejected and the graph rebuilt from
the record, once."""
_PROTOCOL = 5
_TEMP_PREFIX = f".{SNAPSHOT_FILE}."
_HEADER_LENGTH = struct.Struct(">I")
_MAP_FLAGS = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)  # (Linux only)
_EXTERNS_LENGTH = struct.Struct(">Q")
EXTERN_MIN = 1_000
"""Items from which a container of builtins is encoded with :mod:`marshal` rather than
pickled (:class:`_Pickler`): :func:`marshal.loads` builds them faster than unpickling and
keeps the objects they share shared (the node numbers, the edge dicts of ``succ`` and
``pred``), where a pickle makes one integer object per occurrence (measured on the
100,000-person benchmark bank, see benchmarks/README.md#tuning-constants)."""
_BUILTINS = frozenset(
    {"dict", "list", "tuple", "set", "frozenset", "bytearray", "bytes", "int", "float",
     "str", "bool", "complex", "object", "range", "slice"}
)  # fmt: skip
"""Builtins a payload may name (classes only: no ``eval``, ``getattr`` and the like)."""
_PACKAGE = __name__.rpartition(".")[0]
_FINGERPRINTED = (_PACKAGE, "graph_service.model", "graph_service.rules")
"""Packages and modules whose source is fingerprinted; a payload may name their classes (the
rules: the derived indexes whose answers depend on them are keyed by them)."""


class SnapshotRejected(Exception):  # noqa: N818 (a reason, not a failure of the caller)
    """A snapshot that cannot be used; its message says why (one line)."""


class SnapshotMissing(SnapshotRejected):  # noqa: N818
    """No snapshot: the store's writes came through the store itself, or before snapshots."""


@dataclass(frozen=True)
class Stamp:
    """What a snapshot was taken of.

    Attributes
    ----------
    store_id : str
        The record's store id (``meta.store_id``): a snapshot of another store is refused.
    load_seq : int
        The record's ``load_seq`` the graph was in step with.
    rows : int
        Nodes plus relationships in the graph (what the replay is weighed against).
    fingerprint : str
        :func:`fingerprint` of the code that wrote it.
    """

    store_id: str
    load_seq: int
    rows: int
    fingerprint: str


def _module_files() -> list[FsPath]:
    """Source files of :data:`_FINGERPRINTED`, sorted."""
    files: list[FsPath] = []
    for name in _FINGERPRINTED:
        module = importlib.import_module(name)
        path = FsPath(module.__file__ or "")
        files += sorted(path.parent.glob("*.py")) if path.name == "__init__.py" else [path]
    return files


@functools.cache
def fingerprint() -> str:
    """The code version a snapshot must have been written by to be read (hex SHA-256).

    Covers :data:`FORMAT`, the Python implementation and version (pickle, marshal and
    interning) and the source bytes of every module of this package and of
    :mod:`graph_service.model`: any change to the in-memory structures' code rejects older
    snapshots (a rebuild, once).
    """
    digest = hashlib.sha256(
        f"{FORMAT} {sys.implementation.name} {sys.version_info[:2]}".encode()
    )
    for path in _module_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class _Pickler(pickle.Pickler):
    """Pickles the large containers of builtins into :data:`externs`, by reference.

    A ``dict`` or ``list`` of :data:`EXTERN_MIN` items or more that :mod:`marshal` can
    encode (builtins all the way down: the adjacency dicts, the per-node lists, the
    indexes) is left out of the pickle, which names its position in ``externs``; the
    others, and every object of another class, are pickled as usual. With ``trial``
    false, every such container is taken for one :mod:`marshal` can encode, unchecked
    (:func:`_encode` checks them all at once, by encoding ``externs``); with ``trial``,
    each is encoded once on its own to check it.
    """

    def __init__(self, file: io.BytesIO, *, trial: bool) -> None:
        super().__init__(file, protocol=_PROTOCOL)
        self.externs: list[Any] = []
        self._positions: dict[int, int] = {}
        self._trial = trial

    def persistent_id(self, obj: Any) -> int | None:
        if obj.__class__ not in (dict, list) or len(obj) < EXTERN_MIN:
            return None
        position = self._positions.get(id(obj))
        if position is None:
            if self._trial:
                try:
                    marshal.dumps(obj)
                except ValueError:  # holds an object of another class
                    return None
            position = self._positions[id(obj)] = len(self.externs)
            self.externs.append(obj)
        return position


def _encode(state: dict[str, Any]) -> list[bytes | memoryview]:
    """The payload of ``state`` in three parts: the marshal part's length, that part, the pickle.

    They are written one after the other rather than joined, which would hold a second copy
    of the payload in memory (hundreds of MB at 1M people). The large containers are first
    all taken for ones :mod:`marshal` encodes, as a graph's are, and encoded once; only if
    one is not is ``state`` pickled again, each container tried on its own
    (:class:`_Pickler`): trying each costs about as much as encoding them all (measured on
    the 1M-person benchmark bank, see benchmarks/README.md#tuning-constants).
    """
    try:
        return _encoded(state, trial=False)
    except ValueError:  # marshal: a large container holds an object of another class
        return _encoded(state, trial=True)


def _encoded(state: dict[str, Any], *, trial: bool) -> list[bytes | memoryview]:
    """:func:`_encode`'s parts, its containers tried one by one or not (:class:`_Pickler`).

    Raises
    ------
    ValueError
        Without ``trial``, if :mod:`marshal` cannot encode one of the large containers.
    """
    pickled = io.BytesIO()
    pickler = _Pickler(pickled, trial=trial)
    pickler.dump(state)
    externs = marshal.dumps(pickler.externs)
    return [_EXTERNS_LENGTH.pack(len(externs)), externs, pickled.getbuffer()]


def _decode(payload: bytes | memoryview) -> Any:
    """The state encoded by :func:`_encode` as ``payload``."""
    (length,) = _EXTERNS_LENGTH.unpack_from(payload)
    start, view = _EXTERNS_LENGTH.size, memoryview(payload)  # parts read without copies
    externs = marshal.loads(view[start : start + length])
    unpickler = _Unpickler(io.BytesIO(view[start + length :]))
    unpickler.persistent_load = externs.__getitem__  # type: ignore[assignment]
    return unpickler.load()


class _Unpickler(pickle.Unpickler):
    """Refuses any global but the classes of fingerprinted modules and a few builtins."""

    def find_class(self, module: str, name: str) -> Any:
        allowed = (
            module.startswith(_PACKAGE + ".")
            or module in ("collections", *_FINGERPRINTED)
            or (module == "builtins" and name in _BUILTINS)
        )
        found = super().find_class(module, name) if allowed else None
        if not isinstance(found, type):
            raise SnapshotRejected(f"its payload names {module}.{name}, which is not allowed")
        return found


def write(
    data_dir: FsPath, stamp: Stamp, state: dict[str, Any],
    deferred: Sequence[Iterable[str]] = (),
) -> FsPath:
    """Write ``state`` stamped ``stamp`` as ``data_dir``'s snapshot, atomically.

    :func:`write_temp`, then :func:`install`.

    Returns
    -------
    Path
        The snapshot file.

    Raises
    ------
    OSError, pickle.PicklingError
        If writing fails; the temporary file is removed and the previous snapshot stays.
        So does any exception (``KeyboardInterrupt``) raised meanwhile.
    """
    return install(write_temp(data_dir, stamp, state, deferred))


def write_temp(
    data_dir: FsPath, stamp: Stamp, state: dict[str, Any],
    deferred: Sequence[Iterable[str]] = (),
) -> FsPath:
    """Write ``state`` stamped ``stamp`` to a temporary file in ``data_dir``, synced.

    The items of ``state`` named in each group of ``deferred`` go in a part of the payload
    of their own, after the first, which :func:`read_state` leaves to be decoded when first
    asked for. Temporary files left by writers that were killed are removed first. The
    file is named after this process (``.graph.snapshot.<pid>.tmp``): a writer's is kept
    while it runs.

    Returns
    -------
    Path
        The temporary file, for :func:`install`.

    Raises
    ------
    OSError, pickle.PicklingError
        If writing fails; the temporary file is removed. So is it on any exception.
    """
    _remove_stale(data_dir)
    groups = [sorted(set(group) & state.keys()) for group in deferred]
    later = set().union(*groups)
    parts = _encode({name: value for name, value in state.items() if name not in later})
    starts = []
    for group in groups:
        starts.append(sum(map(len, parts)))
        parts += _encode({name: state[name] for name in group})
    crc32 = 0
    for part in parts:
        crc32 = zlib.crc32(part, crc32)
    length = sum(map(len, parts))
    header = json.dumps(
        {**asdict(stamp), "length": length, "crc32": crc32, "deferred_at": starts,
         "deferred": groups}
    ).encode()
    temp = temp_file(data_dir, os.getpid())
    try:
        with open(temp, "wb") as out:
            out.write(MAGIC + _HEADER_LENGTH.pack(len(header)) + header)
            for part in parts:
                out.write(part)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def install(temp: FsPath) -> FsPath:
    """Make ``temp`` (from :func:`write_temp`) its directory's snapshot: rename, then sync.

    Returns
    -------
    Path
        The snapshot file.

    Raises
    ------
    OSError
        If the rename fails (``temp`` is removed and the previous snapshot stays), or the
        directory cannot be synced (the snapshot is in place, not known durable).
    """
    target = temp.with_name(SNAPSHOT_FILE)
    try:
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    directory = os.open(temp.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return target


def temp_file(data_dir: FsPath, pid: int) -> FsPath:
    """The temporary file process ``pid`` writes a snapshot of ``data_dir`` to."""
    return data_dir / f"{_TEMP_PREFIX}{pid}.tmp"


def _remove_stale(data_dir: FsPath) -> None:
    """Remove the temporary files of snapshot writers no longer running (killed midway)."""
    for stale in data_dir.glob(_TEMP_PREFIX + "*.tmp"):
        pid = stale.name[len(_TEMP_PREFIX) : -len(".tmp")]
        if pid.isdigit() and not _alive(int(pid)):
            stale.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a temporary file of a live writer stays)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Found:
    """A snapshot file whose header was read: its stamp and where its payload lies."""

    stamp: Stamp
    offset: int
    length: int
    crc32: int
    deferred_at: tuple[int, ...]
    """Where each deferred part of the payload starts (they run to the next, the last to
    the end), in the order of the groups written."""
    deferred: tuple[frozenset[str], ...]
    """The items of each deferred part, likewise."""


def read_stamp(data_dir: FsPath) -> Found:
    """The stamp of ``data_dir``'s snapshot and where its payload lies; reads the header only.

    Raises
    ------
    SnapshotRejected
        If there is none, or its header is damaged or from another code version.
    """
    try:
        with open(data_dir / SNAPSHOT_FILE, "rb") as snap:
            head = snap.read(len(MAGIC) + _HEADER_LENGTH.size)
            if head[: len(MAGIC)] != MAGIC or len(head) < len(MAGIC) + _HEADER_LENGTH.size:
                raise SnapshotRejected("it is not a graph snapshot (bad magic or truncated)")
            (length,) = _HEADER_LENGTH.unpack(head[len(MAGIC) :])
            header = json.loads(snap.read(length))
    except FileNotFoundError:
        raise SnapshotMissing("there is none") from None
    except (OSError, ValueError) as exc:
        raise SnapshotRejected(f"its header cannot be read ({exc})") from None
    if not isinstance(header, dict) or header.get("fingerprint") != fingerprint():
        raise SnapshotRejected("it was written by another version of the service")
    try:
        stamp = Stamp(
            str(header["store_id"]), int(header["load_seq"]), int(header["rows"]),
            str(header["fingerprint"]),
        )  # fmt: skip
        found = Found(
            stamp, len(head) + length, int(header["length"]), int(header["crc32"]),
            tuple(int(at) for at in header["deferred_at"]),
            tuple(frozenset(map(str, names)) for names in header["deferred"]),
        )  # fmt: skip
        if len(found.deferred) != len(found.deferred_at):
            raise ValueError("as many deferred parts as starts")
        return found
    except (KeyError, TypeError, ValueError) as exc:
        raise SnapshotRejected(f"its header is damaged ({exc!r})") from None


def read_payload(data_dir: FsPath, found: Found) -> memoryview:
    """The payload of ``data_dir``'s snapshot whose header was ``found``, its checksum checked.

    The file mapped rather than read (:mod:`mmap`, read-only, its pages populated at once
    where the system can: ``MAP_POPULATE``): decoding reads the page cache's pages in
    place, where a read would first copy them into as much new memory as the file is
    large (a fault per page of it). A snapshot is replaced by a rename, never written in
    place, so the mapping stays whole while it is read.

    Raises
    ------
    SnapshotRejected
        If the payload cannot be read, is truncated or fails its checksum.
    """
    try:
        with open(data_dir / SNAPSHOT_FILE, "rb") as snap:
            size = os.fstat(snap.fileno()).st_size - found.offset
            if size != found.length:
                raise SnapshotRejected(
                    f"it is truncated ({max(size, 0)} of {found.length} payload bytes)"
                )
            mapped = mmap.mmap(snap.fileno(), 0, flags=_MAP_FLAGS, prot=mmap.PROT_READ)
    except (OSError, ValueError) as exc:
        raise SnapshotRejected(f"it cannot be read ({exc})") from None
    payload = memoryview(mapped)[found.offset :]
    if zlib.crc32(payload) != found.crc32:
        raise SnapshotRejected("its checksum does not match (damaged)")
    return payload


def read_state(
    data_dir: FsPath, found: Found
) -> tuple[dict[str, Any], list[tuple[frozenset[str], Callable[[], dict[str, Any]]]]]:
    """The state in ``data_dir``'s snapshot whose header was ``found``, and its deferred parts.

    The whole payload is read and its checksum checked; the first part is decoded.

    Returns
    -------
    (dict, list of (frozenset, callable))
        The state but its deferred items, and for each deferred part (in the order of the
        groups written) the names of its items and a function answering them, decoding them
        when called (the payload's bytes are kept until then).

    Raises
    ------
    SnapshotRejected
        If the payload is truncated, fails its checksum or its first part does not unpickle
        to a dict.
    """
    view = read_payload(data_dir, found)
    ends = [*found.deferred_at, len(view)]
    try:
        state = _decode(view[: ends[0]])
    except SnapshotRejected:
        raise
    except Exception as exc:  # what a bad pickle raises varies
        raise SnapshotRejected(f"its payload does not load ({exc!r})") from None
    if not isinstance(state, dict):
        raise SnapshotRejected("its payload is not a graph's state")

    def part(start: int, end: int) -> Callable[[], dict[str, Any]]:
        def deferred() -> dict[str, Any]:
            later = _decode(view[start:end])
            assert isinstance(later, dict), "the checksum matched: written by write()"
            return later

        return deferred

    return state, [(names, part(start, end)) for names, (start, end)
                   in zip(found.deferred, itertools.pairwise(ends), strict=True)]  # fmt: skip
