"""The analysts' bulk path: one GraphQL document run once per line of a JSON Lines file.

Each line of the variables file is a JSON object of variables. Lines are read and checked
before anything runs (a bad line stops the run, naming file and line), executed in-process
in concurrent chunks sharing one request context, and answered as CSV or NDJSON, one output
row per input line (or, with ``explode``, per item of one list), in input order. No list is
cut silently: a line whose list stopped at its page size with items left is flagged
(``truncated``), unless ``all_pages`` answers every list whole.

- :mod:`graph_service.bulk.files`: reading the variables, writing the CSV or NDJSON rows
  (:func:`read_variables`, :func:`read_variables_object`, :data:`OUTPUT_FORMATS`).
- :mod:`graph_service.bulk.runner`: checking the document and executing the lines
  (:func:`check_document`, :func:`run_bulk`, :func:`execute_many`).
- :mod:`graph_service.bulk.merge`: a chunk of a query's lines run as one operation, its
  answer split back per line.
- :mod:`graph_service.bulk.plan`: a chunk of a document of linkage questions answered
  set-wise, one batch per root field, each line written as its execution would write it.
"""

from graph_service.bulk.files import OUTPUT_FORMATS, read_variables, read_variables_object
from graph_service.bulk.runner import (
    CHUNK_SIZE,
    BulkSummary,
    check_document,
    execute_many,
    run_bulk,
)

__all__ = [
    "CHUNK_SIZE",
    "OUTPUT_FORMATS",
    "BulkSummary",
    "check_document",
    "execute_many",
    "read_variables",
    "read_variables_object",
    "run_bulk",
]
