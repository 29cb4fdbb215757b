"""NBS R&D bulletin (全国科技经费投入统计公报): the regional annex table of one HTML page a year."""

from __future__ import annotations

import pandas as pd
from bs4 import BeautifulSoup

from scrapers.errors import DocumentError
from scrapers.feed import Feed
from scrapers.region_tables import RegionTable, check_year, load_layout, read_region_table
from scrapers.regions import squash
from warehouse.archive import RawDocument

NAME = "nbs_rd_bulletin"
# How many strings before a table may hold its title (the title paragraph is split into spans).
TITLE_LOOKBACK_STRINGS = 12


def _grid(table) -> list[list[str]]:
    return [[c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])] for tr in table.find_all("tr")]


def _text_above(table) -> str:
    return "".join(reversed([str(s) for s in table.find_all_previous(string=True, limit=TITLE_LOOKBACK_STRINGS)]))


def decode(doc: RawDocument) -> str:
    """Saved pages are UTF-8; pages served as gb2312/GBK are read with the gb18030 superset."""
    try:
        return doc.content.decode("utf-8")
    except UnicodeDecodeError:
        return doc.content.decode("gb18030")


def regional_table(doc: RawDocument) -> RegionTable:
    layout = load_layout(NAME)
    soup = BeautifulSoup(decode(doc), "lxml")
    found: list[RegionTable] = []
    for table in soup.find_all("table"):
        grid = _grid(table)
        if not any(squash(row[0]) == "全国" for row in grid if row):
            continue  # not a regional table (the page also has an industry table)
        found.append(read_region_table(grid, layout, doc.name, context=_text_above(table)))
    if not found:
        raise DocumentError(doc.name, "the regional table 各地区研究与试验发展（R&D）经费情况 (a 全国 row, 31 provinces)",
                            f"{len(soup.find_all('table'))} tables, none with a 全国 row")
    # Desktop and mobile copies of the article repeat the table; they must agree.
    first = found[0]
    for other in found[1:]:
        if [r.cells for r in other.rows] != [r.cells for r in first.rows]:
            raise DocumentError(doc.name, "identical copies of the regional table", "copies that differ")
    check_year(first, doc.record.data_year)
    return first


def parse(doc: RawDocument) -> pd.DataFrame:
    frame = regional_table(doc).frame(load_layout(NAME).columns)
    return frame.assign(data_year=doc.record.data_year)


FEED = Feed(NAME, "NBS R&D bulletin, regional annex table (亿元, %)", parse, one_year_per_document=True)
