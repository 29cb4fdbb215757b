"""The dbt project, alone in its module so `dagster-dbt project prepare-and-package` can import it."""

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from core import paths

# dagster-dbt looks for `dbt` on PATH (when preparing the manifest under `dagster dev`, too): make it
# this interpreter's own dbt, also when the venv is not activated.
_VENV_BIN = str(Path(sys.executable).parent)
if _VENV_BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _VENV_BIN + os.pathsep + os.environ.get("PATH", "")

dbt_project = DbtProject(project_dir=paths.DBT_PROJECT_DIR, profiles_dir=paths.DBT_PROJECT_DIR)
# Under `dagster dev` the manifest is rebuilt on start; elsewhere `make` runs `dbt parse` first. Both
# parse against the path refreshes build through, so the runs' dbt can reuse the parse.
_previous = os.environ.get("DBT_BUILD_DUCKDB_PATH")
os.environ["DBT_BUILD_DUCKDB_PATH"] = str(paths.DBT_BUILD_LINK)
try:
    dbt_project.prepare_if_dev()
finally:
    if _previous is None:
        del os.environ["DBT_BUILD_DUCKDB_PATH"]
    else:
        os.environ["DBT_BUILD_DUCKDB_PATH"] = _previous
