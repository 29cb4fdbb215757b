"""Intake: documents that enter the archive during a refresh, fetched live or dropped into the inbox.

Both paths end in `admit`: the document must pass the gates, parse, and validate against its feed's
landing model before it is stored (content-addressed, immutable; warehouse/archive.py). A dropped
file that fails is moved to the quarantine folder with a `.reason.txt` beside it; a fetched page that
fails is refused with a named error. Either way nothing of it is archived or landed.

Inbox layout: `inbox/<feed>/<file>`, optionally with `<file>.toml` beside it (see docs/inbox.md):
data_year, publication_year, publication, table_title, attributes. Defaults per feed come from
scrapers/sources/publications.toml.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from scrapers.errors import DocumentError
from scrapers.feed import Feed
from scrapers.http_client import SOURCES_DIR, FetchResult, HttpClient
from scrapers.nbs_bulletin_source import BulletinNotFound, fetch_bulletin, listed_urls
from warehouse import paths
from warehouse.archive import (
    ProvenanceRecord,
    RawDocument,
    newest_version,
    read_verified,
    sha256_of,
    store_acquired,
)
from warehouse.changes import PROVENANCE_COLUMNS
from warehouse.gates import MAX_DOCUMENT_BYTES
from warehouse.landing import LandingValidationError, parse_document, validated

PUBLICATIONS_FILE = SOURCES_DIR / "publications.toml"
FETCH_STATE_FILE = "fetch_state.json"  # in the acquired archive: validators of the last fetch per year
SUFFIX_BY_TYPE = {"html": ".html", "xls": ".xls", "xlsx": ".xlsx"}
YEAR_IN_NAME = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")


@dataclass
class IntakeReport:
    """What one feed's intake did: stored (new documents or versions), what it noted, what it refused."""

    stored: list[ProvenanceRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: list[DocumentError] = field(default_factory=list)


def publication_defaults(feed: str) -> dict:
    return tomllib.loads(PUBLICATIONS_FILE.read_text(encoding="utf-8"))[feed]


def previous_size(candidate: ProvenanceRecord) -> int | None:
    """Bytes of the newest archived version of the same document, for the size-change gate."""
    previous = newest_version(candidate.document_key, other_than=candidate.sha256)
    return previous.bytes if previous else None


def admit(feed: Feed, document: RawDocument) -> pd.DataFrame:
    """Gates, parse and validate in memory; the landing rows, or DocumentError / LandingValidationError."""
    frame = parse_document(feed, document, previous_bytes=previous_size(document.record))
    return validated(feed, [frame], [document.record.path])


def figures(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows without their provenance: what two copies of a document must share to be the same."""
    return rows.drop(columns=list(PROVENANCE_COLUMNS)).sort_values(["data_year", "province_code"]).reset_index(drop=True)


def newest_version_figures(feed: Feed, candidate: ProvenanceRecord) -> pd.DataFrame | None:
    newest = newest_version(candidate.document_key)
    if newest is None:
        return None
    return figures(validated(feed, [parse_document(feed, read_verified(newest))], [newest.path]))


def _candidate(content: bytes, name: str, **meta) -> RawDocument:
    record = ProvenanceRecord(path=name, sha256=sha256_of(content), bytes=len(content), **meta)
    return RawDocument(record, content)


# --- live: the NBS bulletin ---------------------------------------------------------------------

def _fetch_state() -> tuple[Path, dict]:
    state_file = paths.archive_dir() / FETCH_STATE_FILE
    return state_file, json.loads(state_file.read_text(encoding="utf-8")) if state_file.is_file() else {}


def last_fetch(data_year: int) -> dict | None:
    """ETag / Last-Modified of the last successful fetch of this year's bulletin, for a conditional GET."""
    return _fetch_state()[1].get(str(data_year))


def remember_fetch(data_year: int, result: FetchResult) -> None:
    """Kept also when the page was not stored (same figures), so the next fetch can be conditional."""
    state_file, state = _fetch_state()
    state[str(data_year)] = {"url": result.final_url, "etag": result.etag, "last_modified": result.last_modified,
                             "fetched_at": result.fetched_at}
    state_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = state_file.with_suffix(".partial")
    temporary.write_text(json.dumps(state, indent=1), encoding="utf-8")
    os.replace(temporary, state_file)


def fetch_bulletins(feed: Feed, years: list[int], client: HttpClient, base_url: str | None = None) -> IntakeReport:
    """Fetch each year's bulletin; store what is new. A fetch or admission failure raises (named error)."""
    defaults = publication_defaults(feed.name)
    report = IntakeReport()
    wanted = [y for y in years if y >= defaults["live_from_data_year"]]
    listed = listed_urls(client, base_url=base_url) if wanted else {}  # the listing once for all years
    for year in wanted:
        try:
            _fetch_one(feed, year, client, base_url, defaults, report, listed)
        except (DocumentError, LandingValidationError) as exc:  # fetch, gate, parse, validation: all name the document
            exc.data_year = year  # the run summary files the failure under this year
            raise
    return report


def _fetch_one(feed: Feed, year: int, client: HttpClient, base_url: str | None, defaults: dict,
               report: IntakeReport, listed: dict[int, str]) -> None:
    try:
        result = fetch_bulletin(client, year, last_fetch(year), base_url=base_url, known_urls=listed)
    except BulletinNotFound as exc:
        report.notes.append(f"{year}: no bulletin online ({exc.found})")
        return
    if result.not_modified:
        report.notes.append(f"{year}: 304 not modified ({result.url})")
        return
    meta = _bulletin_meta(feed, defaults, year, result)
    document = _candidate(result.content, result.final_url, **meta)
    rows = admit(feed, document)
    remember_fetch(year, result)
    fetched = f"from {result.final_url} (HTTP {result.status}, {result.detected_charset})"
    previous = newest_version_figures(feed, document.record)
    if previous is not None and previous.equals(figures(rows)):
        # Other bytes, same figures (a re-encoded page, a changed page footer): not a new version.
        report.notes.append(f"{year}: same figures as the archived version {fetched}")
        return
    record, _ = store_acquired(result.content, ".html", **meta)
    report.stored.append(record)
    report.notes.append(f"{year}: stored {'a new version' if previous is not None else 'a new document'} {fetched}")


def _edition(defaults: dict, data_year: int, publication_year: int) -> dict:
    """Publisher, publication and table title of one edition, from the feed's defaults (publications.toml)."""
    fill = {"data_year": data_year, "publication_year": publication_year}
    return {"publisher": defaults["publisher"], "publication": defaults["publication"].format(**fill),
            "table_title": defaults["table_title"].format(**fill), **fill}


def _bulletin_meta(feed: Feed, defaults: dict, year: int, result: FetchResult) -> dict:
    return {
        "feed": feed.name, **_edition(defaults, year, year + 1), "copied_from": result.final_url,
        "archived_on": date.today().isoformat(), "official_url": result.final_url, "attributes": {},
        "received_at": result.fetched_at,
        "acquisition": {"url": result.url, "final_url": result.final_url, "status": result.status, "etag": result.etag,
                        "last_modified": result.last_modified, "content_type": result.content_type,
                        "declared_charset": result.declared_charset, "detected_charset": result.detected_charset},
    }


# --- file drop: the inbox -----------------------------------------------------------------------

class InboxRefusal(DocumentError):
    """A dropped file that is not taken in (unsafe, too large, no metadata); moved to quarantine."""


def receive_inbox(feed: Feed) -> IntakeReport:
    """Take in every file in inbox/<feed>/; quarantine each one that fails (the report lists why)."""
    report = IntakeReport()
    folder = paths.inbox_dir() / feed.name
    if not folder.is_dir():
        return report
    if folder.is_symlink() or folder.resolve().parent != paths.inbox_dir().resolve():
        report.refused.append(InboxRefusal(str(folder), f"a folder inside {paths.inbox_dir()}",
                                           f"a link to {folder.resolve()}, outside the inbox (not read)"))
        return report
    for entry in paths.inbox_drops(feed.name):
        source = Path(entry.path)
        try:
            content = _read_dropped(entry, folder)
            meta = _drop_meta(feed, source, content)
            document = _candidate(content, f"inbox/{feed.name}/{entry.name}", **meta)
            admit(feed, document)
            suffix = SUFFIX_BY_TYPE.get(source.suffix.lower().lstrip("."), source.suffix.lower())
            record, new = store_acquired(content, suffix, **meta)
        except DocumentError as exc:  # includes gate and validation failures
            quarantine(source, str(exc))
            report.refused.append(exc)
            continue
        except ValueError as exc:  # LandingValidationError and malformed sidecars
            quarantine(source, str(exc))
            report.refused.append(DocumentError(str(source), "a valid document", str(exc)))
            continue
        if new:
            report.stored.append(record)
        report.notes.append(f"received {entry.name}: {'stored' if new else 'already archived'} as {record.path}")
        _remove_with_sidecar(source)
    return report


def _read_dropped(entry: os.DirEntry, folder: Path) -> bytes:
    """The file's bytes, refusing symlinks, non-regular files, paths leaving the inbox and oversize files."""
    if entry.is_symlink():
        raise InboxRefusal(entry.path, "a regular file", "a symbolic link (links are never followed)")
    if not entry.is_file(follow_symlinks=False):
        raise InboxRefusal(entry.path, "a regular file", "a directory or special file")
    if Path(entry.path).resolve().parent != folder.resolve():
        raise InboxRefusal(entry.path, f"a file inside {folder}", "a path leading elsewhere")
    # O_NOFOLLOW: a file swapped for a link after the checks above is still refused.
    fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InboxRefusal(entry.path, "a regular file", "a special file")
        if info.st_size > MAX_DOCUMENT_BYTES:
            raise InboxRefusal(entry.path, f"at most {MAX_DOCUMENT_BYTES:,} bytes", f"{info.st_size:,} bytes")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(MAX_DOCUMENT_BYTES + 1)
    finally:
        os.close(fd)


def _drop_meta(feed: Feed, source: Path, content: bytes) -> dict:
    """Provenance of a dropped file: its sidecar, else the year in its name and the feed's defaults."""
    sidecar_file = sidecar_of(source)
    try:
        sidecar = tomllib.loads(sidecar_file.read_text(encoding="utf-8")) if sidecar_file.is_file() else {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InboxRefusal(str(sidecar_file), "a TOML metadata file", f"unreadable TOML ({exc})") from None
    defaults = publication_defaults(feed.name)
    year_match = YEAR_IN_NAME.search(source.stem)
    data_year = sidecar.get("data_year") or (int(year_match.group()) if year_match else None)
    if data_year is None:
        raise InboxRefusal(str(source), "a data year: in the file name (e.g. 2023.xls) or data_year in "
                           f"{sidecar_file.name}", "neither")
    publication_year = sidecar.get("publication_year", data_year + 1)
    attributes = {**defaults.get("attributes", {}), **sidecar.get("attributes", {})}
    missing = [a for a in defaults.get("required_attributes", []) if a not in attributes]
    if missing:
        raise InboxRefusal(str(source), f"attributes {missing} in {sidecar_file.name}", "no such attributes")
    edition = _edition(defaults, data_year, publication_year)
    received_at = datetime.now(UTC).isoformat(timespec="seconds")
    return {
        "feed": feed.name, **edition, **{k: sidecar[k] for k in ("publisher", "publication", "table_title") if k in sidecar},
        "copied_from": f"inbox drop {source.name}", "archived_on": date.today().isoformat(),
        "official_url": sidecar.get("official_url"), "attributes": attributes, "received_at": received_at,
        "acquisition": {"inbox_path": str(source), "received_at": received_at, "sidecar": bool(sidecar)},
    }


def quarantine(source: Path, reason: str) -> Path:
    """Move a refused drop (and its sidecar) to quarantine/<feed>/, with the reason beside it."""
    feed_dir = paths.quarantine_dir() / source.parent.name
    feed_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = feed_dir / f"{stamp}-{source.name}"
    os.rename(source, target)  # renames a link itself, never its target
    sidecar = sidecar_of(source)
    if sidecar.is_file() and not sidecar.is_symlink():
        os.rename(sidecar, sidecar_of(target))
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target


def sidecar_of(source: Path) -> Path:
    return source.with_name(source.name + paths.SIDECAR_SUFFIX)


def _remove_with_sidecar(source: Path) -> None:
    source.unlink()
    sidecar = sidecar_of(source)
    if sidecar.is_file():
        sidecar.unlink()
