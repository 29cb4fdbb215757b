"""Intake: documents that enter a refresh, fetched live or dropped into the inbox.

Both paths end in `admit`: the document must pass the gates, parse, and validate against its feed's
landing model in memory. An admitted document is then held by the run (warehouse/archive.py:
`Pending`) and enters the archive only when that run publishes. A dropped file that fails is moved to
the quarantine folder with a `.reason.txt` beside it; a fetched page that fails is refused with a named
error. Either way nothing of it is archived or landed.

Inbox layout: `inbox/<feed>/<file>`, optionally with `<file>.toml` beside it (see docs/inbox.md),
validated by `Sidecar`. Defaults per feed come from the [publication] of its feed.toml.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from core import paths
from core.documents import ProvenanceRecord, RawDocument, sha256_of
from core.errors import DocumentError
from scrapers._landing_schema import LAST_DATA_YEAR
from scrapers._sources.fetch_errors import NotPublished
from scrapers._sources.http_client import FetchResult, HttpClient
from scrapers.feeds import Feed
from warehouse import inbox
from warehouse.archive import Pending, last_fetch, newest_version, read_verified
from warehouse.changes import PROVENANCE_COLUMNS
from warehouse.gates import MAX_DOCUMENT_BYTES
from warehouse.landing import LandingValidationError, parse_document, validated

SUFFIX_BY_TYPE = {"html": ".html", "xls": ".xls", "xlsx": ".xlsx"}
YEAR_IN_NAME = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")
# A sidecar is a few lines of TOML; anything larger is not one (and is never read whole).
MAX_SIDECAR_BYTES = 64 * 1024


@dataclass
class IntakeReport:
    """What one feed's intake did: stored (new documents or versions), what it noted, what it refused."""

    stored: list[ProvenanceRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: list[DocumentError] = field(default_factory=list)


def previous_size(candidate: ProvenanceRecord, pending_run: str | None) -> int | None:
    """Bytes of the newest archived version of the same document, for the size-change gate."""
    previous = newest_version(candidate.document_key, other_than=candidate.sha256, pending_run=pending_run)
    return previous.bytes if previous else None


def admit(feed: Feed, document: RawDocument, pending_run: str | None = None) -> pd.DataFrame:
    """Gates, parse and validate in memory; the landing rows, or DocumentError / LandingValidationError."""
    frame = parse_document(feed, document, previous_bytes=previous_size(document.record, pending_run))
    return validated(feed, [frame], [document.record.path])


def figures(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows without their provenance: what two copies of a document must share to be the same."""
    return rows.drop(columns=list(PROVENANCE_COLUMNS)).sort_values(["data_year", "province_code"]).reset_index(drop=True)


def newest_version_figures(feed: Feed, candidate: ProvenanceRecord, pending_run: str) -> pd.DataFrame | None:
    newest = newest_version(candidate.document_key, pending_run=pending_run)
    if newest is None:
        return None
    document = read_verified(newest, pending_run=pending_run)
    return figures(validated(feed, [parse_document(feed, document)], [newest.path]))


def _candidate(content: bytes, name: str, **meta) -> RawDocument:
    record = ProvenanceRecord(path=name, sha256=sha256_of(content), bytes=len(content), **meta)
    return RawDocument(record, content)


# --- live: feeds with a source online --------------------------------------------------------

def fetch_live(feed: Feed, years: list[int] | None, client: HttpClient, run_id: str,
               base_url: str | None = None) -> IntakeReport:
    """Fetch each year's document through the feed's live source (scrapers/<feed>/source.py); hold what is new
    for the run. `years`: None for every year the source serves, up to the last data year that can be out.
    A fetch or admission failure raises (a named error)."""
    report = IntakeReport()
    first = feed.spec.live["from_data_year"]
    wanted = [y for y in (years or range(first, LAST_DATA_YEAR + 1)) if y >= first]
    listed = feed.source.listed_urls(client, base_url=base_url) if wanted else {}  # the listing once for all years
    for year in wanted:
        try:
            _fetch_one(feed, year, client, base_url, report, listed, Pending(run_id))
        except (DocumentError, LandingValidationError) as exc:  # fetch, gate, parse, validation: all name the document
            exc.data_year = year  # the run summary files the failure under this year
            raise
    return report


def _fetch_one(feed: Feed, year: int, client: HttpClient, base_url: str | None, report: IntakeReport,
               listed: dict[int, str], pending: Pending) -> None:
    try:
        result = feed.source.fetch(client, year, last_fetch(feed.name, year), base_url=base_url, known_urls=listed)
    except NotPublished as exc:
        report.notes.append(f"{year}: not online ({exc.found})")
        return
    if result.not_modified:
        report.notes.append(f"{year}: 304 not modified ({result.url})")
        return
    meta = _fetched_meta(feed, year, result)
    document = _candidate(result.content, result.final_url, **meta)
    rows = admit(feed, document, pending.run_id)
    validators = {"url": result.final_url, "etag": result.etag, "last_modified": result.last_modified,
                  "fetched_at": result.fetched_at}
    fetched = f"from {result.final_url} (HTTP {result.status}, {result.detected_charset})"
    previous = newest_version_figures(feed, document.record, pending.run_id)
    if previous is not None and previous.equals(figures(rows)):
        # Other bytes, same figures (a re-encoded page, a changed page footer): not a new version.
        pending.remember_fetch(feed.name, year, validators, stored=False)
        report.notes.append(f"{year}: same figures as the archived version {fetched}")
        return
    record, _ = pending.store(result.content, SUFFIX_BY_TYPE[feed.spec.layout.document_type], **meta)
    pending.remember_fetch(feed.name, year, validators, stored=True)
    report.stored.append(record)
    report.notes.append(f"{year}: took in {'a new version' if previous is not None else 'a new document'} {fetched}")


def _fetched_meta(feed: Feed, year: int, result: FetchResult) -> dict:
    publication = feed.spec.publication
    return {
        "feed": feed.name, **publication.edition(year, year + publication.lag_years),
        "copied_from": result.final_url, "archived_on": date.today().isoformat(), "official_url": result.final_url,
        "attributes": {}, "received_at": result.fetched_at,
        "acquisition": {"url": result.url, "final_url": result.final_url, "status": result.status, "etag": result.etag,
                        "last_modified": result.last_modified, "content_type": result.content_type,
                        "declared_charset": result.declared_charset, "detected_charset": result.detected_charset},
    }


# --- file drop: the inbox -----------------------------------------------------------------------

class InboxRefusal(DocumentError):
    """A dropped file that is not taken in (unsafe, too large, no metadata); moved to quarantine."""


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Year = Annotated[int, Field(ge=1900, le=2100)]


class Sidecar(BaseModel):
    """`<file>.toml` beside a drop: what the file name cannot say. Types are strict (a year is a TOML integer,
    not the string "2022") and unknown keys are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", strict=True)

    data_year: Year | None = None
    publication_year: Year | None = None
    publisher: Text | None = None
    publication: Text | None = None
    table_title: Text | None = None
    official_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)] | None = None
    attributes: dict[str, Text] = {}


def sidecar_problems(error: ValidationError) -> str:
    """Pydantic's errors in one line of plain words: which key, what was expected, what was found."""
    problems = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(the file)"
        found = item.get("input")
        shown = f" (found {found!r})" if item["type"] != "missing" and not isinstance(found, dict) else ""
        message = "not a key a sidecar may carry" if item["type"] == "extra_forbidden" else item["msg"].lower()
        problems.append(f"{key}: {message}{shown}")
    return "; ".join(problems)


def receive_inbox(feed: Feed, run_id: str) -> IntakeReport:
    """Take in every settled file in inbox/<feed>/ for the run; quarantine each one that fails (the report
    lists why). A file still being written is left for a later refresh."""
    report = IntakeReport()
    folder = paths.inbox_dir() / feed.name
    if not folder.is_dir():
        return report
    if folder.is_symlink() or folder.resolve().parent != paths.inbox_dir().resolve():
        report.refused.append(InboxRefusal(str(folder), f"a folder inside {paths.inbox_dir()}",
                                           f"a link to {folder.resolve()}, outside the inbox (not read)"))
        return report
    pending = Pending(run_id)
    for entry in inbox.waiting(feed.name):
        source = Path(entry.path)
        name = inbox.display_name(entry.name)
        if not inbox.is_settled(entry):
            report.notes.append(f"left {name} in the inbox: written {inbox.seconds_since_written(entry):.0f} s ago, "
                                f"maybe still being copied; a refresh takes it once it is {inbox.settle_seconds():.0f} s old")
            continue
        try:
            if not inbox.is_utf8(entry.name):
                raise InboxRefusal(f"inbox/{feed.name}/{name}", "a file name in UTF-8",
                                   "a name with other bytes (shown as \\x escapes); rename the file and drop it again")
            content = _read_dropped(entry, folder)
            meta = _drop_meta(feed, source)
            document = _candidate(content, f"inbox/{feed.name}/{entry.name}", **meta)
            admit(feed, document, run_id)
            suffix = SUFFIX_BY_TYPE.get(source.suffix.lower().lstrip("."), source.suffix.lower())
            record, new = pending.store(content, suffix, **meta)
        except Exception as exc:  # noqa: BLE001 - a drop never stops the refresh: whatever it does, it is quarantined
            refusal = exc if isinstance(exc, DocumentError) else DocumentError(
                f"inbox/{feed.name}/{name}", "a document the feed can read", f"{type(exc).__name__}: {exc}")
            inbox.quarantine(source, str(refusal))
            report.refused.append(refusal)
            continue
        if new:
            pending.hold_drop(source, feed.name)
            report.stored.append(record)
            report.notes.append(f"took in {name}: archived as {record.path} once this refresh publishes")
        else:
            inbox.remove_with_sidecar(source)
            report.notes.append(f"received {name}: already archived as {record.path}")
    return report


def _read_bounded(path: str, expected: str, limit: int) -> bytes:
    """A regular file's bytes, opened without following links and refused above `limit` before reading."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)  # a file swapped for a link after the checks is still refused
    except OSError as exc:
        raise InboxRefusal(inbox.display_name(path), expected, f"a file that cannot be opened ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InboxRefusal(inbox.display_name(path), expected, "a special file")
        if info.st_size > limit:
            raise InboxRefusal(inbox.display_name(path), f"{expected} of at most {limit:,} bytes", f"{info.st_size:,} bytes")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit + 1)
    finally:
        os.close(fd)


def _read_dropped(entry: os.DirEntry, folder: Path) -> bytes:
    """The file's bytes, refusing symlinks, non-regular files, paths leaving the inbox and oversize files."""
    if entry.is_symlink():
        raise InboxRefusal(entry.path, "a regular file", "a symbolic link (links are never followed)")
    if not entry.is_file(follow_symlinks=False):
        raise InboxRefusal(entry.path, "a regular file", "a directory or special file")
    if Path(entry.path).resolve().parent != folder.resolve():
        raise InboxRefusal(entry.path, f"a file inside {folder}", "a path leading elsewhere")
    return _read_bounded(entry.path, "a regular file", MAX_DOCUMENT_BYTES)


def read_sidecar(sidecar_file: Path, feed: Feed) -> Sidecar:
    if os.path.islink(sidecar_file):
        raise InboxRefusal(str(sidecar_file), "a sidecar that is a regular file", "a symbolic link (links are never followed)")
    if not os.path.lexists(sidecar_file):
        return Sidecar()
    raw = _read_bounded(str(sidecar_file), "a TOML sidecar", MAX_SIDECAR_BYTES)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        sidecar = Sidecar.model_validate(data)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InboxRefusal(str(sidecar_file), "a TOML sidecar in UTF-8", f"unreadable TOML ({exc})") from None
    except ValidationError as exc:
        raise InboxRefusal(str(sidecar_file), "a sidecar with the keys and types of docs/inbox.md",
                           sidecar_problems(exc)) from None
    allowed = feed.spec.publication.attribute_values
    for key, value in sidecar.attributes.items():
        if key not in allowed:
            raise InboxRefusal(str(sidecar_file), f"attributes of feed {feed.name}: {sorted(allowed) or 'none'}",
                               f"attribute {key!r}")
        if value not in allowed[key]:
            raise InboxRefusal(str(sidecar_file), f"attribute {key} one of {allowed[key]}", f"{value!r}")
    return sidecar


def _drop_meta(feed: Feed, source: Path) -> dict:
    """Provenance of a dropped file: its sidecar, else the year in its name and the feed's defaults."""
    sidecar_file = inbox.sidecar_of(source)
    sidecar = read_sidecar(sidecar_file, feed)
    publication = feed.spec.publication
    year_match = YEAR_IN_NAME.search(source.stem)
    data_year = sidecar.data_year or (int(year_match.group()) if year_match else None)
    if data_year is None:
        raise InboxRefusal(str(source), "a data year: in the file name (e.g. 2023.xls) or data_year in "
                           f"{sidecar_file.name}", "neither")
    publication_year = sidecar.publication_year or data_year + publication.lag_years
    attributes = dict(sidecar.attributes)
    missing = [a for a in publication.attribute_values if a not in attributes]
    if missing:
        raise InboxRefusal(str(source), f"attributes {missing} in {sidecar_file.name}", "no such attributes")
    edition = publication.edition(data_year, publication_year)
    received_at = datetime.now(UTC).isoformat(timespec="seconds")
    return {
        "feed": feed.name, **edition,
        **{k: getattr(sidecar, k) for k in ("publisher", "publication", "table_title") if getattr(sidecar, k)},
        "copied_from": f"inbox drop {source.name}", "archived_on": date.today().isoformat(),
        "official_url": sidecar.official_url, "attributes": attributes, "received_at": received_at,
        "acquisition": {"inbox_path": str(source), "received_at": received_at, "sidecar": os.path.lexists(sidecar_file)},
    }
