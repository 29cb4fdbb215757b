"""Where the size bites, at 10⁸ synthetic rows: dbt on DuckDB against hand-written SQL, and pandas under a memory limit.

    nice -n 10 .venv/bin/python -m bench.scale_limits [--sizes 3e7 1e8] [--repeats 2] [--profile]
        [--limits 4GiB 8GiB] [--pandas-sizes 1e6 1e7 3e7 1e8]

bench/scale.py showed that up to 3×10⁷ rows dbt's fixed cost (≈ 6 s) decides its ratio against pandas. Here:

dbt against hand SQL, per size in --sizes: the SYNTHETIC panel (bench/synthetic_panel.py, reused from bench/out/)
summed to the landing tables once, on disk; then an untimed warm-up round that checks the two agree, and
`repeats` rounds, alternating which side goes first, of
  (a) dbt       `dbt build` of the four marts and their parents, tests excluded, as bench/scale.py runs it
  (c) hand SQL  bench/duckdb_marts.py in a process of its own (`python -m bench.duckdb_marts`)
Both read the same landing tables from the file and leave their marts in it. Per process: wall seconds, the
peak resident memory of its tree (sampled from /proc), and the engine's part — dbt's elapsed time in
run_results.json (after start-up and parsing), the hand SQL's from connect to CHECKPOINT. And dbt's fixed cost
once: the same call selecting no node. `--profile` prints the slowest dbt nodes of the last round.

Within a memory limit, per limit in --limits (a number of bytes with KiB/MiB/GiB, or `none`):
  (a), (c)      once more at the largest size, each in a child whose address space is capped with
                RLIMIT_AS at the limit, and DuckDB's memory_limit at half of it (beyond that DuckDB spills
                to a temporary directory next to the file); dbt gets it through a copy of the profile
  (b) pandas    `python -m bench.pandas_marts` (read the city tables, sum them to provinces, the marts) in a
                child capped the same way, at each of --pandas-sizes in turn until one fails: "ran out of
                memory at N rows" is a result line, not a crash of the benchmark.
The limit is set in the child (subprocess's preexec_fn, between fork and exec), so it binds the whole child —
interpreter, imports, data — and nothing of this process. A MemoryError, DuckDB's "Out of Memory Error", a
failed allocation of the loader, or a child killed by a signal (the kernel's OOM killer) counts as out of memory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from bench.duckdb_marts import SCHEMA as HAND_SQL_SCHEMA
from bench.scale import (
    DBT_NOTHING,
    DBT_PROJECT,
    DBT_TARGET_DIR,
    DbtVariant,
    check_agreement,
    dbt_command,
    marts_of,
    prepared_panel,
)
from bench.synthetic_panel import LANDING_SCHEMA, build_landing, size_label
from bench.timing import OUT_DIR, run_sampled, spread
from core.paths import DBT_PROJECT_DIR, REPO_ROOT

DBT, HAND_SQL = "(a) dbt build", "(c) hand SQL"
HAND_SQL_TARGET_RATIO = 1.5  # dbt on DuckDB within 1.5× of hand-written SQL at 10⁸ rows (issue 15)
UNITS = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30}
# What a child says when an allocation fails under RLIMIT_AS: DuckDB, numpy and pandas, OpenBLAS's buffers,
# the loader mapping an extension module or its thread-local data, Python's own mmap calls (ENOMEM).
OUT_OF_MEMORY_MARKERS = ("out of memory", "MemoryError", "bad_alloc", "cannot allocate memory", "failed to allocate",
                         "memory allocation", "failed to map segment")


def parse_limit(text: str) -> int | None:
    """'4GiB' → bytes; 'none' → no limit."""
    if text.lower() == "none":
        return None
    for unit, factor in UNITS.items():
        if text.endswith(unit):
            return int(float(text.removesuffix(unit)) * factor)
    return int(text)


def limit_label(limit_bytes: int | None) -> str:
    if limit_bytes is None:
        return "no limit"
    return f"{limit_bytes / 2**30:g} GiB" if limit_bytes % 2**30 == 0 else f"{limit_bytes / 2**20:g} MiB"


def duckdb_memory_limit(limit_bytes: int) -> str:
    """DuckDB's memory_limit inside an address-space limit: half of it, leaving the rest to the process
    (Python, dbt, threads' stacks, allocations outside DuckDB's buffer manager)."""
    return f"{limit_bytes // 2 // 2**20}MiB"


@dataclass(frozen=True)
class SideRun:
    wall_s: float
    peak_rss_mb: float
    engine_s: float | None  # dbt's run elapsed time, the hand SQL's connect → CHECKPOINT; None if it failed
    failure: str = ""  # empty when it ran; else what the child said last

    @property
    def out_of_memory(self) -> bool:
        """An allocation failed (the error says so) or the child was killed, as the kernel's OOM killer does."""
        return self.failure.startswith("killed by signal") or any(
            marker.lower() in self.failure.lower() for marker in OUT_OF_MEMORY_MARKERS)

    def outcome(self) -> str:
        if not self.failure:
            return f"ran in {self.wall_s:.1f} s, peak {self.peak_rss_mb:,.0f} MB resident"
        return ("ran out of memory" if self.out_of_memory else "failed") + f" after {self.wall_s:.1f} s: {self.failure}"


def _last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    errors = [line for line in lines if any(m.lower() in line.lower() for m in OUT_OF_MEMORY_MARKERS)]
    return (errors or lines or ["(no output)"])[-1].strip()[:300]


def limited_profiles(memory_limit: str, under: Path = OUT_DIR) -> Path:
    """A copy of the project's profiles.yml whose DuckDB target sets memory_limit (dbt-duckdb's `settings`), in a
    directory of its own under `under`, for `--profiles-dir`."""
    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    for profile in profiles.values():
        target = profile["outputs"][profile["target"]]
        target["settings"] = {**target.get("settings", {}), "memory_limit": memory_limit}
    directory = under / f"profiles_memory_limit_{memory_limit}"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "profiles.yml").write_text(yaml.safe_dump(profiles, allow_unicode=True, sort_keys=False),
                                            encoding="utf-8")
    return directory


def run_dbt(database: Path, variant: DbtVariant = DBT_PROJECT, limit_bytes: int | None = None) -> SideRun:
    """`dbt build` as a subprocess; under a limit, with RLIMIT_AS and DuckDB's memory_limit set."""
    if limit_bytes is None:
        profiles_dir, target_dir = DBT_PROJECT_DIR, DBT_TARGET_DIR / variant.target_subdir
    else:  # its own target directory: another profile would spoil the other's partial parsing
        profiles_dir = limited_profiles(duckdb_memory_limit(limit_bytes))
        target_dir = DBT_TARGET_DIR / f"{variant.target_subdir}_limited"
    command, env = dbt_command(database, target_dir, variant, profiles_dir)
    run = run_sampled(command, env, DBT_PROJECT_DIR, limit_bytes)
    if run.returncode != 0:
        return SideRun(run.wall_s, run.peak_rss_mb, None, _last_line(run.output))
    results = json.loads((target_dir / "run_results.json").read_text(encoding="utf-8"))
    return SideRun(run.wall_s, run.peak_rss_mb, results["elapsed_time"])


def run_module(module: str, database: Path, limit_bytes: int | None = None, *options: str) -> SideRun:
    """`python -m <module> --database <file>` (it prints its own seconds as JSON), in a child capped with
    RLIMIT_AS (set in the child, before it starts Python) if a limit is given."""
    command = [sys.executable, "-m", module, "--database", str(database), *options]
    run = run_sampled(command, dict(os.environ), REPO_ROOT, limit_bytes)
    if run.returncode != 0:
        failure = _last_line(run.output) if run.returncode > 0 else f"killed by signal {-run.returncode}"
        return SideRun(run.wall_s, run.peak_rss_mb, None, failure)
    return SideRun(run.wall_s, run.peak_rss_mb, next(iter(json.loads(run.output.strip().splitlines()[-1]).values())))


def run_hand_sql(database: Path, limit_bytes: int | None = None) -> SideRun:
    """bench/duckdb_marts.py in a process of its own, from the file's landing tables into the file."""
    options = ("--memory-limit", duckdb_memory_limit(limit_bytes)) if limit_bytes is not None else ()
    return run_module("bench.duckdb_marts", database, limit_bytes, *options)


@dataclass
class SizeRuns:
    label: str
    city_rows: int
    landing_rows: int
    landing_s: float
    file_mb: float = 0.0
    runs: dict[str, list[SideRun]] = field(default_factory=dict)
    fixed_cost_s: float = 0.0
    slowest_nodes: str = ""
    agreement: list[str] = field(default_factory=list)

    def add(self, side: str, run: SideRun) -> None:
        if run.failure:
            raise RuntimeError(f"{side} failed without a memory limit at {self.label}: {run.failure}")
        self.runs.setdefault(side, []).append(run)

    def median(self, side: str, attribute: str) -> float:
        return statistics.median(getattr(r, attribute) for r in self.runs[side])


def prepare_landing(target_rows: int) -> tuple[Path, SizeRuns]:
    label = size_label(target_rows)
    path, _, city_rows = prepared_panel(target_rows, label)
    with duckdb.connect(str(path)) as con:
        start = time.perf_counter()
        build_landing(con)
        con.execute("CHECKPOINT")  # on disk before another process reads it
        landing_s = time.perf_counter() - start
        landing_rows = sum(con.execute(f"SELECT count(*) FROM {LANDING_SCHEMA}.{t}").fetchall()[0][0] for (t,) in
                           con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = ?",
                                       [LANDING_SCHEMA]).fetchall())
    return path, SizeRuns(label, city_rows, landing_rows, landing_s)


def dbt_against_hand_sql(target_rows: int, repeats: int) -> tuple[Path, SizeRuns]:
    path, figures = prepare_landing(target_rows)
    print(f"\n== {figures.label}: {figures.city_rows:,} city rows → {figures.landing_rows:,} landing rows "
          f"(summed once, {figures.landing_s:.1f} s, not counted on either side)", flush=True)
    for side, run in ((DBT, run_dbt(path)), (HAND_SQL, run_hand_sql(path))):  # warm-up: dbt parse, file cache
        if run.failure:
            raise RuntimeError(f"{side} failed at {figures.label}: {run.failure}")
    with duckdb.connect(str(path), read_only=True) as con:
        figures.agreement = check_agreement({DBT: marts_of(con, "marts"), HAND_SQL: marts_of(con, HAND_SQL_SCHEMA)},
                                            reference=DBT)
    print(f"  marts: dbt and hand SQL {'agree' if not figures.agreement else 'DISAGREE'}")
    for problem in figures.agreement[:20]:
        print(f"    {problem}")
    for round_number in range(repeats):
        sides = [(DBT, run_dbt), (HAND_SQL, run_hand_sql)]
        for side, run in sides if round_number % 2 == 0 else reversed(sides):
            figures.add(side, run(path))
    figures.slowest_nodes = slowest_nodes()  # before the fixed-cost call rewrites run_results.json
    figures.fixed_cost_s = run_dbt(path, DBT_NOTHING).wall_s
    figures.file_mb = path.stat().st_size / 2**20
    return path, figures


def report(figures: SizeRuns) -> None:
    for side in (DBT, HAND_SQL):
        runs = figures.runs[side]
        print(f"  {side:<14} process {spread([r.wall_s for r in runs])}   engine {spread([r.engine_s for r in runs])}"
              f"   peak RSS {min(r.peak_rss_mb for r in runs):,.0f} / {figures.median(side, 'peak_rss_mb'):,.0f} / "
              f"{max(r.peak_rss_mb for r in runs):,.0f} MB")
    wall = figures.median(DBT, "wall_s") / figures.median(HAND_SQL, "wall_s")
    engine = figures.median(DBT, "engine_s") / figures.median(HAND_SQL, "engine_s")
    verdict = "met" if wall <= HAND_SQL_TARGET_RATIO else "MISSED"
    print(f"  dbt / hand SQL, medians: process {wall:.2f}× (target ≤ {HAND_SQL_TARGET_RATIO}×: {verdict}), "
          f"engine {engine:.2f}×; dbt's fixed cost (no node selected) {figures.fixed_cost_s:.1f} s; "
          f"file {figures.file_mb:,.0f} MB", flush=True)


def slowest_nodes(variant: DbtVariant = DBT_PROJECT, top: int = 8) -> str:
    results = json.loads((DBT_TARGET_DIR / variant.target_subdir / "run_results.json").read_text(encoding="utf-8"))
    slowest = sorted(results["results"], key=lambda r: -r["execution_time"])[:top]
    return ", ".join(f"{r['unique_id'].split('.')[-1]} {r['execution_time']:.1f} s" for r in slowest)


def pandas_ladder(panels: list[tuple[Path, int]], limit_bytes: int | None) -> list[tuple[int, SideRun]]:
    """(b) pandas (bench/pandas_marts.py, a process of its own) on each panel (file, city rows) in turn, under the
    limit, until one fails: city rows and the run, for each panel tried."""
    results = []
    for path, city_rows in panels:
        run = run_module("bench.pandas_marts", path, limit_bytes)
        results.append((city_rows, run))
        print(f"  (b) pandas, {city_rows:,} rows, {limit_label(limit_bytes)}: {run.outcome()}", flush=True)
        if run.failure:
            break
    return results


def summary(results: list[tuple[int, SideRun]], limit_bytes: int | None) -> str:
    ran = [(rows, run) for rows, run in results if not run.failure]
    largest = f"largest that ran: {ran[-1][0]:,} rows in {ran[-1][1].wall_s:.1f} s" if ran else "no size ran"
    if len(ran) == len(results):
        return f"  pandas within {limit_label(limit_bytes)}: every size ran; {largest}"
    rows, failed = results[-1]
    what = "ran out of memory" if failed.out_of_memory else "failed"
    return f"  pandas within {limit_label(limit_bytes)}: {what} at {rows:,} rows; {largest}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["3e7", "1e8"])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--limits", nargs="*", default=["4GiB", "8GiB"])
    parser.add_argument("--pandas-sizes", nargs="*", default=["1e6", "1e7", "3e7", "1e8"])
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    largest = None
    for label in args.sizes:
        largest, figures = dbt_against_hand_sql(int(float(label)), args.repeats)
        report(figures)
        if args.profile:
            print(f"  slowest dbt nodes, last round: {figures.slowest_nodes}")
    pandas_panels = [(path, rows) for path, _, rows in (prepared_panel(int(float(s)), s) for s in args.pandas_sizes)]
    for limit_bytes in (parse_limit(text) for text in args.limits):
        print(f"\n== within {limit_label(limit_bytes)} (RLIMIT_AS in the child"
              + (f"; DuckDB memory_limit {duckdb_memory_limit(limit_bytes)})" if limit_bytes else ")"), flush=True)
        if largest is not None:
            for side, run in ((DBT, run_dbt(largest, limit_bytes=limit_bytes)),
                              (HAND_SQL, run_hand_sql(largest, limit_bytes))):
                print(f"  {side}, {args.sizes[-1]}: {run.outcome()}", flush=True)
        if pandas_panels:
            print(summary(pandas_ladder(pandas_panels, limit_bytes), limit_bytes), flush=True)


if __name__ == "__main__":
    main()
