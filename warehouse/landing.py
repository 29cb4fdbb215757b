"""Landing: archived documents → validated rows → `landing.<feed>` in DuckDB.

Each load is one transaction that replaces the feed's rows for the years it covers (the partition's
years for year-partitioned feeds, everything for back-series feeds), so running a load twice
changes nothing, and a load that fails validation writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import duckdb
import pandas as pd
import pandera.errors

from scrapers.feed import Feed
from warehouse.archive import ProvenanceRecord, read_verified
from warehouse.schemas import AWAITING_MODELS, LANDING_MODELS, Landing

SCHEMA = "landing"
DOCUMENTS_TABLE = f"{SCHEMA}.documents"
# Failure cases shown in an error message; the full list goes to the asset check's metadata.
MAX_FAILURES_SHOWN = 20

_DUCKDB_TYPES = {"str": "VARCHAR", "int64": "BIGINT", "Int64": "BIGINT", "float64": "DOUBLE"}


class LandingValidationError(ValueError):
    """Parsed rows broke a landing schema; nothing was written."""

    def __init__(self, table: str, documents: list[str], failures: pd.DataFrame):
        self.failures = failures
        shown = failures.head(MAX_FAILURES_SHOWN).to_string(index=False)
        super().__init__(
            f"landing.{table}: rows parsed from {', '.join(documents)} fail validation "
            f"({len(failures)} failure cases):\n{shown}"
        )


def ddl(table: str, model: type[Landing]) -> str:
    columns = ", ".join(
        f"{name} {_DUCKDB_TYPES[str(column.dtype)]}" for name, column in model.to_schema().columns.items()
    )
    return f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{table} ({columns})"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for table, model in {**LANDING_MODELS, **AWAITING_MODELS}.items():
        con.execute(ddl(table, model))
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {DOCUMENTS_TABLE} (
            document_sha256 VARCHAR PRIMARY KEY, document_path VARCHAR, feed VARCHAR, publisher VARCHAR,
            publication VARCHAR, table_title VARCHAR, data_year BIGINT, publication_year BIGINT,
            bytes BIGINT, copied_from VARCHAR, archived_on DATE, official_url VARCHAR, attributes JSON)"""
    )


@dataclass(frozen=True)
class ParsedBatch:
    feed: str
    records: list[ProvenanceRecord]
    rows: pd.DataFrame


def parse_documents(feed: Feed, records: list[ProvenanceRecord]) -> ParsedBatch:
    """Verify, parse and validate documents; raises DocumentError or LandingValidationError."""
    model = LANDING_MODELS[feed.name]
    frames = []
    for record in records:
        frame = feed.parse(read_verified(record))
        frames.append(frame.assign(
            feed=feed.name, document_path=record.path, document_sha256=record.sha256,
            publication_year=record.publication_year,
        ))
    columns = list(model.to_schema().columns)
    rows = pd.concat([f.dropna(axis=1, how="all") for f in frames], ignore_index=True) if frames else pd.DataFrame()
    rows = rows.reindex(columns=columns)
    try:
        rows = model.validate(rows, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        raise LandingValidationError(feed.name, [r.path for r in records], failure_table(exc, rows)) from None
    return ParsedBatch(feed.name, records, rows)


def failure_table(exc: pandera.errors.SchemaErrors, rows: pd.DataFrame) -> pd.DataFrame:
    """One line per failure: the check, the value, and the document/province/year of the row."""
    cases = exc.failure_cases[["check", "column", "failure_case", "index"]].copy()
    context = rows[[c for c in ("document_path", "province", "data_year") if c in rows.columns]]
    located = cases.join(context, on="index") if cases["index"].notna().any() else cases
    return located.drop(columns="index").drop_duplicates().astype(str).reset_index(drop=True)


def load(con: duckdb.DuckDBPyConnection, batch: ParsedBatch, years: list[int] | None = None) -> int:
    """Replace the feed's rows for `years` (all its rows when None) in one transaction.

    Scoping by year rather than by document means a document withdrawn from the archive takes its
    rows with it, and loading the same documents twice leaves the table as it was.
    """
    scope, params = ("data_year IN (SELECT unnest(?))", [years]) if years is not None else ("true", [])
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {SCHEMA}.{batch.feed} WHERE {scope}", params)
        con.execute(f"DELETE FROM {DOCUMENTS_TABLE} WHERE feed = ? AND {scope}", [batch.feed, *params])
        con.register("batch_rows", batch.rows)
        con.execute(f"INSERT INTO {SCHEMA}.{batch.feed} BY NAME SELECT * FROM batch_rows")
        con.unregister("batch_rows")
        if batch.records:
            con.executemany(f"INSERT INTO {DOCUMENTS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::JSON)",
                            [_document_row(r) for r in batch.records])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return len(batch.rows)


def _document_row(record: ProvenanceRecord) -> list:
    r = asdict(record)
    return [r["sha256"], r["path"], r["feed"], r["publisher"], r["publication"], r["table_title"], r["data_year"],
            r["publication_year"], r["bytes"], r["copied_from"], r["archived_on"], r["official_url"],
            json.dumps(r["attributes"], ensure_ascii=False)]


def landed_rows(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    return con.execute(f"SELECT * FROM {SCHEMA}.{table}").df()

