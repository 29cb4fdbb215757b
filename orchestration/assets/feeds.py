"""Two assets per feed, built by one factory from the feed's spec so every feed has the same shape, and
the provenance table of all of them:

raw/<feed>         new documents taken in (inbox drops; live fetches in live mode, for a feed with a live
                   source), then every archived document of the feed sha256-verified against its record
landing/<feed>     the documents parsed, Pandera-validated and loaded into DuckDB `landing.<feed>`
landing/documents  the provenance of every landed document (`landing.documents`), after every landing table

Each asset handles all of its feed's documents in one materialization (the years are data, not partitions:
orchestration/run_settings.py); a run may be limited to some data years by a tag. The landing asset parses only
documents whose sha256 is not landed yet (all of them when the code changed or a rebuild is asked for) and its
metadata says, per data year, the status, the rows and the documents. Each asset evaluates its feed's checks
(orchestration/checks.py) on what it wrote.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from core.documents import ProvenanceRecord
from core.errors import DocumentError
from core.failpoints import failpoint
from orchestration.checks import (
    freshness_result,
    landing_check_specs,
    plausibility_result,
    quarantine_result,
    raw_check_specs,
    schema_result,
)
from orchestration.resources import DUCKDB_POOL, Acquisition, WarehouseBuild
from orchestration.run_settings import REBUILD_TAG, run_years
from scrapers.feeds import FEEDS, Feed
from warehouse import build_state, run_summary
from warehouse.archive import load_registry, read_verified, records_for
from warehouse.changes import NEW, REVISED
from warehouse.intake import YEAR_IN_NAME, IntakeReport, fetch_live, receive_inbox
from warehouse.landing import (
    LandingValidationError,
    ensure_schema,
    landed_rows,
    load,
    parse_documents,
    write_documents,
    write_known_jumps,
)
from warehouse.plausibility import plausibility_warnings

DOCUMENTS_KEY = AssetKey(["landing", "documents"])
KNOWN_JUMPS_KEY = AssetKey(["landing", "known_jumps"])
OWNER = "team:data-engineering"  # keeps the feeds alive: parsers, layouts, gates


def raw_key(feed: str) -> AssetKey:
    return AssetKey(["raw", feed])


def landing_key(feed: str) -> AssetKey:
    return AssetKey(["landing", feed])


def selected_records(context: AssetExecutionContext, feed: Feed) -> tuple[list[ProvenanceRecord], list[int] | None]:
    """The feed's documents for the run's data years (every year, and always for a back-series feed), including
    those this run took in; and those years (None: all)."""
    records = records_for(feed.name, pending_run=context.run.run_id)
    years = run_years(context.run.tags) if feed.one_year_per_document else None
    if years is None:
        return records, None
    return [r for r in records if r.data_year in years], years


def documents_table(records: list[ProvenanceRecord]) -> MetadataValue:
    lines = ["| document | data year | publication | sha256 | bytes |", "|---|---|---|---|---|"]
    lines += [f"| {r.path} | {r.data_year} | {r.publication} | `{r.sha256[:16]}…` | {r.bytes} |" for r in records]
    return MetadataValue.md("\n".join(lines))


def years_loaded(con, feed: Feed, outcomes: dict[int, str]) -> dict[int, dict]:
    """Per data year in landing.<feed>: this run's status for it, its rows and the documents they came from."""
    landed = con.execute(f"""
        SELECT l.data_year, count(*) AS rows, list(DISTINCT l.document_path || ' ' || l.document_sha256 ORDER BY 1)
        FROM landing.{feed.name} l GROUP BY l.data_year ORDER BY l.data_year""").fetchall()
    loaded = {int(year): {"status": outcomes.get(int(year), "unchanged"), "rows": rows,
                          "documents": [dict(zip(("path", "sha256"), d.rsplit(" ", 1), strict=True)) for d in documents]}
              for year, rows, documents in landed}
    return loaded | {year: {"status": status, "rows": 0, "documents": []}
                     for year, status in outcomes.items() if year not in loaded}


def years_table(loaded: dict[int, dict]) -> MetadataValue:
    lines = ["| data year | status | rows | documents (sha256) |", "|---|---|---|---|"]
    lines += [f"| {year} | {y['status']} | {y['rows']} | "
              + "<br>".join(f"{d['path']} (`{d['sha256'][:12]}…`)" for d in y["documents"]) + " |"
              for year, y in sorted(loaded.items())]
    return MetadataValue.md("\n".join(lines))


def must_reparse(context: AssetExecutionContext, con) -> bool:
    """Reparse every document, landed or not: a rebuild was asked for, or the code differs from the code that
    landed the rows the staging copy holds (a parser or a layout may have changed)."""
    state = build_state.recorded(con)
    return (context.run.tags.get(REBUILD_TAG) == "true" or state is None
            or state["code"] != build_state.code_fingerprint())


@contextmanager
def refusing_bad_documents(context: AssetExecutionContext, feed: Feed, years: list[int] | None) -> Iterator[None]:
    """Turn a bad document into a step failure whose description is the whole plain message, and
    put it in the run summary."""
    try:
        yield
    except (DocumentError, LandingValidationError) as exc:
        reason = f"{outcome_name(exc)}: {exc}"
        failed_years = failed_data_years(exc, feed, years)
        run_summary.record_failure(context.run.run_id, feed.name, reason, failed_years)
        raise Failure(description=reason, allow_retries=False) from None


def failed_data_years(exc: Exception, feed: Feed, years: list[int] | None) -> list[int] | None:
    """The data years a failure belongs to: the fetched year, the failing document's year, else the step's."""
    if getattr(exc, "data_year", None):
        return [exc.data_year]
    years_of = {r.path: r.data_year for r in records_for(feed.name)}
    if getattr(exc, "document", None) in years_of and feed.one_year_per_document:
        return [years_of[exc.document]]
    return years


def outcome_name(exc: Exception) -> str:
    """The short name of what went wrong: a fetch error's kind, a gate's name, else the error's type."""
    if getattr(exc, "kind", None):
        return str(exc.kind)
    if getattr(exc, "gate", None):
        return f"gate_{exc.gate}"
    return {"LandingValidationError": "validation", "DocumentError": "unexpected_document"}.get(type(exc).__name__,
                                                                                            type(exc).__name__)


def take_in(feed: Feed, years: list[int] | None, acquisition: Acquisition, run_id: str) -> IntakeReport:
    """Receive the feed's inbox drops and, in live mode, fetch its online documents; what is new waits in the
    run's staging folder and enters the archive when the run publishes.

    A refused drop is quarantined and fails the step (after the others were taken in): the operator
    sees it, and the next run no longer trips over it. A failed fetch fails the step with its named error.
    """
    report = receive_inbox(feed, run_id)
    if acquisition.live and feed.source is not None:
        with acquisition.client() as client:
            fetched = fetch_live(feed, years, client, run_id, acquisition.base_url)
        report.stored += fetched.stored
        report.notes += fetched.notes
    return report


def refuse_quarantined_drops(run_id: str, feed: Feed, refused: list[DocumentError]) -> None:
    """One failure per refused drop in the run summary, under the data year its name carries (or the whole feed),
    then one step failure naming them all; the drops themselves are in the quarantine already."""
    for refusal in refused:
        year = YEAR_IN_NAME.search(Path(refusal.document).name)
        run_summary.record_failure(run_id, feed.name, f"{outcome_name(refusal)}: {refusal} (moved to quarantine)",
                                   [int(year.group())] if year else None)
    raise Failure(description=f"{len(refused)} file(s) dropped into inbox/{feed.name} refused and moved to quarantine: "
                              + "; ".join(str(e) for e in refused), allow_retries=False)


def feed_assets(feed: Feed) -> list[AssetsDefinition]:
    acquired_by = "live-fetch-and-inbox" if feed.source is not None else "inbox"

    @asset(key=raw_key(feed.name), group_name="raw", kinds={"file"}, owners=[OWNER],
           check_specs=raw_check_specs(feed, raw_key(feed.name)),
           tags={"feed": feed.name, "layer": "raw", "acquired_by": acquired_by},
           description=f"Archived documents: {feed.title}. New ones arrive by {acquired_by.replace('-', ' ')}; each is gated, "
                       "parsed and validated before it is archived (content-addressed, immutable).")
    def raw_documents(context: AssetExecutionContext, acquisition: Acquisition) -> MaterializeResult:
        _, years = selected_records(context, feed)
        with refusing_bad_documents(context, feed, years):
            intake = take_in(feed, years, acquisition, context.run.run_id)
        run_summary.record(context.run.run_id, feed.name, notes=intake.notes)
        if intake.refused:
            refuse_quarantined_drops(context.run.run_id, feed, intake.refused)
        records, _ = selected_records(context, feed)  # now including what was just taken in
        with refusing_bad_documents(context, feed, years):
            for record in records:
                read_verified(record, pending_run=context.run.run_id)  # raises naming the document if its bytes changed
        missing = sorted(set(years or ()) - {r.data_year for r in records})
        return MaterializeResult(metadata={
            "intake": MetadataValue.json(intake.notes),
            "documents_stored": len(intake.stored),
            "documents": len(records),
            "documents_table": documents_table(records),
            "bytes": sum(r.bytes for r in records),
            "years_asked": MetadataValue.json(years or "all"),
            "years_without_document": MetadataValue.json(missing),
        }, check_results=[freshness_result(feed), quarantine_result(feed)])

    @asset(key=landing_key(feed.name), group_name="landing", deps=[raw_key(feed.name)], kinds={"duckdb"},
           owners=[OWNER], check_specs=landing_check_specs(feed, landing_key(feed.name)),
           description=f"landing.{feed.name}: {feed.title}. Every version of every document, validated by Pandera, "
                       "in the run's staging warehouse.", tags={"feed": feed.name, "layer": "landing"}, pool=DUCKDB_POOL)
    def landing_table(context: AssetExecutionContext, warehouse: WarehouseBuild) -> MaterializeResult:
        records, years = selected_records(context, feed)
        archived = {r.sha256 for r in records_for(feed.name, pending_run=context.run.run_id)}
        with warehouse.connection(context.run.run_id) as con:  # the run's staging copy, never the published file
            ensure_schema(con)
            # Rows of documents landed before stand in for parsing them again (the load compares and rewrites them).
            kept = None if must_reparse(context, con) else con.execute(
                f"SELECT * FROM landing.{feed.name} WHERE document_sha256 IN (SELECT unnest(?))",
                [[r.sha256 for r in records]]).df()
            with refusing_bad_documents(context, feed, years):
                batch = parse_documents(feed, records, context.run.run_id, landed=kept)  # validated before writing
            for refusal in batch.refused:
                context.log.warning(f"refused: {refusal}")
            run_summary.record_refusals(context.run.run_id, feed.name, list(batch.refused))
            outcomes = load(con, batch, years, archived)
            failpoint("landing")
            landed = landed_rows(con, feed.name)
            loaded = years_loaded(con, feed, {o.data_year: o.status for o in outcomes})
        changed_years = {o.data_year for o in outcomes if o.status in (NEW, REVISED)}
        found = plausibility_warnings(feed.name, landed)
        warnings = [w.message for w in found if w.data_year in changed_years]
        for warning in warnings:
            context.log.warning(warning)
        run_summary.record(context.run.run_id, feed.name, outcomes, warnings=warnings)
        return MaterializeResult(metadata={
            "rows_written": len(batch.rows),
            "documents_parsed": len(batch.parsed),
            "documents_unchanged_not_parsed": len(records) - len(batch.parsed) - len(batch.refused),
            "plausibility_warnings": MetadataValue.json(warnings),
            "dagster/row_count": len(landed),
            "years": years_table(loaded),
            "years_json": MetadataValue.json({str(year): y for year, y in sorted(loaded.items())}),
            "documents": documents_table(batch.records),
            "documents_refused": MetadataValue.json([str(refusal) for refusal in batch.refused]),
        }, check_results=[schema_result(feed, landed, batch.rows), plausibility_result(feed, found)])

    return [raw_documents, landing_table]


@asset(key=DOCUMENTS_KEY, group_name="landing", deps=[landing_key(feed) for feed in FEEDS], kinds={"duckdb"},
       owners=[OWNER], tags={"layer": "landing"}, pool=DUCKDB_POOL,
       description="landing.documents: the provenance of every landed document (feed, publication code, edition, "
                   "data year, where the copy came from, when it was archived, sha256, bytes), one row per version; "
                   "every mart row names its documents' sha256.")
def landed_documents(context: AssetExecutionContext, warehouse: WarehouseBuild) -> MaterializeResult:
    with warehouse.connection(context.run.run_id) as con:
        ensure_schema(con)
        count = write_documents(con, load_registry(pending_run=context.run.run_id))
    return MaterializeResult(metadata={"dagster/row_count": count})


@asset(key=KNOWN_JUMPS_KEY, group_name="landing", kinds={"duckdb"}, owners=[OWNER], tags={"layer": "landing"},
       pool=DUCKDB_POOL,
       description="landing.known_jumps: the year-on-year jumps the sources really print, each with why, from the "
                   "feeds' feed.toml; the marts note them beside the figures they touch (the plausibility checks "
                   "do not warn about them).")
def known_jumps(context: AssetExecutionContext, warehouse: WarehouseBuild) -> MaterializeResult:
    with warehouse.connection(context.run.run_id) as con:
        ensure_schema(con)
        count = write_known_jumps(con)
    return MaterializeResult(metadata={"dagster/row_count": count})


feed_asset_defs = [*(a for feed in FEEDS.values() for a in feed_assets(feed)), landed_documents, known_jumps]
