"""CSY table 7-8 / 8-8: domestic patent grants by region: total, invention, utility model, design (件)."""

from __future__ import annotations

import pandas as pd

from scrapers.feed import Feed
from scrapers.region_tables import load_layout
from scrapers.xls_workbooks import read_xls_region_table
from warehouse.archive import RawDocument

NAME = "csy_patent_grants"


def parse(doc: RawDocument) -> pd.DataFrame:
    layout = load_layout(NAME)
    frame = read_xls_region_table(doc, layout).frame(layout.columns)
    return frame.assign(data_year=doc.record.data_year)


FEED = Feed(NAME, "CSY 7-8/8-8 domestic patent grants by region (件)", parse, True)
