"""Run one SQL query against the warehouse, read-only: `python -m warehouse.query "SELECT ..."`.

The functions here are shared with `innovation query` (orchestration/cli.py).
"""

import sys
from pathlib import Path

import duckdb
import pandas as pd

from warehouse import paths


class NoPublishedWarehouse(Exception):
    def __init__(self, path: Path):
        super().__init__(f"No published warehouse at {path} yet: run `innovation refresh` (or `make run`) first.")


def connect_published() -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse, so a refresh can still publish meanwhile."""
    path = paths.duckdb_path()
    if not path.is_file():  # read_only=True on a missing file fails too, but names neither the file nor the fix
        raise NoPublishedWarehouse(path)
    return duckdb.connect(str(path), read_only=True)


def connect_published_or_exit() -> duckdb.DuckDBPyConnection:
    """connect_published() for a command-line entry point: no published warehouse prints why and exits with 2."""
    try:
        return connect_published()
    except NoPublishedWarehouse as missing:
        print(missing, file=sys.stderr)
        raise SystemExit(2) from None


def result_frame(con: duckdb.DuckDBPyConnection, sql: str, limit: int | None = None) -> pd.DataFrame | None:
    """The rows `sql` returns (the first `limit` of them); None for a statement that returns no rows."""
    relation = con.sql(sql)
    if relation is None:
        return None
    return (relation if limit is None else relation.limit(limit)).df()


def as_text(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with connect_published_or_exit() as con:
        frame = result_frame(con, sys.argv[1])
    if frame is not None:
        print(as_text(frame))
    return 0


if __name__ == "__main__":
    sys.exit(main())
