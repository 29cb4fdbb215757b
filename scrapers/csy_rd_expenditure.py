"""CSY table 1-14: R&D expenditure by region and source of funds; the total per province, 万元 → 亿元."""

from __future__ import annotations

import pandas as pd

from scrapers.feed import TEN_THOUSAND_YUAN_TO_100M_YUAN, Feed
from scrapers.xls_workbooks import read_one_year_columns
from warehouse.archive import RawDocument

NAME = "csy_rd_expenditure"


def parse(doc: RawDocument) -> pd.DataFrame:
    frame = read_one_year_columns(doc, NAME)
    frame["rd_expenditure_100m_yuan"] = frame.pop("rd_expenditure_10k_yuan") * TEN_THOUSAND_YUAN_TO_100M_YUAN
    return frame


FEED = Feed(NAME, "CSY 1-14 R&D expenditure by region (total of all funding sources, 万元 → 亿元)", parse, True)
