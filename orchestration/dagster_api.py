"""The few Dagster names this project needs that are not in Dagster's public API, in one place.

tests/test_definitions.py fails if one of them moves in a Dagster upgrade, instead of a run failing later.
"""

from __future__ import annotations

import importlib.metadata
from functools import cached_property

from dagster import DagsterInstance
from dagster_dbt import DbtCliResource
from packaging import version


def runs_holding_concurrency_slots(instance: DagsterInstance) -> set[str]:
    """Run ids that hold a slot of a concurrency pool (the event log storage's concurrency tables)."""
    storage = instance.event_log_storage
    return set(storage.get_concurrency_run_ids()) if storage.supports_global_concurrency_limits else set()


def free_concurrency_slots(instance: DagsterInstance, run_id: str) -> None:
    """Free every pool slot and pending claim of a run (what Dagster's run monitoring does for runs it saw end)."""
    instance.event_log_storage.free_concurrency_slots_for_run(run_id)


class PinnedDbtCliResource(DbtCliResource):
    """DbtCliResource without two start-up costs that buy this project nothing (measured on this machine: `dbt
    --version` 3.9 s, the in-process adapter 3.6 s, before every dbt invocation).

    - `dbt --version` in a subprocess: the dbt executable is this venv's, so its version is the installed
      dbt-core's (pinned exactly in pyproject.toml).
    - an in-process dbt adapter: dagster-dbt uses it only for `fetch_row_counts()` / `fetch_column_metadata()`,
      which cannot work here: they query the DuckDB file while the dbt process holds its one write lock. The
      dbt asset counts the rows itself once dbt has exited (orchestration/assets/dbt.py).
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ANN001 - signature of the overridden method
        return None
