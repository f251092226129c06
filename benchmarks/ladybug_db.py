"""LadybugDB load and open, run as subprocesses by the benchmark (own time and peak RSS).

Usage: ``python benchmarks/ladybug_db.py load BANK DB`` creates the database ``DB`` from
the canonical CSVs of ``BANK`` (``cypher/ladybug/schema.cypher`` then ``copy.cypher``);
``python benchmarks/ladybug_db.py open DB`` opens it and counts its enterprises.
"""

from __future__ import annotations

import sys
from pathlib import Path

import ladybug

CYPHER = Path(__file__).resolve().parent / "cypher" / "ladybug"


def statements(name: str, **values: str) -> list[str]:
    """The ``;``-separated statements of a Cypher file, ``{name}`` placeholders filled."""
    lines = (CYPHER / name).read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("//"))
    return [s.strip().format(**values) for s in text.split(";") if s.strip()]


def main(argv: list[str]) -> None:
    """Run ``load BANK DB`` or ``open DB``."""
    db = ladybug.Database(argv[-1])
    conn = ladybug.Connection(db)
    if argv[0] == "load":
        for statement in statements("schema.cypher") + statements(
            "copy.cypher", bank=str(Path(argv[1]).resolve())
        ):
            conn.execute(statement)
    else:
        result = conn.execute("MATCH (e:Enterprise) RETURN count(e)")
        assert not isinstance(result, list), "one statement, one result"
        result.get_next()


if __name__ == "__main__":
    main(sys.argv[1:])
