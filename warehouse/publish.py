"""Atomic publish: a refresh never writes to the published warehouse file.

Each run builds into its own staging copy (`staging/<run_id>/build.duckdb`, beside the published
file); Pandera and dbt checks run there, and only a build that passed all of them replaces the
published file, with one same-filesystem `os.replace`. Readers holding the old file keep reading the
old inode, a consistent snapshot; a failure or `kill -9` at any moment leaves the published file as it
was (at worst a stale staging folder, removed by a later run).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse import paths

STAGING_DATABASE = "build.duckdb"  # same stem as paths.DBT_BUILD_LINK: DuckDB names the catalog after the file it resolves
BASE_FILE = "base.json"  # identity of the published file the staging copy was made from
ALIVE_FILE = ".alive"  # locked by the building process for as long as it lives (the kernel drops it on kill -9)
DBT_TARGET_VARIABLE = "DBT_BUILD_DUCKDB_PATH"  # read by dbt_project/profiles.yml
_held_locks: dict[str, int] = {}  # run_id -> file descriptor of its ALIVE_FILE lock, in this process


class PublishConflict(RuntimeError):
    """The published warehouse changed while this run was building: publishing would lose that change."""


def file_identity(path: Path) -> dict | None:
    """Inode, size and mtime: enough to tell that a file was replaced since it was copied."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return {"inode": st.st_ino, "bytes": st.st_size, "mtime_ns": st.st_mtime_ns}


@contextmanager
def publish_lock() -> Iterator[None]:
    """Serialise the compare-and-swap of concurrent publishers (a scheduled run beside a backfill)."""
    lock_file = paths.staging_dir() / ".publish.lock"
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class StagedBuild:
    run_id: str

    @property
    def folder(self) -> Path:
        return paths.staging_dir() / self.run_id

    @property
    def database(self) -> Path:
        return self.folder / STAGING_DATABASE

    @property
    def exists(self) -> bool:
        return self.database.is_file()

    def ensure(self) -> Path:
        """The run's staging warehouse: a copy of the published one (or empty on the first run)."""
        self._hold()
        if self.exists:
            return self.database
        published = paths.duckdb_path()
        base = file_identity(published)
        if base is not None:
            partial = self.folder / (STAGING_DATABASE + ".partial")
            shutil.copyfile(published, partial)  # the published file is only ever replaced, never changed in place
            os.replace(partial, self.database)
        (self.folder / BASE_FILE).write_text(json.dumps(base))
        return self.database

    def publish(self) -> Path:
        """Checkpoint the staging warehouse and swap it into the published path in one rename."""
        if not self.exists:
            raise FileNotFoundError(f"no staging warehouse for run {self.run_id} at {self.database}")
        with duckdb.connect(str(self.database)) as con:
            con.execute("CHECKPOINT")  # everything in the file, no WAL left behind
        _fsync(self.database)
        published = paths.duckdb_path()
        published.parent.mkdir(parents=True, exist_ok=True)
        with publish_lock():
            base = json.loads((self.folder / BASE_FILE).read_text())
            now = file_identity(published)
            if now != base:
                raise PublishConflict(
                    f"{published} was replaced by another run after run {self.run_id} copied it "
                    f"(then {base}, now {now}); nothing was published: run the refresh again"
                )
            os.replace(self.database, published)
            _fsync(published.parent)
        return published

    @contextmanager
    def dbt_target(self) -> Iterator[Path]:
        """Point dbt at this staging file for one invocation (profiles.yml reads DBT_BUILD_DUCKDB_PATH; a
        dbt subprocess inherits this process's environment).

        The path dbt sees is one fixed symlink in the dbt project (paths.DBT_BUILD_LINK), repointed at
        this run's file: dbt hashes the profile's path, and a path that changed from run to run (or test
        to test) would cost a full re-parse, ~7 s, every time. A lock on the link serialises dbt builds
        of every process of this checkout: one writer.
        """
        database = self.ensure()
        link = paths.DBT_BUILD_LINK
        link.parent.mkdir(parents=True, exist_ok=True)
        with (link.parent / ".build.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # waits for another process's dbt build, if any
            wal = link.with_name(link.name + ".wal")
            # A log left by a build killed mid-write belongs to that run's (discarded) file; DuckDB would
            # replay it into this one.
            wal.unlink(missing_ok=True)
            temporary = link.with_name(f".{link.name}.{self.run_id}")
            temporary.unlink(missing_ok=True)
            temporary.symlink_to(database)
            os.replace(temporary, link)
            os.environ[DBT_TARGET_VARIABLE] = str(link)
            try:
                yield database
            finally:
                del os.environ[DBT_TARGET_VARIABLE]
            # DuckDB keeps a write-ahead log beside the path it opened; dbt closes cleanly, which folds it
            # into the file. A log left beside the link would be lost on publish, so refuse to go on.
            if wal.exists():
                raise RuntimeError(f"dbt left {wal} behind: the staging warehouse of run {self.run_id} is incomplete")

    def _hold(self) -> None:
        """Mark the folder as this living process's: a later run must not take it for abandoned."""
        if self.run_id in _held_locks:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / ALIVE_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held_locks[self.run_id] = fd

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        fd = _held_locks.pop(self.run_id, None)
        if fd is not None:
            os.close(fd)


def discard_abandoned() -> list[str]:
    """Remove staging folders whose building process is gone (failed, killed); returns their run ids.

    A living build holds an exclusive lock on its folder's ALIVE_FILE; the kernel releases it when the
    process ends, however it ends, so a lock that can be taken means nobody is building there.
    """
    root = paths.staging_dir()
    if not root.is_dir():
        return []
    abandoned = []
    for folder in (d for d in root.iterdir() if d.is_dir() and d.name not in _held_locks):
        alive = folder / ALIVE_FILE
        try:
            fd = os.open(alive, os.O_RDWR)
        except FileNotFoundError:
            abandoned.append(folder.name)  # died before it could lock (or an older layout)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a living build
        finally:
            os.close(fd)
        abandoned.append(folder.name)
    for run_id in abandoned:
        shutil.rmtree(root / run_id, ignore_errors=True)
    return abandoned
