"""Sensors: the end of runs that did not publish (summary + staging clean-up)."""

import duckdb
from dagster import (
    DagsterRunStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    run_failure_sensor,
    run_status_sensor,
)

from warehouse import build_state, run_summary
from warehouse.publish import StagedBuild


def close_unpublished_run(run_id: str, failure: str | None) -> run_summary.RunSummary | None:
    """A run that ended without publishing: write its summary and drop its staging copy.

    It failed (`failure` says how), found nothing new (same documents and code as the published build:
    dbt and the publish step skipped), or did not include the publish step."""
    build = StagedBuild(run_id)
    if not build.folder.exists():
        return None  # published (the publish step closed it) or never started building
    if failure:
        summary = run_summary.finish(run_id, run_summary.NOT_PUBLISHED, failure)
    elif build.exists and _unchanged(build):
        summary = run_summary.finish(run_id, run_summary.UNCHANGED)
    else:
        summary = run_summary.finish(run_id, run_summary.NOT_PUBLISHED,
                                     "The run did not include warehouse/published: nothing was published.")
    build.discard()
    return summary


def _unchanged(build: StagedBuild) -> bool:
    with duckdb.connect(str(build.database), read_only=True) as con:
        return build_state.unchanged_since_published(con)


@run_failure_sensor(description="A failed run: write its run summary (failed feeds and why) and drop its staging copy.")
def summarize_failed_run(context: RunFailureSensorContext) -> None:
    close_unpublished_run(context.dagster_run.run_id, f"The run failed: {context.failure_event.message}")


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS,
                   description="A run that succeeded without publishing (nothing new, or a partial selection in "
                               "the UI): say so in its summary and drop its staging copy.")
def summarize_unpublished_run(context: RunStatusSensorContext) -> None:
    close_unpublished_run(context.dagster_run.run_id, None)


run_sensors = [summarize_failed_run, summarize_unpublished_run]
