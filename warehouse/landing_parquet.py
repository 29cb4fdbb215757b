"""The landing layer as Parquet: the hand-off to an engine other than DuckDB (Spark: docs/scaling.md).

Every table of the landing schema (one per feed, the document registry, the known jumps) becomes a folder
`<folder>/<table>/` holding one Parquet file, the layout Spark reads as a table's location. JSON columns are
written as text, the one type Parquet readers do not share.

Every refresh that publishes writes them from its staging warehouse, before the swap, and publishes them
with it: `data/landing_parquet/<run id>/`, with the link `data/landing_parquet/current` replaced in one
rename after the warehouse's own swap. The folder's name is the run id in the published file's build
record (meta.build), so a reader can tell that the two belong together.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from core import paths
from warehouse.landing import SCHEMA

PUBLISHED_LINK = "current"


def parquet_root() -> Path:
    return paths.data_dir() / "landing_parquet"


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


def publish_landing_parquet(staged: Path, run_id: str) -> Path:
    """Move `staged` (written by write_landing_parquet from the run's staging warehouse) to
    landing_parquet/<run_id>, point landing_parquet/current at it in one rename and drop earlier runs' folders."""
    root = parquet_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / run_id
    os.replace(staged, target)
    link = root / f".{PUBLISHED_LINK}-{run_id}"
    link.unlink(missing_ok=True)
    link.symlink_to(run_id)
    os.replace(link, root / PUBLISHED_LINK)
    for earlier in root.iterdir():
        if earlier.is_dir() and not earlier.is_symlink() and earlier.name != run_id:
            shutil.rmtree(earlier, ignore_errors=True)
    return target


def published_folder() -> Path | None:
    """The landing Parquet of the last publishing refresh (its folder is named after that run's id)."""
    link = parquet_root() / PUBLISHED_LINK
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None
