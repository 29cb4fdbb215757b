"""CSY .xls workbooks: decrypt in memory (Excel's default read-only key) and read a sheet as a grid."""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterator
from itertools import islice

import msoffcrypto
import olefile
import pandas as pd
import xlrd
from msoffcrypto.exceptions import DecryptionError, FileFormatError, InvalidKeyError
from olefile.olefile import OleFileError

from core.documents import RawDocument
from core.errors import DocumentError, OtherTable
from core.feed import Layout
from scrapers._tables.region_tables import Grid, RegionTable, check_year, read_region_table
from scrapers._tables.regions import squash

# Excel encrypts "read-only recommended" workbooks with this well-known default password.
EXCEL_DEFAULT_PASSWORD = "VelvetSweatshop"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
READABLE = "a readable .xls workbook"

# What a workbook may cost, measured from its records before xlrd builds a sheet: the file-size gate
# cannot see it (an 18 KB file with one cell at (65535, 255) on 15 extra sheets took 2.5 GiB and 51 s).
# The 124 distinct yearbook workbooks (bundled and in the shared sources) have 1 or 2 sheets, at most
# 86 rows and 22 columns; the bounds leave 8x, 23x and 4.5x headroom (BIFF8 allows 65,536 × 256).
MAX_SHEETS = 16
MAX_SHEET_ROWS = 2_000
MAX_SHEET_COLUMNS = 100

# BIFF8 records (MS-XLS): [type u16][length u16][data]. A BOF of any BIFF version opens a
# substream to xlrd (an embedded one inside a sheet is skipped up to its EOF), so all four count.
BOF_RECORDS = frozenset({0x0809, 0x0409, 0x0209, 0x0009})
BIFF8_BOF, BIFF8_VERSION = 0x0809, 0x0600
EOF, BOUNDSHEET, DIMENSIONS, ROW = 0x000A, 0x0085, 0x0200, 0x0208
WORKSHEET = 0x00  # BOUNDSHEET sheet type; xlrd skips chart, macro and VB sheets
# Records that place one cell, row u16 and column u16 first: NUMBER, RK, LABELSST, LABEL, RSTRING, BLANK,
# BOOLERR and FORMULA under the three codes xlrd reads it by.
CELL_RECORDS = frozenset({0x0203, 0x027E, 0x00FD, 0x0204, 0x00D6, 0x0201, 0x0205, 0x0006, 0x0206, 0x0406})
# Records that place a run of cells in one row: MULRK, MULBLANK (row, first column, ..., last column).
CELL_RUN_RECORDS = frozenset({0x00BD, 0x00BE})


def open_workbook(doc: RawDocument) -> xlrd.Book:
    if not doc.content.startswith(OLE_MAGIC):
        raise DocumentError(doc.name, "an Excel 97-2003 workbook (OLE2 .xls)", f"a file starting with {doc.content[:16]!r}")
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(doc.content))
        content = doc.content
        if office.is_encrypted():
            plain = io.BytesIO()
            office.load_key(password=EXCEL_DEFAULT_PASSWORD)
            office.decrypt(plain)
            content = plain.getvalue()
        stream = workbook_stream(doc.name, content)
        check_cost(doc.name, stream)
        # xlrd is given the very stream that was measured, not the container (its own OLE reader might
        # find another). Ragged rows end at each row's last cell instead of being padded to the widest.
        return xlrd.open_workbook(file_contents=stream, on_demand=True, ragged_rows=True)
    except DocumentError:  # a ValueError too, already worded
        raise
    except (DecryptionError, InvalidKeyError) as exc:
        raise DocumentError(doc.name, "an .xls encrypted with Excel's default key (or not at all)", f"{exc}") from None
    except (OleFileError, FileFormatError, xlrd.XLRDError, ValueError, KeyError, IndexError, EOFError) as exc:
        # OleFileError: a truncated or damaged container (e.g. "incomplete OLE sector").
        raise DocumentError(doc.name, READABLE, f"{type(exc).__name__}: {exc}") from None
    except (AssertionError, struct.error) as exc:
        # xlrd asserts on record structure it cannot make sense of, mostly with an empty message; a record
        # too short for its fields fails to unpack.
        detail = f": {exc}" if str(exc) else ""
        raise DocumentError(doc.name, READABLE, f"damaged records ({type(exc).__name__}{detail})") from None


def workbook_stream(document: str, content: bytes) -> bytes:
    """The BIFF stream of an (already decrypted) OLE2 .xls, under either name xlrd looks for."""
    ole = olefile.OleFileIO(io.BytesIO(content))
    name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
    if name is None:
        raise DocumentError(document, READABLE, f"no Workbook stream among {['/'.join(e) for e in ole.listdir()]}")
    return ole.openstream(name).read()


def check_cost(document: str, stream: bytes) -> None:
    """Refuse a workbook beyond the bounds above, measured from its records before xlrd builds any sheet."""
    expected = (f"a workbook of at most {MAX_SHEETS} sheets of at most {MAX_SHEET_ROWS:,} rows × "
                f"{MAX_SHEET_COLUMNS} columns")
    sheets = worksheets(document, stream)
    measured = list(islice(sheets, MAX_SHEETS + 1))
    if len(measured) > MAX_SHEETS:
        # The rest are only counted: within the 8 MiB size gate, tiny BOUNDSHEETs would make a list of 700,000.
        raise DocumentError(document, expected, f"{len(measured) + sum(1 for _ in sheets):,} sheets")
    for name, offset in measured:
        rows, columns = sheet_extent(document, stream, offset)
        if rows > MAX_SHEET_ROWS or columns > MAX_SHEET_COLUMNS:
            raise DocumentError(document, expected, f"sheet {name!r} spans {rows:,} rows × {columns:,} columns")


def records(document: str, stream: bytes, start: int) -> Iterator[tuple[int, bytes]]:
    """(type, data) of each record from the BOF at `start` through its EOF, nested substreams included."""
    depth, pos = 0, start
    while True:
        if pos + 4 > len(stream):
            raise DocumentError(document, READABLE,
                                f"damaged records (no EOF record before byte {pos:,} of a {len(stream):,}-byte stream)")
        kind, size = struct.unpack_from("<HH", stream, pos)
        if pos == start and kind not in BOF_RECORDS:
            raise DocumentError(document, READABLE, f"damaged records (record 0x{kind:04X} at byte {pos:,} where a BOF belongs)")
        if pos + 4 + size > len(stream):
            raise DocumentError(document, READABLE,
                                f"damaged records (a {size:,}-byte record at byte {pos:,} of a {len(stream):,}-byte stream)")
        yield kind, stream[pos + 4:pos + 4 + size]
        pos += 4 + size
        depth += 1 if kind in BOF_RECORDS else -1 if kind == EOF else 0
        if depth == 0:
            return


def worksheets(document: str, stream: bytes) -> Iterator[tuple[str, int]]:
    """Name and stream offset of each worksheet xlrd would build, from the BOUNDSHEETs of the globals."""
    globals_records = records(document, stream, 0)
    kind, bof = next(globals_records)
    (version,) = struct.unpack_from("<H", bof)
    if (kind, version) != (BIFF8_BOF, BIFF8_VERSION):
        # xlrd reads BIFF2-4 by other records and without BOUNDSHEETs, so only BIFF8 can be measured here.
        raise DocumentError(document, "an Excel 97-2003 (BIFF8) workbook", f"BOF 0x{kind:04X} of version 0x{version:04X}")
    for kind, data in globals_records:
        if kind == BOUNDSHEET:
            offset, _, sheet_type, length, utf16 = struct.unpack_from("<IBBBB", data)
            if sheet_type == WORKSHEET:
                name = data[8:8 + length * (2 if utf16 & 1 else 1)]
                yield name.decode("utf-16-le" if utf16 & 1 else "latin-1", errors="replace"), offset


def sheet_extent(document: str, stream: bytes, offset: int) -> tuple[int, int]:
    """Rows and columns the sheet at `offset` spans: the larger of what its DIMENSIONS record declares
    and where its cell and ROW records are."""
    rows = columns = 0
    for kind, data in records(document, stream, offset):
        if kind in CELL_RECORDS:
            row, column = struct.unpack_from("<HH", data)
            rows, columns = max(rows, row + 1), max(columns, column + 1)
        elif kind in CELL_RUN_RECORDS:
            (row,) = struct.unpack_from("<H", data)
            (last,) = struct.unpack_from("<H", data, len(data) - 2)
            rows, columns = max(rows, row + 1), max(columns, last + 1)
        elif kind == ROW:
            rows = max(rows, struct.unpack_from("<H", data)[0] + 1)
        elif kind == DIMENSIONS and data:  # xlrd also passes over an empty one
            _, last_row, _, last_column = struct.unpack_from("<IIHH", data)
            rows, columns = max(rows, last_row), max(columns, last_column)
    return rows, columns


def sheet_grid(sheet: xlrd.sheet.Sheet) -> Grid:
    return [sheet.row_values(r) for r in range(sheet.nrows)]


def read_xls_region_table(doc: RawDocument, layout: Layout) -> RegionTable:
    """The workbook's one sheet whose text carries the layout's title, read as a regional table."""
    book = open_workbook(doc)
    titled = [
        s for s in book.sheets()
        if any(re.search(layout.title_pattern, "".join(squash(c) for c in row)) for row in sheet_grid(s)[:12])
    ]
    if len(titled) != 1:
        names = [s.name for s in book.sheets()]
        expected = f"one sheet titled like /{layout.title_pattern}/"
        if not titled:
            raise OtherTable(doc.name, expected, f"0 among sheets {names}; the workbook is headed {headings(book)}")
        raise DocumentError(doc.name, expected, f"{len(titled)} among sheets {names}")
    table = read_region_table(sheet_grid(titled[0]), layout, doc.name)
    check_year(table, doc.record.data_year)
    return table


def headings(book: xlrd.Book, lines: int = 2) -> str:
    """The first lines of text of each sheet: what a workbook that is not the expected table says it is."""
    found = []
    for sheet in book.sheets():
        if sheet.nrows < 2:  # a one-cell sheet such as the archive's link page
            continue
        text = [squash(row[0]) for row in sheet_grid(sheet)[:12] if row and squash(row[0])]
        if text:
            found.append(" / ".join(repr(t) for t in text[:lines]))
    return "; ".join(found) or "with no text"


def read_one_year_columns(doc: RawDocument, layout: Layout) -> pd.DataFrame:
    """A one-year table's layout columns: one row per region, tagged with the document's data year."""
    return read_xls_region_table(doc, layout).frame(layout.columns).assign(data_year=doc.record.data_year)
