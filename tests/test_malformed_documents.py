"""A corpus of malformed documents, each made at run time from a real one in documents.

Every refused case must fail with a DocumentError (GateError for the publication gates) or a
LandingValidationError whose message names the document and states what was expected and what was
found, carry no traceback text, and land nothing: the landing table of a warehouse already holding
the real document is unchanged. Yearbook cells are changed inside the real workbook (decrypted,
edited in place with strings of the same byte length, encrypted again), bulletin cells in the real
page's table (lxml).

| case | made from | outcome | gate / check | message says |
|---|---|---|---|---|
| empty-file | bulletin 2019 | GateError | empty | 0 bytes of nothing |
| blank-file | patent 2023 | GateError | empty | bytes of nothing |
| oversized-file | bulletin 2022 | GateError | oversized | at most 8,388,608 bytes |
| truncated-download-vs-previous-size | bulletin 2019 | GateError | size_change | within 0.5x-2.0x of the previous version |
| html-saved-as-xls | patent 2023 | GateError | file_type | expected an Excel 97-2003 workbook; found an HTML page |
| xlsx-saved-as-xls | R&D expenditure 2023 | GateError | file_type | found an Excel 2007+ workbook (.xlsx zip) |
| zip-junk | intensity 2023 | GateError | file_type | found a zip archive |
| pdf-instead-of-xls | high-tech 2023 | GateError | file_type | found content of no known type |
| xls-instead-of-bulletin | bulletin 2019 | GateError | file_type | expected an HTML page; found an Excel 97-2003 workbook |
| truncated-xls | patent 2023 | DocumentError | parser | a readable .xls workbook; found OleFileError |
| xls-other-password | patent 2023 | DocumentError | parser | Excel's default key; found Failed to verify password |
| xls-unsupported-encryption-version | patent 2023 | DocumentError | parser | found Unsupported encryption method |
| xls-unknown-encryption-type | patent 2023 | DocumentError | parser | found XLRDError: Workbook is encrypted |
| xls-damaged-encrypted-records | patent 2023 | DocumentError | parser | a readable .xls workbook; found damaged records |
| xls-other-table | R&D expenditure 2023 | OtherTable (set aside by the landing) | parser | one sheet titled like ...; found 0 |
| xls-wrong-year | patent 2023 | DocumentError | parser | a table for 2023; found title ...2022年 |
| xls-renamed-profit-header | high-tech 2023 | DocumentError | parser | one column for total_profit_100m_yuan; found 0 |
| xls-unit-changed | outflow value 2023 | DocumentError | parser | yearly values in 万元; found unit ['亿元'] |
| xls-direction-mislabelled | outflow value 2023 | DocumentError | parser | outflow (provenance); found title 技术流向… |
| xls-duplicate-province | patent 2023 | DocumentError | parser | each province once; found a second row for 北京 |
| xls-province-missing | patent 2023 | DocumentError | parser | all 31 provinces; found 30 |
| xls-unknown-region-label | intensity 2023 | DocumentError | parser | known subtotals; found a row labelled '华北' |
| xls-text-in-number-cell | high-tech 2023 | DocumentError | parser | a number in column ... for 北京; found 'N.A.' |
| xls-blank-cell | R&D expenditure 2023 | GateError | row_floor | 32 regions with a figure; found 2023: 31 (none for 北京) |
| xls-negative-count | high-tech 2023 | LandingValidationError | >= 0 | enterprises_count, 北京 |
| bulletin-table-missing | bulletin 2019 | DocumentError | parser | the regional table; found ... none with a 全国 row |
| bulletin-table-moved-from-title | bulletin 2019 | DocumentError | parser | a table titled like ... |
| bulletin-duplicate-table-differs | bulletin 2019 | DocumentError | parser | identical copies; found 北京 2233.6 vs 2333.6 |
| bulletin-mobile-copy-differs | bulletin 2021 | DocumentError | parser | identical copies; found 广东 3.22 vs 3.33 |
| bulletin-header-renamed | bulletin 2019 | DocumentError | parser | one column for rd_expenditure_100m_yuan; found 0 |
| bulletin-extra-column-same-header | bulletin 2019 | DocumentError | parser | one column for rd_expenditure_100m_yuan; found 2 |
| bulletin-unit-changed | bulletin 2019 | DocumentError | parser | a column like R&D经费(亿元); found 0 among headers |
| bulletin-intensity-per-mille | bulletin 2019 | DocumentError | parser | rd_intensity_pct in %; found unit not stated |
| bulletin-wrong-year | bulletin 2019 | DocumentError | parser | a table for 2019; found title 2018年... |
| bulletin-dash-cell | bulletin 2019 | LandingValidationError | not_nullable | rd_expenditure_100m_yuan, 北京 |
| bulletin-ellipsis-cell | bulletin 2019 | LandingValidationError | not_nullable | rd_intensity_pct, 上海 |
| bulletin-blank-cell | bulletin 2019 | LandingValidationError | not_nullable | rd_expenditure_100m_yuan, 广东 |
| bulletin-every-figure-dash | bulletin 2019 | GateError | row_floor | at least 32 regions with a figure; found 2019: 0 |
| bulletin-text-in-number-cell | bulletin 2019 | DocumentError | parser | a number in column ... for 江苏; found '约2780' |
| bulletin-negative-value | bulletin 2019 | LandingValidationError | >= 0 | rd_expenditure_100m_yuan, 浙江 |
| bulletin-value-x1000 | bulletin 2019 | LandingValidationError | national total | differs from the sum of provinces |
| bulletin-intensity-x1000 | bulletin 2019 | LandingValidationError | <= 10 % | rd_intensity_pct, 北京 |
| bulletin-every-expenditure-x1000 | bulletin 2019 | LandingValidationError | <= 100,000 亿元 | rd_expenditure_100m_yuan, 全国 |
| bulletin-duplicate-province | bulletin 2019 | DocumentError | parser | each province once; found a second row for 北京 |
| bulletin-province-missing | bulletin 2019 | DocumentError | parser | all 31 provinces; found 30 |
| bulletin-gbk-mojibake | bulletin 2019 | DocumentError | parser | the regional table; found ... none with a 全国 row |
| bulletin-challenge-page | bulletin 2019 | DocumentError | parser | the regional table; found 0 tables |

Variants that are not malformed, only unusual, must land exactly the real figures:

| case | made from | outcome |
|---|---|---|
| full-width-digits | bulletin 2019 | same figures (NFKC) |
| gbk-page-declared-utf8 | bulletin 2019 | same figures (gb18030 fallback) |
| utf8-page-declared-gbk | bulletin 2019 | same figures (UTF-8 read first) |
| unrelated-extra-column | bulletin 2019 | same figures (columns found by header) |
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache

import duckdb
import lxml.html
import msoffcrypto
import olefile
import pandas as pd
import pytest
import xlrd
from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
from cryptography.hazmat.primitives.ciphers import Cipher
from msoffcrypto.method.rc4 import DocumentRC4, _makekey

from core.errors import DocumentError, OtherTable
from core.paths import DOCUMENTS_DIR
from scrapers._tables.regions import squash
from scrapers._tables.xls_workbooks import EXCEL_DEFAULT_PASSWORD, sheet_grid
from scrapers.feeds import FEEDS
from warehouse.archive import load_registry, read_verified, sha256_of
from warehouse.gates import MAX_DOCUMENT_BYTES, GateError, check_bytes, check_rows
from warehouse.landing import LandingValidationError, ensure_schema, load, parse_documents

BULLETIN_2019 = "nbs-rd-bulletin/2019.html"
BULLETIN_2021 = "nbs-rd-bulletin/2021.html"
BULLETIN_2022 = "nbs-rd-bulletin/2022.html"
PATENTS_2023 = "csy-patent-grants-by-region/2023.xls"
RD_EXPENDITURE_2023 = "csy-rd-expenditure-by-region-and-source/2023.xls"
INTENSITY_2023 = "csy-rd-intensity-by-region/2023.xls"
HIGHTECH_2023 = "csy-hightech-industry-by-region/2023.xls"
OUTFLOW_VALUE_2023 = "csy-tech-market-outflow-by-region/type-funds-2023.xls"


@cache
def real_bytes(path: str) -> bytes:
    return (DOCUMENTS_DIR / path).read_bytes()


@cache
def real_record(path: str):
    return next(r for r in load_registry(DOCUMENTS_DIR) if r.path == path)


# --- yearbook workbooks: the Workbook stream of the OLE2 file, its RC4 encryption, its strings ---

FILEPASS, BOUNDSHEET = 0x002F, 0x0085
# Records BIFF8 never encrypts (MS-XLS 2.2.10): BOF, FilePass, UsrExcl, FileLock, InterfaceHdr, RRDInfo, RRDHead.
CLEAR_RECORDS = {0x0809, FILEPASS, 0x0194, 0x0195, 0x00E1, 0x0196, 0x0138}
RC4_BLOCK_BYTES = 1024  # Office 97 RC4 re-keys every 1024 bytes of the stream


def workbook_stream(content: bytes) -> bytes:
    return olefile.OleFileIO(io.BytesIO(content)).openstream("Workbook").read()


def with_workbook_stream(content: bytes, stream: bytes) -> bytes:
    buffer = io.BytesIO(content)
    olefile.OleFileIO(buffer, write_mode=True).write_stream("Workbook", stream)  # same size, in place
    return buffer.getvalue()


def keystream(password: str, salt: bytes, size: int) -> bytes:
    return DocumentRC4.decrypt(password, salt, io.BytesIO(bytes(size)), blocksize=RC4_BLOCK_BYTES).read()


def rewrite_workbook(content: bytes, edit: Callable[[bytes], bytes] = lambda s: s,
                     password: str = EXCEL_DEFAULT_PASSWORD) -> bytes:
    """The real encrypted workbook with its plain stream passed through `edit`, encrypted with `password`."""
    stream = bytearray(workbook_stream(content))
    encrypted, filepass, pos = [], None, 0
    while pos + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, pos)
        if kind == FILEPASS:
            filepass = pos
        if kind not in CLEAR_RECORDS:  # a BoundSheet keeps its first 4 bytes (the sheet's offset) clear
            encrypted.extend(range(pos + (8 if kind == BOUNDSHEET else 4), pos + 4 + size))
        pos += 4 + size
    salt_at = filepass + 10  # record header, encryption type, RC4 version 1.1
    salt = bytes(stream[salt_at:salt_at + 16])
    default_key = keystream(EXCEL_DEFAULT_PASSWORD, salt, len(stream))
    for i in encrypted:
        stream[i] ^= default_key[i]
    plain = edit(bytes(stream))
    assert len(plain) == len(stream), "an edit must keep every record's size"
    stream = bytearray(plain)
    if password != EXCEL_DEFAULT_PASSWORD:
        salt = hashlib.md5(password.encode()).digest()
        verifier = bytes(range(16))
        rc4 = Cipher(ARC4(_makekey(password, salt, 0)), mode=None).encryptor()
        stream[salt_at:salt_at + 48] = salt + rc4.update(verifier) + rc4.update(hashlib.md5(verifier).digest())
    key = keystream(password, salt, len(stream))
    for i in encrypted:
        stream[i] ^= key[i]
    return with_workbook_stream(content, bytes(stream))


def replace_strings(*pairs: tuple[str, str]) -> Callable[[bytes], bytes]:
    """Replace cell text in the shared-string table, each old text exactly once, keeping its byte length.

    BIFF8 stores a string as UTF-16LE when it holds a character beyond Latin-1, else one byte a character."""
    def edit(stream: bytes) -> bytes:
        for old, new in pairs:
            codec = "latin-1" if all(ord(c) < 256 for c in old) else "utf-16-le"
            before, after = old.encode(codec), new.encode(codec)
            assert len(before) == len(after) and stream.count(before) == 1, (old, new)
            stream = stream.replace(before, after)
        return stream
    return edit


def edited_workbook(*pairs: tuple[str, str]) -> Callable[[bytes], bytes]:
    return lambda content: rewrite_workbook(content, replace_strings(*pairs))


def with_filepass_bytes(offset: int, value: bytes) -> Callable[[bytes], bytes]:
    """Overwrite bytes of the FilePass record (after its 4-byte header) in the encrypted workbook."""
    def make(content: bytes) -> bytes:
        stream = bytearray(workbook_stream(content))
        at = stream.index(struct.pack("<HH", FILEPASS, 54)) + 4 + offset
        stream[at:at + len(value)] = value
        return with_workbook_stream(content, bytes(stream))
    return make


def damaged_records(content: bytes) -> bytes:
    """Flip bits of encrypted record bodies past the workbook globals, as a bad disk or transfer would."""
    stream = bytearray(workbook_stream(content))
    for i in range(2048, len(stream), 997):
        stream[i] ^= 0x5A
    return with_workbook_stream(content, bytes(stream))


def xlsx_zip(_: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        z.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet/>')
    return buffer.getvalue()


def zip_junk(_: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        # A fixed date: writestr stamps the current time into the header bytes the message quotes, and a
        # time whose bytes hold a quote mark made Python's repr switch quotes (a test that failed by the clock).
        z.writestr(zipfile.ZipInfo("1-8.csv", date_time=(2024, 1, 1, 0, 0, 0)), "地区,2023\n全国,2.65\n")
    return buffer.getvalue()


# --- bulletin pages: the regional table of the real page, edited with lxml ---

def regional_tables(root) -> list:
    return [t for t in root.iter("table") if any(squash(row_cells(tr)[0].text_content()) == "全国"
                                                 for tr in t.iter("tr") if row_cells(tr))]


def row_cells(tr) -> list:
    return [c for c in tr if c.tag in ("td", "th")]


def region_row(table, region: str):
    return next(tr for tr in table.iter("tr") if row_cells(tr) and squash(row_cells(tr)[0].text_content()) == region)


def set_text(cell, text: str) -> None:
    for child in list(cell):
        cell.remove(child)
    cell.text = text


def set_cell(table, region: str, column: int, text: str) -> None:
    set_text(row_cells(region_row(table, region))[column], text)


def edited_page(edit: Callable[[object, list], None]) -> Callable[[bytes], bytes]:
    """The real page with `edit(root, regional_tables)` applied to its parsed tree."""
    def make(content: bytes) -> bytes:
        root = lxml.html.document_fromstring(content, parser=lxml.html.HTMLParser(encoding="utf-8"))
        edit(root, regional_tables(root))
        return lxml.html.tostring(root, encoding="utf-8", doctype="<!DOCTYPE html>")
    return make


def cell_edit(region: str, column: int, text: str) -> Callable[[bytes], bytes]:
    return edited_page(lambda root, tables: set_cell(tables[0], region, column, text))


def scaled_cell(region: str, column: int, factor: float) -> Callable[[bytes], bytes]:
    """The figure times `factor`, printed with the decimals the bulletin prints in that column."""
    def edit(root, tables):
        cell = row_cells(region_row(tables[0], region))[column]
        decimals = len(cell.text_content().strip().partition(".")[2])
        set_text(cell, f"{float(cell.text_content()) * factor:.{decimals}f}")
    return edited_page(edit)


def scaled_column(column: int, factor: float) -> Callable[[object, list], None]:
    """Every region's figure in `column`, 全国 included, times `factor`."""
    def edit(root, tables):
        for table in tables:
            for tr in table.iter("tr"):
                cells = row_cells(tr)
                if len(cells) > column and re.fullmatch(r"\d+(\.\d+)?", cells[column].text_content().strip()):
                    set_text(cells[column], f"{float(cells[column].text_content()) * factor:.1f}")
    return edit


def remove_table(root, tables) -> None:
    for table in tables:
        table.getparent().remove(table)


def move_table_to_page_end(root, tables) -> None:
    table = tables[0]
    table.getparent().remove(table)
    root.find("body").append(table)


def title_paragraph(table):
    """The paragraph before the table that carries the table's title."""
    return [p for p in table.xpath("preceding::p") if "各地区研究与试验发展" in p.text_content()][-1]


def append_differing_copy(root, tables) -> None:
    table = copy.deepcopy(tables[0])
    set_cell(table, "北京", 1, "2333.6")
    body = root.find("body")
    body.append(copy.deepcopy(title_paragraph(tables[0])))
    body.append(table)


def rename_header(column: int, text: str) -> Callable[[bytes], bytes]:
    return edited_page(lambda root, tables: set_text(row_cells(next(tables[0].iter("tr")))[column], text))


def add_column(header: str, value: str) -> Callable[[object, list], None]:
    def edit(root, tables):
        for tr in tables[0].iter("tr"):
            cells = row_cells(tr)
            extra = copy.deepcopy(cells[-1])
            set_text(extra, header if tr is next(tables[0].iter("tr")) else value)
            cells[-1].addnext(extra)
    return edit


def every_figure(text: str) -> Callable[[object, list], None]:
    def edit(root, tables):
        for tr in list(tables[0].iter("tr"))[1:]:
            for cell in row_cells(tr)[1:]:
                set_text(cell, text)
    return edit


def duplicate_region_row(region: str) -> Callable[[object, list], None]:
    def edit(root, tables):
        row = region_row(tables[0], region)
        row.getparent().append(copy.deepcopy(row))
    return edit


def remove_region_row(region: str) -> Callable[[object, list], None]:
    def edit(root, tables):
        row = region_row(tables[0], region)
        row.getparent().remove(row)
    return edit


def retitle_year(year: str) -> Callable[[object, list], None]:
    def edit(root, tables):
        title = title_paragraph(tables[0])
        for element in title.iter():
            for attribute in ("text", "tail"):
                value = getattr(element, attribute)
                if value and "2019" in value:
                    setattr(element, attribute, value.replace("2019", year))
    return edit


def full_width_digits(root, tables) -> None:
    for tr in list(tables[0].iter("tr"))[1:]:
        for cell in row_cells(tr)[1:]:
            set_text(cell, cell.text_content().strip().translate(str.maketrans("0123456789.", "０１２３４５６７８９．")))


def gbk_mojibake(content: bytes) -> bytes:
    """A GBK page read as Latin-1 and saved as UTF-8: every Chinese character becomes two Latin ones."""
    return content.decode("utf-8").encode("gb18030").decode("latin-1").encode("utf-8")


def as_gbk_declared_utf8(content: bytes) -> bytes:
    return content.decode("utf-8").encode("gb18030")


def declared_gbk(content: bytes) -> bytes:
    return re.sub(rb'charset="?UTF-8"?', b'charset="gb2312"', content, count=1, flags=re.IGNORECASE)


CHALLENGE_PAGE = (b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Please wait</title>'
                  b'<script>document.cookie="__jsl_clearance=1";location.reload()</script></head><body></body></html>')


@dataclass(frozen=True)
class Case:
    id: str
    source: str  # the real document the variant is made from, and the path it is filed under
    make: Callable[[bytes], bytes]
    error: type[Exception]
    problem: str  # regex: what the message must say is wrong
    gate: str | None = None  # for GateError: which gate
    previous_is_real: bool = False  # the real document is the previous version (size-change gate)


CASES = [
    # Publication gates on the bytes.
    Case("empty-file", BULLETIN_2019, lambda c: b"", GateError, r"expected a document with content; found 0 bytes", "empty"),
    Case("blank-file", PATENTS_2023, lambda c: b"\r\n" * 2000 + b"\x00" * 512, GateError,
         r"expected a document with content; found 4,512 bytes of nothing", "empty"),
    Case("oversized-file", BULLETIN_2022, lambda c: c + b"<!--" + b" " * MAX_DOCUMENT_BYTES + b"-->", GateError,
         r"expected at most 8,388,608 bytes; found 8,783,665 bytes", "oversized"),
    Case("truncated-download-vs-previous-size", BULLETIN_2019, lambda c: c[:len(c) * 2 // 5], GateError,
         r"within 0.5x-2.0x of the previous version \(185,787 bytes\); found 74,314 bytes \(0.40x\)", "size_change",
         previous_is_real=True),
    Case("html-saved-as-xls", PATENTS_2023, lambda c: real_bytes(BULLETIN_2019), GateError,
         r"expected an Excel 97-2003 workbook \(OLE2 compound file\), as feed csy_patent_grants publishes; found an HTML page",
         "file_type"),
    Case("xlsx-saved-as-xls", RD_EXPENDITURE_2023, xlsx_zip, GateError, r"found an Excel 2007\+ workbook \(.xlsx zip\)",
         "file_type"),
    Case("zip-junk", INTENSITY_2023, zip_junk, GateError, r"found a zip archive \(file starts with b'PK", "file_type"),
    Case("pdf-instead-of-xls", HIGHTECH_2023, lambda c: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" * 50,
         GateError, r"found content of no known type \(file starts with b'%PDF-1.4", "file_type"),
    Case("xls-instead-of-bulletin", BULLETIN_2019, lambda c: real_bytes(PATENTS_2023), GateError,
         r"expected an HTML page, as feed nbs_rd_bulletin publishes; found an Excel 97-2003 workbook", "file_type"),
    # Yearbook workbooks broken as files.
    Case("truncated-xls", PATENTS_2023, lambda c: c[:len(c) // 2], DocumentError,
         r"expected a readable .xls workbook; found OleFileError: incomplete OLE sector"),
    Case("xls-other-password", PATENTS_2023, lambda c: rewrite_workbook(c, password="not-the-default"), DocumentError,
         r"expected an .xls encrypted with Excel's default key \(or not at all\); found Failed to verify password"),
    Case("xls-unsupported-encryption-version", PATENTS_2023, with_filepass_bytes(2, b"\x09\x00"), DocumentError,
         r"encrypted with Excel's default key \(or not at all\); found Unsupported encryption method"),
    Case("xls-unknown-encryption-type", PATENTS_2023, with_filepass_bytes(0, b"\x02\x00"), DocumentError,
         r"expected a readable .xls workbook; found XLRDError: Workbook is encrypted"),
    Case("xls-damaged-encrypted-records", PATENTS_2023, damaged_records, DocumentError,
         r"expected a readable .xls workbook; found damaged records \("),
    # Yearbook workbooks whose table is not what the feed expects.
    Case("xls-other-table", RD_EXPENDITURE_2023, edited_workbook(("按资金来源分", "按执行部门分")), OtherTable,
         r"expected one sheet titled like /各地区按资金来源分.*/; found 0 among sheets \[.*\]; the workbook is headed "
         r"'1-14各地区按执行部门分"),
    Case("xls-wrong-year", PATENTS_2023, edited_workbook(("2023年", "2022年")), DocumentError,
         r"expected a table for 2023; found title '国内三种专利授权数按地区分布\(2022年\)'"),
    Case("xls-renamed-profit-header", HIGHTECH_2023, edited_workbook(("利润总额", "利税总额")), DocumentError,
         r"expected one column for total_profit_100m_yuan with a header like 利润\(总额\)\?; found 0 such columns"),
    Case("xls-unit-changed", OUTFLOW_VALUE_2023, edited_workbook(("单位:万元", "单位:亿元")), DocumentError,
         r"expected yearly values in 万元; found unit \['亿元'\]"),
    Case("xls-direction-mislabelled", OUTFLOW_VALUE_2023, edited_workbook(("技术输出地域", "技术流向地域")), DocumentError,
         r"expected a table of contract_value for outflow \(provenance record\); found title '技术市场技术流向地域"),
    Case("xls-duplicate-province", PATENTS_2023, edited_workbook(("天津", "北京")), DocumentError,
         r"expected each province once; found a second row for 北京"),
    Case("xls-province-missing", PATENTS_2023, edited_workbook(("西藏", "香港")), DocumentError,
         r"expected a 全国 row and rows for all 31 provinces; found 30 province rows"),
    Case("xls-unknown-region-label", INTENSITY_2023, edited_workbook(("河北", "华北")), DocumentError,
         r"expected rows for 全国, provinces or known subtotals; found a row labelled '华北'"),
    Case("xls-text-in-number-cell", HIGHTECH_2023, edited_workbook(("8475", "N.A.")), DocumentError,
         r"expected a number in column '营业收入.*' for 北京; found 'N.A.'"),
    Case("xls-blank-cell", RD_EXPENDITURE_2023, edited_workbook(("29470733", " " * 8)), GateError,
         r"expected at least 32 regions with a figure per data year; found regions with a figure by data year "
         r"2023: 31 \(none for 北京\)", "row_floor"),
    Case("xls-negative-count", HIGHTECH_2023, edited_workbook(("1052", "-105")), LandingValidationError,
         r"greater_than_or_equal_to\(0\)\s+enterprises_count\s+-105\s+\S+\s+北京"),
    # Bulletin pages: the table gone, moved, repeated or changed.
    Case("bulletin-table-missing", BULLETIN_2019, edited_page(remove_table), DocumentError,
         r"expected the regional table .*; found 4 tables, none with a 全国 row"),
    Case("bulletin-table-moved-from-title", BULLETIN_2019, edited_page(move_table_to_page_end), DocumentError,
         r"expected a table titled like /.*各地区研究与试验发展.*/; found heading text"),
    Case("bulletin-duplicate-table-differs", BULLETIN_2019, edited_page(append_differing_copy), DocumentError,
         r"expected identical copies of the regional table; found copies that differ: "
         r"\['北京', '2233.6', '6.31'\] vs \['北京', '2333.6', '6.31'\]"),
    Case("bulletin-mobile-copy-differs", BULLETIN_2021,
         edited_page(lambda root, tables: set_cell(tables[1], "广东", 2, "3.33")), DocumentError,
         r"expected identical copies of the regional table; found copies that differ: "
         r"\['广东', '4002.2', '3.22'\] vs \['广东', '4002.2', '3.33'\]"),
    Case("bulletin-header-renamed", BULLETIN_2019, rename_header(1, "经费支出（亿元）"), DocumentError,
         r"expected one column for rd_expenditure_100m_yuan with a header like .*; found 0 such columns"),
    Case("bulletin-extra-column-same-header", BULLETIN_2019, edited_page(add_column("上年R&D经费（亿元）", "1.0")),
         DocumentError, r"expected one column for rd_expenditure_100m_yuan .*; found 2 such columns"),
    Case("bulletin-unit-changed", BULLETIN_2019, rename_header(1, "R&D经费（万元）"), DocumentError,
         r"expected one column for rd_expenditure_100m_yuan .*; found 0 such columns among headers \[.*'R&D经费\(万元\)'"),
    Case("bulletin-intensity-per-mille", BULLETIN_2019, rename_header(2, "R&D经费投入强度（‰）"), DocumentError,
         r"expected rd_intensity_pct in %; found unit not stated \(header 'R&D经费投入强度\(‰\)'\)"),
    Case("bulletin-wrong-year", BULLETIN_2019, edited_page(retitle_year("2018")), DocumentError,
         r"expected a table for 2019; found title '2018年各地区"),
    # Bulletin cells: missing, impossible or absurd figures.
    Case("bulletin-dash-cell", BULLETIN_2019, cell_edit("北京", 1, "—"), LandingValidationError,
         r"not_nullable\s+rd_expenditure_100m_yuan\s+nan\s+\S+\s+北京"),
    Case("bulletin-ellipsis-cell", BULLETIN_2019, cell_edit("上海", 2, "…"), LandingValidationError,
         r"not_nullable\s+rd_intensity_pct\s+nan\s+\S+\s+上海"),
    Case("bulletin-blank-cell", BULLETIN_2019, cell_edit("广东", 1, ""), LandingValidationError,
         r"not_nullable\s+rd_expenditure_100m_yuan\s+nan\s+\S+\s+广东"),
    Case("bulletin-every-figure-dash", BULLETIN_2019, edited_page(every_figure("—")), GateError,
         r"expected at least 32 regions with a figure per data year; "
         r"found regions with a figure by data year 2019: 0 \(none for 全国, 北京, 天津, 河北, 山西, …\)",
         "row_floor"),
    Case("bulletin-text-in-number-cell", BULLETIN_2019, cell_edit("江苏", 1, "约2780"), DocumentError,
         r"expected a number in column 'R&D经费\(亿元\)' for 江苏; found '约2780'"),
    Case("bulletin-negative-value", BULLETIN_2019, scaled_cell("浙江", 1, -1), LandingValidationError,
         r"greater_than_or_equal_to\(0\)\s+rd_expenditure_100m_yuan\s+-1669.8\s+\S+\s+浙江"),
    Case("bulletin-value-x1000", BULLETIN_2019, scaled_cell("广东", 1, 1000), LandingValidationError,
         r"national R&D expenditure differs from the sum of provinces"),
    Case("bulletin-intensity-x1000", BULLETIN_2019, scaled_cell("北京", 2, 1000), LandingValidationError,
         r"less_than_or_equal_to\(10.0\)\s+rd_intensity_pct\s+6310.0\s+\S+\s+北京"),
    # Units misread for a whole column: the national total still equals the sum; only the bound catches it.
    Case("bulletin-every-expenditure-x1000", BULLETIN_2019, edited_page(scaled_column(1, 1000)), LandingValidationError,
         r"less_than_or_equal_to\(100000.0\)\s+rd_expenditure_100m_yuan\s+22143600.0\s+\S+\s+全国"),
    Case("bulletin-duplicate-province", BULLETIN_2019, edited_page(duplicate_region_row("北京")), DocumentError,
         r"expected each province once; found a second row for 北京"),
    Case("bulletin-province-missing", BULLETIN_2019, edited_page(remove_region_row("西藏")), DocumentError,
         r"expected a 全国 row and rows for all 31 provinces; found 30 province rows, a 全国 row"),
    Case("bulletin-gbk-mojibake", BULLETIN_2019, gbk_mojibake, DocumentError,
         r"expected the regional table .*; found 5 tables, none with a 全国 row"),
    Case("bulletin-challenge-page", BULLETIN_2019, lambda c: CHALLENGE_PAGE, DocumentError,
         r"expected the regional table .*; found 0 tables, none with a 全国 row"),
]

TOLERATED = [
    ("full-width-digits", edited_page(full_width_digits)),
    ("gbk-page-declared-utf8", as_gbk_declared_utf8),
    ("utf8-page-declared-gbk", declared_gbk),
    ("unrelated-extra-column", edited_page(add_column("R&D人员（万人年）", "12.3"))),
]


def filed(tmp_path, monkeypatch, source: str, content: bytes):
    """File `content` under the real document's path in a private raw archive, with a matching record."""
    file = tmp_path / "raw" / source
    file.parent.mkdir(parents=True)
    file.write_bytes(content)
    monkeypatch.setenv("WAREHOUSE_DOCUMENTS_DIR", str(tmp_path / "raw"))
    return replace(real_record(source), sha256=sha256_of(content), bytes=len(content))


@pytest.fixture(scope="module")
def real_batches():
    """Each source document parsed from the real archive, to fill a warehouse before a bad load."""
    return {path: parse_documents(FEEDS[real_record(path).feed], [real_record(path)])
            for path in {case.source for case in CASES}}


def landing_state(con, feed: str) -> tuple:
    return con.execute(f"SELECT count(*), sum(hash(COLUMNS(*))) FROM landing.{feed}").fetchone() + \
        con.execute("SELECT count(*), string_agg(document_sha256, ',') FROM landing.documents").fetchone()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_malformed_document_is_refused_and_lands_nothing(case, real_batches, tmp_path, monkeypatch):
    feed = FEEDS[real_record(case.source).feed]
    content = case.make(real_bytes(case.source))
    record = filed(tmp_path, monkeypatch, case.source, content)
    with duckdb.connect() as con:
        ensure_schema(con)
        load(con, real_batches[case.source])
        before = landing_state(con, feed.name)
        with pytest.raises((DocumentError, LandingValidationError)) as failure:
            if case.previous_is_real:  # landing does not know the previous version's size yet
                check_bytes(feed.spec, case.source, content, previous_bytes=len(real_bytes(case.source)))
            batch = parse_documents(feed, [record])
            if batch.refused:  # another table altogether: set aside by the landing, its rows never loaded
                assert batch.rows.empty and not batch.records
                raise batch.refused[0]
            load(con, batch)
        assert landing_state(con, feed.name) == before

    error, message = failure.value, str(failure.value)
    assert type(error) is case.error, message
    assert case.source in message
    assert re.search(case.problem, message), message
    assert "Traceback" not in message and 'File "' not in message
    if isinstance(error, DocumentError):
        assert message.startswith(f"{case.source}: expected {error.expected}; found {error.found}")
    if case.gate:
        assert error.gate == case.gate


@pytest.mark.parametrize("make", [make for _, make in TOLERATED], ids=[name for name, _ in TOLERATED])
def test_unusual_but_sound_document_lands_the_real_figures(make, tmp_path, monkeypatch):
    feed = FEEDS["nbs_rd_bulletin"]
    real = parse_documents(feed, [real_record(BULLETIN_2019)]).rows
    variant = parse_documents(feed, [filed(tmp_path, monkeypatch, BULLETIN_2019, make(real_bytes(BULLETIN_2019)))]).rows
    pd.testing.assert_frame_equal(variant.drop(columns="document_sha256"), real.drop(columns="document_sha256"))


def test_every_case_is_in_the_table_at_the_top():
    listed = set(re.findall(r"^\| ([a-z0-9-]+) \|", __doc__, flags=re.MULTILINE)) - {"case"}
    assert listed == {case.id for case in CASES} | {name for name, _ in TOLERATED}
    assert len(CASES) >= 20


def test_row_floor_counts_regions_with_a_figure_in_each_year_of_a_back_series():
    path = "csy-tech-market-outflow-by-region/type-funds-2019.xls"
    rows = FEEDS["csy_tech_market"].parse(read_verified(real_record(path), DOCUMENTS_DIR))
    check_rows(FEEDS["csy_tech_market"].spec, path, rows)  # year 2000: 29 regions with a figure, above the floor of 28
    blank_2010 = rows.assign(contract_value_100m_yuan=rows["contract_value_100m_yuan"].where(rows["data_year"] != 2010))
    with pytest.raises(GateError, match=r"type-funds-2019.xls: expected at least 28 regions with a figure per data year; "
                                        r"found regions with a figure by data year 2010: 0 \(none for 全国, 北京") as failure:
        check_rows(FEEDS["csy_tech_market"].spec, path, blank_2010)
    assert failure.value.gate == "row_floor"


def test_workbook_encrypted_with_another_password_opens_with_that_password():
    """The xls-other-password case is a real RC4 encryption of the real workbook, not a broken file."""
    def cells(content: bytes, password: str) -> list:
        office = msoffcrypto.OfficeFile(io.BytesIO(content))
        office.load_key(password=password)
        plain = io.BytesIO()
        office.decrypt(plain)
        return sheet_grid(xlrd.open_workbook(file_contents=plain.getvalue()).sheet_by_index(0))

    real = real_bytes(PATENTS_2023)
    assert cells(rewrite_workbook(real, password="not-the-default"), "not-the-default") == cells(real, EXCEL_DEFAULT_PASSWORD)


def test_size_within_the_band_of_the_previous_version_passes():
    content = real_bytes(PATENTS_2023)
    assert check_bytes(FEEDS["csy_patent_grants"].spec, PATENTS_2023, content, previous_bytes=len(content) * 3 // 2) == "xls"
    assert check_bytes(FEEDS["nbs_rd_bulletin"].spec, BULLETIN_2019, real_bytes(BULLETIN_2019), previous_bytes=None) == "html"
