"""Repeated wall-clock timing and the one line of figures every benchmark prints."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Profiles, synthetic warehouses and other run output (gitignored).
OUT_DIR = Path(__file__).parent / "out"
SAMPLE_SECONDS = 0.5  # how often run_sampled reads a process tree's memory


def time_runs(run: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    """Wall seconds of `repeats` calls after `warmup` untimed ones (imports, caches, file cache)."""
    for _ in range(warmup):
        run()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return seconds


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p50, p95) of a small sample."""
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def spread(seconds: list[float], unit: str = "s") -> str:
    """'min / median / max' in seconds or milliseconds."""
    scale = {"s": 1.0, "ms": 1000.0}[unit]
    low, mid, high = (v * scale for v in (min(seconds), statistics.median(seconds), max(seconds)))
    digits = 3 if unit == "s" else 1
    return f"{low:.{digits}f} / {mid:.{digits}f} / {high:.{digits}f} {unit}"


def profile_to_file(run: Callable[[], object], name: str) -> Path:
    """Run once under pyinstrument and write the call tree as text to bench/out/<name>.txt."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    try:
        run()
    finally:
        profiler.stop()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    target = OUT_DIR / f"{name}.txt"
    target.write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")
    return target


def self_time_summary(session_file: Path, top: int = 20) -> str:
    """Wall time spent in each function itself (not its callees), largest first: shows waits such as
    SQLite commits or a subprocess pipe that the call tree hides inside library frames."""
    from collections import defaultdict

    from pyinstrument.session import Session

    session = Session.load(str(session_file))
    own: dict[str, float] = defaultdict(float)

    def walk(frame, parent) -> None:
        if frame.identifier.startswith("[self]") and parent is not None:
            own[f"{parent.function}  {parent.file_path_short or ''}"] += frame.time
        for child in frame.children:
            walk(child, frame)

    walk(session.root_frame(), None)
    lines = [f"wall {session.duration:.1f} s, CPU {session.cpu_time:.1f} s; self time by function:"]
    lines += [f"{seconds:8.2f} s  {name}" for name, seconds in sorted(own.items(), key=lambda kv: -kv[1])[:top]]
    return "\n".join(lines)


def render_session(session_file: Path) -> str:
    """The call tree of a saved pyinstrument session, as text."""
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    return ConsoleRenderer(unicode=True, color=False).render(Session.load(str(session_file)))


def tree_rss_mb(root: int) -> float:
    """Resident memory of `root` and every process below it, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier and pid not in tree]
        tree.update(children)
        frontier = children
    pages = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm") as statm:
                pages += int(statm.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass(frozen=True)
class ProcessRun:
    wall_s: float
    peak_rss_mb: float  # the process tree's largest resident set, sampled every SAMPLE_SECONDS
    returncode: int  # negative: killed by that signal
    output: str  # stdout and stderr together


def address_space_limit(limit_bytes: int | None) -> Callable[[], None] | None:
    """A preexec_fn that caps the child's virtual memory (RLIMIT_AS): allocations beyond fail in the child."""
    if limit_bytes is None:
        return None
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


def run_sampled(command: list[str], env: dict[str, str], cwd: Path, limit_bytes: int | None = None) -> ProcessRun:
    """Run `command` to completion, under an address-space limit if given; a failure is a result, not an error."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=address_space_limit(limit_bytes))
    peak = [0.0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(process.pid))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.communicate()[0]
    sampler.join()
    return ProcessRun(time.perf_counter() - start, peak[0], process.returncode, output)
