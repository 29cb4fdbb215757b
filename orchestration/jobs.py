"""The job that materializes everything, and the tags that make one run cover every archived year."""

from dagster import AssetKey, AssetSelection, define_asset_job
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.assets.dbt import dbt_models
from orchestration.assets.feeds import landing_key, raw_key
from orchestration.assets.publish import PUBLISHED_KEY
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


def year_range_tags(years: list[int]) -> dict[str, str]:
    """Tags that make one run cover the data years from min(years) to max(years)."""
    return {ASSET_PARTITION_RANGE_START_TAG: str(min(years)), ASSET_PARTITION_RANGE_END_TAG: str(max(years))}


def feed_selection(feeds: list[str] | None) -> list[AssetKey] | None:
    """Raw and landing assets of `feeds`, every dbt model and the publish step (None: the whole job)."""
    if not feeds:
        return None
    unknown = set(feeds) - set(FEEDS)
    if unknown:
        raise ValueError(f"unknown feed(s) {sorted(unknown)}; feeds are {sorted(FEEDS)}")
    return [*(key for f in feeds for key in (raw_key(f), landing_key(f))), *dbt_models.keys, PUBLISHED_KEY]
