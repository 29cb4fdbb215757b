"""CSY 5-4 high-tech industry R&D by region (institutions, 人年, 万元 → 亿元)."""

from __future__ import annotations

import pandas as pd

from core.documents import RawDocument
from core.feed import spec_of
from scrapers._tables.units import TEN_THOUSAND_YUAN_TO_100M_YUAN
from scrapers._tables.xls_workbooks import read_one_year_columns

SPEC = spec_of(__file__)


def parse(doc: RawDocument) -> pd.DataFrame:
    frame = read_one_year_columns(doc, SPEC.layout)
    frame["rd_expenditure_100m_yuan"] = frame.pop("rd_expenditure_10k_yuan") * TEN_THOUSAND_YUAN_TO_100M_YUAN
    return frame
