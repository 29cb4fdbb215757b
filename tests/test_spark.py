"""The same dbt models on Apache Spark (local mode) give the DuckDB build's marts, cell for cell.

One Spark build for the module (about two minutes on two cores: a JVM, then every seed, model and dbt test), from
the session's published warehouse, through the command's own code path (orchestration/spark.py). Every mart of
the DuckDB build is compared with Spark's Parquet: the same columns, the same rows, strings and booleans equal,
numbers equal within floating-point tolerance (the engines sum doubles in different orders), NULL where the other
has NULL, so each NULL keeps its reason. Marked `spark` so it can be reported apart: `pytest -m spark`.
"""

from __future__ import annotations

import json
import math
import shutil
from collections import Counter

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from core import paths
from orchestration.assets.spark import spark_marts
from orchestration.resources import SparkEngine
from orchestration.spark import SparkBuild

# One worker takes the whole module (`make test` runs --dist loadgroup): its fixture is a Spark build, paid once.
pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def spark_build(built_warehouse, tmp_path_factory):
    if shutil.which("java") is None:
        pytest.fail("Java is needed for Spark: install openjdk-17-jre-headless (.ci/run does)")
    out = tmp_path_factory.mktemp("spark-marts")
    # Through the Dagster asset, the engine set by its resource (what `innovation marts --engine spark` also runs).
    result = materialize([spark_marts], resources={"spark": SparkEngine(out_dir=str(out))},
                         instance=DagsterInstance.ephemeral())
    (materialization,) = result.asset_materializations_for_node(spark_marts.node_def.name)
    metadata = materialization.metadata
    return out, SparkBuild(marts=metadata["marts"].value, results=metadata["dbt_results"].value)


def mart_rows(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[list[str], list[tuple]]:
    """Columns and rows of a relation, rows in one order: every mart has a unique key among its first columns."""
    result = con.execute(f"SELECT * FROM {relation} ORDER BY ALL")
    return [c[0] for c in result.description], result.fetchall()


def same_cell(duck, spark) -> bool:
    if duck is None or spark is None:
        return duck is None and spark is None
    if isinstance(duck, float) or isinstance(spark, float):
        return math.isclose(duck, spark, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE)
    return duck == spark


def compare_marts(warehouse, out) -> tuple[dict[str, int], list[str]]:
    """Cells compared per mart, and one line per difference."""
    cells, differences = {}, []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = [name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' ORDER BY table_name").fetchall()]
        for mart in marts:
            columns, duck_rows = mart_rows(con, f"marts.{mart}")
            spark_columns, spark_rows = mart_rows(con, f"read_parquet('{out / mart}/*.parquet')")
            if spark_columns != columns or len(spark_rows) != len(duck_rows):
                differences.append(f"{mart}: columns {spark_columns} / {len(spark_rows)} rows on Spark, "
                                   f"{columns} / {len(duck_rows)} rows on DuckDB")
                continue
            cells[mart] = len(columns) * len(duck_rows)
            for duck_row, spark_row in zip(duck_rows, spark_rows, strict=True):
                differences += [f"{mart}.{column} at {duck_row[:3]}: DuckDB {d!r}, Spark {s!r}"
                                for column, d, s in zip(columns, duck_row, spark_row, strict=True) if not same_cell(d, s)]
    return cells, differences


def test_every_seed_model_and_dbt_test_runs_on_spark(spark_build):
    """Each node of the project (the manifest `make` parses) ran on Spark, and none failed: a warn-severity test may
    warn, as on DuckDB."""
    _, build = spark_build
    nodes = json.loads((paths.DBT_PROJECT_DIR / "target" / "manifest.json").read_text())["nodes"].values()
    expected = Counter(n["resource_type"] for n in nodes if n["resource_type"] in ("seed", "model", "test"))
    ran = Counter()
    for key, count in build.results.items():
        kind, status = key.split()
        if kind in expected:
            assert status in ("success", "pass", "warn"), build.results
            ran[kind] += count
    assert ran == expected, (ran, expected)


def test_spark_marts_equal_duckdb_marts_cell_for_cell(built_warehouse, spark_build):
    out, build = spark_build
    cells, differences = compare_marts(built_warehouse, out)
    print(f"\nSpark vs DuckDB: {len(cells)} marts, {sum(cells.values())} cells compared "
          f"({', '.join(f'{m} {n}' for m, n in cells.items())}); differences: {len(differences)}")
    assert sorted(cells) == build.marts, (sorted(cells), build.marts)
    assert all(n > 0 for n in cells.values()), cells
    assert differences == [], "\n".join(differences[:30])
