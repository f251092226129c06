"""Set-oriented reports: a registered linkage question answered for a whole set at once.

``graph-service report QUESTION`` and ``GET /reports/{question}`` answer one question of
the registry (:mod:`graph_service.linkage.registry`) for every node of a label (every
enterprise's ``payrollCoverage``), or once for the whole book
(``executivesWithoutPrivateBanking``, the analytics ``enterpriseGroups``, ``guaranteeCircles``
and ``influence``), through its batch form, and write one row per item as CSV, NDJSON or
Parquet.

- :mod:`graph_service.reports.planning`: which questions are reports, their argument sets and
  columns (:func:`plan`), and :func:`shown_rows`, the one place rows meet their reader;
- :mod:`graph_service.reports.run`: running one (:func:`report_rows`,
  :func:`write_report`);
- :mod:`graph_service.reports.output`: the formats (:data:`FORMATS`) and files written
  atomically (:func:`atomic_output`), and the one rule keeping a CSV cell from running as a
  spreadsheet formula (:func:`spreadsheet_text`).
"""

from graph_service.reports.output import FORMATS, atomic_output, output_format, spreadsheet_text
from graph_service.reports.planning import (
    Column,
    Report,
    plan,
    report_questions,
    shown_rows,
)
from graph_service.reports.run import (
    ReportSummary,
    encoded,
    report_rows,
    subjects,
    write_report,
)

__all__ = [
    "FORMATS",
    "Column",
    "Report",
    "ReportSummary",
    "atomic_output",
    "encoded",
    "output_format",
    "plan",
    "report_questions",
    "report_rows",
    "shown_rows",
    "spreadsheet_text",
    "subjects",
    "write_report",
]
