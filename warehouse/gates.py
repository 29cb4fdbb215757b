"""Publication gates: what a document must pass before anything parsed from it is published.

`check_edition` looks at the document's record (an edition that cannot carry its data year);
`check_bytes` looks at the raw bytes before parsing (empty, oversized, wrong file type, a size jump
against the previous version of the same document); `check_rows` looks at the parsed rows before
validation (too few regions with a figure in a data year). A failure raises `GateError`, a
DocumentError naming the document, what was expected and what was found, and the gate's short name.
What each feed expects (its document type, its row floor, its edition rule) is data in its feed.toml.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pandas as pd

from core.errors import DocumentError
from core.feed import FeedSpec

# Far above any real document: the largest bundled one is the 2022 bulletin page at 395,050 bytes
# (desktop and mobile copies of the article); the largest yearbook .xls is 51,200 bytes.
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
# New size / size of the previous version of the same document. A re-published table or page
# changes by a few percent; half or double means a truncated download, an error page or another
# document. (Across years sizes move more, e.g. bulletin 2020 → 2021 doubled with the mobile copy,
# which is why this compares versions of one document only.)
SIZE_RATIO_BAND = (0.5, 2.0)
# Bytes that carry nothing: white space, and the NULs of a preallocated download that never got data.
BLANK_BYTES = b" \t\r\n\x0b\x0c\x00"
# How far into a document the HTML markers are looked for (a doctype, comments or a BOM come first).
HTML_SNIFF_BYTES = 4096
HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<table")

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 compound file: Excel 97-2003 .xls (the CSY files)
ZIP_MAGIC = b"PK\x03\x04"
# What each sniffed type is called in messages.
TYPE_NAMES = {
    "xls": "an Excel 97-2003 workbook (OLE2 compound file)",
    "xlsx": "an Excel 2007+ workbook (.xlsx zip)",
    "zip": "a zip archive",
    "html": "an HTML page",
    "unknown": "content of no known type",
}

# The row-floor gate counts regions with a figure: every other column of a parsed frame holds figures.
REGION_AND_YEAR_COLUMNS = ("province_code", "province", "data_year")
MAX_REGIONS_NAMED = 5  # regions without a figure named in a row-floor message, per year


class GateError(DocumentError):
    """A document failed a publication gate; `gate` names which one."""

    def __init__(self, document: str, expected: str, found: str, *, gate: str):
        super().__init__(document, expected, found)
        self.gate = gate
        self.args = (f"{self.args[0]} (publication gate: {gate})",)


def check_edition(spec: FeedSpec, document: str, data_year: int, publication_year: int) -> None:
    """Refuse an edition that cannot exist: the publication carrying data year Y appears in Y + its lag
    ([publication] lag_years of the feed.toml), and not after this year. A sidecar claiming otherwise would make
    its figures another vintage of the year (the earliest, when it claims an edition before the real one)."""
    lag = spec.publication.lag_years
    expected = data_year + lag
    if publication_year != expected or publication_year > date.today().year:
        raise GateError(document, f"the edition of {expected} (data year {data_year} + {lag}: the edition that carries "
                                  f"it), published by {date.today().year}",
                        f"publication year {publication_year}", gate="edition")


def sniff(content: bytes) -> str:
    """The document's type from its first bytes: "xls", "xlsx", "zip", "html" or "unknown"."""
    if content.startswith(OLE2_MAGIC):
        return "xls"
    if content.startswith(ZIP_MAGIC):
        try:
            names = zipfile.ZipFile(io.BytesIO(content)).namelist()
        except zipfile.BadZipFile:
            return "zip"
        return "xlsx" if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names) else "zip"
    head = content[:HTML_SNIFF_BYTES].lower()
    if any(marker in head for marker in HTML_MARKERS):
        return "html"
    return "unknown"


def check_bytes(spec: FeedSpec, document: str, content: bytes, previous_bytes: int | None = None) -> str:
    """Refuse an empty, oversized or wrongly typed document, or one whose size jumped; return its type."""
    size = len(content)
    if not content.strip(BLANK_BYTES):
        raise GateError(document, "a document with content", f"{size:,} bytes of nothing (empty or blank)", gate="empty")
    if size > MAX_DOCUMENT_BYTES:
        raise GateError(document, f"at most {MAX_DOCUMENT_BYTES:,} bytes", f"{size:,} bytes", gate="oversized")
    found = sniff(content)
    wanted = spec.layout.document_type
    if found != wanted:
        raise GateError(
            document, f"{TYPE_NAMES[wanted]}, as feed {spec.name} publishes",
            f"{TYPE_NAMES[found]} (file starts with {content[:16]!r})", gate="file_type",
        )
    if previous_bytes:  # None (or 0) for a first version: nothing to compare with
        low, high = SIZE_RATIO_BAND
        if not low <= size / previous_bytes <= high:
            raise GateError(
                document, f"a size within {low}x-{high}x of the previous version ({previous_bytes:,} bytes)",
                f"{size:,} bytes ({size / previous_bytes:.2f}x)", gate="size_change",
            )
    return found


def check_rows(spec: FeedSpec, document: str, rows: pd.DataFrame) -> None:
    """Refuse a parse with fewer regions carrying a figure, in any data year, than the feed's floor."""
    floor = spec.layout.min_rows_per_year
    if rows.empty or "data_year" not in rows.columns:
        raise GateError(document, f"at least {floor} regions with a figure per data year", "no rows", gate="row_floor")
    # Text such as a tech-market direction is no figure.
    figures = rows.drop(columns=[c for c in REGION_AND_YEAR_COLUMNS if c in rows.columns])
    has_figure = figures.apply(pd.to_numeric, errors="coerce").notna().any(axis=1)
    counts = has_figure.groupby(rows["data_year"]).sum()
    short = counts[counts < floor]
    if not short.empty:
        def without_figure(year: int) -> str:
            names = rows.loc[~has_figure & (rows["data_year"] == year), "province"].tolist()
            shown = ", ".join(names[:MAX_REGIONS_NAMED]) + (", …" if len(names) > MAX_REGIONS_NAMED else "")
            return f"{year}: {counts[year]} (none for {shown})"

        raise GateError(document, f"at least {floor} regions with a figure per data year",
                        f"regions with a figure by data year {'; '.join(without_figure(y) for y in short.index)}",
                        gate="row_floor")
