"""Blocking Pandera checks on every landed table, and a freshness warning per feed.

The landing asset already refuses rows that fail its model before writing; these checks validate
what the run's staging warehouse holds after the load (all years together, including rows from earlier runs), and
being blocking they stop the dbt models when the warehouse holds anything the model rejects.
"""

import pandera.errors
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    MetadataValue,
    asset_check,
)

from core import paths
from orchestration.assets.feeds import landing_key, raw_key
from orchestration.resources import DUCKDB_POOL, WarehouseBuild
from scrapers._landing_schema import Landing
from scrapers.feeds import FEEDS
from warehouse import inbox
from warehouse.freshness import feed_freshness
from warehouse.landing import MAX_FAILURES_SHOWN, failure_table, landed_rows
from warehouse.plausibility import plausibility_warnings


def pandera_check(table: str, model: type[Landing]) -> AssetChecksDefinition:
    @asset_check(asset=landing_key(table), name=f"{table}_matches_schema", blocking=True, pool=DUCKDB_POOL,
                 description=f"landing.{table} passes the Pandera model {model.__name__} (types, province codes, "
                             "year range, bounds, unique keys, national total vs provinces).")
    def check(context: AssetCheckExecutionContext, warehouse: WarehouseBuild) -> AssetCheckResult:
        with warehouse.connection(context.run.run_id) as con:
            rows = landed_rows(con, table)
        try:
            model.validate(rows, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            failures = failure_table(exc, rows)
            return AssetCheckResult(
                passed=False, severity=AssetCheckSeverity.ERROR,
                metadata={"rows": len(rows), "failure_cases": len(failures),
                          "failing_rows": MetadataValue.md(failures.head(MAX_FAILURES_SHOWN * 10).to_markdown(index=False))},
            )
        return AssetCheckResult(passed=True, metadata={"rows": len(rows)})

    return check


def plausibility_check(table: str) -> AssetChecksDefinition:
    @asset_check(asset=landing_key(table), name=f"{table}_is_plausible", blocking=False, pool=DUCKDB_POOL,
                 description=f"Warns when a figure of landing.{table} is a sudden zero or jumps year on year beyond "
                             "the band of warehouse/plausibility.py, unless the feed's layout lists it as a known jump "
                             "that the source really prints.")
    def check(context: AssetCheckExecutionContext, warehouse: WarehouseBuild) -> AssetCheckResult:
        with warehouse.connection(context.run.run_id) as con:
            rows = landed_rows(con, table)
        warnings = plausibility_warnings(table, rows)
        return AssetCheckResult(
            passed=not warnings, severity=AssetCheckSeverity.WARN,
            description=f"{len(warnings)} figure(s) look odd" if warnings else "no sudden zero, no jump beyond the band",
            metadata={"warnings": MetadataValue.md("\n".join(f"- {w.message}" for w in warnings[:MAX_FAILURES_SHOWN])
                                                   or "none"), "warnings_count": len(warnings)},
        )

    return check


def quarantine_check(feed: str) -> AssetChecksDefinition:
    @asset_check(asset=raw_key(feed), name=f"{feed}_quarantine_is_empty", blocking=False,
                 description=f"Warns while a file dropped for {feed} sits in the quarantine (refused, with its reason): "
                             "it stays listed until someone removes it or a drop of the same name is archived.")
    def check() -> AssetCheckResult:
        held = [drop for drop in inbox.quarantined() if drop.folder == feed]
        lines = [f"- `{drop.name}` (since {drop.quarantined_at}): {drop.reason}" for drop in held]
        return AssetCheckResult(
            passed=not held, severity=AssetCheckSeverity.WARN,
            description=(f"{len(held)} refused drop(s) in {paths.quarantine_dir() / feed}: fix and drop again, or delete"
                         if held else "no refused drop waiting"),
            metadata={"quarantined": MetadataValue.md("\n".join(lines) or "none"), "quarantined_count": len(held)},
        )

    return check


def freshness_check(feed: str) -> AssetChecksDefinition:
    @asset_check(asset=raw_key(feed), name=f"{feed}_is_current", blocking=False,
                 description=f"Warns when {feed}'s newest archived data year is older than its publication's release "
                             "calendar says it should be today (seed publications: typical release month).")
    def check() -> AssetCheckResult:
        freshness = feed_freshness(feed)
        return AssetCheckResult(
            passed=freshness.current, severity=AssetCheckSeverity.WARN, description=freshness.status,
            metadata={"newest_data_year": freshness.newest_data_year or 0,
                      "expected_newest_data_year": freshness.expected_newest_data_year},
        )

    return check


pandera_checks = [pandera_check(name, feed.schema) for name, feed in FEEDS.items()]
plausibility_checks = [plausibility_check(name) for name in FEEDS]
freshness_checks = [freshness_check(name) for name in FEEDS]
quarantine_checks = [quarantine_check(name) for name in FEEDS]
