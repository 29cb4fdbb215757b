"""The whole test suite as `make test` runs it, timed: wall and CPU of the run, and where the time goes.

    nice -n 10 .venv/bin/python -m bench.test_suite [--deselect-spark] [-- <extra pytest arguments>]

Runs `pytest -n auto --dist loadgroup` (the Makefile's command) with a JUnit XML report and prints the
wall time (target: ≤ 90 s on 2 cores, issue 15), the CPU time of pytest and its children, the test time
summed per module (setup + call + teardown, over both workers: the work to share out) with the share of
the run's worker-seconds, and the slowest tests. `--deselect-spark` leaves out tests/test_spark.py, which
pays a JVM start and may be reported separately.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from core.paths import REPO_ROOT

WALL_TARGET_S = 90.0  # issue 15: `make test` on 2 cores
SLOWEST_SHOWN = 12


def run_suite(extra: list[str], report: Path) -> tuple[int, float, float]:
    command = [sys.executable, "-m", "pytest", "-n", "auto", "--dist", "loadgroup", "-q", "-p", "no:cacheprovider",
               f"--junitxml={report}", *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "(no output)")
    return done.returncode, wall, cpu


def test_times(report: Path) -> list[tuple[str, float]]:
    """(test id, seconds) from the JUnit report: pytest's time per test case includes its setup and teardown."""
    cases = ET.parse(report).getroot().iter("testcase")
    return [(f"{c.get('classname', '').replace('.', '/')}.py::{c.get('name')}", float(c.get("time", 0))) for c in cases]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deselect-spark", action="store_true")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    extra = [*(["--ignore", "tests/test_spark.py"] if args.deselect_spark else []), *args.pytest_args]
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "junit.xml"
        status, wall, cpu = run_suite(extra, report)
        times = test_times(report)
    workers = os.cpu_count() or 1
    total = sum(seconds for _, seconds in times)
    print(f"make test's pytest: exit {status}; {len(times)} tests; wall {wall:.1f} s (target ≤ {WALL_TARGET_S:.0f} s); "
          f"CPU {cpu:.1f} s; test time summed {total:.1f} s over {workers} workers (≥ {total / workers:.1f} s of wall)")
    per_module: dict[str, float] = defaultdict(float)
    for test, seconds in times:
        per_module[test.split("::")[0]] += seconds
    print("  per module (test time, share of the summed test time):")
    for module, seconds in sorted(per_module.items(), key=lambda item: -item[1]):
        print(f"    {seconds:8.1f} s  {seconds / total:6.1%}  {module}")
    print("  slowest tests:")
    for test, seconds in sorted(times, key=lambda item: -item[1])[:SLOWEST_SHOWN]:
        print(f"    {seconds:8.1f} s  {test}")


if __name__ == "__main__":
    main()
