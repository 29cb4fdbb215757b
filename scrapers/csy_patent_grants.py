"""CSY table 7-8 / 8-8: domestic patent grants by region: total, invention, utility model, design (件)."""

from __future__ import annotations

import pandas as pd

from scrapers.feed import Feed
from scrapers.xls_workbooks import read_one_year_columns
from warehouse.archive import RawDocument

NAME = "csy_patent_grants"


def parse(doc: RawDocument) -> pd.DataFrame:
    return read_one_year_columns(doc, NAME)


FEED = Feed(NAME, "CSY 7-8/8-8 domestic patent grants by region (件)", parse, True)
