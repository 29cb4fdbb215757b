"""Atomic publish: readers never block a refresh and never see half of one; rebuilding on unchanged inputs
gives the same marts, and a refresh that finds nothing new does not even launch a run. (A refresh killed
at any moment: tests/test_recovery.py.)
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from orchestration.refresh import refresh


def mart_checksums(database: Path) -> dict[str, tuple]:
    """Row count and an order-independent hash of every column, per mart."""
    with duckdb.connect(str(database), read_only=True) as con:
        marts = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'").fetchall()]
        return {t: tuple(con.execute(f"SELECT count(*), sum(hash(COLUMNS(*))) FROM marts.{t}").fetchall()[0]) for t in marts}


@pytest.fixture
def published(published_copy) -> Path:
    """A private copy of the session's published warehouse, with its own staging and run folders."""
    return published_copy


READER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    query = "SELECT count(*), sum(hash(COLUMNS(*))) FROM marts.province_rd_ranking"
    print(repr(con.execute(query).fetchall()), flush=True)
    sys.stdin.readline()  # hold the connection open until the refresh is over
    print(repr(con.execute(query).fetchall()), flush=True)
""")


def test_rebuild_beside_a_reader_then_a_refresh_with_nothing_new(published):
    before = mart_checksums(published)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(published)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        first_view = reader.stdout.readline()
        # A rebuild on unchanged inputs; one small feed's landing step keeps it quick, dbt rebuilds every mart.
        rebuilt = refresh(rebuild=True, feeds=["torch_hightech_enterprise"], years=[2023], instance=DagsterInstance.ephemeral())
        reader.stdin.write("go\n")
        reader.stdin.flush()
        second_view = reader.stdout.readline()
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    # The refresh published while the reader held the old file open: not blocked, and the reader's view
    # stayed the snapshot it opened (the old file, replaced by rename, not rewritten).
    assert rebuilt.success, rebuilt.failures
    assert rebuilt.summary.status == "published"
    assert first_view == second_view
    assert mart_checksums(published) == before  # the rebuild on unchanged inputs gives the same marts

    third = refresh(instance=DagsterInstance.ephemeral())
    assert third.run_id is None and third.summary.status.startswith("unchanged")
    assert mart_checksums(published) == before
