"""CSY table 1-8: R&D intensity back series; every edition revises earlier years, each kept as a vintage."""

from __future__ import annotations

import pandas as pd

from scrapers.feed import Feed
from scrapers.region_tables import load_layout
from scrapers.xls_workbooks import read_xls_region_table
from warehouse.archive import RawDocument

NAME = "csy_rd_intensity"


def parse(doc: RawDocument) -> pd.DataFrame:
    layout = load_layout(NAME)
    table = read_xls_region_table(doc, layout)
    return table.year_frame(layout.year_columns_unit, "rd_intensity_pct", doc.record.data_year)


FEED = Feed(NAME, "CSY 1-8 R&D intensity by region, back series per edition (%)", parse, False)
