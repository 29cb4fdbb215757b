"""A document and its provenance record: what every layer passes around.

A record names the document's feed, publication and edition, where the copy came from, and the sha256
and size of its bytes; the archive (warehouse/archive.py) never opens a document without checking them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from core.feed import load_spec

BUNDLED, ACQUIRED = "bundled", "acquired"


@dataclass(frozen=True)
class ProvenanceRecord:
    path: str  # relative to the archive root it lives in (bundled: documents/; acquired: the acquired archive)
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
    # Facts about the document: which of the feed's tables of one edition and year it is (the keys of the feed's
    # [publication.attribute_values], e.g. tech-market direction and measure), and notes such as its encryption.
    attributes: dict = field(default_factory=dict)
    archive: str = BUNDLED  # which root `path` is relative to: BUNDLED or ACQUIRED
    received_at: str | None = None  # ISO UTC time an acquired copy was fetched or received
    # How an acquired copy came: HTTP status, ETag, Last-Modified, content type, declared and detected
    # charset for a fetch; the inbox path for a file drop.
    acquisition: dict = field(default_factory=dict)

    @property
    def document_key(self) -> str:
        """What stays the same across versions of one document: feed, edition, data year, table identity."""
        tables = load_spec(self.feed).publication.attribute_values
        identity = "".join(f"/{k}={self.attributes[k]}" for k in sorted(tables) if k in self.attributes)
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
