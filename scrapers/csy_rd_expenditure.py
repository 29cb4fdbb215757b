"""CSY table 1-14: R&D expenditure by region and source of funds; the total per province, 万元 → 亿元."""

from __future__ import annotations

import pandas as pd

from scrapers.feed import TEN_THOUSAND_YUAN_TO_100M_YUAN, Feed
from scrapers.region_tables import load_layout
from scrapers.xls_workbooks import read_xls_region_table
from warehouse.archive import RawDocument

NAME = "csy_rd_expenditure"


def parse(doc: RawDocument) -> pd.DataFrame:
    layout = load_layout(NAME)
    frame = read_xls_region_table(doc, layout).frame(layout.columns)
    frame["rd_expenditure_100m_yuan"] = frame.pop("rd_expenditure_10k_yuan") * TEN_THOUSAND_YUAN_TO_100M_YUAN
    return frame.assign(data_year=doc.record.data_year)


FEED = Feed(NAME, "CSY 1-14 R&D expenditure by region (total of all funding sources, 万元 → 亿元)", parse, True)
