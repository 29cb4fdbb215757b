"""What a run is asked to do, as run tags (set by the CLI, the schedule and the sensors; shown in the UI).

Which data years a run covers is a run setting, not Dagster partitions.

Every feed's assets process all of the feed's documents in one materialization, as PUDL runs decades of
EIA data with the years as data: each year's document parses in milliseconds, and one materialization per
year and feed cost more in Dagster events than the work itself (BENCHMARKS.md, "Years as data"). A run
tagged with years touches only the documents of those years in the feeds whose documents each carry one
data year; the back-series feeds, whose every edition re-publishes many years, always load whole.
"""

from __future__ import annotations

from collections.abc import Mapping

YEARS_TAG = "innovation/years"  # comma-separated data years; absent: every archived year
# Rebuild (reparse every document, rebuild every model) even when documents and code are those of the published build.
REBUILD_TAG = "warehouse/rebuild"
# The vintage rule of the marts (dbt var `vintage`: earliest or latest); recorded in meta.build.
VINTAGE_TAG = "warehouse/vintage"


def years_tags(years: list[int] | None) -> dict[str, str]:
    """The run tags that limit a run to `years` (none: every archived year)."""
    return {YEARS_TAG: ",".join(str(year) for year in sorted(set(years)))} if years else {}


def run_years(tags: Mapping[str, str]) -> list[int] | None:
    """The data years a run's tags ask for; None: every year."""
    text = tags.get(YEARS_TAG, "").strip()
    if not text:
        return None
    try:
        return sorted({int(part) for part in text.split(",")})
    except ValueError:
        raise ValueError(f"run tag {YEARS_TAG}={text!r}: expected data years separated by commas, e.g. 2021,2022") \
            from None
