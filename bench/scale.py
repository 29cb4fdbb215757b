"""The four marts from a synthetic city panel three ways, at 10⁵ … 3×10⁷ fact rows.

    nice -n 10 .venv/bin/python -m bench.scale [--sizes 1e5 1e6 1e7 3e7] [--repeats 3] [--profile]

Per size: write the SYNTHETIC panel (bench/synthetic_panel.py; kept in bench/out/ and reused while
its shape matches), then, interleaved `repeats` times so that all sides see the same machine load:

  landing    DuckDB SQL: city figures → province-grain tables shaped like landing.* (synthetic_landing,
             written to the file: dbt runs in another process and reads them from there)
  (a) dbt    the project's own dbt models on those tables: `dbt build` of the four marts and their
             parents (seeds, staging views, intermediate tables), tests excluded, as a subprocess the
             way dagster-dbt runs it, with `--vars {landing_schema: synthetic_landing}`; (a') once more
             with the intermediate models as views (`intermediate_materialized: view`, the default
             until these figures), re-evaluated inside every mart that reads them; and the same call
             selecting no node: dbt's fixed cost
  (c) SQL    the same landing SQL into an in-memory database, then hand-written DuckDB SQL for the marts
             (bench/duckdb_marts.py), written to the file: the floor, with nothing persisted that
             the marts do not need
  (b) pandas the city tables read into DataFrames, summed to provinces and the marts computed in
             pandas (bench/pandas_marts.py)

and checks, once per size (in an untimed warm-up round), that all of them give the same marts
(bench/mart_comparison.py). Prints min / median / max per stage, the ratios, how each side grows, and
the sizes: fact rows, file size, memory. `--profile` prints the slowest dbt nodes and writes
pyinstrument trees of one dbt build and of the pandas side to bench/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from bench import duckdb_marts, pandas_marts
from bench.mart_comparison import differences
from bench.synthetic_panel import LANDING_SCHEMA, PanelShape, build_landing, default_path, generate, shape_for_rows
from bench.timing import OUT_DIR, profile_to_file, spread
from core.paths import DBT_PROJECT_DIR
from warehouse.publish import DBT_TARGET_VARIABLE

MARTS = duckdb_marts.MARTS
DBT_TARGET_DIR = OUT_DIR / "dbt_target"
LANDING = "landing for dbt (DuckDB SQL, to the file)"
HAND_SQL_LANDING, HAND_SQL = "(c) hand SQL landing, in memory", "(c) hand SQL marts"
HAND_SQL_SCRATCH = "hand_sql_scratch"  # in-memory database attached for the hand SQL side's landing tables
PANDAS_READ, PANDAS_COMPUTE = "(b) pandas read city tables", "(b) pandas landing + marts"


@dataclass(frozen=True)
class DbtVariant:
    name: str
    target_subdir: str  # each variant keeps its own dbt target directory, so partial parsing holds
    dbt_vars: dict
    select: tuple[str, ...] = tuple(f"+{m}" for m in MARTS)  # the four marts and their parents


DBT_PROJECT = DbtVariant("(a) dbt build", "project", {"landing_schema": LANDING_SCHEMA})
# The intermediate models as views (the project's default until the 3×10⁷ figures): recomputed inside
# every mart that reads them.
DBT_VIEWS = DbtVariant("(a') dbt build, intermediate as views", "intermediate_views",
                       {"landing_schema": LANDING_SCHEMA, "intermediate_materialized": "view"})
# dbt's fixed cost: the same invocation selecting no node (start, imports, manifest, artifacts), which
# no panel size changes; pandas must take 10× this for dbt to be 10× faster at any size.
DBT_NOTHING = DbtVariant("dbt fixed cost: the same call, no node selected", "project", DBT_PROJECT.dbt_vars,
                         select=("tag:bench_selects_no_node",))
PANDAS_TARGET_RATIO = 10  # dbt/DuckDB should be at least this much faster than pandas at 10⁷ rows


@dataclass(frozen=True)
class DbtRun:
    wall_s: float  # the dbt process, start to exit
    models_s: float  # the nodes' own execution times summed (run_results.json); over 2 threads, may exceed wall_s
    peak_rss_mb: float  # largest resident set of any child process so far


def dbt_command(database: Path, target_dir: Path, variant: DbtVariant,
                profiles_dir: Path = DBT_PROJECT_DIR) -> tuple[list[str], dict[str, str]]:
    """`dbt build` of the variant's selection against `database`, tests excluded."""
    dbt = str(Path(sys.executable).with_name("dbt"))
    command = [dbt, "build", "--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(profiles_dir),
               "--target-path", str(target_dir), "--log-path", str(target_dir / "logs"), "--vars", json.dumps(variant.dbt_vars),
               "--exclude-resource-type", "test", "--select", *variant.select]
    # profiles.yml reads the target file from the environment (a refresh's staging copy, or the warehouse); the
    # fallback variable is set too, as dbt hashes every variable profiles.yml reads into its partial-parse state.
    env = {**os.environ, DBT_TARGET_VARIABLE: str(database), "WAREHOUSE_DATA_DIR": str(database.parent)}
    return command, env


def build_with_dbt(database: Path, target_dir: Path, variant: DbtVariant = DBT_PROJECT) -> DbtRun:
    command, env = dbt_command(database, target_dir, variant)
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, cwd=DBT_PROJECT_DIR)
    wall = time.perf_counter() - start
    results = json.loads((target_dir / "run_results.json").read_text(encoding="utf-8"))
    models = sum(r["execution_time"] for r in results["results"])
    return DbtRun(wall, models, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def marts_of(con: duckdb.DuckDBPyConnection, schema: str) -> dict:
    return {m: con.execute(f"SELECT * FROM {schema}.{m}").df() for m in MARTS}


@dataclass
class SizeFigures:
    label: str
    shape: PanelShape
    fact_rows: int
    file_mb: float = 0.0
    seconds: dict[str, list[float]] = field(default_factory=dict)
    pandas_panel_mb: float = 0.0
    dbt_peak_rss_mb: float = 0.0

    def add(self, stage: str, value: float) -> None:
        self.seconds.setdefault(stage, []).append(value)

    def totals(self) -> dict[str, list[float]]:
        """Each side from the city panel to the four marts."""
        s = self.seconds

        def plus(a: str, b: str) -> list[float]:
            return [x + y for x, y in zip(s[a], s[b], strict=True)]

        return {
            "(a) dbt: landing + dbt build": plus(LANDING, f"{DBT_PROJECT.name}, process"),
            "(a') dbt, intermediate views: total": plus(LANDING, f"{DBT_VIEWS.name}, process"),
            "(c) hand SQL: landing + marts": plus(HAND_SQL_LANDING, HAND_SQL),
            "(b) pandas: read + landing + marts": plus(PANDAS_READ, PANDAS_COMPUTE),
        }

    def medians(self) -> dict[str, float]:
        return {stage: statistics.median(v) for stage, v in {**self.seconds, **self.totals()}.items()}


def prepared_panel(target_rows: int, label: str) -> tuple[Path, PanelShape, int]:
    """The synthetic file for this size, regenerated only when missing or of another shape."""
    shape, path = shape_for_rows(target_rows), default_path(target_rows)
    expected = shape.total_rows()
    if path.exists():
        with duckdb.connect(str(path), read_only=True) as con:
            found = sum(con.execute(f"SELECT count(*) FROM synthetic.synthetic_city_{feed}").fetchall()[0][0]
                        for feed in shape.fact_rows())
        if found == expected:
            return path, shape, found
    print(f"  writing {label} panel …", flush=True)
    return path, shape, sum(generate(path, shape).values())


def one_round(path: Path, figures: SizeFigures, keep_marts: bool = False) -> dict[str, dict]:
    """Every side once; with keep_marts, the marts each side produced (read outside the timings)."""
    marts: dict[str, dict] = {}
    with duckdb.connect(str(path)) as con:
        start = time.perf_counter()
        build_landing(con)
        con.execute("CHECKPOINT")  # dbt opens the file next: landing must be on disk, as in a real run
        figures.add(LANDING, time.perf_counter() - start)
        con.execute(f"ATTACH ':memory:' AS {HAND_SQL_SCRATCH}")
        start = time.perf_counter()
        build_landing(con, f"{HAND_SQL_SCRATCH}.landing")
        figures.add(HAND_SQL_LANDING, time.perf_counter() - start)
        start = time.perf_counter()
        duckdb_marts.build_marts(con, f"{HAND_SQL_SCRATCH}.landing")
        con.execute("CHECKPOINT")
        figures.add(HAND_SQL, time.perf_counter() - start)
        if keep_marts:
            marts["hand SQL"] = marts_of(con, duckdb_marts.SCHEMA)
    for variant in (DBT_PROJECT, DBT_VIEWS):
        dbt = build_with_dbt(path, DBT_TARGET_DIR / variant.target_subdir, variant)
        figures.add(f"{variant.name}, process", dbt.wall_s)
        figures.add(f"{variant.name}, models' own SQL", dbt.models_s)
        figures.dbt_peak_rss_mb = max(figures.dbt_peak_rss_mb, dbt.peak_rss_mb)
        if keep_marts:
            with duckdb.connect(str(path), read_only=True) as con:
                marts[variant.name] = marts_of(con, "marts")
    figures.add(DBT_NOTHING.name, build_with_dbt(path, DBT_TARGET_DIR / DBT_NOTHING.target_subdir, DBT_NOTHING).wall_s)
    with duckdb.connect(str(path), read_only=True) as con:
        start = time.perf_counter()
        panel = pandas_marts.load_panel(con)
        figures.add(PANDAS_READ, time.perf_counter() - start)
    start = time.perf_counter()
    marts["pandas"] = pandas_marts.build_marts(panel)
    figures.add(PANDAS_COMPUTE, time.perf_counter() - start)
    figures.pandas_panel_mb = sum(f.memory_usage(deep=True).sum() for f in panel.facts.values()) / 2**20
    return marts


def check_agreement(marts: dict[str, dict], reference: str = DBT_PROJECT.name) -> list[str]:
    """Differences of every other build from the reference build (the project's dbt models)."""
    problems = []
    for side in marts:
        if side != reference:
            for mart in MARTS:
                problems += [f"{side} vs {reference}: {d}" for d in differences(mart, marts[reference][mart], marts[side][mart])]
    return problems


def report(figures: SizeFigures) -> None:
    print(f"\n== {figures.label}: {figures.fact_rows:,} synthetic fact rows ({figures.shape.years} data years × "
          f"300 cities, back series), file {figures.file_mb:.0f} MB")
    for stage, seconds in {**figures.seconds, **figures.totals()}.items():
        print(f"  {stage:<56} {spread(seconds)}")
    m = figures.medians()
    dbt, dbt_views, hand, pandas = (m[k] for k in figures.totals())
    print(f"  ratios of medians: pandas / dbt {pandas / dbt:.2f}×, pandas / dbt with intermediate views "
          f"{pandas / dbt_views:.2f}×, pandas / hand SQL {pandas / hand:.2f}×, dbt / hand SQL {dbt / hand:.1f}×"
          f"   (target pandas / dbt ≥ {PANDAS_TARGET_RATIO}× at 1e7)")
    print(f"  ceiling: pandas / dbt's fixed cost {pandas / m[DBT_NOTHING.name]:.2f}× (what pandas / dbt would be if the "
          f"models' SQL and the landing took no time)")
    tables_sql, views_sql = (m[f"{v.name}, models' own SQL"] for v in (DBT_PROJECT, DBT_VIEWS))
    print(f"  engine only: pandas landing + marts / DuckDB landing + hand marts "
          f"{m[PANDAS_COMPUTE] / (m[HAND_SQL_LANDING] + m[HAND_SQL]):.2f}×; dbt models' own SQL / hand SQL marts "
          f"{tables_sql / m[HAND_SQL]:.1f}× (intermediate tables), {views_sql / m[HAND_SQL]:.1f}× (views)")
    print(f"  memory: pandas city tables {figures.pandas_panel_mb:.0f} MB in DataFrames; dbt process peak RSS "
          f"{figures.dbt_peak_rss_mb:.0f} MB; this process peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def growth(all_figures: list[SizeFigures]) -> None:
    if len(all_figures) < 2:
        return
    first, last = all_figures[0], all_figures[-1]
    print(f"\n== growth {first.label} → {last.label} ({last.fact_rows / first.fact_rows:.0f}× the rows), medians")
    small, large = first.medians(), last.medians()
    for stage in small:
        print(f"  {stage:<56} {small[stage]:8.3f} s → {large[stage]:8.3f} s   ×{large[stage] / small[stage]:.1f}")


def profile(path: Path, label: str) -> None:
    """The slowest dbt nodes of the last round (run_results.json), pyinstrument trees of one dbt build
    (as configured) and of the pandas side."""
    command, env = dbt_command(path, DBT_TARGET_DIR / DBT_PROJECT.target_subdir, DBT_PROJECT)
    dbt_tree = OUT_DIR / f"scale_dbt_profile_{label}.txt"
    pyinstrument = str(Path(sys.executable).with_name("pyinstrument"))
    # dbt's own frames are library frames to pyinstrument: show them, down to 2 % of the time.
    subprocess.run([pyinstrument, "-r", "text", "-o", str(dbt_tree), "--show", "*/dbt/*", "-p",
                    "processor_options.filter_threshold=0.02", *command], env=env, check=True, cwd=DBT_PROJECT_DIR)
    print(f"  profile: {dbt_tree}")
    for variant in (DBT_PROJECT, DBT_VIEWS):
        results = json.loads((DBT_TARGET_DIR / variant.target_subdir / "run_results.json").read_text(encoding="utf-8"))
        slowest = sorted(results["results"], key=lambda r: -r["execution_time"])[:5]
        print(f"  slowest nodes, {variant.name}: "
              + ", ".join(f"{r['unique_id'].split('.')[-1]} {r['execution_time']:.2f} s" for r in slowest))
    with duckdb.connect(str(path), read_only=True) as con:
        panel = pandas_marts.load_panel(con)
    print(f"  profile: {profile_to_file(lambda: pandas_marts.build_marts(panel), f'scale_pandas_profile_{label}')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1e5", "1e6", "1e7", "3e7"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    all_figures = []
    for label in args.sizes:
        path, shape, rows = prepared_panel(int(float(label)), label)
        figures = SizeFigures(label, shape, rows)
        marts = one_round(path, SizeFigures(label, shape, rows), keep_marts=True)  # warm-up: dbt parse, file cache
        problems = check_agreement(marts)
        print(f"{label}: {', '.join(marts)} {'agree' if not problems else 'DISAGREE'} on the four marts")
        for problem in problems[:20]:
            print(f"  {problem}")
        for _ in range(args.repeats):
            one_round(path, figures)
        figures.file_mb = path.stat().st_size / 2**20
        report(figures)
        if args.profile:
            profile(path, label)
        all_figures.append(figures)
    growth(all_figures)


if __name__ == "__main__":
    main()
