"""Every mart built on Apache Spark from the published warehouse's landing data (`innovation marts --engine spark`).

The landing tables go to Parquet (warehouse/landing_parquet.py), then one `dbt build --target spark` seeds, builds
and tests every model on Spark (dbt-spark's in-process session: local mode, or the cluster `master` names) and
writes each mart as Parquet under `out/<mart>` (the on-run-end macro write_marts_parquet). The published DuckDB
file is only read. Spark's own files (its tables, the Derby metastore, scratch) live in a folder of their own,
removed afterwards unless the caller keeps it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core import paths
from warehouse.landing_parquet import published_folder, write_landing_parquet

TARGET = "spark"
LOCAL_MASTER = "local[2]"
# What of dbt's output a failure message shows: the lines that say which node failed and why.
FAILURE_LINES = 40


class SparkBuildFailed(RuntimeError):
    """dbt on Spark did not build or test every node; nothing was written to the output folder."""


@dataclass(frozen=True)
class SparkBuild:
    marts: list[str]  # the marts written, each to out/<mart>
    results: dict[str, int]  # dbt's node results by resource type and status, e.g. {"test pass": 48}


def dbt_executable() -> str:
    return str(Path(sys.executable).parent / "dbt")


def spark_dbt_command(work: Path, variables: dict, master: str = LOCAL_MASTER,
                      arguments: tuple[str, ...] = ()) -> tuple[list[str], dict[str, str]]:
    """`dbt build --target spark` with Spark's files under `work` (bench/spark_scale.py runs it too)."""
    (work / "tmp").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DBT_SPARK_WORKDIR": str(work), "DBT_SPARK_MASTER": master, "SPARK_LOCAL_IP": "127.0.0.1"}
    command = [dbt_executable(), "build", "--target", TARGET, "--project-dir", str(paths.DBT_PROJECT_DIR),
               "--profiles-dir", str(paths.DBT_PROJECT_DIR), "--target-path", str(work / "target"),
               "--log-path", str(work / "logs"), "--vars", json.dumps(variables), *arguments]
    return command, env


def build_marts_on_spark(warehouse: Path, out: Path, *, master: str = LOCAL_MASTER, vintage: str = "earliest",
                         work: Path | None = None, landing: Path | None = None) -> SparkBuild:
    """Build and test every model on Spark from `warehouse`'s landing tables (or from `landing`, their Parquet as
    the refresh published it with that warehouse); write each mart to `out/<mart>`."""
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    own_work = work is None
    work = Path(tempfile.mkdtemp(prefix="innovation-spark-")) if own_work else work.resolve()
    try:
        if landing is None:
            with duckdb.connect(str(warehouse), read_only=True) as con:
                write_landing_parquet(con, work / "landing")
        variables = {"vintage": vintage, "landing_parquet": str(landing or work / "landing"), "marts_out": str(out)}
        command, env = spark_dbt_command(work, variables, master)
        finished = subprocess.run(command, cwd=paths.DBT_PROJECT_DIR, env=env, capture_output=True, text=True,
                                  check=False)
        results = run_results(work / "target" / "run_results.json")
        if finished.returncode != 0:
            shown = "\n".join(finished.stdout.splitlines()[-FAILURE_LINES:])
            raise SparkBuildFailed(f"dbt build on Spark ({master}) failed (exit {finished.returncode}); "
                                   f"nothing was written to {out}:\n{shown}\n{finished.stderr[-2000:]}")
        marts = sorted(p.name for p in out.iterdir() if p.is_dir() and any(p.glob("*.parquet")))
        return SparkBuild(marts=marts, results=results)
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)


def run_results(path: Path) -> dict[str, int]:
    """How many nodes of each resource type ended in each status, from dbt's run_results.json."""
    if not path.is_file():
        return {}
    counts: dict[str, int] = {}
    for result in json.loads(path.read_text())["results"]:
        key = f"{result['unique_id'].split('.')[0]} {result['status']}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def published_landing_parquet(run_id: str | None) -> Path | None:
    """The landing Parquet the refresh published with the warehouse, if it is that very build's (run id)."""
    folder = published_folder()
    return folder if folder is not None and run_id is not None and folder.name == run_id else None
