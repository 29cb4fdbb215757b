"""The Dagster instance folder a refresh records its runs in ($DAGSTER_HOME), as `make setup` prepares it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from core import paths

INSTANCE_SETTINGS = paths.REPO_ROOT / "orchestration" / "dagster.yaml"
DEFAULT_HOME = paths.REPO_ROOT / ".dagster_home"  # the Makefile's DAGSTER_HOME


def ensure_dagster_home() -> Path:
    """$DAGSTER_HOME (default: <repo>/.dagster_home), exported as an absolute path (Dagster requires one) and
    created with the project's dagster.yaml.

    Without that file Dagster runs on defaults, which lack the one-slot `duckdb_writer` pool; a dagster.yaml
    already there is left alone.
    """
    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_HOME).resolve()
    os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    if not settings.exists():
        shutil.copyfile(INSTANCE_SETTINGS, settings)
    return home
