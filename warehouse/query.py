"""Run one SQL query against the warehouse, read-only: `python -m warehouse.query "SELECT ..."`."""

import sys

import duckdb

from warehouse import paths


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with duckdb.connect(str(paths.duckdb_path()), read_only=True) as con:
        print(con.execute(sys.argv[1]).df().to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
