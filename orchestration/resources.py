"""Every resource in one place.

DuckDB concurrency design (DuckDB allows one writer per file), decided once:
- Nothing in a run writes the published warehouse. Each run builds into its own staging copy
  (`WarehouseBuild`, warehouse/publish.py); the last step swaps it in with one atomic rename, and only
  if every Pandera and dbt check passed. Readers (analysts, the CLI, the report) open the published
  file read-only and never block, or see half of, a refresh.
- One writer per staging file: steps that write it run in the pool `duckdb_writer` (limit 1 in
  orchestration/dagster.yaml) under the in-process executor, so they never overlap; dbt runs only
  after the landing steps have closed their connections.
- Two runs may build side by side; the second to publish finds the published file replaced since it
  copied it and fails (PublishConflict) instead of silently dropping the first run's work.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, InitResourceContext
from dagster_duckdb import DuckDBResource

from core import paths
from orchestration.dagster_api import PinnedDbtCliResource
from orchestration.dbt_project import dbt_project
from scrapers._sources.http_client import FetchPolicy, HttpClient
from warehouse.publish import StagedBuild

DUCKDB_POOL = "duckdb_writer"
# dbt through a launcher that ties it to this process (orchestration/dbt-tied-to-parent), where util-linux's
# setpriv exists; the plain venv dbt elsewhere.
VENV_DBT = Path(sys.executable).with_name("dbt")
DBT_LAUNCHER = Path(__file__).with_name("dbt-tied-to-parent")


def dbt_executable() -> str:
    if shutil.which("setpriv") is None:
        return str(VENV_DBT)
    os.environ["INNOVATION_DBT_EXECUTABLE"] = str(VENV_DBT)  # read by the launcher, inherited by dbt's process
    return str(DBT_LAUNCHER)


class WarehouseBuild(ConfigurableResource):
    """The run's staging warehouse: where landing, checks and dbt write; published at the end.

    The run's lock (warehouse/publish.py) is taken when the run's resources are set up, before its first step
    claims the duckdb_writer slot, and dropped when they are torn down: a run whose lock is free is dead
    (orchestration/recovery.py).
    """

    def setup_for_execution(self, context: InitResourceContext) -> None:
        if context.run is not None:  # None when the resource is built outside a run (a sensor, a test)
            StagedBuild(context.run.run_id).hold()

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if context.run is not None:
            StagedBuild(context.run.run_id).release()

    def staged(self, run_id: str) -> StagedBuild:
        return StagedBuild(run_id)

    @contextmanager
    def connection(self, run_id: str) -> Iterator[duckdb.DuckDBPyConnection]:
        database = self.staged(run_id).ensure()
        with DuckDBResource(database=str(database)).get_connection() as con:
            yield con

    @contextmanager
    def dbt_target(self, run_id: str) -> Iterator[Path]:
        """dbt pointed at the run's staging file for one invocation (StagedBuild.dbt_target)."""
        with self.staged(run_id).dbt_target() as database:
            yield database


class Acquisition(ConfigurableResource):
    """Live mode and the HTTP policy of live fetches. Off by default: `make run` reads the bundled
    documents only. Turn it on with WAREHOUSE_LIVE=1, `refresh --live`, or this resource's run config."""

    live: bool = False
    # Where the official site is: live sources fetch their URLs on this scheme and host instead (tests point it
    # at a local server; None = the URLs as published).
    base_url: str | None = None
    # Hosts that may be fetched; None = the official ones in scrapers/_sources/allowed_hosts.toml.
    allowed_hosts: list[str] | None = None
    connect_timeout_seconds: float = FetchPolicy.connect_timeout
    read_timeout_seconds: float = FetchPolicy.read_timeout
    retries: int = FetchPolicy.retries
    backoff_factor_seconds: float = FetchPolicy.backoff_factor
    max_retry_after_seconds: float = FetchPolicy.max_retry_after
    min_request_interval_seconds: float = FetchPolicy.min_request_interval

    def client(self) -> HttpClient:
        policy = FetchPolicy(
            connect_timeout=self.connect_timeout_seconds, read_timeout=self.read_timeout_seconds, retries=self.retries,
            backoff_factor=self.backoff_factor_seconds,
            backoff_jitter=min(FetchPolicy.backoff_jitter, self.backoff_factor_seconds),
            max_retry_after=self.max_retry_after_seconds, min_request_interval=self.min_request_interval_seconds,
        )
        return HttpClient(policy, allowed_hosts=self.allowed_hosts)


class SparkEngine(ConfigurableResource):
    """The Spark the `spark/marts` asset builds on: dbt's `spark` target (dbt-spark's session method) with this
    master, writing each mart as Parquet under out_dir/<mart>. A cluster: its master URL, and an out_dir on
    storage every machine reads (hdfs://…, s3a://…; docs/scaling.md)."""

    master: str = "local[2]"
    out_dir: str = ""  # default: <data folder>/spark_marts

    def out_path(self) -> Path:
        return Path(self.out_dir) if self.out_dir else paths.data_dir() / "spark_marts"


def resources() -> dict:
    return {
        "warehouse": WarehouseBuild(),
        "acquisition": Acquisition(live=os.environ.get("WAREHOUSE_LIVE") == "1",
                                   base_url=os.environ.get("WAREHOUSE_LIVE_BASE_URL") or None),
        # The venv's own dbt, not whatever `dbt` is first on PATH.
        "dbt": PinnedDbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
        "spark": SparkEngine(master=os.environ.get("DBT_SPARK_MASTER") or "local[2]"),
    }
