"""Where things live. Every location can be moved with an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RAW_DIR = REPO_ROOT / "warehouse" / "raw"
PROVENANCE_FILE = RAW_DIR / "provenance.json"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
PROVINCE_SEED = DBT_PROJECT_DIR / "seeds" / "provinces.csv"


def duckdb_path() -> Path:
    """The warehouse file; `WAREHOUSE_DUCKDB_PATH` overrides the default under warehouse/."""
    return Path(os.environ.get("WAREHOUSE_DUCKDB_PATH", REPO_ROOT / "warehouse" / "innovation.duckdb"))


def raw_dir() -> Path:
    """The raw archive; `WAREHOUSE_RAW_DIR` points the pipeline at another copy (tests use this)."""
    return Path(os.environ.get("WAREHOUSE_RAW_DIR", RAW_DIR))
