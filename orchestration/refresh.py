"""One refresh, run in this process: the entry point of `make run`, the CLI and the benchmarks.

Runs the `materialize_everything` job against the Dagster instance in $DAGSTER_HOME (so the UI shows
the run afterwards) over every archived year, or the years asked for. The run builds in its staging
copy and publishes at its end (warehouse/publish.py); a run that fails is closed here: its summary
says why, and the published warehouse is untouched.

Before anything else a refresh puts the house in order, and says what it did: it reclaims dead runs
(orchestration/recovery.py), moves stray inbox entries to the quarantine, and moves an unreadable
published file aside so the run rebuilds it from the archive.
"""

from __future__ import annotations

import os
import uuid
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from core import paths
from core.feed import feed_names
from warehouse import build_state, inbox, run_summary
from warehouse.archive import load_registry
from warehouse.publish import StagedBuild
from warehouse.recovery import reclaim_abandoned

if TYPE_CHECKING:
    from dagster import DagsterInstance

# Dagster, dbt and the Definitions are imported only once a run is needed: a refresh that finds
# nothing new answers in a fraction of a second, also as a new process.

STEP_OUTPUT_LOG = "last_refresh_output.log"  # in runs/: what dbt printed during the last refresh
# What an operating-system error during a run asks the operator to do, by its message.
OS_ERROR_ADVICE = {
    "No space left on device": "free disk space where the warehouse lives",
    "File too large": "free disk space (or raise the file-size limit) where the warehouse lives",
    "Disk quota exceeded": "free disk space within your quota where the warehouse lives",
    "Read-only file system": "make the folder writable (or move the warehouse with WAREHOUSE_DUCKDB_PATH)",
    "Permission denied": "make the folder writable (or move the warehouse with WAREHOUSE_DUCKDB_PATH)",
    "Not a directory": "remove the file standing where a folder of the warehouse belongs",
    "File exists": "remove the file standing where a folder of the warehouse belongs",
}


class RefreshRefused(RuntimeError):
    """The refresh cannot start; the message says why and what to do. Nothing was changed."""


@dataclass(frozen=True)
class RefreshResult:
    success: bool
    run_id: str | None  # None: nothing new, no run was launched
    summary: run_summary.RunSummary
    failures: list[tuple[str, str]]  # (step, plain reason)
    notes: list[str] = field(default_factory=list)  # what the refresh did before the run, also in the summary


def nothing_new(vintage: str | None = None) -> bool:
    """The archive, the inbox, the code and the vintage rule are exactly what the published warehouse was built
    from (`vintage`: the rule asked for, default the project's). Reads the build record kept beside the published
    file while that file is unchanged since it was published, so answering costs no DuckDB."""
    if any(inbox.settled(feed) for feed in feed_names()):
        return False
    state = build_state.published(quick=True)
    archived = build_state.documents_fingerprint(r.sha256 for r in load_registry())
    return (state is not None and state["documents"] == archived and state["code"] == build_state.code_fingerprint()
            and state["vintage"] == (vintage or build_state.default_vintage()))


# Where versions before the data folder kept their state (in the warehouse package, beside its code).
LEGACY_STATE_DIR = paths.REPO_ROOT / "warehouse"
LEGACY_STATE = (paths.PUBLISHED_FILE, "archive", "inbox", "quarantine", "runs", "reports", "exports")


def move_legacy_state() -> list[str]:
    """Move the state an earlier version kept under warehouse/ into the default data folder, once, while that
    holds none of it yet; one line saying what moved."""
    if os.environ.get(paths.DATA_VARIABLE):  # a data folder chosen on purpose is left to its owner
        return []
    found = [name for name in LEGACY_STATE if (LEGACY_STATE_DIR / name).exists()]
    if not found or any((paths.data_dir() / name).exists() for name in LEGACY_STATE):
        return []
    paths.data_dir().mkdir(parents=True, exist_ok=True)
    for name in found:
        os.replace(LEGACY_STATE_DIR / name, paths.data_dir() / name)
    return [f"Moved the state of an earlier version from {LEGACY_STATE_DIR} to {paths.data_dir()}: {', '.join(found)}."]


def put_house_in_order(quick: bool = False) -> tuple[list[str], bool]:
    """Earlier state into the data folder, stray inbox entries to the quarantine, an unreadable published file
    aside; (notes, must the run rebuild). `quick`: see check_published."""
    notes = move_legacy_state() + inbox.sweep_strays(feed_names())
    must_rebuild = check_published(notes, quick)
    return notes, must_rebuild


def check_published(notes: list[str], quick: bool = False) -> bool:
    """Refuse a published file open for writing elsewhere; move an unreadable one aside (a note says so); whether
    the run must rebuild. `quick`: a published file unchanged since its build record was kept beside it is taken
    as readable without opening it (a refresh that finds nothing new launches nothing)."""
    published = build_state.inspect_published(quick)
    if published.condition == build_state.LOCKED:
        raise RefreshRefused(
            f"The published warehouse {published.path} is open for writing by another process ({published.detail}). "
            "It is only ever replaced, never written in place: close that connection (readers open it with "
            "read_only=True, as `innovation query` does) and run the refresh again. Nothing was changed.")
    if published.condition == build_state.UNREADABLE:
        aside = published.path.with_name(f"{published.path.name}.unreadable-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
        os.replace(published.path, aside)
        notes.append(f"The published warehouse {published.path} could not be read ({published.detail}); moved it to "
                     f"{aside} and rebuilding it from the archive.")
    elif published.condition == build_state.MISSING:
        notes.append(f"No published warehouse at {published.path}: building one from the archive.")
    return published.condition != build_state.READABLE


def innermost(error):
    """The error a step raised, out of the wrappers Dagster puts around it (SerializableErrorInfo causes)."""
    while error.cause is not None:
        error = error.cause
    return error


def plain_failure(reason: str) -> str:
    """A step's failure as the operator reads it: an operating-system error gets what to do about it."""
    advice = next((what for cause, what in OS_ERROR_ADVICE.items() if cause in reason), None)
    if advice is None:
        return reason
    return f"{reason.rstrip('.')}: {advice}, then run the refresh again. The published warehouse is unchanged."


def os_error_message(error: OSError) -> str:
    """An operating-system error before or after the run, as the operator reads it."""
    where = error.filename or "the warehouse folder"
    reason = error.strerror or str(error)
    advice = OS_ERROR_ADVICE.get(reason, "check that folder")
    return f"cannot write {where}: {reason}; {advice}, then run the refresh again. Nothing was published."


def refresh(years: list[int] | None = None, live: bool = False, feeds: list[str] | None = None, rebuild: bool = False,
            vintage: str | None = None, instance: DagsterInstance | None = None, log_level: str = "CRITICAL",
            acquisition: dict | None = None) -> RefreshResult:
    """One refresh.

    years: data years of the one-year-per-document feeds (default: every archived year; a live refresh also
        looks for the years not archived yet).
    live: also fetch online documents (the Acquisition resource; `acquisition` overrides its other
        settings, e.g. a test server's base URL).
    feeds: only these feeds' raw and landing assets (then every dbt model and the publish step).
    rebuild: rebuild and publish even when documents and code are those of the published build.
    vintage: which publication of a figure published more than once the marts use, "earliest" (the first
        release) or "latest" (the newest revision); default: the dbt project's `vintage` var.
    Raises RefreshRefused when it cannot start (the message says why); OSError when the warehouse folder
    cannot be written before the run.
    """
    reclaimed = reclaim_abandoned()  # staging copies, drops and children of runs that died
    asked = bool(live or years or feeds or rebuild or reclaimed)
    notes, must_rebuild = put_house_in_order(quick=not asked)
    launch = asked or must_rebuild or not nothing_new(vintage)
    if launch and not asked and not must_rebuild:  # the no-op check may have trusted the record beside the file;
        # a run opens the file first
        must_rebuild = check_published(notes)
    if must_rebuild:  # no readable warehouse to build on: every feed, every year
        years, feeds = None, None
    if reclaimed or launch:
        from dagster import DagsterInstance

        from orchestration.dagster_home import ensure_dagster_home
        from orchestration.recovery import reclaim_dead_runs

        if instance is None:
            ensure_dagster_home()
            instance = DagsterInstance.get()
        notes = reclaim_dead_runs(instance, reclaimed) + notes  # their status and concurrency slots
    if not launch:
        detail = (f"No run launched: the {len(load_registry())} archived documents, the empty inbox and the code "
                  "hash the same as the published build's.")
        summary = run_summary.finish_without_run(run_summary.UNCHANGED, detail, notes)
        return RefreshResult(True, None, summary, [], notes)
    from orchestration import progress
    from orchestration.definitions import defs
    from orchestration.jobs import failed_after_intake, feed_selection
    from orchestration.run_settings import REBUILD_TAG, VINTAGE_TAG, years_tags
    from warehouse.run_end import close_unpublished_run

    job = defs.resolve_job_def("materialize_everything")
    selection = feed_selection(feeds)
    steps = len((job.get_subset(asset_selection=set(selection)) if selection else job).graph.nodes)
    progress.current().begin("Refreshing: " + (", ".join(feeds) if feeds else "every feed"), steps,
                             progress.step_labels(defs))
    run_id = str(uuid.uuid4())
    build = StagedBuild(run_id)
    build.hold()  # before the run exists: no other refresh can take its staging folder for a dead run's
    try:
        # dbt's own progress lines go to a log file, and step events stay in the run's log (see `make dev`):
        # the caller prints the run summary and each failure in plain words, without Dagster's tracebacks.
        paths.runs_dir().mkdir(parents=True, exist_ok=True)
        with (paths.runs_dir() / STEP_OUTPUT_LOG).open("w", encoding="utf-8") as log, redirect_stdout(log):
            result = job.execute_in_process(
                instance=instance, run_id=run_id,
                tags={**years_tags(years), **({REBUILD_TAG: "true"} if rebuild or must_rebuild else {}),
                      VINTAGE_TAG: vintage or build_state.default_vintage()},
                asset_selection=selection, raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}, "progress": {}},
                            "resources": {"acquisition": {"config": {"live": live, **(acquisition or {})}}}},
            )
        failures = []
        for event in result.all_events:
            if event.is_step_failure:
                data = event.step_failure_data
                reason = data.user_failure_data.description if data.user_failure_data else innermost(data.error).message
                failures.append((event.step_key, plain_failure(reason.strip())))
        failure = "The run failed: " + "; ".join(f"{step} failed" for step, _ in failures) if not result.success else None
        steps = [step for step, _ in failures]
        summary = close_unpublished_run(run_id, failure, failed_after_intake(steps) or not steps, vintage)
        if summary is None and (paths.runs_dir() / run_id / "summary.json").is_file():
            summary = run_summary.load(run_id)  # the publish step closed the run
        elif summary is None:  # it failed before it wrote anything
            summary = run_summary.finish(run_id, run_summary.NOT_PUBLISHED, failure)
    finally:
        build.release()
    return RefreshResult(result.success, run_id, run_summary.add_notes(summary, notes), failures, notes)
