"""Linkage graph service.

A property graph of a bank's clients (enterprises, people in their roles as employees and
executives, accounts and products, account managers) and the public-private linkage questions
asked of it, served over GraphQL.

Layers, in the direction a request flows:

- ``graph_service.api`` and ``graph_service.cli``: transport (parse, paginate, format).
- ``graph_service.linkage``: one module per linkage question (the domain queries).
- ``graph_service.stores``: the ``GraphStore`` protocol and its implementations.
- ``graph_service.ingest``: loaders that turn input files into one ``GraphBatch``.
"""

__version__ = "0.1.0"
