"""Shared fixtures. The warehouse under test lives in a temporary directory, never in the repo."""

import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

# Must be set before orchestration.* is imported: the resources bind the DuckDB path at import.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="innovation-warehouse-tests-"))
os.environ["WAREHOUSE_DUCKDB_PATH"] = str(_SESSION_DIR / "warehouse.duckdb")
# Acquired documents, drops and quarantine of the tests never touch the repo's state folders.
for _variable, _folder in (("WAREHOUSE_ARCHIVE_DIR", "archive"), ("WAREHOUSE_INBOX_DIR", "inbox"),
                           ("WAREHOUSE_QUARANTINE_DIR", "quarantine")):
    os.environ[_variable] = str(_SESSION_DIR / _folder)
os.environ.pop("WAREHOUSE_LIVE", None)

from warehouse import paths  # noqa: E402
from warehouse.archive import load_registry  # noqa: E402

REFERENCE_DIR = Path(__file__).parent / "data" / "reference"


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def registry():
    return load_registry()


@pytest.fixture(scope="session")
def everything_run():
    """Materialize every asset once, as `make run` does, into the session's temporary DuckDB."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.jobs import everything_tags

    job = defs.resolve_job_def("materialize_everything")
    return job.execute_in_process(instance=DagsterInstance.ephemeral(), tags=everything_tags(), raise_on_error=False)


@pytest.fixture(scope="session")
def built_warehouse(everything_run) -> Path:
    assert everything_run.success, [e.message for e in everything_run.all_events if e.is_failure]
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
