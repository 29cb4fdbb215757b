"""One refresh, run in this process: the entry point of `make run`, the CLI and the benchmarks.

Runs the `materialize_everything` job against the Dagster instance in $DAGSTER_HOME (so the UI shows
the run afterwards) over every archived year, or the years asked for. The run builds in its staging
copy and publishes at its end (warehouse/publish.py); a run that fails is closed here: its summary
says why, and the published warehouse is untouched.
"""

from __future__ import annotations

from contextlib import redirect_stdout
from dataclasses import dataclass
from typing import TYPE_CHECKING

from warehouse import build_state, paths, run_summary
from warehouse.archive import load_registry
from warehouse.publish import discard_abandoned

if TYPE_CHECKING:
    from dagster import DagsterInstance

# Dagster, dbt and the Definitions are imported only once a run is needed: a refresh that finds
# nothing new answers in a fraction of a second, also as a new process.

STEP_OUTPUT_LOG = "last_refresh_output.log"  # in runs/: what dbt printed during the last refresh


@dataclass(frozen=True)
class RefreshResult:
    success: bool
    run_id: str | None  # None: nothing new, no run was launched
    summary: run_summary.RunSummary
    failures: list[tuple[str, str]]  # (step, plain reason)


def nothing_new() -> bool:
    """The archive, the inbox and the code are exactly what the published warehouse was built from."""
    inbox = paths.inbox_dir()
    if inbox.is_dir() and any(paths.inbox_drops(folder.name) for folder in inbox.iterdir()):
        return False
    state = build_state.published()
    archived = build_state.documents_fingerprint(r.sha256 for r in load_registry())
    return state is not None and state["documents"] == archived and state["code"] == build_state.code_fingerprint()


def year_tags(years: list[int] | None, live: bool = False) -> dict[str, str]:
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG

    from orchestration.jobs import everything_tags, year_range_tags
    from warehouse.schemas import LAST_DATA_YEAR

    if not years:
        tags = everything_tags()
        if live:  # years not archived yet are what a live refresh looks for
            tags[ASSET_PARTITION_RANGE_END_TAG] = str(LAST_DATA_YEAR)
        return tags
    return year_range_tags(years)


def refresh(years: list[int] | None = None, live: bool = False, feeds: list[str] | None = None, rebuild: bool = False,
            instance: DagsterInstance | None = None, log_level: str = "CRITICAL",
            acquisition: dict | None = None) -> RefreshResult:
    """One refresh.

    years: data years of the year-partitioned feeds (default: every archived year).
    live: also fetch online documents (the Acquisition resource; `acquisition` overrides its other
        settings, e.g. a test server's base URL).
    feeds: only these feeds' raw and landing assets (then every dbt model and the publish step).
    rebuild: rebuild and publish even when documents and code are those of the published build.
    """
    # Staging copies of runs killed earlier (kill -9, power loss) are garbage; running ones are not.
    discard_abandoned()
    if not (live or years or feeds or rebuild) and nothing_new():
        detail = (f"No run launched: the {len(load_registry())} archived documents, the empty inbox and the code "
                  "hash the same as the published build's.")
        return RefreshResult(True, None, run_summary.finish_without_run(run_summary.UNCHANGED, detail), [])
    from dagster import DagsterInstance

    from orchestration.assets.dbt import REBUILD_TAG
    from orchestration.definitions import defs
    from orchestration.jobs import feed_selection
    from orchestration.sensors import close_unpublished_run

    instance = instance or DagsterInstance.get()
    job = defs.resolve_job_def("materialize_everything")
    # dbt's own progress lines go to a log file, and step events stay in the run's log (see `make dev`):
    # the caller prints the run summary and each failure in plain words, without Dagster's tracebacks.
    paths.runs_dir().mkdir(parents=True, exist_ok=True)
    with (paths.runs_dir() / STEP_OUTPUT_LOG).open("w", encoding="utf-8") as log, redirect_stdout(log):
        result = job.execute_in_process(
            instance=instance, tags={**year_tags(years, live), **({REBUILD_TAG: "true"} if rebuild else {})},
            asset_selection=feed_selection(feeds), raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}},
                        "resources": {"acquisition": {"config": {"live": live, **(acquisition or {})}}}},
        )
    failures = []
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            reason = data.user_failure_data.description if data.user_failure_data else data.error.message
            failures.append((event.step_key, reason.strip()))
    failure = "The run failed: " + "; ".join(f"{step} failed" for step, _ in failures) if not result.success else None
    closed = close_unpublished_run(result.run_id, failure)
    summary = closed or run_summary.load(result.run_id)
    return RefreshResult(result.success, result.run_id, summary, failures)
