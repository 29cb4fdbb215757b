"""Shared fixtures. The warehouse under test lives in a temporary directory, never in the repo.

Under pytest-xdist (`make test`) the workers share one session folder and one built warehouse: the
first process of the run (pytest itself, or xdist's controller, which starts the workers) makes the
folder and passes it on in the environment; whichever worker first needs the warehouse builds it
under a lock, and the others read it. Acquired documents, drops and quarantine are per worker.
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
_WORKER_DIR = _SESSION_DIR / os.environ.get("PYTEST_XDIST_WORKER", "main")
_BUILD_RECORD = _SESSION_DIR / "build.json"  # what the session build's checks said, for every worker

# Must be set before orchestration.* is imported: the resources bind the DuckDB path at import.
os.environ["WAREHOUSE_DUCKDB_PATH"] = str(_SESSION_DIR / "warehouse.duckdb")
# Acquired documents, drops and quarantine of the tests never touch the repo's state folders.
for _variable, _folder in (("WAREHOUSE_ARCHIVE_DIR", "archive"), ("WAREHOUSE_INBOX_DIR", "inbox"),
                           ("WAREHOUSE_QUARANTINE_DIR", "quarantine")):
    os.environ[_variable] = str(_WORKER_DIR / _folder)
os.environ.pop("WAREHOUSE_LIVE", None)
# Drops written by a test are complete at once; tests/test_inbox.py sets a real settling time where it tests it.
os.environ["WAREHOUSE_INBOX_SETTLE_SECONDS"] = "0"

from warehouse import paths  # noqa: E402
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
    """Materialize every asset once for the whole run, as `make run` does, into the session's DuckDB;
    returns whether it succeeded and every asset check's evaluation."""
    with (_SESSION_DIR / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait for the one that builds
        if not _BUILD_RECORD.exists():
            _BUILD_RECORD.write_text(json.dumps(_build_everything()))
    return json.loads(_BUILD_RECORD.read_text())


def _build_everything() -> dict:
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.jobs import everything_tags

    job = defs.resolve_job_def("materialize_everything")
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), tags=everything_tags(), raise_on_error=False)
    evaluations = [e.asset_check_evaluation_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    materializations = [e.materialization for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
    return {
        "row_counts": {m.asset_key.to_user_string(): (m.metadata["dagster/row_count"].value
                                                      if "dagster/row_count" in m.metadata else None)
                       for m in materializations},
        "success": result.success,
        "failures": [e.message for e in result.all_events if e.is_failure],
        "checks": [{"check_name": e.check_name, "passed": e.passed, "severity": e.severity.value,
                    "description": e.description} for e in evaluations],
    }


@pytest.fixture(scope="session")
def built_warehouse(build_record) -> Path:
    assert build_record["success"], build_record["failures"]
    return paths.duckdb_path()


@pytest.fixture
def warehouse(built_warehouse):
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        yield con


@pytest.fixture
def raw_copy(tmp_path, monkeypatch) -> Path:
    """A private copy of the raw archive that a test may damage; the pipeline reads it instead."""
    copy = tmp_path / "raw"
    shutil.copytree(paths.RAW_DIR, copy)
    monkeypatch.setenv("WAREHOUSE_RAW_DIR", str(copy))
    return copy
