"""Start-up of the embedded store from its snapshot and by a full rebuild (run by hand).

``python benchmarks/startup.py DATA_DIR`` on a data directory ``graph-service load`` wrote
(with its ``graph.snapshot``). For each way of opening, the snapshot's and the rebuild's
(the snapshot moved aside, then put back), it measures:

- ``open_s``: opening the store in a fresh process (``EmbeddedStore(data_dir)``), and that
  process's peak RSS;
- ``health_s``: ``graph-service serve`` from launch to its first ``/health`` answer
  (:func:`measure.served`);
- ``first_answer_s``: from launch to the answer of a first GraphQL query
  (``uncoveredEmployees`` of the first enterprise).

Prints one Markdown table row per way, dated with the commit, for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import subprocess
import sys
from pathlib import Path

from measure import first_answer, run_measured, served

from graph_service.auth import Role
from graph_service.auth.tokens import LocalIssuer
from graph_service.stores.embedded.snapshot import SNAPSHOT_FILE
from graph_service.stores.falkordb_server import free_port

OPEN = (
    "import sys; from graph_service.stores.embedded import EmbeddedStore; "
    "EmbeddedStore(sys.argv[1], create=False)"
)


def measure(data_dir: Path, enterprise: str) -> dict[str, float]:
    """``open_s``, ``open_peak_rss_mb``, ``health_s`` and ``first_answer_s`` of ``data_dir``."""
    opened = run_measured([sys.executable, "-c", OPEN, str(data_dir)])
    token = LocalIssuer(data_dir).issue("benchmark", Role.APP, ttl_s=3600)
    port = free_port()
    with served(data_dir, port) as server:
        answered = first_answer(server, port, {"Authorization": f"Bearer {token}"}, enterprise)
    return {"open_s": opened["seconds"], "open_peak_rss_mb": opened["peak_rss_mb"],
            "health_s": server.startup_s, "first_answer_s": answered}  # fmt: skip


def main() -> None:
    """Measure both ways of opening the data directory given; print the table rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--enterprise", default="E1", help="the first query's enterprise id")
    args = parser.parse_args()
    snapshot = args.data_dir / SNAPSHOT_FILE
    if not snapshot.is_file():
        sys.exit(f"no {SNAPSHOT_FILE} in {args.data_dir}: load the data with graph-service load")
    figures = {"snapshot": measure(args.data_dir, args.enterprise)}
    aside = snapshot.with_name(SNAPSHOT_FILE + ".aside")
    shutil.move(snapshot, aside)
    try:
        figures["rebuild"] = measure(args.data_dir, args.enterprise)
    finally:
        shutil.move(aside, snapshot)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()  # fmt: skip
    today = datetime.date.today().isoformat()
    size_mb = snapshot.stat().st_size / 2**20
    print("| opened from | open (s) | open peak RSS (MB) | serve to /health (s) "
          "| serve to first GraphQL answer (s) | date |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for way, f in figures.items():
        what = f"snapshot ({size_mb:.0f} MB)" if way == "snapshot" else "rebuild from SQLite"
        print(f"| {what} | {f['open_s']:.2f} | {f['open_peak_rss_mb']:.0f} | "
              f"{f['health_s']:.2f} | {f['first_answer_s']:.2f} | {today} ({commit}) |")


if __name__ == "__main__":
    main()
