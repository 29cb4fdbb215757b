"""CSY table 5-3 / 5-2: high-tech industry by region: enterprises, revenue, total profit (亿元)."""

from __future__ import annotations

import pandas as pd

from scrapers.feed import Feed
from scrapers.xls_workbooks import read_one_year_columns
from warehouse.archive import RawDocument

NAME = "csy_hightech_industry"


def parse(doc: RawDocument) -> pd.DataFrame:
    return read_one_year_columns(doc, NAME)


FEED = Feed(NAME, "CSY 5-3/5-2 high-tech industry by region (enterprises, revenue and total profit in 亿元)", parse, True)
