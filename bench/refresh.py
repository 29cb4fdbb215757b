"""Cold and no-op refresh of the bundled documents, each in a fresh process as a scheduled run would be,
side by side with the plain pandas script that builds the same marts from the same documents.

    nice -n 10 .venv/bin/python -m bench.refresh [--repeats 3] [--profile]

cold    a fresh DuckDB and a fresh DAGSTER_HOME (temporary directory), `orchestration.refresh.refresh()`
        over every archived year; timed as the whole process (wall and CPU, its children included) and as
        the refresh() call alone
pandas  `python -m bench.pandas_refresh` in the same repeat, right after: the yardstick of the ratio
no-op   the same directories again with the documents unchanged: once more in the same process
        (warm imports, as a long-lived daemon would call it) and once as `innovation refresh` in a new process
Targets: cold ≤ 10× the pandas script's wall time, a new-process no-op ≤ 0.5 s. The no-op is proved by
counting the runs launched, the asset materializations (by layer) and the events logged, and by checking
the published file's bytes did not change.
floor   the same work with no orchestration (parse, validate, load, dbt build, publish in one plain
        process): the cold figure minus the floor is what Dagster costs.
Where /dev/shm exists, each repeat also runs a cold refresh with DAGSTER_HOME on tmpfs: Dagster's
SQLite event log commits every event.
`--profile` runs one cold refresh under pyinstrument (bench/out/refresh_cold_profile.txt and .pyisession)
and prints the functions with the most self time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.timing import OUT_DIR, render_session, self_time_summary, spread
from core.paths import REPO_ROOT
from orchestration.dagster_home import INSTANCE_SETTINGS

COLD_TARGET_RATIO, NOOP_TARGET_S = 10.0, 0.5  # issue 15's targets
TMPFS = Path("/dev/shm")


def _file_sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def _materializations(instance, run_id: str | None) -> dict[str, int]:
    """Asset materializations of one run, by the first part of the asset key (raw, landing, staging, …)."""
    from dagster import DagsterEventType

    counts: dict[str, int] = {}
    if run_id is None:  # refresh() found nothing new and launched no run
        return counts
    for record in instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records:
        layer = record.event_log_entry.dagster_event.asset_key.path[0]
        counts[layer] = counts.get(layer, 0) + 1
    return counts


def child(refreshes: int) -> None:
    """Runs in the measured process: `refreshes` refresh() calls, one after the other; prints JSON figures."""
    start = time.perf_counter()
    from dagster import DagsterInstance

    from core import paths
    from orchestration.refresh import refresh

    imported = time.perf_counter() - start
    instance = DagsterInstance.get()
    runs = []
    for _ in range(refreshes):
        before = _file_sha256(paths.duckdb_path())
        runs_before = len(instance.get_runs())
        began = time.perf_counter()
        result = refresh(instance=instance)
        runs.append({
            "refresh_s": time.perf_counter() - began, "success": result.success, "status": result.summary.status,
            "runs_launched": len(instance.get_runs()) - runs_before,
            "materializations": _materializations(instance, result.run_id),
            "events_logged": len(instance.all_logs(result.run_id)) if result.run_id else 0,
            "published_file_changed": before != _file_sha256(paths.duckdb_path()),
        })
    print(json.dumps({"import_s": imported, "runs": runs}))


def floor_child() -> None:
    """Runs in the measured process: the refresh's own work with no orchestration, printed as JSON figures.

    Every archived document verified, gated, parsed, Pandera-validated and loaded into a fresh staging
    file, the landed tables validated again (the blocking checks), `dbt build` there as a subprocess
    through the same fixed link as a refresh (so dbt's partial parse holds), the build recorded and
    published: what a cold refresh would cost if Dagster's imports and bookkeeping were free.
    """
    start = time.perf_counter()
    import uuid

    import duckdb

    from core.paths import DBT_PROJECT_DIR
    from scrapers.feeds import FEEDS
    from warehouse import build_state
    from warehouse.archive import load_registry, records_for
    from warehouse.landing import ensure_schema, landed_rows, load, parse_documents, write_documents, write_known_jumps
    from warehouse.publish import StagedBuild

    figures = {"import_s": time.perf_counter() - start}
    build = StagedBuild(f"bench-floor-{uuid.uuid4()}")
    start = time.perf_counter()
    with duckdb.connect(str(build.ensure())) as con:
        ensure_schema(con)
        for feed in FEEDS.values():
            records = records_for(feed.name)
            if records:
                years = sorted({r.data_year for r in records}) if feed.one_year_per_document else None
                load(con, parse_documents(feed, records), years)
        for table, feed in FEEDS.items():
            feed.schema.validate(landed_rows(con, table), lazy=True)
        write_documents(con, load_registry())
        write_known_jumps(con)
    figures["work_s"] = time.perf_counter() - start
    start = time.perf_counter()
    with build.dbt_target():
        subprocess.run([str(Path(sys.executable).with_name("dbt")), "build", "--quiet"], cwd=DBT_PROJECT_DIR,
                       check=True, stdout=subprocess.DEVNULL)
    figures["dbt_s"] = time.perf_counter() - start
    start = time.perf_counter()
    with duckdb.connect(str(build.database)) as con:
        build_state.record(con, build.run_id, build_state.default_vintage())
    build.publish()
    build.discard()
    build.release()
    figures["publish_s"] = time.perf_counter() - start
    print(json.dumps(figures))


def timed_process(command: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run `command`; (its result, wall seconds, CPU seconds of it and every child it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return done, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_child(child_arguments: list[str], home: Path, profile: Path | None = None) -> dict:
    """One measured process (`--child N` refreshes, or `--floor-child`) in `home`: its wall and CPU time and its
    figures."""
    dagster_home = (home / "dagster_home").resolve()  # a symlink to tmpfs in the tmpfs variant
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home),
           "WAREHOUSE_DATA_DIR": str(home / "data")}
    prefix = [sys.executable] if profile is None else [
        str(Path(sys.executable).with_name("pyinstrument")), "-r", "pyisession", "-o", str(profile)]
    done, wall, cpu = timed_process([*prefix, "-m", "bench.refresh", *child_arguments], env)
    if done.returncode != 0:
        raise SystemExit(f"refresh in {home} failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1]) if profile is None else {}
    return {"process_s": wall, "cpu_s": cpu, **figures}


def run_command(command: list[str], home: Path) -> tuple[float, float]:
    """A whole command (the CLI, the pandas script) in `home`'s data folder and DAGSTER_HOME: (wall, CPU) seconds."""
    env = {**os.environ, "DAGSTER_HOME": str((home / "dagster_home").resolve()), "WAREHOUSE_DATA_DIR": str(home / "data")}
    done, wall, cpu = timed_process(command, env)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return wall, cpu


@contextmanager
def fresh_home(dagster_home_on_tmpfs: bool = False) -> Iterator[Path]:
    """A temporary directory with an empty data/ and a new DAGSTER_HOME (on tmpfs if asked), removed after."""
    home = Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    if dagster_home_on_tmpfs:
        (home / "dagster_home").symlink_to(tempfile.mkdtemp(prefix="bench-refresh-dagster-", dir=TMPFS))
    else:
        (home / "dagster_home").mkdir()
    (home / "data").mkdir()
    shutil.copy(INSTANCE_SETTINGS, home / "dagster_home" / "dagster.yaml")
    try:
        yield home
    finally:
        shutil.rmtree((home / "dagster_home").resolve(), ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


# What is printed, in order: (label, key in the measured figures, target note).
REPORT_LINES = [
    ("cold, whole process: wall", "cold", ""),
    ("  CPU (with dbt)", "cold cpu", ""),
    ("pandas script, whole process: wall", "pandas", ""),
    ("  CPU", "pandas cpu", ""),
    ("cold ÷ pandas, wall (same repeat)", "ratio wall", f"target ≤ {COLD_TARGET_RATIO:.0f}×"),
    ("cold ÷ pandas, CPU (same repeat)", "ratio cpu", ""),
    ("  import orchestration.refresh", "cold import", ""),
    ("  refresh() call", "cold refresh()", ""),
    ("cold, DAGSTER_HOME on tmpfs", "tmpfs cold", ""),
    ("  refresh() call", "tmpfs cold refresh()", ""),
    ("floor: same work, no Dagster, process", "floor", ""),
    ("  imports", "floor import_s", ""),
    ("  parse, validate, load, re-validate", "floor work_s", ""),
    ("  dbt build (subprocess)", "floor dbt_s", ""),
    ("  record and publish", "floor publish_s", ""),
    ("cold minus floor (Dagster's share)", "dagster share", ""),
    ("no-op, same process (warm)", "warm no-op", ""),
    ("no-op, new process: `innovation refresh`", "cli no-op", f"target ≤ {NOOP_TARGET_S} s"),
    ("no-op, new process: refresh() child", "new-process no-op", ""),
    ("  refresh() call", "new-process no-op refresh()", ""),
]
RATIO_KEYS = {"ratio wall", "ratio cpu"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)  # refreshes in the measured process
    parser.add_argument("--floor-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    if args.floor_child:
        floor_child()
        return

    seconds: dict[str, list[float]] = defaultdict(list)
    evidence = []
    for _ in range(args.repeats):
        with fresh_home() as home:
            cold = run_child(["--child", "2"], home)  # cold, then a warm no-op in the same process
            noop = run_child(["--child", "1"], home)
            cli_noop, _ = run_command([str(Path(sys.executable).with_name("innovation")), "refresh", "--quiet"], home)
            pandas_wall, pandas_cpu = run_command([sys.executable, "-m", "bench.pandas_refresh",
                                                   str(home / "pandas_marts.duckdb")], home)
        with fresh_home() as home:
            floor = run_child(["--floor-child"], home)
        first, warm = cold["runs"]
        measured = {"cold": cold["process_s"], "cold cpu": cold["cpu_s"], "pandas": pandas_wall, "pandas cpu": pandas_cpu,
                    "ratio wall": cold["process_s"] / pandas_wall, "ratio cpu": cold["cpu_s"] / pandas_cpu,
                    "cli no-op": cli_noop, "cold import": cold["import_s"], "cold refresh()": first["refresh_s"],
                    "floor": floor["process_s"], **{f"floor {k}": v for k, v in floor.items() if k != "process_s"},
                    "dagster share": cold["process_s"] - floor["process_s"], "warm no-op": warm["refresh_s"],
                    "new-process no-op": noop["process_s"], "new-process no-op refresh()": noop["runs"][0]["refresh_s"]}
        if TMPFS.is_dir():
            with fresh_home(dagster_home_on_tmpfs=True) as home:
                on_tmpfs = run_child(["--child", "1"], home)
            measured |= {"tmpfs cold": on_tmpfs["process_s"], "tmpfs cold refresh()": on_tmpfs["runs"][0]["refresh_s"]}
        for key, value in measured.items():
            seconds[key].append(value)
        evidence.append((first, warm, noop["runs"][0]))

    print(f"refresh of the bundled documents, {args.repeats} fresh homes (min / median / max)")
    for label, key, target in REPORT_LINES:
        if key in seconds:
            figures = spread(seconds[key]).replace(" s", "×") if key in RATIO_KEYS else spread(seconds[key])
            print(f"  {label:<42}{figures}   {target}".rstrip())
    for name, run in zip(("cold", "no-op, warm", "no-op, new process"), evidence[-1] if evidence else (), strict=False):
        print(f"  {name:<20} runs launched {run['runs_launched']}; materializations {run['materializations']}; "
              f"Dagster events logged {run['events_logged']}; published file changed: {run['published_file_changed']}; "
              f"status {run['status']!r}")
    if args.profile:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        session = OUT_DIR / "refresh_cold.pyisession"
        with fresh_home() as home:
            run_child(["--child", "1"], home, profile=session)
        tree = OUT_DIR / "refresh_cold_profile.txt"
        tree.write_text(render_session(session), encoding="utf-8")
        print(f"profile: {tree} (call tree), {session} (pyinstrument --load)")
        print(self_time_summary(session))


if __name__ == "__main__":
    main()
