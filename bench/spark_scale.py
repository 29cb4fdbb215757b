"""The project's dbt models on DuckDB and on Apache Spark (local mode), at 10⁶ … 10⁸ synthetic city rows.

    nice -n 10 .venv/bin/python -m bench.spark_scale [--sizes 1e6 1e7 1e8] [--master local[2]]

Per size, once (a Spark build takes minutes; the spread of bench/scale.py's repeats is not the question here):
the SYNTHETIC city panel (bench/synthetic_panel.py, reused from bench/out/ while its shape matches) summed to
province-grain landing tables in DuckDB, as bench/scale.py does; then the four marts and their parents (tests
excluded) built by `dbt build` on DuckDB, and — after writing the landing tables as Parquet — by
`dbt build --target spark`, each as a subprocess; the Spark marts are checked against DuckDB's
(bench/mart_comparison.py); and Spark's fixed cost, the same call selecting no node. Prints wall
seconds and the peak resident memory of each dbt process tree (for Spark, the JVM it starts), sampled from /proc.
"""

from __future__ import annotations

import argparse
import shutil
import time

import duckdb

from bench.mart_comparison import differences
from bench.scale import DBT_NOTHING, DBT_PROJECT, DBT_TARGET_DIR, MARTS, dbt_command, prepared_panel
from bench.synthetic_panel import LANDING_SCHEMA, build_landing, size_label
from bench.timing import OUT_DIR, run_sampled
from core.paths import DBT_PROJECT_DIR
from orchestration.spark import LOCAL_MASTER, spark_dbt_command
from warehouse.landing_parquet import write_landing_parquet


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run `command` to completion: wall seconds, and the peak memory of its process tree in MB."""
    run = run_sampled(command, env, DBT_PROJECT_DIR)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed:\n{run.output[-4000:]}")
    return run.wall_s, run.peak_rss_mb


def one_size(target_rows: int, master: str) -> dict:
    label = size_label(target_rows)
    path, shape, city_rows = prepared_panel(target_rows, label)
    with duckdb.connect(str(path)) as con:
        build_landing(con)
        con.execute("CHECKPOINT")
        landing_rows = sum(con.execute(f"SELECT count(*) FROM {LANDING_SCHEMA}.{t}").fetchall()[0][0]
                           for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = ?",
                                                   [LANDING_SCHEMA]).fetchall())
    figures = {"size": label, "city_rows": city_rows, "landing_rows": landing_rows}
    command, env = dbt_command(path, DBT_TARGET_DIR / DBT_PROJECT.target_subdir, DBT_PROJECT)
    figures["duckdb_s"], figures["duckdb_peak_mb"] = timed(command, env)

    work = OUT_DIR / f"spark_{label}"
    shutil.rmtree(work, ignore_errors=True)
    start = time.perf_counter()
    with duckdb.connect(str(path), read_only=True) as con:
        write_landing_parquet(con, work / "landing", schema=LANDING_SCHEMA)
    figures["parquet_s"] = time.perf_counter() - start
    variables = {**DBT_PROJECT.dbt_vars, "landing_parquet": str(work / "landing"), "marts_out": str(work / "marts")}
    command, env = spark_dbt_command(work, variables, master,
                                     ("--exclude-resource-type", "test", "--select", *DBT_PROJECT.select))
    figures["spark_s"], figures["spark_peak_mb"] = timed(command, env)
    # Spark's fixed cost: the same call selecting no node (dbt, the JVM, the metastore, registering the landing
    # Parquet in on-run-start), which no panel size changes.
    command, env = spark_dbt_command(work, variables, master, ("--select", *DBT_NOTHING.select))
    figures["spark_fixed_s"] = timed(command, env)[0]

    problems = []
    with duckdb.connect(str(path), read_only=True) as con:
        for mart in MARTS:
            duck = con.execute(f"SELECT * FROM marts.{mart}").df()
            spark = con.execute(f"SELECT * FROM read_parquet('{work / 'marts' / mart}/*.parquet')").df()
            problems += differences(mart, duck, spark)
    figures["differences"] = len(problems)
    for problem in problems[:10]:
        print("   ", problem)
    shutil.rmtree(work, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e6, 1e7, 1e8])
    parser.add_argument("--master", default=LOCAL_MASTER)
    args = parser.parse_args()
    print("| city rows | landing rows | dbt on DuckDB: s | peak MB | landing → Parquet: s | dbt on Spark "
          f"({args.master}): s | peak MB | Spark, no node selected: s | differences |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        f = one_size(int(size), args.master)
        print(f"| {f['city_rows']:,} | {f['landing_rows']:,} | {f['duckdb_s']:.1f} | {f['duckdb_peak_mb']:,.0f} | "
              f"{f['parquet_s']:.1f} | {f['spark_s']:.1f} | {f['spark_peak_mb']:,.0f} | {f['spark_fixed_s']:.1f} | "
              f"{f['differences']} |", flush=True)


if __name__ == "__main__":
    main()
