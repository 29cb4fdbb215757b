"""What a refresh shows while it runs: the step at work, steps done of all, elapsed time.

The run's events reach a Dagster logger (orchestration/loggers.py, one of the Definitions' loggers), which
hands the step starts and ends to the display the refresh set up: a live `rich` progress bar on a
terminal, one plain line per step where the output is a file or a pipe (CI logs), nothing with --quiet.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress

# Neither Dagster nor rich is imported here at module level: the CLI sets up its display before it knows whether
# there is anything to run, and a refresh with nothing to do should not pay for them (BENCHMARKS.md, "Start-up").

# Step events -> what the display shows.
STARTED, SUCCEEDED, FAILED, SKIPPED = "STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"
STEP_EVENTS = frozenset({STARTED, SUCCEEDED, FAILED, SKIPPED})


def step_labels(definitions) -> dict[str, str]:
    """Each step (op) of the Definitions as people read it: the asset it builds (and checks), or dbt."""
    labels = {}
    for assets in definitions.assets:
        keys = [key.to_user_string() for key in assets.keys]
        labels[assets.node_def.name] = keys[0] if len(keys) == 1 else f"dbt build ({len(keys)} models and seeds, their tests)"
    return labels


class Display:
    """Shows nothing: --quiet, or before a refresh set up a display."""

    labels: dict[str, str] = {}

    def begin(self, what: str, total_steps: int | None = None, labels: dict[str, str] | None = None) -> None:
        self.labels = labels or {}

    def label(self, step_key: str) -> str:
        return self.labels.get(step_key, step_key)

    def step(self, event: str, step_key: str) -> None:
        pass


class PlainLines(Display):
    """One line per step end, for output that cannot be redrawn in place (a file, a pipe, a CI log)."""

    def __init__(self, stream: TextIO):
        self.stream, self.started, self.done, self.total = stream, time.monotonic(), 0, None

    def begin(self, what: str, total_steps: int | None = None, labels: dict[str, str] | None = None) -> None:
        super().begin(what, total_steps, labels)
        self.total = total_steps
        self._line(what)

    def step(self, event: str, step_key: str) -> None:
        if event == STARTED:
            return
        self.done += 1
        outcome = {SUCCEEDED: "done", FAILED: "FAILED", SKIPPED: "skipped"}[event]
        count = f"{self.done}/{self.total}" if self.total else f"{self.done}"
        self._line(f"{count} {self.label(step_key)} {outcome}")

    def _line(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:5.0f} s] {text}", file=self.stream, flush=True)


class LiveBar(Display):
    """A rich progress bar on the terminal: the step at work, steps done of all, elapsed."""

    def __init__(self, progress: Progress):
        self.progress, self.task = progress, None

    def begin(self, what: str, total_steps: int | None = None, labels: dict[str, str] | None = None) -> None:
        super().begin(what, total_steps, labels)
        if self.task is None:
            self.task = self.progress.add_task(what, total=total_steps)
        else:
            self.progress.update(self.task, description=what, total=total_steps)

    def step(self, event: str, step_key: str) -> None:
        if self.task is None:
            return
        if event == STARTED:
            self.progress.update(self.task, description=self.label(step_key))
        else:
            self.progress.advance(self.task)


_current: Display = Display()


def current() -> Display:
    """The display of the refresh in progress (one that shows nothing, outside a refresh)."""
    return _current


@contextmanager
def showing(quiet: bool = False, stream: TextIO | None = None) -> Iterator[Display]:
    """Set up the display for one refresh: a live bar when `stream` (default stderr) is a terminal, plain lines
    when it is not, nothing when quiet."""
    global _current
    stream = stream or sys.stderr
    if quiet:
        display: Display = Display()
        yield display
        return
    if not stream.isatty():
        _current = display = PlainLines(stream)
        try:
            yield display
        finally:
            _current = Display()
        return
    # Dagster captures the run's output at the file-descriptor level (its compute logs), and the bar redraws
    # from a thread while steps run: it draws through a duplicate of the terminal's descriptor, which that
    # capture leaves alone.
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("steps"),
               TimeElapsedColumn())
    with os.fdopen(os.dup(stream.fileno()), "w") as terminal, \
            Progress(*columns, console=Console(file=terminal), transient=True) as bar:
        _current = display = LiveBar(bar)
        try:
            yield display
        finally:
            _current = Display()
