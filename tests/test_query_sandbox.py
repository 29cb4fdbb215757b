"""`innovation query` reads the marts and nothing else: every way out of the warehouse file is refused by
DuckDB's own switches (warehouse/query.py: SANDBOX), not by a keyword filter. Each attempt below exits 1 with
DuckDB's refusal on one plain line, writes nothing anywhere, and prints nothing it read outside."""

from __future__ import annotations

import hashlib

import pytest

from core import paths
from orchestration.cli import main

ATTEMPTS = [
    # (what an analyst, or an attacker, tried, the statement, DuckDB's refusal)
    ("read a file", "SELECT * FROM read_csv('/etc/passwd')", "file system operations are disabled by configuration"),
    ("read a file as text", "SELECT * FROM read_text('/etc/hostname')", "file system operations are disabled"),
    ("list a folder", "SELECT * FROM glob('/etc/*')", "file system operations are disabled"),
    ("write a file", "COPY (SELECT 'x') TO '{out}/leak.csv' (FORMAT csv)", "file system operations are disabled"),
    ("overwrite the provenance registry", "COPY (SELECT 'x') TO '{provenance}' (FORMAT csv)",
     "file system operations are disabled"),
    ("export the database", "EXPORT DATABASE '{out}/dump'", "file system operations are disabled"),
    ("attach another database to write", "ATTACH '{out}/other.duckdb' (READ_WRITE)", "file system operations are disabled"),
    ("install an extension", "INSTALL httpfs", "file system operations are disabled"),
    ("load an extension", "LOAD httpfs", "Loading external extensions is disabled"),
    ("turn the switch back on", "SET enable_external_access = true", "the configuration has been locked"),
    ("move the spill folder", "SET temp_directory = '{out}/spill'", "the configuration has been locked"),
    ("write inside the warehouse", "CREATE TABLE marts.scratch AS SELECT 1 AS one", "read-only mode"),
    ("drop a mart", "DROP TABLE marts.province_rd_ranking", "read-only mode"),
    ("hide a write behind a read", "SELECT 1; COPY (SELECT 1) TO '{out}/second.csv'", "file system operations are disabled"),
]


def sha256_of(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("attempt", "statement", "refusal"), ATTEMPTS, ids=[a[0] for a in ATTEMPTS])
def test_query_cannot_reach_outside_the_warehouse(built_warehouse, tmp_path, capsys, attempt, statement, refusal):
    provenance = paths.DOCUMENTS_DIR / "provenance.json"
    before = {path: sha256_of(path) for path in (built_warehouse, provenance)}
    sql = statement.format(out=tmp_path, provenance=provenance)
    code = main(["query", sql])
    captured = capsys.readouterr()
    assert code == 1, attempt
    assert captured.err.startswith("Query failed: ") and refusal in captured.err, captured.err
    assert "Traceback" not in captured.err and "root:" not in captured.out
    assert list(tmp_path.iterdir()) == [], f"{attempt}: wrote {list(tmp_path.iterdir())}"
    assert {path: sha256_of(path) for path in before} == before


def test_the_marts_are_still_readable_in_the_sandbox(built_warehouse, capsys):
    assert main(["query", "SELECT count(*) AS provinces FROM reference.provinces"]) == 0
    assert capsys.readouterr().out.split() == ["provinces", "31"]


def test_an_empty_statement_is_refused(built_warehouse, capsys):
    assert main(["query", "  "]) == 1
    assert capsys.readouterr().err.startswith("Nothing to run: give one SQL statement")
