"""Fail points: named places where a test stops a refresh, to kill it exactly there (as FoundationDB's and
TiKV's fail points do). Inert unless `WAREHOUSE_FAILPOINTS` names the point.

At an armed point the process writes the point's name into the FIFO `WAREHOUSE_FAILPOINT_FIFO` (the test
waits on it without polling) and then waits for a signal for ever: the test kills it there.
"""

from __future__ import annotations

import os
import signal

POINTS_VARIABLE = "WAREHOUSE_FAILPOINTS"  # comma-separated names of armed points
FIFO_VARIABLE = "WAREHOUSE_FAILPOINT_FIFO"


def failpoint(name: str) -> None:
    if name not in os.environ.get(POINTS_VARIABLE, "").split(","):
        return
    with open(os.environ[FIFO_VARIABLE], "w") as fifo:
        fifo.write(f"{name} {os.getpid()}\n")
    while True:
        signal.pause()
