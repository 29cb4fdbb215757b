"""Where things live. Every location can be moved with an environment variable.

Everything a refresh writes sits beside the published warehouse file, on the same filesystem, so
the final publish is one atomic rename (see warehouse/publish.py).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
WAREHOUSE_DIR = REPO_ROOT / "warehouse"
RAW_DIR = WAREHOUSE_DIR / "raw"
PROVENANCE_FILE = RAW_DIR / "provenance.json"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
PROVINCE_SEED = DBT_PROJECT_DIR / "seeds" / "provinces.csv"
# The one path dbt builds through: a symlink to the building run's staging file (StagedBuild.dbt_target).
# Its name's stem must be the staging file's (warehouse/publish.py), as DuckDB names the catalog after it.
DBT_BUILD_LINK = DBT_PROJECT_DIR / "target" / "build.duckdb"


def _env_path(variable: str, default: Path) -> Path:
    return Path(os.environ.get(variable) or default)


def duckdb_path() -> Path:
    """The published warehouse; `WAREHOUSE_DUCKDB_PATH` overrides the default under warehouse/."""
    return _env_path("WAREHOUSE_DUCKDB_PATH", WAREHOUSE_DIR / "innovation.duckdb")


def raw_dir() -> Path:
    """The bundled archive (documents in the repo); `WAREHOUSE_RAW_DIR` points at another copy."""
    return _env_path("WAREHOUSE_RAW_DIR", RAW_DIR)


def archive_dir() -> Path:
    """The acquired archive: content-addressed documents fetched live or received through the inbox."""
    return _env_path("WAREHOUSE_ARCHIVE_DIR", WAREHOUSE_DIR / "archive")


def inbox_dir() -> Path:
    """Where licensed or hand-downloaded documents are dropped (watched by a Dagster sensor)."""
    return _env_path("WAREHOUSE_INBOX_DIR", WAREHOUSE_DIR / "inbox")


def quarantine_dir() -> Path:
    """Dropped files that failed a gate, each with a `.reason.txt` beside it."""
    return _env_path("WAREHOUSE_QUARANTINE_DIR", WAREHOUSE_DIR / "quarantine")


def staging_dir() -> Path:
    """Per-run staging warehouses; beside the published file so publishing is a same-filesystem rename."""
    return duckdb_path().parent / "staging"


def runs_dir() -> Path:
    """Run summaries (JSON + text), one folder per run."""
    return duckdb_path().parent / "runs"


def reports_dir() -> Path:
    """Charts and the HTML report built from the published marts."""
    return duckdb_path().parent / "reports"


def exports_dir() -> Path:
    """Mart exports (Parquet, CSV, data dictionary)."""
    return duckdb_path().parent / "exports"
