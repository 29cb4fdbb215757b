"""The landing layer as Parquet: the hand-off to an engine other than DuckDB (Spark: docs/scaling.md).

Every table of the landing schema (one per feed, the document registry, the known jumps) becomes a folder
`<folder>/<table>/` holding one Parquet file, the layout Spark reads as a table's location. JSON columns are
written as text, the one type Parquet readers do not share.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.landing import SCHEMA


def write_landing_parquet(con: duckdb.DuckDBPyConnection, folder: Path, schema: str = SCHEMA) -> list[str]:
    """Write each table of `schema` as `<folder>/<table>/data.parquet`; returns the tables written."""
    tables = [name for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? ORDER BY table_name", [schema]).fetchall()]
    for table in tables:
        columns = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
                              "ORDER BY column_index", [schema, table]).fetchall()
        select = ", ".join(f'CAST("{name}" AS VARCHAR) AS "{name}"' if kind == "JSON" else f'"{name}"'
                           for name, kind in columns)
        target = folder / table
        target.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY (SELECT {select} FROM {schema}.{table}) TO '{target / 'data.parquet'}' (FORMAT parquet)")
    return tables
