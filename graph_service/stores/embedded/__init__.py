"""The embedded store: a compact graph in memory for querying, SQLite on disk as the record.

One job per module:

- :mod:`~graph_service.stores.embedded.record`: the SQLite file (schema, journal mode,
  locks, durable writes and their group commit, reading the rows of loads since a ``load_seq``);
- :mod:`~graph_service.stores.embedded.adjacency`: the in-memory graph (compact
  neighbourhoods per node number, the per-label index, the derived-index cache, the
  traversal primitives);
- :mod:`~graph_service.stores.embedded.properties`: property values as stored (tuples
  aligned with field names) and their read-only views;
- :mod:`~graph_service.stores.embedded.snapshot`: the snapshot of the in-memory graph a
  load writes beside the record, which opening starts from;
- :mod:`~graph_service.stores.embedded.questions`: the linkage questions this store
  answers itself;
- :mod:`~graph_service.stores.embedded.store`: :class:`EmbeddedStore`, the
  :class:`~graph_service.stores.base.GraphStore` over them.
"""

from __future__ import annotations

from graph_service.stores.embedded.record import DB_FILE, CommitCounts
from graph_service.stores.embedded.store import EmbeddedStore

__all__ = ["DB_FILE", "CommitCounts", "EmbeddedStore"]
