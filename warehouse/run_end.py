"""How a run that does not publish ends: its summary written, its drops settled, its staging copy dropped.

The publish step closes a run that publishes; everything else ends here, called by the refresh that
launched the run in-process or by the Dagster sensors that watch runs launched from the UI or a schedule.
"""

from __future__ import annotations

import duckdb

from warehouse import build_state, run_summary
from warehouse.archive import Pending
from warehouse.publish import RunAlreadyBuilding, StagedBuild


def close_unpublished_run(run_id: str, failure: str | None, judged: bool = True,
                          vintage: str | None = None) -> run_summary.RunSummary | None:
    """A run that ended without publishing: write its summary, settle the drops it took in, drop its staging copy.

    It failed (`failure` says how), found nothing new (same documents and code as the published build: dbt
    and the publish step skipped), or did not include the publish step. Its drops go back to the inbox,
    unless it failed after judging them (`judged`: a step after intake failed, so the failure may be theirs;
    they go to the quarantine with it). `vintage`: the run's vintage rule (default: the project's). Returns
    None when another process is closing (or reclaiming) the run, or nothing is left to close."""
    build = StagedBuild(run_id)
    try:
        build.hold()  # whoever holds the run's lock closes it; a refresh reclaiming it meanwhile skips it
    except RunAlreadyBuilding:
        return None
    try:
        if not build.folder.exists():
            return None  # published (the publish step closed it) or never started building
        drops = Pending(run_id).release(failure if failure and judged else None)
        if failure:
            summary = run_summary.finish(run_id, run_summary.NOT_PUBLISHED, failure, notes=drops)
        elif build.exists and _unchanged(build, vintage or build_state.default_vintage()):
            summary = run_summary.finish(run_id, run_summary.UNCHANGED, notes=drops)
        else:
            summary = run_summary.finish(run_id, run_summary.NOT_PUBLISHED,
                                         "The run did not include the publish step: nothing was published.", notes=drops)
        build.discard()
        return summary
    finally:
        build.release()


def _unchanged(build: StagedBuild, vintage: str) -> bool:
    with duckdb.connect(str(build.database), read_only=True) as con:
        return build_state.unchanged_since_published(con, vintage)
