"""Shared fixtures. The warehouse under test lives in temporary folders, never in the repo.

Under pytest-xdist (`make test`) the workers share one session folder and one built warehouse: the
first process of the run (pytest itself, or xdist's controller, which starts the workers) makes the
folder and passes it on in the environment; whichever worker first needs the warehouse builds it
under a lock into the session's build folder, and each worker reads its own copy in its own data folder
(WAREHOUSE_DATA_DIR): its staging copies, runs, acquired documents, drops and quarantine are its own.
"""

import fcntl
import json
import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

_SHARED_VARIABLE = "INNOVATION_WAREHOUSE_TESTS_DIR"
_OWNS_SESSION_DIR = _SHARED_VARIABLE not in os.environ
if _OWNS_SESSION_DIR:
    os.environ[_SHARED_VARIABLE] = tempfile.mkdtemp(prefix="innovation-warehouse-tests-")
_SESSION_DIR = Path(os.environ[_SHARED_VARIABLE])
_BUILD_DIR = _SESSION_DIR / "build"  # the data folder the session's warehouse is built in, once
_WORKER_DIR = _SESSION_DIR / os.environ.get("PYTEST_XDIST_WORKER", "main")
_BUILD_RECORD = _SESSION_DIR / "build.json"  # what the session build's checks said, for every worker

# Set before anything reads it: every location of run-time state is under the worker's data folder.
os.environ["WAREHOUSE_DATA_DIR"] = str(_WORKER_DIR / "data")
os.environ.pop("WAREHOUSE_LIVE", None)
# Drops written by a test are complete at once; tests/test_inbox.py sets a real settling time where it tests it.
os.environ["WAREHOUSE_INBOX_SETTLE_SECONDS"] = "0"

from core import paths  # noqa: E402
from warehouse.archive import load_registry  # noqa: E402

REFERENCE_DIR = Path(__file__).parent / "data" / "reference"


def pytest_sessionfinish(session, exitstatus):
    if _OWNS_SESSION_DIR:  # the controller, after every worker has finished
        shutil.rmtree(_SESSION_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def registry():
    return load_registry()


@pytest.fixture(scope="session")
def build_record() -> dict:
    """Materialize every asset once for the whole run, as `make run` does, into the session's build folder;
    returns whether it succeeded and every asset check's evaluation."""
    with (_SESSION_DIR / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait for the one that builds
        if not _BUILD_RECORD.exists():
            worker_data = os.environ["WAREHOUSE_DATA_DIR"]
            os.environ["WAREHOUSE_DATA_DIR"] = str(_BUILD_DIR)
            try:
                _BUILD_RECORD.write_text(json.dumps(_build_everything()))
            finally:
                os.environ["WAREHOUSE_DATA_DIR"] = worker_data
    return json.loads(_BUILD_RECORD.read_text())


def _build_everything() -> dict:
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    job = defs.resolve_job_def("materialize_everything")
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    evaluations = [e.asset_check_evaluation_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    materializations = [e.materialization for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
    return {
        "row_counts": {m.asset_key.to_user_string(): (m.metadata["dagster/row_count"].value
                                                      if "dagster/row_count" in m.metadata else None)
                       for m in materializations},
        "column_schemas": {m.asset_key.to_user_string(): [(c.name, c.type) for c in m.metadata["dagster/column_schema"]
                                                          .value.columns]
                           for m in materializations if "dagster/column_schema" in m.metadata},
        "previews": {m.asset_key.to_user_string(): m.metadata["preview"].value
                     for m in materializations if "preview" in m.metadata},
        "landing_parquet": next((str(m.metadata["landing_parquet"].value) for m in materializations
                                 if "landing_parquet" in m.metadata), None),
        "published_run_id": result.run_id,
        "years_loaded": {m.asset_key.to_user_string(): m.metadata["years_json"].value
                         for m in materializations if "years_json" in m.metadata},
        "dbt_parse": dbt_parse_messages(paths.runs_dir() / result.run_id / "dbt" / "dbt.log"),
        "success": result.success,
        "failures": [e.message for e in result.all_events if e.is_failure],
        "checks": [{"check_name": e.check_name, "passed": e.passed, "severity": e.severity.value,
                    "description": e.description} for e in evaluations],
    }


def dbt_parse_messages(log: Path) -> list[str]:
    """What the run's `dbt build` said about parsing the project (dbt's JSON log, kept with the run)."""
    if not log.exists():
        return []
    return [message for line in log.read_text(encoding="utf-8").splitlines()
            if "parsing" in (message := json.loads(line)["info"]["msg"]).lower()]


@pytest.fixture(scope="session")
def built_warehouse(build_record) -> Path:
    """This worker's copy of the session's published warehouse, in its data folder."""
    assert build_record["success"], build_record["failures"]
    published = paths.duckdb_path()
    if not published.exists():
        published.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_BUILD_DIR / paths.PUBLISHED_FILE, published)
    return published


def edited_copy(built_warehouse: Path, folder: Path, *statements: str) -> Path:
    """A copy of the built warehouse in `folder` with `statements` run on it: bad data made on purpose."""
    copy = folder / "warehouse.duckdb"
    shutil.copyfile(built_warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        for statement in statements:
            con.execute(statement)
    return copy


@pytest.fixture
def warehouse(built_warehouse):
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        yield con


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A private, empty data folder (published warehouse, staging, runs, archive, inbox, quarantine)."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("WAREHOUSE_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def published_copy(built_warehouse, data_dir) -> Path:
    """A private data folder holding a copy of the session's published warehouse, which a test may change."""
    copy = paths.duckdb_path()
    shutil.copyfile(built_warehouse, copy)
    return copy


@pytest.fixture
def raw_copy(tmp_path, monkeypatch) -> Path:
    """A private copy of the bundled documents that a test may damage; the pipeline reads it instead."""
    copy = tmp_path / "documents"
    shutil.copytree(paths.DOCUMENTS_DIR, copy)
    monkeypatch.setenv("WAREHOUSE_DOCUMENTS_DIR", str(copy))
    return copy
