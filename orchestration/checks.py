"""The checks of every feed, evaluated inside its assets (one step each, not one per check) and shown in the UI:

raw/<feed>      <feed>_is_current (freshness, WARN), <feed>_quarantine_is_empty (WARN)
landing/<feed>  <feed>_matches_schema (Pandera, blocking), <feed>_is_plausible (WARN)

The Pandera check validates what the run's staging warehouse holds after the load (all years together,
including rows from earlier runs); being blocking it stops the dbt models when the warehouse holds anything
the model rejects. Evaluating the checks in the asset that wrote the table costs one query instead of a step,
a pool slot and a connection per check (BENCHMARKS.md, "Years as data").
"""

from __future__ import annotations

import pandas as pd
import pandera.errors
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, MetadataValue

from core import paths
from scrapers.feeds import Feed
from warehouse import inbox
from warehouse.freshness import feed_freshness
from warehouse.landing import MAX_FAILURES_SHOWN, failure_table
from warehouse.plausibility import PlausibilityWarning


def raw_check_specs(feed: Feed, key: AssetKey) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(f"{feed.name}_is_current", asset=key, blocking=False,
                       description=f"Warns when {feed.name}'s newest archived data year is older than its publication's "
                                   "release calendar says it should be today (seed publications: typical release month)."),
        AssetCheckSpec(f"{feed.name}_quarantine_is_empty", asset=key, blocking=False,
                       description=f"Warns while a file dropped for {feed.name} sits in the quarantine (refused, with its "
                                   "reason): it stays listed until someone removes it or a drop of the same name is "
                                   "archived."),
    ]


def landing_check_specs(feed: Feed, key: AssetKey) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(f"{feed.name}_matches_schema", asset=key, blocking=True,
                       description=f"landing.{feed.name} passes the Pandera model {feed.schema.__name__} (types, province "
                                   "codes, year range, bounds, unique keys, national total vs provinces)."),
        AssetCheckSpec(f"{feed.name}_is_plausible", asset=key, blocking=False,
                       description=f"Warns when a figure of landing.{feed.name} is a sudden zero or jumps year on year "
                                   "beyond the band of warehouse/plausibility.py, unless the feed's layout lists it as a "
                                   "known jump that the source really prints."),
    ]


def freshness_result(feed: Feed) -> AssetCheckResult:
    freshness = feed_freshness(feed.name)
    return AssetCheckResult(
        check_name=f"{feed.name}_is_current", passed=freshness.current, severity=AssetCheckSeverity.WARN,
        description=freshness.status,
        metadata={"newest_data_year": freshness.newest_data_year or 0,
                  "expected_newest_data_year": freshness.expected_newest_data_year},
    )


def quarantine_result(feed: Feed) -> AssetCheckResult:
    held = [drop for drop in inbox.quarantined() if drop.folder == feed.name]
    lines = [f"- `{drop.name}` (since {drop.quarantined_at}): {drop.reason}" for drop in held]
    return AssetCheckResult(
        check_name=f"{feed.name}_quarantine_is_empty", passed=not held, severity=AssetCheckSeverity.WARN,
        description=(f"{len(held)} refused drop(s) in {paths.quarantine_dir() / feed.name}: fix and drop again, or "
                     "delete" if held else "no refused drop waiting"),
        metadata={"quarantined": MetadataValue.md("\n".join(lines) or "none"), "quarantined_count": len(held)},
    )


def schema_result(feed: Feed, rows: pd.DataFrame, validated_rows: pd.DataFrame) -> AssetCheckResult:
    """`validated_rows`: what the asset validated just before writing it. Where the table holds exactly those
    rows (a load of every year), that validation is the check's and is not run twice (BENCHMARKS.md, "Start-up");
    otherwise the whole table is validated, rows of other years and earlier runs included."""
    name = f"{feed.name}_matches_schema"
    if len(rows) == len(validated_rows) and set(rows["document_sha256"]) <= set(validated_rows["document_sha256"]):
        return AssetCheckResult(check_name=name, passed=True,
                                metadata={"rows": len(rows), "validated": "before writing: the table is this run's rows"})
    try:
        feed.schema.validate(rows, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        failures = failure_table(exc, rows)
        return AssetCheckResult(
            check_name=name, passed=False, severity=AssetCheckSeverity.ERROR,
            description=f"{len(failures)} failure case(s) in landing.{feed.name}",
            metadata={"rows": len(rows), "failure_cases": len(failures),
                      "failing_rows": MetadataValue.md(failures.head(MAX_FAILURES_SHOWN * 10).to_markdown(index=False))},
        )
    return AssetCheckResult(check_name=name, passed=True, metadata={"rows": len(rows)})


def plausibility_result(feed: Feed, warnings: list[PlausibilityWarning]) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=f"{feed.name}_is_plausible", passed=not warnings, severity=AssetCheckSeverity.WARN,
        description=f"{len(warnings)} figure(s) look odd" if warnings else "no sudden zero, no jump beyond the band",
        metadata={"warnings": MetadataValue.md("\n".join(f"- {w.message}" for w in warnings[:MAX_FAILURES_SHOWN])
                                               or "none"), "warnings_count": len(warnings)},
    )
