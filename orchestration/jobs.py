"""The job that materializes everything, and the tags that make one run cover every archived year."""

from dagster import AssetSelection, define_asset_job
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from scrapers.registry import FEEDS
from warehouse.archive import load_registry

materialize_everything = define_asset_job(
    "materialize_everything",
    # The report reads the published file, so it follows a refresh rather than being part of it.
    selection=AssetSelection.all() - AssetSelection.groups("report"),
    description="Every feed's raw and landing assets over all archived years, every dbt model and test in the "
                "run's staging copy, then the atomic publish.",
)


def archived_year_range() -> tuple[str, str]:
    """First and last data year with a document in a one-year-per-document feed."""
    years = [r.data_year for r in load_registry() if FEEDS[r.feed].one_year_per_document]
    return str(min(years)), str(max(years))


def everything_tags() -> dict[str, str]:
    first, last = archived_year_range()
    return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
