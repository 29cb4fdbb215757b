"""Where things live.

Code and the documents bundled with it are in the repository; everything a refresh writes (the
published DuckDB file, staging copies, run summaries, the acquired archive, the inbox and quarantine,
reports and exports) is run-time state under one data folder, `WAREHOUSE_DATA_DIR` (default: data/ in
the repository, git-ignored). Keeping it all on one filesystem makes the final publish one atomic
rename (warehouse/publish.py).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FEEDS_DIR = REPO_ROOT / "scrapers"  # one folder per feed: scrapers/<feed>/feed.toml
DOCUMENTS_DIR = REPO_ROOT / "documents"  # the documents bundled with the code, and their provenance.json
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
PROVINCE_SEED = SEEDS_DIR / "provinces.csv"  # the province dimension, shared by the parsers and the models
PUBLICATIONS_SEED = SEEDS_DIR / "publications.csv"  # release month and order of each publication
# The one path dbt builds through: a symlink to the building run's staging file (StagedBuild.dbt_target).
# Its name's stem must be the staging file's (warehouse/publish.py), as DuckDB names the catalog after it.
DBT_BUILD_LINK = DBT_PROJECT_DIR / "target" / "build.duckdb"

DATA_VARIABLE = "WAREHOUSE_DATA_DIR"
PUBLISHED_FILE = "innovation.duckdb"


def data_dir() -> Path:
    """All run-time state; `WAREHOUSE_DATA_DIR` moves it."""
    return Path(os.environ.get(DATA_VARIABLE) or REPO_ROOT / "data").absolute()


def duckdb_path() -> Path:
    """The published warehouse."""
    return data_dir() / PUBLISHED_FILE


def raw_dir() -> Path:
    """The bundled archive (documents in the repository); `WAREHOUSE_DOCUMENTS_DIR` points at another copy."""
    return Path(os.environ.get("WAREHOUSE_DOCUMENTS_DIR") or DOCUMENTS_DIR)


def archive_dir() -> Path:
    """The acquired archive: content-addressed documents fetched live or received through the inbox."""
    return data_dir() / "archive"


def inbox_dir() -> Path:
    """Where licensed or hand-downloaded documents are dropped (watched by a Dagster sensor)."""
    return data_dir() / "inbox"


def quarantine_dir() -> Path:
    """Dropped files that were refused, each with a `.reason.txt` beside it."""
    return data_dir() / "quarantine"


def staging_dir() -> Path:
    """Per-run staging warehouses and run locks."""
    return data_dir() / "staging"


def runs_dir() -> Path:
    """Run summaries (JSON + text), one folder per run."""
    return data_dir() / "runs"


def reports_dir() -> Path:
    """Charts and the HTML report built from the published marts."""
    return data_dir() / "reports"


def exports_dir() -> Path:
    """Mart exports (Parquet, CSV, data dictionary)."""
    return data_dir() / "exports"
