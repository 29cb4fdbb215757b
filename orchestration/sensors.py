"""Sensors: the end of runs that did not publish (summary + staging clean-up)."""

from dagster import (
    DagsterRunStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    run_failure_sensor,
    run_status_sensor,
)

from warehouse import run_summary
from warehouse.publish import StagedBuild


def close_unpublished_run(run_id: str, detail: str) -> run_summary.RunSummary | None:
    """A run that ended without publishing: write its summary and drop its staging copy."""
    build = StagedBuild(run_id)
    if not build.folder.exists():
        return None  # published (the publish step closed it) or never started building
    summary = run_summary.finish(run_id, run_summary.NOT_PUBLISHED, detail)
    build.discard()
    return summary


@run_failure_sensor(description="A failed run: write its run summary (failed feeds and why) and drop its staging copy.")
def summarize_failed_run(context: RunFailureSensorContext) -> None:
    close_unpublished_run(context.dagster_run.run_id, f"The run failed: {context.failure_event.message}")


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS,
                   description="A run that succeeded without the publish step (a partial selection in the UI): "
                               "say so in its summary and drop its staging copy.")
def summarize_unpublished_run(context: RunStatusSensorContext) -> None:
    close_unpublished_run(context.dagster_run.run_id, "The run did not include warehouse/published: nothing was published.")


run_sensors = [summarize_failed_run, summarize_unpublished_run]
