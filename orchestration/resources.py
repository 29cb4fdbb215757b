"""Every resource in one place.

DuckDB concurrency design (DuckDB allows one writer per file):
- One writer at a time: every asset and check that opens the warehouse runs in the pool
  `duckdb_writer` (limit 1 in orchestration/dagster.yaml), and the job uses the in-process
  executor, so steps of a run never overlap and two runs never write at once.
- Everything inside a run opens the file through this one DuckDBResource (dbt, in the same
  process tree, runs only after the landing steps have closed their connections).
- Analysts and the CLI open the file with read_only=True, outside a refresh.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration.dbt_project import dbt_project
from warehouse import paths

DUCKDB_POOL = "duckdb_writer"

# dbt reads the warehouse path from the environment (dbt_project/profiles.yml); make it the same file.
os.environ.setdefault("WAREHOUSE_DUCKDB_PATH", str(paths.duckdb_path()))


def resources() -> dict:
    return {
        "duckdb": DuckDBResource(database=str(paths.duckdb_path())),
        # The venv's own dbt, not whatever `dbt` is first on PATH.
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))),
    }
