"""The raw archive: every document the warehouse was built from, with one provenance record each.

Two roots, one registry:
- bundled (`warehouse/raw/`, in the repo): the documents the default run is built from, under readable
  names; `provenance.json` beside them is their registry. `python -m warehouse.archive FILE --feed ...`
  records a new one.
- acquired (`warehouse/archive/`, state): documents fetched live or received through the inbox, stored
  content-addressed and immutable (`objects/<sha256[:2]>/<sha256><suffix>`), their records appended to
  `records.jsonl`. A document that changes gets a second object and a second record: both versions stay.
The pipeline never opens a document without checking its sha256 against the record, so a changed byte
is refused before parsing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from scrapers.errors import DocumentError
from warehouse import paths

BUNDLED, ACQUIRED = "bundled", "acquired"
RECORDS_FILE = "records.jsonl"
# Attributes that tell apart different tables of one feed, edition and year (not versions of one table).
IDENTITY_ATTRIBUTES = ("direction", "measure")


@dataclass(frozen=True)
class ProvenanceRecord:
    path: str  # relative to the raw archive root
    feed: str
    publisher: str
    publication: str
    table_title: str
    data_year: int  # the (latest) data year the document carries
    publication_year: int  # the year the publication appeared (CSY edition year, bulletin year)
    sha256: str
    bytes: int
    copied_from: str
    archived_on: str  # ISO date the copy entered this archive (its retrieval time, for bundled copies)
    official_url: str | None = None
    # Feed-specific facts about the document that a parser needs (e.g. tech-market direction).
    attributes: dict = field(default_factory=dict)
    archive: str = BUNDLED  # which root `path` is relative to: BUNDLED or ACQUIRED
    received_at: str | None = None  # ISO UTC time an acquired copy was fetched or received
    # How an acquired copy came: HTTP status, ETag, Last-Modified, content type, declared and detected
    # charset for a fetch; the inbox path for a file drop.
    acquisition: dict = field(default_factory=dict)

    @property
    def document_key(self) -> str:
        """What stays the same across versions of one document: feed, edition, data year, table identity."""
        identity = "".join(f"/{k}={self.attributes[k]}" for k in IDENTITY_ATTRIBUTES if k in self.attributes)
        return f"{self.feed}/{self.publication_year}/{self.data_year}{identity}"

    @property
    def received_order(self) -> str:
        """Sort key of versions of one document: bundled copies by archive date, acquired ones by time."""
        return self.received_at or f"{self.archived_on}T00:00:00+00:00"


@dataclass(frozen=True)
class RawDocument:
    record: ProvenanceRecord
    content: bytes

    @property
    def name(self) -> str:
        return self.record.path


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def load_registry(raw_root: Path | None = None) -> list[ProvenanceRecord]:
    """Bundled records, then acquired ones (those whose bytes are already bundled are not repeated)."""
    root = raw_root or paths.raw_dir()
    entries = json.loads((root / "provenance.json").read_text(encoding="utf-8"))
    bundled = [ProvenanceRecord(**e) for e in entries]
    known = {(r.document_key, r.sha256) for r in bundled}
    return bundled + [r for r in acquired_records() if (r.document_key, r.sha256) not in known]


def acquired_records(archive_root: Path | None = None) -> list[ProvenanceRecord]:
    file = (archive_root or paths.archive_dir()) / RECORDS_FILE
    if not file.is_file():
        return []
    lines = file.read_text(encoding="utf-8").splitlines()
    return [ProvenanceRecord(**json.loads(line)) for line in lines if line.strip()]


def records_for(feed: str, raw_root: Path | None = None) -> list[ProvenanceRecord]:
    return sorted((r for r in load_registry(raw_root) if r.feed == feed), key=lambda r: (r.path, r.received_order))


def newest_version(document_key: str, other_than: str | None = None) -> ProvenanceRecord | None:
    """The newest archived version of a document (leaving out the one whose sha256 is `other_than`)."""
    versions = [r for r in load_registry() if r.document_key == document_key and r.sha256 != other_than]
    return max(versions, key=lambda r: r.received_order, default=None)


def root_of(record: ProvenanceRecord, raw_root: Path | None = None) -> Path:
    return paths.archive_dir() if record.archive == ACQUIRED else (raw_root or paths.raw_dir())


def read_verified(record: ProvenanceRecord, raw_root: Path | None = None) -> RawDocument:
    """Read a document and refuse it unless its bytes match the provenance record."""
    file = root_of(record, raw_root) / record.path
    if not file.is_file():
        raise DocumentError(record.path, "the archived file named in its provenance record", "no such file")
    content = file.read_bytes()
    digest = sha256_of(content)
    if digest != record.sha256 or len(content) != record.bytes:
        raise DocumentError(
            record.path,
            f"sha256 {record.sha256} ({record.bytes} bytes) as recorded in provenance.json",
            f"sha256 {digest} ({len(content)} bytes): the file changed after it was archived",
        )
    return RawDocument(record, content)


def record_document(file: Path, raw_root: Path, **meta) -> ProvenanceRecord:
    """Build the provenance record of a file already placed under the raw archive."""
    content = file.read_bytes()
    return ProvenanceRecord(
        path=file.resolve().relative_to(raw_root.resolve()).as_posix(),
        sha256=sha256_of(content),
        bytes=len(content),
        **meta,
    )


def store_acquired(content: bytes, suffix: str, archive_root: Path | None = None, **meta) -> tuple[ProvenanceRecord, bool]:
    """Store an acquired document content-addressed and append its record; (record, True if new).

    Storing the same bytes for the same document twice adds nothing: the archived record comes back. Objects are written to a
    temporary file and renamed, so a crash never leaves a half-written object under its final name.
    """
    root = archive_root or paths.archive_dir()
    sha = sha256_of(content)
    new = ProvenanceRecord(path=f"objects/{sha[:2]}/{sha}{suffix}", sha256=sha, bytes=len(content), archive=ACQUIRED,
                           received_at=meta.pop("received_at", None) or datetime.now(UTC).isoformat(timespec="seconds"),
                           **meta)
    archived = next((r for r in load_registry() if r.document_key == new.document_key and r.sha256 == sha), None)
    if archived is not None:
        return archived, False
    target = root / new.path
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            tmp.write(content)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, target)
        target.chmod(0o444)  # immutable: a version is never rewritten
    with (root / RECORDS_FILE).open("a", encoding="utf-8") as records:
        records.write(json.dumps(asdict(new), ensure_ascii=False) + "\n")
        records.flush()
        os.fsync(records.fileno())
    return new, True


def write_registry(records: list[ProvenanceRecord], raw_root: Path) -> None:
    ordered = sorted((r for r in records if r.archive == BUNDLED), key=lambda r: (r.feed, r.path))
    text = json.dumps([bundled_entry(r) for r in ordered], ensure_ascii=False, indent=1)
    (raw_root / "provenance.json").write_text(text + "\n", encoding="utf-8")


def bundled_entry(record: ProvenanceRecord) -> dict:
    """A bundled record as provenance.json keeps it: without the acquired-only fields."""
    entry = asdict(record)
    for name in ("archive", "received_at", "acquisition"):
        entry.pop(name)
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description="Add or refresh one document's provenance record.")
    parser.add_argument("file", type=Path, help="the document, already copied under warehouse/raw/")
    parser.add_argument("--feed", required=True)
    parser.add_argument("--publisher", required=True)
    parser.add_argument("--publication", required=True)
    parser.add_argument("--table-title", required=True)
    parser.add_argument("--data-year", type=int, required=True)
    parser.add_argument("--publication-year", type=int, required=True)
    parser.add_argument("--copied-from", required=True, help="where this copy came from")
    parser.add_argument("--archived-on", default=date.today().isoformat())
    parser.add_argument("--official-url")
    parser.add_argument("--attribute", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    root = paths.raw_dir()
    new = record_document(
        args.file, root, feed=args.feed, publisher=args.publisher, publication=args.publication,
        table_title=args.table_title, data_year=args.data_year, publication_year=args.publication_year,
        copied_from=args.copied_from, archived_on=args.archived_on, official_url=args.official_url,
        attributes=dict(a.split("=", 1) for a in args.attribute),
    )
    kept = [r for r in load_registry(root) if r.path != new.path and r.archive == BUNDLED]
    write_registry(kept + [new], root)
    print(json.dumps(bundled_entry(new), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
