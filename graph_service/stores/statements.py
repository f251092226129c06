"""The Cypher statements of the server backends, read by name from ``queries/cypher``.

Every statement a Cypher store sends is a file: ``queries/cypher/NAME.cypher`` holds the
Neo4j 5 text, and ``queries/cypher/falkordb/NAME.cypher`` replaces it for FalkorDB where
FalkorDB lacks a construct (``queries/cypher/README.md`` lists each variant and why). No
Cypher text is built in Python: values travel as parameters, and where Cypher cannot take a
parameter (labels, relationship types) there is one file per label or type, named
``STATEMENT.Label`` or ``relationship_upsert.TYPE.StartLabel.EndLabel``.

The files ship in the wheel as the data package ``graph_service.cypher``; in a source
checkout (an editable install) they are read from ``queries/cypher`` directly.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from pathlib import Path

SUFFIX = ".cypher"
DIALECTS = ("neo4j", "falkordb")
"""Cypher dialects: ``neo4j`` reads the shared files only, ``falkordb`` its variants first."""


def statements_dir() -> Traversable:
    """The directory of the shared statements (the ``falkordb`` variants in a subdirectory).

    Returns
    -------
    Traversable
        ``graph_service/cypher`` inside an installed wheel, else ``queries/cypher`` of the
        source checkout this module belongs to.
    """
    packaged = importlib.resources.files("graph_service") / "cypher"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "queries" / "cypher"


def _read(directory: Traversable) -> dict[str, str]:
    return {
        entry.name.removesuffix(SUFFIX): entry.read_text(encoding="utf-8")
        for entry in directory.iterdir()
        if entry.name.endswith(SUFFIX)
    }


@functools.cache
def load_statements(dialect: str) -> Mapping[str, str]:
    """Every statement text of ``dialect``, by name.

    Parameters
    ----------
    dialect : {"neo4j", "falkordb"}
        ``falkordb`` takes ``falkordb/NAME.cypher`` where one exists, the shared file
        otherwise.

    Returns
    -------
    mapping of str to str
        Statement name (file name without ``.cypher``) to its text; read once per process.

    Raises
    ------
    ValueError
        If ``dialect`` is not one of :data:`DIALECTS`.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown Cypher dialect {dialect!r}; expected one of {DIALECTS}")
    root = statements_dir()
    statements = _read(root)
    if dialect != "neo4j":
        statements.update(_read(root / dialect))
    return statements
