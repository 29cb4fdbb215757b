"""Sensors: new documents (inbox drops; a new bulletin in its release window) request a refresh of
what they touch; runs that ended without publishing get their summary and their staging copy dropped.
"""

import hashlib
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import duckdb
from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from orchestration.jobs import everything_tags, feed_selection, materialize_everything, year_range_tags
from orchestration.resources import Acquisition
from scrapers.nbs_bulletin_source import discover
from scrapers.registry import FEEDS
from warehouse import build_state, inbox, paths, run_summary
from warehouse.archive import Pending, load_registry
from warehouse.intake import YEAR_IN_NAME
from warehouse.publish import RunAlreadyBuilding, StagedBuild

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The bulletin for data year Y has appeared between August and October of Y+1; December catches late ones.
RELEASE_WINDOW_MONTHS = frozenset(range(8, 13))


def close_unpublished_run(run_id: str, failure: str | None, failed_steps: list[str] = ()) -> run_summary.RunSummary | None:
    """A run that ended without publishing: write its summary, settle the drops it took in, drop its staging copy.

    It failed (`failure` says how), found nothing new (same documents and code as the published build:
    dbt and the publish step skipped), or did not include the publish step. Its drops go back to the inbox,
    unless a step after intake failed (then the failure may be theirs: they go to the quarantine with it).
    Returns None when another process is closing (or reclaiming) the run, or nothing is left to close."""
    build = StagedBuild(run_id)
    try:
        build.hold()  # whoever holds the run's lock closes it; a refresh reclaiming it meanwhile skips it
    except RunAlreadyBuilding:
        return None
    try:
        if not build.folder.exists():
            return None  # published (the publish step closed it) or never started building
        judged = failure is not None and any(not step.startswith("raw__") for step in failed_steps or ["?"])
        drops = Pending(run_id).release(failure if judged else None)
        if failure:
            summary = run_summary.finish(run_id, run_summary.NOT_PUBLISHED, failure, notes=drops)
        elif build.exists and _unchanged(build):
            summary = run_summary.finish(run_id, run_summary.UNCHANGED, notes=drops)
        else:
            summary = run_summary.finish(run_id, run_summary.NOT_PUBLISHED,
                                         "The run did not include warehouse/published: nothing was published.", notes=drops)
        build.discard()
        return summary
    finally:
        build.release()


def _unchanged(build: StagedBuild) -> bool:
    with duckdb.connect(str(build.database), read_only=True) as con:
        return build_state.unchanged_since_published(con)


@run_failure_sensor(description="A failed run: write its run summary (failed feeds and why) and drop its staging copy.")
def summarize_failed_run(context: RunFailureSensorContext) -> None:
    failed_steps = [event.step_key for event in context.get_step_failure_events()]
    close_unpublished_run(context.dagster_run.run_id, f"The run failed: {context.failure_event.message}", failed_steps)


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS,
                   description="A run that succeeded without publishing (nothing new, or a partial selection in "
                               "the UI): say so in its summary and drop its staging copy.")
def summarize_unpublished_run(context: RunStatusSensorContext) -> None:
    close_unpublished_run(context.dagster_run.run_id, None)


def inbox_files() -> list[tuple[str, str, int, int]]:
    """(feed, file name, bytes, mtime_ns) of every settled drop in inbox/<feed>/, sidecars aside: a file still
    being copied is requested once it has settled, not before."""
    found = []
    for feed in FEEDS:
        for entry in inbox.settled(feed):
            info = entry.stat(follow_symlinks=False)
            found.append((feed, entry.name, info.st_size, info.st_mtime_ns))
    return sorted(found)


@sensor(job=materialize_everything, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING,
        description="Files dropped into inbox/<feed>/ (licensed or hand-downloaded tables): request a refresh of "
                    "those feeds for the data years their names carry. The refresh takes them in or quarantines them.")
def inbox_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    drops = inbox_files()
    key = hashlib.sha256(json.dumps(drops).encode()).hexdigest()
    if not drops:
        return SkipReason(f"the inbox ({paths.inbox_dir()}) is empty")
    if key == context.cursor:
        return SkipReason("the files in the inbox were already handed to a run")
    feeds = sorted({feed for feed, *_ in drops})
    years = sorted({int(m.group()) for _, name, *_ in drops if (m := YEAR_IN_NAME.search(name))})
    tags = year_range_tags(years) if years else everything_tags()
    return SensorResult(run_requests=[RunRequest(run_key=key, asset_selection=feed_selection(feeds), tags=tags)], cursor=key)


def in_release_window(moment: datetime) -> bool:
    return moment.astimezone(SHANGHAI).month in RELEASE_WINDOW_MONTHS


@sensor(job=materialize_everything, minimum_interval_seconds=6 * 3600, default_status=DefaultSensorStatus.STOPPED,
        description="During the bulletin's release window (August-December, Beijing time) reads the NBS bulletin "
                    "listing and, when a bulletin for a data year not yet archived appears, requests a live refresh "
                    "of that year. Stopped by default: it reaches the live site; turn it on where that is allowed.")
def bulletin_release_sensor(context: SensorEvaluationContext, acquisition: Acquisition) -> SensorResult | SkipReason:
    now = datetime.now(UTC)
    if not in_release_window(now):
        return SkipReason(f"outside the release window (months {sorted(RELEASE_WINDOW_MONTHS)}, Beijing time)")
    archived = {r.data_year for r in load_registry() if r.feed == "nbs_rd_bulletin"}
    with acquisition.client() as client:
        listed = discover(client, base_url=acquisition.nbs_base_url)
    new = sorted(set(listed) - archived)
    if not new:
        return SkipReason(f"no new bulletin: listed {sorted(listed)}, archived {sorted(archived)}")
    live = {"resources": {"acquisition": {"config": {"live": True}}}}
    return SensorResult(run_requests=[
        RunRequest(run_key=f"nbs_rd_bulletin-{year}", asset_selection=feed_selection(["nbs_rd_bulletin"]),
                   tags=year_range_tags([year]), run_config=live)
        for year in new
    ])


run_sensors = [summarize_failed_run, summarize_unpublished_run, inbox_sensor, bulletin_release_sensor]
