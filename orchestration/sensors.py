"""Sensors: new documents (inbox drops; a new document of a live feed in its release window) request a
refresh of what they touch; runs that ended without publishing get their summary, their drops settled and
their staging copy dropped (warehouse/run_end.py).
"""

import hashlib
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dagster import (
    AssetSelection,
    AutomationConditionSensorDefinition,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    RunStatusSensorContext,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from core import paths
from orchestration.jobs import failed_after_intake, feed_selection, materialize_everything
from orchestration.resources import Acquisition
from orchestration.run_settings import VINTAGE_TAG, years_tags
from scrapers.feeds import FEEDS, Feed
from warehouse import inbox
from warehouse.archive import load_registry
from warehouse.intake import YEAR_IN_NAME
from warehouse.run_end import close_unpublished_run

SHANGHAI = ZoneInfo("Asia/Shanghai")


@run_failure_sensor(default_status=DefaultSensorStatus.RUNNING,
                    description="A failed run: write its run summary (failed feeds and why), settle the drops it took in "
                                "and drop its staging copy.")
def summarize_failed_run(context: RunFailureSensorContext) -> None:
    failed_steps = [event.step_key for event in context.get_step_failure_events()]
    close_unpublished_run(context.dagster_run.run_id, f"The run failed: {context.failure_event.message}",
                          failed_after_intake(failed_steps) or not failed_steps, context.dagster_run.tags.get(VINTAGE_TAG))


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, default_status=DefaultSensorStatus.RUNNING,
                   description="A run that succeeded without publishing (nothing new, or a partial selection in "
                               "the UI): say so in its summary and drop its staging copy.")
def summarize_unpublished_run(context: RunStatusSensorContext) -> None:
    close_unpublished_run(context.dagster_run.run_id, None, vintage=context.dagster_run.tags.get(VINTAGE_TAG))


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
    return SensorResult(run_requests=[RunRequest(run_key=key, asset_selection=feed_selection(feeds), tags=years_tags(years))],
                        cursor=key)


def in_release_window(feed: Feed, moment: datetime) -> bool:
    """Within the months (Beijing time) in which the feed's publication appears ([live] release_window_months)."""
    return moment.astimezone(SHANGHAI).month in feed.spec.live["release_window_months"]


def release_sensor(feed: Feed) -> SensorDefinition:
    months = feed.spec.live["release_window_months"]

    @sensor(name=f"{feed.name}_release_sensor", job=materialize_everything, minimum_interval_seconds=6 * 3600,
            default_status=DefaultSensorStatus.STOPPED,
            description=f"During {feed.name}'s release window (months {months}, Beijing time) reads its listing online "
                        "and, when a document for a data year not yet archived appears, requests a live refresh of "
                        "that year. Stopped by default: it reaches the live site; turn it on where that is allowed.")
    def check_for_release(context: SensorEvaluationContext, acquisition: Acquisition) -> SensorResult | SkipReason:
        if not in_release_window(feed, datetime.now(UTC)):
            return SkipReason(f"outside the release window (months {months}, Beijing time)")
        archived = {r.data_year for r in load_registry() if r.feed == feed.name}
        with acquisition.client() as client:
            listed = feed.source.discover(client, base_url=acquisition.base_url)
        new = sorted(set(listed) - archived)
        if not new:
            return SkipReason(f"nothing new: listed {sorted(listed)}, archived {sorted(archived)}")
        live = {"resources": {"acquisition": {"config": {"live": True}}}}
        return SensorResult(run_requests=[
            RunRequest(run_key=f"{feed.name}-{year}", asset_selection=feed_selection([feed.name]),
                       tags=years_tags([year]), run_config=live)
            for year in new
        ])

    return check_for_release


# Declarative automation (the report after every publish) needs its sensor; Dagster's default one starts stopped.
report_automation = AutomationConditionSensorDefinition(
    "report_automation", target=AssetSelection.groups("report"), default_status=DefaultSensorStatus.RUNNING,
    description="Evaluates the report's automation condition (eager: rebuild after every publish) and launches "
                "the run that draws it.")

# Everything runs by default on a fresh instance but the release sensors, which reach the live site (opt-in).
run_sensors = [summarize_failed_run, summarize_unpublished_run, inbox_sensor, report_automation,
               *(release_sensor(feed) for feed in FEEDS.values() if feed.source is not None)]
