"""CSY .xls workbooks: decrypt in memory (Excel's default read-only key) and read a sheet as a grid."""

from __future__ import annotations

import io
import re

import msoffcrypto
import pandas as pd
import xlrd
from msoffcrypto.exceptions import DecryptionError, FileFormatError, InvalidKeyError
from olefile.olefile import OleFileError

from scrapers.errors import DocumentError
from scrapers.region_tables import Grid, Layout, RegionTable, check_year, load_layout, read_region_table
from scrapers.regions import squash
from warehouse.archive import RawDocument

# Excel encrypts "read-only recommended" workbooks with this well-known default password.
EXCEL_DEFAULT_PASSWORD = "VelvetSweatshop"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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
        return xlrd.open_workbook(file_contents=content)
    except (DecryptionError, InvalidKeyError) as exc:
        raise DocumentError(doc.name, "an .xls encrypted with Excel's default key (or not at all)", f"{exc}") from None
    except (OleFileError, FileFormatError, xlrd.XLRDError, ValueError, KeyError, IndexError, EOFError) as exc:
        # OleFileError: a truncated or damaged container (e.g. "incomplete OLE sector").
        raise DocumentError(doc.name, "a readable .xls workbook", f"{type(exc).__name__}: {exc}") from None
    except AssertionError as exc:
        # xlrd asserts on record structure it cannot make sense of, mostly with an empty message.
        detail = f": {exc}" if str(exc) else ""
        raise DocumentError(doc.name, "a readable .xls workbook", f"damaged records (AssertionError{detail})") from None


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
        raise DocumentError(doc.name, f"one sheet titled like /{layout.title_pattern}/", f"{len(titled)} among sheets {names}")
    table = read_region_table(sheet_grid(titled[0]), layout, doc.name)
    check_year(table, doc.record.data_year)
    return table


def read_one_year_columns(doc: RawDocument, feed: str) -> pd.DataFrame:
    """A one-year table's layout columns: one row per region, tagged with the document's data year."""
    layout = load_layout(feed)
    return read_xls_region_table(doc, layout).frame(layout.columns).assign(data_year=doc.record.data_year)
