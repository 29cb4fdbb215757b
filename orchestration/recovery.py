"""Reclaim dead runs before a new one starts: their staging copies and drops (warehouse/recovery.py) and
their Dagster state — a run left STARTED for ever, and the `duckdb_writer` concurrency slot it held,
which would make every later run wait on it for good.

A run is dead when nothing holds its lock (warehouse/publish.py): the lock is taken before the run's first
step claims a slot and held until it ends, by the refresh that launched it in-process or, for runs the
daemon launches, by the run's own process (orchestration/resources.py, WarehouseBuild).
"""

from __future__ import annotations

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from orchestration.dagster_api import free_concurrency_slots, runs_holding_concurrency_slots
from warehouse.publish import RunAlreadyBuilding, StagedBuild
from warehouse.recovery import ReclaimedBuild, reclaim_abandoned

UNFINISHED = [DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING, DagsterRunStatus.QUEUED,
              DagsterRunStatus.NOT_STARTED]


def is_alive(run_id: str) -> bool:
    """Some process holds the run's lock."""
    build = StagedBuild(run_id)
    try:
        build.hold()
    except RunAlreadyBuilding:
        return True
    build.release()
    return False


def reclaim_dead_runs(instance: DagsterInstance, reclaimed: list[ReclaimedBuild] | None = None) -> list[str]:
    """Reclaim every dead run; one line for each, saying what was reclaimed.

    Dead: its lock was found free (it had taken it, so it ran, and its process is gone), or it holds a
    concurrency slot while nothing holds its lock (a living run takes its lock before it claims a slot). A run
    not yet started by the daemon has neither, and is left alone. `reclaimed`: the staging side, if the caller
    reclaimed it already (warehouse/recovery.py).
    """
    reclaimed = reclaim_abandoned() if reclaimed is None else reclaimed
    lines = {found.run_id: found.describe() for found in reclaimed}
    holding = runs_holding_concurrency_slots(instance)
    dead = set(lines) | {run_id for run_id in holding if not is_alive(run_id)}
    unfinished = {run.run_id: run for run in instance.get_runs(filters=RunsFilter(statuses=UNFINISHED, run_ids=sorted(dead)))} \
        if dead else {}
    for run_id in sorted(dead):
        done = []
        if run_id in holding:
            free_concurrency_slots(instance, run_id)
            done.append("freed its duckdb_writer slot")
        if run_id in unfinished:
            instance.report_run_failed(unfinished[run_id], message="The run's process died without finishing (killed, "
                                       "crashed or the machine restarted); a later refresh marked it failed.")
            done.append("marked it failed")
        line = lines.get(run_id, f"run {run_id} had died without finishing (killed, crashed or the machine restarted)")
        lines[run_id] = "; ".join([line, *done])
    return [f"Reclaimed {line}." for _, line in sorted(lines.items())]
