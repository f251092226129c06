"""Loaders: input formats turned into one :class:`~graph_service.ingest.batch.GraphBatch`.

Every loader (canonical CSV, LDBC FinBench, the synthetic generator's output) produces a
``GraphBatch``; :meth:`GraphStore.upsert <graph_service.stores.base.GraphStore.upsert>` is the
one bulk-upsert path that writes it.
"""
