"""A workbook's cost is bounded before it is parsed: sheets, rows and columns are measured from its records.

The file-size gate cannot see what a small .xls costs to read: one cell at (65535, 255) makes xlrd
hold a 65,536 × 256 sheet. Each hostile workbook here is written with xlwt around a real-looking
patent table and opened in a child process whose address space is capped at what it already uses plus
MEMORY_HEADROOM, so a refusal that came only after building the sheets would fail with a MemoryError
instead of passing (or taking the machine down).
"""

from __future__ import annotations

import io
import re
import resource
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import olefile
import pytest
import xlrd
import xlwt

from core.errors import DocumentError
from core.paths import DOCUMENTS_DIR
from scrapers._tables.regions import rules
from scrapers._tables.xls_workbooks import EOF, MAX_SHEETS, check_cost, open_workbook
from scrapers.feeds import FEEDS
from warehouse.archive import RawDocument, load_registry, read_verified, sha256_of

REPO_ROOT = Path(__file__).resolve().parent.parent
PATENTS_2023 = "csy-patent-grants-by-region/2023.xls"
# Parsing a bundled workbook peaks under 2 MiB of Python objects; before the bound, four 65,536 × 256
# sheets took 840 MiB (and die under this cap).
MEMORY_HEADROOM = 256 * 1024 * 1024
REFUSAL = "a workbook of at most 16 sheets of at most 2,000 rows × 100 columns; found "
DAMAGED = "a readable .xls workbook; found damaged records ("


def patent_table(book: xlwt.Workbook) -> xlwt.Worksheet:
    """The 2023 patent-grants table as the yearbook lays it out: title, unit, headers, 全国, 31 provinces by GB code."""
    sheet = book.add_sheet("8-8")
    sheet.write(0, 0, "国内三种专利授权数按地区分布(2023年)")
    sheet.write(1, 0, "单位:件")
    for j, header in enumerate(["地区", "合计", "发明", "实用新型", "外观设计"]):
        sheet.write(2, j, header)
    for i, region in enumerate(["全国", *sorted(rules().provinces, key=rules().provinces.get)], start=3):
        sheet.write(i, 0, region)
        for j, figure in enumerate([600.0, 100.0, 300.0, 200.0], start=1):
            sheet.write(i, j, figure)
    return sheet


Extra = Callable[[xlwt.Workbook, xlwt.Worksheet], None]


def workbook(extra: Extra = lambda book, table: None) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    extra(book, patent_table(book))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheets_with_far_cell(count: int) -> Extra:
    def extra(book, table):
        for k in range(count):
            book.add_sheet(f"附表{k + 1}").write(65535, 255, "x")
    return extra


def more_sheets(count: int) -> Extra:
    def extra(book, table):
        for k in range(count):
            book.add_sheet(f"Sheet{k + 2}").write(0, 0, "x")
    return extra


def cell_at(row: int, column: int) -> Extra:
    return lambda book, table: table.write(row, column, "x")


def truncated_last_record(content: bytes) -> bytes:
    """The workbook with the EOF of its last sheet claiming 65,535 bytes, past the end of the stream."""
    buffer = io.BytesIO(content)
    ole = olefile.OleFileIO(buffer, write_mode=True)
    stream = bytearray(ole.openstream("Workbook").read())
    pos = last_eof = 0
    while pos + 4 <= len(stream):  # xlwt pads the stream with zeros after the last EOF
        kind, size = struct.unpack_from("<HH", stream, pos)
        last_eof = pos if kind == EOF else last_eof
        pos += 4 + size
    stream[last_eof + 2:last_eof + 4] = struct.pack("<H", 0xFFFF)
    ole.write_stream("Workbook", bytes(stream))  # same size, in place
    return buffer.getvalue()


def document(name: str, content: bytes) -> RawDocument:
    record = next(r for r in load_registry(DOCUMENTS_DIR) if r.path == PATENTS_2023)
    return RawDocument(replace(record, path=name, sha256=sha256_of(content), bytes=len(content)), content)


def open_under_memory_limit(path: str, name: str) -> None:
    """Child process: cap the address space at its current size plus MEMORY_HEADROOM, open the workbook,
    print what happened."""
    doc = document(name, Path(path).read_bytes())
    status = Path("/proc/self/status").read_text()
    in_use = int(re.search(r"^VmSize:\s+(\d+) kB", status, re.M).group(1)) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (in_use + MEMORY_HEADROOM, in_use + MEMORY_HEADROOM))
    try:
        open_workbook(doc)
        print("opened")
    except DocumentError as exc:
        print(exc)


def refusal_in_child(tmp_path: Path, name: str, content: bytes) -> str:
    file = tmp_path / "workbook.xls"
    file.write_bytes(content)
    child = subprocess.run([sys.executable, "-m", "tests.test_document_cost", str(file), name],
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert child.returncode == 0, child.stderr[-2000:]  # a MemoryError ends the child with a traceback
    return child.stdout.strip()


COSTLY_WORKBOOKS = [
    ("far-cell-on-extra-sheets.xls", lambda: workbook(sheets_with_far_cell(4)),
     REFUSAL + "sheet '附表1' spans 65,536 rows × 256 columns"),
    ("twenty-sheets.xls", lambda: workbook(more_sheets(19)), REFUSAL + "20 sheets"),
    ("cell-at-column-200.xls", lambda: workbook(cell_at(10, 200)), REFUSAL + "sheet '8-8' spans 35 rows × 201 columns"),
    ("cell-at-row-5000.xls", lambda: workbook(cell_at(4999, 0)), REFUSAL + "sheet '8-8' spans 5,000 rows × 5 columns"),
    ("truncated-record.xls", lambda: truncated_last_record(workbook()), DAMAGED + "a 65,535-byte record at byte "),
]


@pytest.mark.parametrize("name, make, expected", COSTLY_WORKBOOKS, ids=[name for name, _, _ in COSTLY_WORKBOOKS])
def test_costly_workbook_is_refused_within_the_memory_bound(tmp_path, name, make, expected):
    message = refusal_in_child(tmp_path, name, make())
    assert message.startswith(f"{name}: expected {expected}"), message


# --- BIFF streams built record by record, for what xlwt does not write ---

def record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def bof(substream_type: int, kind: int = 0x0809, version: int = 0x0600) -> bytes:
    return record(kind, struct.pack("<HHHHII", version, substream_type, 0, 0, 0, 0))


def one_sheet_stream(sheet_records: bytes, version: int = 0x0600) -> bytes:
    """A workbook globals substream naming one worksheet "S", then that sheet's substream."""
    def boundsheet(offset: int) -> bytes:
        return record(0x0085, struct.pack("<IBBBB", offset, 0, 0, 1, 0) + b"S")
    globals_size = len(bof(0x0005) + boundsheet(0) + record(EOF))
    return bof(0x0005, version=version) + boundsheet(globals_size) + record(EOF) + bof(0x0010) + sheet_records + record(EOF)


def test_cells_after_an_embedded_substream_are_counted():
    """xlrd skips an embedded substream (a BOF of any BIFF version) to its EOF and reads on; so does the count."""
    far_cell = record(0x0205, struct.pack("<HHHBB", 65535, 0, 15, 1, 0))  # BOOLERR TRUE at (65535, 0)
    stream = one_sheet_stream(bof(0x0020, kind=0x0009, version=0) + record(EOF) + far_cell)
    assert xlrd.open_workbook(file_contents=stream, ragged_rows=True).sheet_by_index(0).nrows == 65536
    with pytest.raises(DocumentError, match=re.escape(REFUSAL + "sheet 'S' spans 65,536 rows × 1 columns")):
        check_cost("embedded.xls", stream)


def test_a_workbook_of_another_biff_version_is_refused():
    """Only BIFF8 is measured (xlrd reads BIFF2-4 by other records, without BOUNDSHEETs); a BIFF5 stream is refused."""
    found = "expected an Excel 97-2003 (BIFF8) workbook; found BOF 0x0809 of version 0x0500"
    with pytest.raises(DocumentError, match=re.escape(found)):
        check_cost("biff5.xls", one_sheet_stream(b"", version=0x0500))


def test_the_table_alone_is_read():
    """The control: without the extra sheets or cells, the same table parses to 全国 and 31 provinces."""
    frame = FEEDS["csy_patent_grants"].parse(document("patents.xls", workbook()))
    assert len(frame) == 32 and frame["patent_grants_total_count"].eq(600).all()


def test_sheets_up_to_the_bound_are_read():
    assert open_workbook(document("sixteen-sheets.xls", workbook(more_sheets(MAX_SHEETS - 1)))).nsheets == MAX_SHEETS


def test_every_bundled_workbook_is_within_the_bound(registry):
    workbooks = [r for r in registry if r.path.endswith(".xls")]
    assert workbooks
    for record in workbooks:
        open_workbook(read_verified(record))


if __name__ == "__main__":
    open_under_memory_limit(*sys.argv[1:])
