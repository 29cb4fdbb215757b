"""Atomic publish: a refresh never writes to the published warehouse file.

Each run builds into its own staging copy (`staging/<run_id>/build.duckdb`, beside the published
file); Pandera and dbt checks run there, and only a build that passed all of them replaces the
published file, with one same-filesystem `os.replace`. Readers holding the old file keep reading the
old inode, a consistent snapshot; a failure or `kill -9` at any moment leaves the published file as it
was (at worst a stale staging folder, reclaimed by the next refresh: warehouse/recovery.py).

A run is alive exactly while its process holds `staging/<run_id>.lock`. The lock is taken before the
staging folder or anything in it exists and held until the run ends, so a folder whose lock can be
taken belongs to a dead run, and a living run's folder is never taken for one.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import filelock

from core import paths
from core.failpoints import failpoint
from warehouse.build_state import file_identity

STAGING_DATABASE = "build.duckdb"  # same stem as paths.DBT_BUILD_LINK: DuckDB names the catalog after the file it resolves
BASE_FILE = "base.json"  # identity of the published file the staging copy was made from
CHILD_FILE = "child.json"  # the subprocess (dbt) building into the staging copy: pid and start time
LOCK_SUFFIX = ".lock"
DBT_TARGET_VARIABLE = "DBT_BUILD_DUCKDB_PATH"  # read by dbt_project/profiles.yml
# run_id -> the lock this process holds on staging/<run_id>.lock for as long as the run lives, and how many
# holders in this process share it (the refresh that launches a run in-process, and the run's resources).
_held_locks: dict[str, tuple[filelock.FileLock, int]] = {}


class PublishConflict(RuntimeError):
    """The published warehouse changed while this run was building: publishing would lose that change."""


class RunAlreadyBuilding(RuntimeError):
    """Another living process holds this run's lock."""


def _lock(path: Path, *, blocking: bool = True) -> filelock.FileLock:
    path.parent.mkdir(parents=True, exist_ok=True)
    # One lock object per call (no singleton, not per thread): a second lock on the same path in this process
    # conflicts as a lock held by another process does, which is what the liveness check relies on.
    return filelock.FileLock(path, blocking=blocking, thread_local=False, preserve_lock_file=True)


@contextmanager
def publish_lock() -> Iterator[None]:
    """Serialise the compare-and-swap of concurrent publishers (a scheduled run beside a backfill)."""
    with _lock(paths.staging_dir() / ".publish.lock"):
        yield


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def run_lock_path(run_id: str) -> Path:
    return paths.staging_dir() / f"{run_id}{LOCK_SUFFIX}"


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

    def hold(self) -> None:
        """Mark the run as this living process's, before anything of it is written. Holders in one process
        share the lock; each `hold` is matched by a `release`."""
        if self.run_id in _held_locks:
            lock, holders = _held_locks[self.run_id]
            _held_locks[self.run_id] = (lock, holders + 1)
            return
        lock = _lock(run_lock_path(self.run_id), blocking=False)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise RunAlreadyBuilding(f"run {self.run_id} is already building in another process") from None
        _held_locks[self.run_id] = (lock, 1)

    def release(self) -> None:
        """One holder is done; the last one drops the lock and its file (the staging folder is gone by then)."""
        if self.run_id not in _held_locks:
            return
        lock, holders = _held_locks.pop(self.run_id)
        if holders > 1:
            _held_locks[self.run_id] = (lock, holders - 1)
            return
        run_lock_path(self.run_id).unlink(missing_ok=True)
        lock.release()

    def ensure_held(self) -> None:
        """Hold the run's lock unless this process already does (the run's resources, or the refresh, took it)."""
        if self.run_id not in _held_locks:
            self.hold()

    def ensure(self) -> Path:
        """The run's staging warehouse: a copy of the published one (or empty on the first run)."""
        self.ensure_held()
        if self.exists:
            return self.database
        self.folder.mkdir(parents=True, exist_ok=True)
        published = paths.duckdb_path()
        base = file_identity(published)
        if base is not None:
            partial = self.folder / (STAGING_DATABASE + ".partial")
            shutil.copyfile(published, partial)  # the published file is only ever replaced, never changed in place
            os.replace(partial, self.database)
        (self.folder / BASE_FILE).write_text(json.dumps(base))
        return self.database

    def publish(self, before_swap: Callable[[], None] = lambda: None) -> Path:
        """Checkpoint the staging warehouse and swap it into the published path in one rename.

        `before_swap` runs under the publish lock once the swap is sure to happen (the archive commits the
        run's new documents there: they enter the archive only with the build that passed with them)."""
        if not self.exists:
            raise FileNotFoundError(f"no staging warehouse for run {self.run_id} at {self.database}")
        import duckdb  # here: importing it costs a refresh with nothing to do more than all its work

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
            before_swap()
            failpoint("publish")
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
        with _lock(link.parent / ".build.lock"):  # waits for another process's dbt build, if any
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
                (self.folder / CHILD_FILE).unlink(missing_ok=True)
            # DuckDB keeps a write-ahead log beside the path it opened; dbt closes cleanly, which folds it
            # into the file. A log left beside the link would be lost on publish, so refuse to go on.
            if wal.exists():
                raise RuntimeError(f"dbt left {wal} behind: the staging warehouse of run {self.run_id} is incomplete")

    def record_child(self, pid: int) -> None:
        """Remember the subprocess building into this copy, so a refresh that finds this run dead can stop it."""
        (self.folder / CHILD_FILE).write_text(json.dumps({"pid": pid, "started": process_start_time(pid)}))

    def recorded_child(self) -> dict | None:
        try:
            return json.loads((self.folder / CHILD_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return None

    def discard(self) -> None:
        """Remove the staging folder; the run keeps its lock until it ends (`release`)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def process_start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22): with the pid, it names
    one process, so a pid reused after a reboot or a long uptime is never mistaken for it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def abandoned_builds() -> list[StagedBuild]:
    """Staging folders and locks of runs whose process is gone (failed, killed, the machine rebooted).

    Each returned build's lock is now held by this process: nothing else can take the folder for its own
    while the caller reclaims it (`StagedBuild.discard`, then `release`).
    """
    root = paths.staging_dir()
    if not root.is_dir():
        return []
    run_ids = {entry.name.removesuffix(LOCK_SUFFIX) for entry in root.iterdir()
               if not entry.name.startswith(".") and (entry.is_dir() or entry.name.endswith(LOCK_SUFFIX))}
    abandoned = []
    for run_id in sorted(run_ids - set(_held_locks)):
        build = StagedBuild(run_id)
        try:
            build.hold()
        except RunAlreadyBuilding:
            continue  # a living run
        abandoned.append(build)
    return abandoned
