"""The raw archive: bundled documents plus one provenance record each.

`provenance.json` beside the documents is the registry. The pipeline never opens a document
without checking its sha256 against the record, so a changed byte is refused before parsing.
Run `python -m warehouse.archive record FILE --feed ... ` to add a document (see README).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from scrapers.errors import DocumentError
from warehouse import paths


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
    root = raw_root or paths.raw_dir()
    entries = json.loads((root / "provenance.json").read_text(encoding="utf-8"))
    return [ProvenanceRecord(**e) for e in entries]


def records_for(feed: str, raw_root: Path | None = None) -> list[ProvenanceRecord]:
    return sorted((r for r in load_registry(raw_root) if r.feed == feed), key=lambda r: r.path)


def read_verified(record: ProvenanceRecord, raw_root: Path | None = None) -> RawDocument:
    """Read a document and refuse it unless its bytes match the provenance record."""
    file = (raw_root or paths.raw_dir()) / record.path
    if not file.is_file():
        raise DocumentError(record.path, "the archived file named in provenance.json", "no such file")
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


def write_registry(records: list[ProvenanceRecord], raw_root: Path) -> None:
    ordered = sorted(records, key=lambda r: (r.feed, r.path))
    text = json.dumps([asdict(r) for r in ordered], ensure_ascii=False, indent=1)
    (raw_root / "provenance.json").write_text(text + "\n", encoding="utf-8")


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
    kept = [r for r in load_registry(root) if r.path != new.path]
    write_registry(kept + [new], root)
    print(json.dumps(asdict(new), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
