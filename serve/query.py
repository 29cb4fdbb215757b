"""Reading the published warehouse: connections for analysts' queries and for the commands that read it.

`connect_published(sandboxed=True)` is what `innovation query` runs SQL on: read-only, and closed to
everything outside the warehouse file by DuckDB's own switches, set when the connection opens and then
locked (no file reads or writes, no ATTACH, COPY or EXPORT, no extensions installed or loaded): an
analyst's statement can read the marts and nothing else, and can change nothing.
"""

from pathlib import Path

import duckdb
import pandas as pd

from core import paths

# DuckDB settings of a sandboxed connection; `lock_configuration` last, so no statement can undo the others.
SANDBOX = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "lock_configuration": True,
}


class WarehouseUnavailable(Exception):
    """The published warehouse cannot be read: the message says why and what to do."""


class NoPublishedWarehouse(WarehouseUnavailable):
    def __init__(self, path: Path):
        super().__init__(f"No published warehouse at {path} yet: run `innovation refresh` (or `make run`) first.")


def unreadable_message(path: Path, error: duckdb.Error) -> str:
    detail = str(error).strip().splitlines()[0]
    if "Could not set lock" in detail:
        return (f"The published warehouse {path} is open for writing by another process ({detail}). Readers open it "
                "read-only; close that connection and try again.")
    return (f"The published warehouse {path} could not be read ({detail}). `innovation refresh` moves an unreadable "
            "warehouse aside and rebuilds it from the archive.")


def connect_published(sandboxed: bool = False) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse, so a refresh can still publish meanwhile; with
    `sandboxed`, one that cannot reach outside the warehouse file either."""
    path = paths.duckdb_path()
    if not path.is_file():  # read_only=True on a missing file fails too, but names neither the file nor the fix
        raise NoPublishedWarehouse(path)
    try:
        return duckdb.connect(str(path), read_only=True, config=SANDBOX if sandboxed else {})
    except duckdb.Error as error:
        raise WarehouseUnavailable(unreadable_message(path, error)) from None


# DuckDB's integer types: pandas would turn such a column into floats (1130594.0) as soon as it holds a NULL.
INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                           "UBIGINT"})


def result_frame(con: duckdb.DuckDBPyConnection, sql: str, limit: int | None = None) -> pd.DataFrame | None:
    """The rows `sql` returns (the first `limit` of them), integers as integers (NULL as <NA>); None for a statement
    that returns no rows."""
    relation = con.sql(sql)
    if relation is None:
        return None
    relation = relation if limit is None else relation.limit(limit)
    frame = relation.df()
    for column, kind in zip(relation.columns, relation.types, strict=True):
        if str(kind) in INTEGER_TYPES:
            frame[column] = frame[column].astype("Int64")
    return frame


def as_text(frame: pd.DataFrame) -> str:
    """The rows as a text table; a NULL reads NULL (pandas would print NaN or <NA>), as the marts document it."""
    shown = frame.copy()
    for column in shown.columns:  # na_rep reaches float columns only, not nullable integers nor text
        if not pd.api.types.is_float_dtype(shown[column].dtype) and shown[column].isna().any():
            shown[column] = shown[column].astype(object).where(shown[column].notna(), "NULL")
    return shown.to_string(index=False, na_rep="NULL")
