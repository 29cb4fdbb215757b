"""What a published warehouse was built from: a content hash of its documents and of the code, and the
vintage rule its marts follow.

The publish step records it in `meta.build`. A refresh whose documents and code hash the same as the
published build has nothing to do: `refresh()` then launches no run at all, and a run started
elsewhere (UI, schedule, a live fetch that found only 304s) skips dbt and leaves the published file
byte-identical. Content hashes, never timestamps: touching a file changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from core import paths

if TYPE_CHECKING:
    import duckdb

# duckdb and yaml are imported where they are used: a refresh with nothing to do reads the build record kept
# beside the published file (remember_published) and answers without them (BENCHMARKS.md, "Start-up").

SCHEMA = "meta"
TABLE = f"{SCHEMA}.build"
# Everything whose change can change a landed row or a mart: the feeds (specs, parsers, landing models), the
# code they share, landing and its gates, and the dbt project (models, macros, seeds, vars).
CODE_ROOTS = ("core", "scrapers", "warehouse/landing.py", "warehouse/gates.py",
              "dbt_project/models", "dbt_project/macros", "dbt_project/seeds", "dbt_project/dbt_project.yml")
CODE_SUFFIXES = {".py", ".toml", ".sql", ".yml", ".yaml", ".csv"}


def code_fingerprint(root: Path = paths.REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for entry in CODE_ROOTS:
        base = root / entry
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.suffix in CODE_SUFFIXES)
        for file in files:
            digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def documents_fingerprint(sha256s: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(sha256s))).encode()).hexdigest()


def landed_documents_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    return documents_fingerprint(r[0] for r in con.execute("SELECT document_sha256 FROM landing.documents").fetchall())


def recorded(con: duckdb.DuckDBPyConnection) -> dict | None:
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'build'",
                         [SCHEMA]).fetchall()[0][0]
    if not exists:
        return None
    columns = [c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name "
                                         "= 'build' ORDER BY column_index", [SCHEMA]).fetchall()]
    row = con.execute(f"SELECT * FROM {TABLE}").fetchall()
    if not row:
        return None
    record = dict(zip(columns, row[0], strict=True))
    return {"documents": record["documents_fingerprint"], "code": record["code_fingerprint"], "run_id": record["run_id"],
            "published_at": record["published_at"], "vintage": record.get("vintage")}


def default_vintage() -> str:
    """The vintage rule a build uses unless asked otherwise: the dbt project's `vintage` var."""
    import yaml

    return yaml.safe_load((paths.DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]["vintage"]


MISSING, READABLE, LOCKED, UNREADABLE = "missing", "readable", "locked", "unreadable"


@dataclass(frozen=True)
class PublishedState:
    """What the published warehouse file is: missing, readable (with its build record), locked for writing by
    another process, or unreadable (truncated, damaged, not a DuckDB file)."""

    path: Path
    condition: str
    detail: str = ""
    record: dict | None = None
    remembered: bool = False  # READABLE on the word of the record kept beside it, not opened


def file_identity(path: Path) -> dict | None:
    """Inode, size and mtime: enough to tell that a file was replaced (or written) since it was looked at."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return {"inode": st.st_ino, "bytes": st.st_size, "mtime_ns": st.st_mtime_ns}


def remembered_path(path: Path) -> Path:
    return path.with_name(path.name + ".build.json")


def remember_published(record: dict, path: Path) -> None:
    """Keep the build record of the file just published beside it, with the file's identity. Written after the
    rename: a crash in between leaves a record whose identity no longer matches, which is then not trusted."""
    target = remembered_path(path)
    scratch = target.with_name(target.name + ".tmp")
    payload = {"identity": file_identity(path), "record": {**record, "published_at": record["published_at"].isoformat()}}
    scratch.write_text(json.dumps(payload), encoding="utf-8")
    os.replace(scratch, target)


def remembered_record(path: Path) -> dict | None:
    """The build record kept beside the published file, if that file is still the very one it was written for."""
    try:
        payload = json.loads(remembered_path(path).read_text(encoding="utf-8"))
        if payload["identity"] is None or payload["identity"] != file_identity(path):
            return None
        record = payload["record"]
        return {**record, "published_at": datetime.fromisoformat(record["published_at"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def inspect_published(quick: bool = False) -> PublishedState:
    """Open the published file read-only and read its build record and every table's row count, so a truncated
    file is found here rather than halfway through a refresh.

    quick: trust the build record kept beside the file while the file is the one it was written for (same inode,
    size and mtime) instead of opening it: what a refresh with nothing to do needs, in milliseconds."""
    path = paths.duckdb_path()
    if not path.is_file():
        return PublishedState(path, MISSING)
    if quick and (record := remembered_record(path)) is not None:
        return PublishedState(path, READABLE, record=record, remembered=True)
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as con:
            record = recorded(con)
            for schema, table in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall():
                con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchall()
    except duckdb.Error as error:
        condition = LOCKED if "Could not set lock" in str(error) else UNREADABLE
        return PublishedState(path, condition, str(error).strip())
    return PublishedState(path, READABLE, record=record)


def published(quick: bool = False) -> dict | None:
    """The build record of the published warehouse (None: no readable warehouse, or built before records)."""
    return inspect_published(quick).record


def unchanged_since_published(con: duckdb.DuckDBPyConnection, vintage: str) -> bool:
    """True when the landed documents, the code and the vintage rule are those of the build this copy was
    published from."""
    state = recorded(con)
    return (state is not None and state["code"] == code_fingerprint() and state["vintage"] == vintage
            and state["documents"] == landed_documents_fingerprint(con))


def record(con: duckdb.DuckDBPyConnection, run_id: str, vintage: str) -> None:
    """What this build was made from, and how: its documents, its code, and the vintage rule of its marts."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    con.execute(f"CREATE OR REPLACE TABLE {TABLE} (documents_fingerprint VARCHAR, code_fingerprint VARCHAR, "
                "run_id VARCHAR, published_at TIMESTAMPTZ, vintage VARCHAR)")
    con.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?)",
                [landed_documents_fingerprint(con), code_fingerprint(), run_id, datetime.now(UTC), vintage])
