"""Graph stores: the ``GraphStore`` protocol and its implementations.

Domain queries speak only to the protocol.
"""

from __future__ import annotations

from graph_service.config import Settings
from graph_service.stores.base import GraphStore


def open_store(settings: Settings, *, create: bool = False) -> GraphStore:
    """Open the store the settings select (today: the embedded store in ``data_dir``).

    Parameters
    ----------
    settings : Settings
    create : bool
        Create an empty store when there is none (loads); otherwise a missing store is an
        error (serving, querying).

    Raises
    ------
    StoreUnavailableError
        If the store cannot be opened, or is missing and ``create`` is false.
    """
    from graph_service.stores.embedded import EmbeddedStore

    return EmbeddedStore(settings.data_dir, create=create)
