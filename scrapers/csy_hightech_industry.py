"""CSY table 5-3 / 5-2: high-tech industry by region: enterprises, revenue, total profit (亿元)."""

from __future__ import annotations

import pandas as pd

from scrapers.feed import Feed
from scrapers.region_tables import load_layout
from scrapers.xls_workbooks import read_xls_region_table
from warehouse.archive import RawDocument

NAME = "csy_hightech_industry"


def parse(doc: RawDocument) -> pd.DataFrame:
    layout = load_layout(NAME)
    frame = read_xls_region_table(doc, layout).frame(layout.columns)
    return frame.assign(data_year=doc.record.data_year)


FEED = Feed(NAME, "CSY 5-3/5-2 high-tech industry by region (enterprises, revenue and total profit in 亿元)", parse, True)
