"""The reject file: each row a load did not write, with file, line and reason."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from graph_service.records import Reject

REJECT_COLUMNS = ("file", "line", "reason")


def write_rejects(rejects: Sequence[Reject], path: Path) -> None:
    """Write ``rejects`` to ``path`` as CSV with the header ``file,line,reason``.

    Parameters
    ----------
    rejects : sequence of Reject
        Written in the given order (``LoadReport.rejects`` is sorted by file and line).
    path : Path
        The file to create or overwrite (UTF-8, comma-separated, LF line ends); its
        directory must exist. A header-only file is written when there are no rejects.
    """
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(REJECT_COLUMNS)
        writer.writerows((r.file, r.line, r.reason) for r in rejects)
