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
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration.dbt_project import dbt_project
from warehouse.publish import StagedBuild

DUCKDB_POOL = "duckdb_writer"
DBT_TARGET_VARIABLE = "DBT_BUILD_DUCKDB_PATH"


class WarehouseBuild(ConfigurableResource):
    """The run's staging warehouse: where landing, checks and dbt write; published at the end."""

    def staged(self, run_id: str) -> StagedBuild:
        return StagedBuild(run_id)

    @contextmanager
    def connection(self, run_id: str) -> Iterator[duckdb.DuckDBPyConnection]:
        database = self.staged(run_id).ensure()
        with DuckDBResource(database=str(database)).get_connection() as con:
            yield con

    @contextmanager
    def dbt_target(self, run_id: str) -> Iterator[Path]:
        """Point dbt at the staging file for one invocation.

        dbt takes its target path from the environment only (profiles.yml reads DBT_BUILD_DUCKDB_PATH),
        and the dbt subprocess inherits this process's environment; steps run one at a time.
        """
        database = self.staged(run_id).ensure()
        os.environ[DBT_TARGET_VARIABLE] = str(database)
        try:
            yield database
        finally:
            del os.environ[DBT_TARGET_VARIABLE]


def resources() -> dict:
    return {
        "warehouse": WarehouseBuild(),
        # The venv's own dbt, not whatever `dbt` is first on PATH.
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))),
    }
