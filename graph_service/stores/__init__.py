"""Graph stores: the ``GraphStore`` protocol and its implementations.

Domain queries speak only to the protocol.
"""

from __future__ import annotations

from graph_service.config import Settings
from graph_service.stores.base import GraphStore


def open_store(settings: Settings, *, create: bool = False) -> GraphStore:
    """Open the store ``settings.backend`` selects.

    Parameters
    ----------
    settings : Settings
        ``backend``: ``embedded`` (the store in ``data_dir``), ``neo4j`` or ``falkordb``
        (a :class:`~graph_service.stores.cypher.CypherStore` over the server that the
        ``NEO4J_*`` or ``FALKORDB_*`` settings name).
    create : bool
        Embedded store: create an empty store when there is none (loads); otherwise a
        missing store is an error (serving, querying). A server backend connects on first
        use, creating its schema then, whatever ``create`` says.

    Raises
    ------
    StoreUnavailableError
        If the embedded store cannot be opened, or is missing and ``create`` is false. (A
        server backend raises it from its first call instead.)
    """
    if settings.backend != "embedded":
        from graph_service.stores.cypher import CypherStore

        return CypherStore(settings)
    from graph_service.stores.embedded import EmbeddedStore

    return EmbeddedStore(settings.data_dir, create=create)
