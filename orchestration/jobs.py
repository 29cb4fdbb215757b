"""The job that materializes everything, and which assets a run of some feeds selects."""

from dagster import AssetKey, AssetSelection, define_asset_job

from orchestration.assets.dbt import dbt_models
from orchestration.assets.feeds import DOCUMENTS_KEY, KNOWN_JUMPS_KEY, landing_key, raw_key
from orchestration.assets.publish import PUBLISHED_KEY
from scrapers.feeds import FEEDS
from warehouse import build_state

materialize_everything = define_asset_job(
    "materialize_everything",
    # The report reads the published file, so it follows a refresh rather than being part of it.
    # Spark's marts are a separate build for teams that moved (orchestration/assets/spark.py).
    selection=AssetSelection.all() - AssetSelection.groups("report", "spark"),
    description="Every feed's raw and landing assets over all archived years (or the years of the run's "
                "innovation/years tag), every dbt model and test in the run's staging copy, then the atomic publish.",
)


def failed_after_intake(failed_steps: list[str]) -> bool:
    """A step after intake failed (landing, a check, dbt, publish): the drops the run took in may be why."""
    return any(not step.startswith("raw__") for step in failed_steps)


def feed_selection(feeds: list[str] | None) -> list[AssetKey] | None:
    """Raw and landing assets of `feeds`, landing.documents, the dbt models downstream of them, and the publish step
    (None: the whole job). Every dbt model when the code changed since the published build: models
    outside the feeds' lineage may have changed too."""
    if not feeds:
        return None
    unknown = set(feeds) - set(FEEDS)
    if unknown:
        raise ValueError(f"unknown feed(s) {sorted(unknown)}; feeds are {sorted(FEEDS)}")
    landing = {landing_key(f) for f in feeds} | {DOCUMENTS_KEY}
    models = set(dbt_models.keys) if code_changed_since_published() else downstream_models(landing)
    return [*(key for f in feeds for key in (raw_key(f), landing_key(f))), DOCUMENTS_KEY, KNOWN_JUMPS_KEY, *sorted(models),
            PUBLISHED_KEY]


def downstream_models(sources: set[AssetKey]) -> set[AssetKey]:
    """The dbt models and seeds that read, directly or not, any of `sources`."""
    deps = dbt_models.asset_deps
    reached: set[AssetKey] = set()
    frontier = set(sources)
    while frontier:
        frontier = {key for key, upstream in deps.items() if upstream & frontier and key not in reached}
        reached |= frontier
    return reached


def code_changed_since_published() -> bool:
    state = build_state.published()
    return state is None or state["code"] != build_state.code_fingerprint()
