"""A refresh killed at any moment wedges nothing: the next refresh reclaims the dead run (its Dagster status,
its duckdb_writer concurrency slot, its staging copy, its dbt child) and says so, and runs to the end.

The refreshes run as separate processes against one persistent Dagster instance (a temporary DAGSTER_HOME
with the project's dagster.yaml, so the one-slot pool is in force: an ephemeral instance would forget the
slot with the process). Each is stopped at a fail point (warehouse/failpoints.py) and killed with SIGKILL
there: during landing, while dbt builds, and inside the publish step just before the swap.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, DagsterRunStatus

from core import paths
from core.failpoints import FIFO_VARIABLE, POINTS_VARIABLE
from warehouse.publish import CHILD_FILE

# Bounds, not timings: how long a refresh may take to reach a fail point, and to finish, on a busy CI machine.
REACH_FAILPOINT_SECONDS = 240
FINISH_SECONDS = 300
CHILD_DIES_SECONDS = 30

REFRESH = textwrap.dedent("""
    import sys
    from orchestration.refresh import refresh
    result = refresh(rebuild=True, feeds=["torch_hightech_enterprise"], years=[2023])
    print(result.summary.text)
    sys.exit(0 if result.success else 1)
""")


@pytest.fixture
def house(built_warehouse, tmp_path) -> dict:
    """A private copy of the published warehouse and a persistent Dagster instance for the refreshes."""
    copy = tmp_path / "data" / "innovation.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(built_warehouse, copy)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(paths.REPO_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    fifo = tmp_path / "failpoint.fifo"
    os.mkfifo(fifo)
    env = {**os.environ, "WAREHOUSE_DATA_DIR": str(copy.parent), "DAGSTER_HOME": str(home), FIFO_VARIABLE: str(fifo)}
    return {"warehouse": copy, "home": home, "fifo": fifo, "env": env}


def start_refresh(house: dict, failpoint: str | None) -> subprocess.Popen:
    env = {**house["env"], POINTS_VARIABLE: failpoint or ""}
    return subprocess.Popen([sys.executable, "-c", REFRESH], cwd=paths.REPO_ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_at_failpoint(house: dict, process: subprocess.Popen, failpoint: str) -> int:
    """Block until the refresh reports from the fail point (bounded); returns the pid that stopped there."""
    fd = os.open(house["fifo"], os.O_RDONLY | os.O_NONBLOCK)
    try:
        readable, _, _ = select.select([fd], [], [], REACH_FAILPOINT_SECONDS)
        message = os.read(fd, 4096).decode() if readable else ""
    finally:
        os.close(fd)
    if not message:
        process.kill()
        pytest.fail(f"the refresh never reached fail point {failpoint!r}: {process.communicate()[0][-3000:]}")
    name, pid = message.split()
    assert name == failpoint
    return int(pid)


def wait_until_gone(pid: int) -> None:
    """Block until process `pid` (not our child) has exited, bounded: pidfd_open makes its end a readable event."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        readable, _, _ = select.select([fd], [], [], CHILD_DIES_SECONDS)
        assert readable, f"process {pid} outlived the refresh that started it"
    finally:
        os.close(fd)


def staging_children(warehouse: Path) -> list[int]:
    return [json.loads(f.read_text())["pid"] for f in (warehouse.parent / "staging").glob(f"*/{CHILD_FILE}")]


def test_kill_9_at_landing_dbt_and_publish_then_the_next_refresh_reclaims_and_publishes(house):
    original = house["warehouse"].read_bytes()
    killed_runs = []
    for failpoint in ("landing", "dbt", "publish"):
        # Each refresh first reclaims the one killed before it: without that it would wait for the dead run's
        # concurrency slot for ever and never reach its own fail point.
        process = start_refresh(house, failpoint)
        pid = wait_at_failpoint(house, process, failpoint)
        assert pid == process.pid
        children = staging_children(house["warehouse"])
        os.kill(process.pid, signal.SIGKILL)  # the refresh alone, as `kill -9 <pid>` does: not its process group
        process.communicate(timeout=30)
        for child in children:  # dbt dies with its parent
            wait_until_gone(child)
        assert house["warehouse"].read_bytes() == original, f"killed at {failpoint}: the published file changed"
        killed_runs.append(failpoint)
        if failpoint == "dbt":
            assert children, "the dbt step recorded no child"

    final = start_refresh(house, None)
    output, _ = final.communicate(timeout=FINISH_SECONDS)
    assert final.returncode == 0, output[-3000:]
    assert "published" in output.splitlines()[0]
    reclaimed = [line for line in output.splitlines() if line.startswith("Note: Reclaimed run")]
    assert len(reclaimed) == 1 and "freed its duckdb_writer slot" in reclaimed[0] and "marked it failed" in reclaimed[0]
    assert "removed its staging copy" in reclaimed[0]

    instance = DagsterInstance.from_config(str(house["home"]))
    runs = instance.get_runs()
    assert [r.status for r in runs].count(DagsterRunStatus.FAILURE) == len(killed_runs)
    assert [r.status for r in runs].count(DagsterRunStatus.SUCCESS) == 1
    assert instance.event_log_storage.get_concurrency_run_ids() == set()
    assert not [p for p in (house["warehouse"].parent / "staging").iterdir() if not p.name.startswith(".")]
    with duckdb.connect(str(house["warehouse"]), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.cluster_stage_efficiency").fetchall()[0][0] > 0
