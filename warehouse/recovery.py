"""Reclaim what dead runs left: their staging copies, the drops they had taken in, their child processes.

A run is dead when nothing holds its lock (warehouse/publish.py): it was killed, it crashed, or the
machine rebooted. Every refresh starts by reclaiming dead runs, and says so, line by line; the
Dagster side of a dead run (its status, its concurrency slots) is reclaimed by the orchestration
(orchestration/recovery.py), which calls this first.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field

from warehouse.archive import Pending
from warehouse.publish import StagedBuild, abandoned_builds, process_start_time


@dataclass
class ReclaimedBuild:
    run_id: str
    had_staging_copy: bool
    stopped_child: int | None = None  # pid of a child (dbt) that was still running, now killed
    drops: list[str] = field(default_factory=list)  # what happened to the drops it had taken in

    def describe(self) -> str:
        parts = ["removed its staging copy" if self.had_staging_copy else "removed its lock"]
        if self.stopped_child is not None:
            parts.append(f"stopped its orphaned dbt process {self.stopped_child}")
        parts += self.drops
        return f"run {self.run_id} had died without finishing (killed, crashed or the machine restarted): " + "; ".join(parts)


def stop_orphaned_child(build: StagedBuild) -> int | None:
    """Kill the child the dead run recorded, if that very process (same pid and start time) still runs."""
    child = build.recorded_child()
    if not child or child.get("started") is None or process_start_time(child["pid"]) != child["started"]:
        return None
    try:
        os.kill(child["pid"], signal.SIGKILL)
    except ProcessLookupError:
        return None
    return child["pid"]


def reclaim_abandoned() -> list[ReclaimedBuild]:
    """Reclaim every dead run's staging folder: stop its child, put back the drops it held (they were never
    judged), remove the folder and the lock."""
    reclaimed = []
    for build in abandoned_builds():
        found = ReclaimedBuild(build.run_id, build.folder.is_dir(), stop_orphaned_child(build))
        found.drops = Pending(build.run_id).release(failure=None)
        build.discard()
        build.release()
        reclaimed.append(found)
    return reclaimed
