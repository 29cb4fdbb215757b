"""NBS R&D bulletin (全国科技经费投入统计公报): the regional annex table of one HTML page a year."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from lxml import etree

from core.documents import RawDocument
from core.errors import DocumentError
from core.feed import spec_of
from scrapers._tables.region_tables import RegionTable, check_year, read_region_table
from scrapers._tables.regions import squash

SPEC = spec_of(__file__)
# How many strings before a table may hold its title (the title paragraph is split into spans).
TITLE_LOOKBACK_STRINGS = 12
# Text in these elements is not printed on the page, so it is no part of a cell.
NON_TEXT_TAGS = frozenset({"script", "style", "template"})
# The text nodes and comments just before a table in document order (ancestors' own text included).
_STRINGS_BEFORE = etree.XPath(
    f"preceding::node()[self::text() or self::comment()][position() <= {TITLE_LOOKBACK_STRINGS}]"
)


def _visible_strings(element: etree._Element) -> Iterator[str]:
    if isinstance(element.tag, str) and element.tag not in NON_TEXT_TAGS and element.text:
        yield element.text
    for child in element:
        yield from _visible_strings(child)
        if child.tail:
            yield child.tail


def _cell_text(cell: etree._Element) -> str:
    return " ".join(s.strip() for s in _visible_strings(cell) if s.strip())


def _grid(table: etree._Element) -> list[list[str]]:
    return [[_cell_text(c) for c in tr.iter("td", "th")] for tr in table.iter("tr")]


def _text_above(table: etree._Element) -> str:
    return "".join(n if isinstance(n, str) else (n.text or "") for n in _STRINGS_BEFORE(table))


def _tables(html: str) -> list[etree._Element]:
    # lxml directly rather than BeautifulSoup: building the soup took ~75 % of all parsing time (bench/parsers.py).
    root = etree.HTML(html.encode("utf-8"), etree.HTMLParser(encoding="utf-8"))
    return [] if root is None else list(root.iter("table"))


def decode(doc: RawDocument) -> str:
    """Saved pages are UTF-8; pages served as gb2312/GBK are read with the gb18030 superset."""
    try:
        return doc.content.decode("utf-8")
    except UnicodeDecodeError:
        return doc.content.decode("gb18030")


def regional_table(doc: RawDocument) -> RegionTable:
    layout = SPEC.layout
    tables = _tables(decode(doc))
    found: list[RegionTable] = []
    for table in tables:
        grid = _grid(table)
        if not any(squash(row[0]) == "全国" for row in grid if row):
            continue  # not a regional table (the page also has an industry table)
        found.append(read_region_table(grid, layout, doc.name, context=_text_above(table)))
    if not found:
        raise DocumentError(doc.name, "the regional table 各地区研究与试验发展（R&D）经费情况 (a 全国 row, 31 provinces)",
                            f"{len(tables)} tables, none with a 全国 row")
    # Desktop and mobile copies of the article repeat the table; they must agree.
    first = found[0]
    for other in found[1:]:
        if [r.cells for r in other.rows] != [r.cells for r in first.rows]:
            where = next((f"{[squash(c) for c in a.cells]} vs {[squash(c) for c in b.cells]}"
                          for a, b in zip(first.rows, other.rows, strict=False) if a.cells != b.cells),
                         f"{len(first.rows)} vs {len(other.rows)} rows")
            raise DocumentError(doc.name, "identical copies of the regional table", f"copies that differ: {where}")
    check_year(first, doc.record.data_year)
    return first


def parse(doc: RawDocument) -> pd.DataFrame:
    frame = regional_table(doc).frame(SPEC.layout.columns)
    return frame.assign(data_year=doc.record.data_year)

