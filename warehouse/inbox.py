"""The inbox folder: what waits in it, what is stray, and where refused drops go (the quarantine).

Layout: `inbox/<feed>/<file>`, optionally with a sidecar `<file>.toml` beside it (docs/inbox.md).
Anything else in the inbox (a file in its root, a folder named after no feed) is stray: it is moved
to `quarantine/_stray/` with a reason, so it neither waits there unnoticed nor makes every refresh
look for work. A drop is read only once it has settled (nobody wrote it for a while), so a file still
being copied is never judged on its first half.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core import paths

SIDECAR_SUFFIX = ".toml"  # <file>.toml beside a dropped file: its metadata (docs/inbox.md)
REASON_SUFFIX = ".reason.txt"  # beside a quarantined drop: why it was refused
STRAY_FOLDER = "_stray"  # quarantine/_stray/: what was in the inbox but not in a feed's folder
QUARANTINED_NAME = re.compile(r"^(?P<stamp>\d{8}T\d{6}Z)(?:-\d+)?-(?P<name>.+)$")  # as `quarantine` names them
# A copy over a slow network link writes every few seconds; a drop untouched for this long is complete.
DEFAULT_SETTLE_SECONDS = 30.0
SETTLE_VARIABLE = "WAREHOUSE_INBOX_SETTLE_SECONDS"


def settle_seconds() -> float:
    return float(os.environ.get(SETTLE_VARIABLE) or DEFAULT_SETTLE_SECONDS)


def display_name(name: str | os.PathLike) -> str:
    """A file name as printable text, also when its bytes are not UTF-8 (shown as \\xNN escapes)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def is_utf8(name: str) -> bool:
    return display_name(name) == name


def sidecar_of(source: Path) -> Path:
    return source.with_name(source.name + SIDECAR_SUFFIX)


def waiting(feed: str) -> list[os.DirEntry]:
    """What waits in inbox/<feed>/, by name: every entry but sidecars and hidden files (a link or a folder
    counts too: intake refuses and quarantines it)."""
    folder = paths.inbox_dir() / feed
    if not folder.is_dir():
        return []
    entries = (e for e in os.scandir(folder) if not e.name.endswith(SIDECAR_SUFFIX) and not e.name.startswith("."))
    return sorted(entries, key=lambda e: e.name)


def seconds_since_written(entry: os.DirEntry, now: float | None = None) -> float:
    """Since the drop (or its sidecar) was last written."""
    times = [entry.stat(follow_symlinks=False).st_mtime]
    sidecar = sidecar_of(Path(entry.path))
    if sidecar.is_file():
        times.append(sidecar.stat(follow_symlinks=False).st_mtime)
    return (time.time() if now is None else now) - max(times)


def is_settled(entry: os.DirEntry, now: float | None = None) -> bool:
    return seconds_since_written(entry, now) >= settle_seconds()


def settled(feed: str) -> list[os.DirEntry]:
    """The drops of a feed that are ready to be read."""
    now = time.time()
    return [entry for entry in waiting(feed) if is_settled(entry, now)]


def strays(feeds: Iterable[str]) -> list[Path]:
    """Entries of the inbox that are in no feed's folder: files in its root, folders named after no feed."""
    root = paths.inbox_dir()
    if not root.is_dir():
        return []
    known = set(feeds)
    return sorted(Path(e.path) for e in os.scandir(root)
                  if not e.name.startswith(".") and not (e.is_dir(follow_symlinks=False) and e.name in known))


def stray_reason(stray: Path, feeds: Iterable[str]) -> str:
    feeds = sorted(feeds)
    name = display_name(stray.name)
    if stray.is_dir() and not stray.is_symlink():
        close = difflib.get_close_matches(stray.name, feeds, n=1)
        hint = f"; did you mean inbox/{close[0]}/?" if close else ""
        return (f"inbox/{name}/: expected a folder named after a feed ({', '.join(feeds)}); found a folder named after "
                f"no feed{hint} Its files were not read.")
    return (f"inbox/{name}: expected a drop inside a feed's folder, inbox/<feed>/<file> (feeds: {', '.join(feeds)}); "
            "found it in the inbox itself. It was not read.")


def sweep_strays(feeds: Iterable[str]) -> list[str]:
    """Move every stray entry to quarantine/_stray/ with its reason; one line per entry moved."""
    feeds = list(feeds)
    notes = []
    for stray in strays(feeds):
        reason = stray_reason(stray, feeds)
        target = quarantine(stray, reason, STRAY_FOLDER)
        notes.append(f"{reason} Moved to {display_name(target)}.")
    return notes


def quarantine(source: Path, reason: str, folder: str | None = None) -> Path:
    """Move a refused drop (and its sidecar) to quarantine/<feed>/<UTC time>-<name>, with the reason beside it."""
    feed_dir = paths.quarantine_dir() / (folder or source.parent.name)
    feed_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = feed_dir / f"{stamp}-{source.name}"
    for n in range(2, 1000):  # two drops of one name refused within a second
        if not os.path.lexists(target):
            break
        target = feed_dir / f"{stamp}-{n}-{source.name}"
    os.rename(source, target)  # renames a link itself, never its target
    sidecar = sidecar_of(source)
    if sidecar.is_file() and not sidecar.is_symlink():
        os.rename(sidecar, sidecar_of(target))
    text = reason.strip() or "refused without a stated reason"
    # Names of non-UTF-8 bytes are written as escapes: the reason is always readable text.
    reason_file = target.with_name(display_name(target.name) + REASON_SUFFIX)
    reason_file.write_text(display_name(text) + "\n", encoding="utf-8")
    return target


def return_to_inbox(held: Path, feed: str, reason: str) -> str:
    """Put back a drop a run took but did not judge (the run died or did not publish); quarantine it if a new
    drop of the same name arrived meanwhile. Returns what was done, in words."""
    destination = paths.inbox_dir() / feed / held.name
    if os.path.lexists(destination):
        target = quarantine(held, f"{reason}; a new file of the same name was dropped meanwhile, so this one was set "
                                  "aside", feed)
        return f"{display_name(held.name)}: set aside in {display_name(target)} (a newer drop of that name is waiting)"
    destination.parent.mkdir(parents=True, exist_ok=True)
    os.rename(held, destination)
    sidecar = sidecar_of(held)
    if sidecar.is_file():
        os.rename(sidecar, sidecar_of(destination))
    return f"{display_name(held.name)}: put back into inbox/{feed}/ ({reason})"


@dataclass(frozen=True)
class Quarantined:
    folder: str  # the feed, or _stray
    path: Path
    reason: str
    quarantined_at: str  # the UTC time in its name

    @property
    def name(self) -> str:
        return display_name(self.path.name)


def quarantined() -> list[Quarantined]:
    """Every drop waiting in quarantine, with its reason: until someone removes or replaces it, it stays listed."""
    root = paths.quarantine_dir()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(d for d in root.iterdir() if d.is_dir()):
        for entry in sorted(folder.iterdir()):
            if entry.name.endswith((REASON_SUFFIX, SIDECAR_SUFFIX)) or entry.name.startswith("."):
                continue
            reason_file = entry.with_name(display_name(entry.name) + REASON_SUFFIX)
            reason = reason_file.read_text(encoding="utf-8").strip() if reason_file.is_file() else "no reason recorded"
            named = QUARANTINED_NAME.match(entry.name)
            found.append(Quarantined(folder.name, entry, reason, named["stamp"] if named else "?"))
    return found


def resolve_quarantined(feed: str, name: str) -> list[Path]:
    """A drop of this name was archived: the quarantined copies of the same name are replaced by it (removed, with
    their reason and sidecar). Returns what was removed."""
    removed = []
    for drop in quarantined():
        named = QUARANTINED_NAME.match(drop.path.name)
        if drop.folder == feed and named and named["name"] == name:
            remove_with_sidecar(drop.path)
            drop.path.with_name(display_name(drop.path.name) + REASON_SUFFIX).unlink(missing_ok=True)
            removed.append(drop.path)
    return removed


def remove_with_sidecar(source: Path) -> None:
    if source.is_dir() and not source.is_symlink():
        shutil.rmtree(source)
    else:
        source.unlink()
    sidecar_of(source).unlink(missing_ok=True)
