"""Write the published GraphQL SDL, ``schema/schema.graphql``, from the code.

Usage (from the repository root)::

    python -m graph_service.api.export_schema            # rewrite schema/schema.graphql
    python -m graph_service.api.export_schema --check    # exit 1 if the file is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graph_service.api.schema import schema

DEFAULT_PATH = Path("schema") / "schema.graphql"


def sdl() -> str:
    """The schema's SDL text, as published (ends with a newline)."""
    return schema.as_str() + "\n"


def export_schema(path: Path = DEFAULT_PATH, check: bool = False) -> bool:
    """Write (or, with ``check``, compare) the SDL file.

    Parameters
    ----------
    path : Path
        Target file, ``schema/schema.graphql`` relative to the working directory by default.
    check : bool
        Only compare; do not write.

    Returns
    -------
    bool
        ``True`` when the file already held the current SDL.
    """
    text = sdl()
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if current == text:
        return True
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return False


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    fresh = export_schema(args.path, check=args.check)
    if args.check and not fresh:
        print(f"{args.path} is stale: run python -m graph_service.api.export_schema",
              file=sys.stderr)
        return 1
    print(f"{args.path} {'up to date' if fresh else 'written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
