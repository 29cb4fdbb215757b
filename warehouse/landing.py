"""Landing: archived documents → validated rows → `landing.<feed>` in DuckDB, and `landing.documents`.

Each load is one transaction that replaces the feed's rows for the years it covers (the run's data years for
one-year-per-document feeds, everything for back-series feeds), so running a load twice
changes nothing, and a load that fails validation writes nothing. `landing.documents` is then written
once for all feeds (`write_documents`): the provenance of every document that has rows in a landing table.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cache

import duckdb
import pandas as pd
import pandera.errors

from core.documents import ProvenanceRecord, RawDocument
from core.errors import OtherTable
from scrapers._landing_schema import Landing
from scrapers.feeds import FEEDS, Feed
from warehouse.archive import read_verified
from warehouse.changes import WITHDRAWN, YearOutcome, compare_year, current_rows
from warehouse.gates import check_bytes, check_edition, check_rows

SCHEMA = "landing"
DOCUMENTS_TABLE = f"{SCHEMA}.documents"
# Archived documents a feed's landing refused as another table (core.errors.OtherTable), with the message:
# replaced with the feed's rows by each load, read into landing.documents.refused_reason.
REFUSALS_TABLE = f"{SCHEMA}.refused_documents"
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


@cache  # every landing asset ensures the schema: 13 Pandera model conversions each, the same every time
def ddl(table: str, model: type[Landing]) -> str:
    columns = ", ".join(
        f"{name} {_DUCKDB_TYPES[str(column.dtype)]}" for name, column in model.to_schema().columns.items()
    )
    return f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{table} ({columns})"


# landing.documents: one row per landed document version (provenance, and what versions share).
DOCUMENT_COLUMNS = {
    "document_sha256": "VARCHAR PRIMARY KEY", "document_path": "VARCHAR", "feed": "VARCHAR", "publisher": "VARCHAR",
    "publication_code": "VARCHAR", "publication": "VARCHAR", "table_title": "VARCHAR", "data_year": "BIGINT",
    "publication_year": "BIGINT",
    "bytes": "BIGINT", "copied_from": "VARCHAR", "archived_on": "DATE", "official_url": "VARCHAR", "attributes": "JSON",
    "document_key": "VARCHAR", "archive": "VARCHAR", "received_at": "VARCHAR", "acquisition": "JSON",
    # NULL for a landed document; for an archived one refused as another table, the refusal's message.
    "refused_reason": "VARCHAR",
}


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the landing tables, and add columns a warehouse built by an older version lacks."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for table, feed in FEEDS.items():
        con.execute(ddl(table, feed.schema))
    columns = ", ".join(f"{name} {kind}" for name, kind in DOCUMENT_COLUMNS.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS {DOCUMENTS_TABLE} ({columns})")
    for name, kind in DOCUMENT_COLUMNS.items():
        con.execute(f"ALTER TABLE {DOCUMENTS_TABLE} ADD COLUMN IF NOT EXISTS {name} {kind.split()[0]}")
    con.execute(f"CREATE TABLE IF NOT EXISTS {REFUSALS_TABLE} "
                "(document_sha256 VARCHAR, feed VARCHAR, data_year BIGINT, reason VARCHAR)")


@dataclass(frozen=True)
class ParsedBatch:
    feed: str
    records: list[ProvenanceRecord]  # the documents whose rows these are
    rows: pd.DataFrame
    parsed: list[ProvenanceRecord]  # the documents read and parsed (the others' rows were landed already)
    # Archived documents that are another table than the feed's (core.errors.OtherTable): nothing of them lands.
    refused: tuple[OtherTable, ...] = ()


def parse_document(feed: Feed, document: RawDocument, previous_bytes: int | None = None) -> pd.DataFrame:
    """Gate and parse one document into landing rows (not yet validated); raises DocumentError."""
    record = document.record
    check_edition(feed.spec, record.path, record.data_year, record.publication_year)
    check_bytes(feed.spec, record.path, document.content, previous_bytes=previous_bytes)
    frame = feed.parse(document)
    check_rows(feed.spec, record.path, frame)
    return frame.assign(feed=feed.name, document_path=record.path, document_sha256=record.sha256,
                        publication_year=record.publication_year)


def validated(feed: Feed, frames: list[pd.DataFrame], documents: list[str]) -> pd.DataFrame:
    """Rows of the feed's landing table, validated by its Pandera model; raises LandingValidationError."""
    model = feed.schema
    rows = pd.concat([f.dropna(axis=1, how="all") for f in frames], ignore_index=True) if frames else pd.DataFrame()
    rows = rows.reindex(columns=list(model.to_schema().columns))
    try:
        return model.validate(rows, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        raise LandingValidationError(feed.name, documents, failure_table(exc, rows)) from None


def parse_documents(feed: Feed, records: list[ProvenanceRecord], pending_run: str | None = None,
                    landed: pd.DataFrame | None = None) -> ParsedBatch:
    """Verify, gate, parse and validate documents; raises DocumentError (GateError) or LandingValidationError.

    A document that is another table (OtherTable) is set aside in the batch's `refused`, not raised: it is
    a gap in the feed, not a bad version of its table.
    `landed`: rows already in the landing table, by document_sha256; a document whose sha256 is among them is
    not read or parsed again (the same bytes through the same code give the same rows), its landed rows
    are validated with the new ones."""
    have = set(landed["document_sha256"]) if landed is not None and not landed.empty else set()
    frames, parsed, refused = [], [], []
    for record in records:
        if record.sha256 in have:
            continue
        document = read_verified(record, pending_run=pending_run)
        try:
            frames.append(parse_document(feed, document))
        except OtherTable as exc:
            exc.data_year, exc.document_sha256 = record.data_year, record.sha256  # where the refusal is filed
            refused.append(exc)
            continue
        parsed.append(record)
    kept = [record for record in records if record.sha256 in have]
    if kept:
        frames.insert(0, landed[landed["document_sha256"].isin({r.sha256 for r in kept})])
    rows_of = kept + parsed
    return ParsedBatch(feed.name, rows_of, validated(feed, frames, [r.path for r in rows_of]), parsed, tuple(refused))


def failure_table(exc: pandera.errors.SchemaErrors, rows: pd.DataFrame) -> pd.DataFrame:
    """One line per failure: the check, the value, and the document/province/year of the row."""
    cases = exc.failure_cases[["check", "column", "failure_case", "index"]].copy()
    context = rows[[c for c in ("document_path", "province", "data_year") if c in rows.columns]]
    located = cases.join(context, on="index") if cases["index"].notna().any() else cases
    return located.drop(columns="index").drop_duplicates().astype(str).reset_index(drop=True)


def load(con: duckdb.DuckDBPyConnection, batch: ParsedBatch, years: list[int] | None = None,
         archived: set[str] | None = None) -> list[YearOutcome]:
    """Replace the feed's rows for `years` (all its rows when None) in one transaction; say what changed.

    Rows of documents no longer archived (`archived`: the sha256 of every archived document of the feed;
    withdrawn ones are not among them) go too, whatever their year. Loading the same documents twice
    leaves the table as it was. Every version of a document lands; the vintage rule in dbt picks the one
    the marts use.
    """
    scope, params = ("data_year IN (SELECT unnest(?))", [years]) if years is not None else ("true", [])
    if archived is not None:
        scope, params = f"({scope} OR document_sha256 NOT IN (SELECT unnest(?)))", [*params, sorted(archived)]
    table = f"{SCHEMA}.{batch.feed}"
    before = con.execute(f"SELECT * FROM {table} WHERE {scope}", params).df()
    before_documents = con.execute(
        f"SELECT document_sha256, document_key, received_at FROM {DOCUMENTS_TABLE} WHERE feed = ?", [batch.feed]).df()
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {table} WHERE {scope}", params)
        con.register("batch_rows", batch.rows)
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM batch_rows")
        con.unregister("batch_rows")
        # The feed's refusals in the same scope are replaced by the batch's, in the same transaction.
        con.execute(f"DELETE FROM {REFUSALS_TABLE} WHERE feed = ? AND {scope}", [batch.feed, *params])
        if batch.refused:
            con.executemany(f"INSERT INTO {REFUSALS_TABLE} VALUES (?, ?, ?, ?)",
                            [[exc.document_sha256, batch.feed, exc.data_year, str(exc)] for exc in batch.refused])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return year_outcomes(batch, before, before_documents)


KNOWN_JUMPS_TABLE = f"{SCHEMA}.known_jumps"


def write_known_jumps(con: duckdb.DuckDBPyConnection) -> int:
    """Rewrite landing.known_jumps from the feeds' specs: the year-on-year jumps the sources really print, each with
    why ([[plausibility.known_jumps]] of scrapers/<feed>/feed.toml), for the marts to say so beside a figure."""
    rows = [(name, jump["province"], jump.get("direction", ""), jump["data_year"], jump["column"], float(jump["previous"]),
             float(jump["value"]), jump["why"]) for name, feed in FEEDS.items() for jump in feed.spec.known_jumps]
    con.execute(f"CREATE OR REPLACE TABLE {KNOWN_JUMPS_TABLE} (feed VARCHAR, province VARCHAR, series VARCHAR, "
                "data_year BIGINT, column_name VARCHAR, previous_value DOUBLE, value DOUBLE, why VARCHAR)")
    if rows:
        con.executemany(f"INSERT INTO {KNOWN_JUMPS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def write_documents(con: duckdb.DuckDBPyConnection, records: list[ProvenanceRecord]) -> int:
    """Rewrite landing.documents: one row for every document with rows in a landing table or refused as another
    table (refused_reason says why), from `records` (every
    archived document, this run's included); a landed document no record names (withdrawn since, in a feed
    this run did not reload) keeps its row until its rows go. Returns the number of documents."""
    landed = " UNION ".join([*(f"SELECT DISTINCT document_sha256 FROM {SCHEMA}.{table}" for table in FEEDS),
                             f"SELECT document_sha256 FROM {REFUSALS_TABLE}"])
    known = {r.sha256: r for r in records}
    refused = dict(con.execute(f"SELECT document_sha256, reason FROM {REFUSALS_TABLE}").fetchall())
    names = ", ".join(DOCUMENT_COLUMNS)
    marks = ", ".join("?::JSON" if kind == "JSON" else "?" for kind in DOCUMENT_COLUMNS.values())
    con.execute("BEGIN TRANSACTION")
    try:
        shas = [sha for (sha,) in con.execute(landed).fetchall()]
        con.execute(f"DELETE FROM {DOCUMENTS_TABLE} WHERE document_sha256 NOT IN (SELECT unnest(?))", [shas])
        fresh = [known[sha] for sha in shas if sha in known]
        if fresh:
            con.executemany(f"INSERT OR REPLACE INTO {DOCUMENTS_TABLE} ({names}) VALUES ({marks})",
                            [_document_row(r, refused.get(r.sha256)) for r in fresh])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return len(shas)


def year_outcomes(batch: ParsedBatch, before: pd.DataFrame, before_documents: pd.DataFrame) -> list[YearOutcome]:
    after_documents = pd.DataFrame(
        [{"document_sha256": r.sha256, "document_key": r.document_key, "received_at": r.received_order}
         for r in batch.records], columns=["document_sha256", "document_key", "received_at"])
    old = current_rows(before, before_documents)
    new = current_rows(batch.rows, after_documents)
    values = value_columns(FEEDS[batch.feed].schema)
    new_years = set(new["data_year"]) if not new.empty else set()
    gone = sorted(set(old["data_year"]) - new_years) if not old.empty else []
    return [compare_year(batch.feed, int(year), old[old["data_year"] == year] if not old.empty else old,
                         new[new["data_year"] == year], values) for year in sorted(new_years)] + [
        YearOutcome(batch.feed, int(year), WITHDRAWN, reason="no archived document carries this year any more "
                                                              "(withdrawn): its rows were removed")
        for year in gone]


def value_columns(model: type[Landing]) -> list[str]:
    """The measured figures: numeric columns other than years."""
    return [name for name, column in model.to_schema().columns.items()
            if str(column.dtype) in ("float64", "int64", "Int64") and not name.endswith("_year")]


def _document_row(record: ProvenanceRecord, refused_reason: str | None) -> list:
    fields = asdict(record) | {"document_sha256": record.sha256, "document_path": record.path,
                               "publication_code": FEEDS[record.feed].spec.publication.code,
                               "document_key": record.document_key, "received_at": record.received_order,
                               "refused_reason": refused_reason}
    return [json.dumps(fields[name], ensure_ascii=False) if kind == "JSON" else fields[name]
            for name, kind in DOCUMENT_COLUMNS.items()]


def landed_rows(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    return con.execute(f"SELECT * FROM {SCHEMA}.{table}").df()

