"""CSY 2-7/2-11 R&D personnel of industrial enterprises above designated size by region (人, 人年)."""

from __future__ import annotations

import pandas as pd

from core.documents import RawDocument
from core.feed import spec_of
from scrapers._tables.xls_workbooks import read_one_year_columns

SPEC = spec_of(__file__)


def parse(doc: RawDocument) -> pd.DataFrame:
    return read_one_year_columns(doc, SPEC.layout)
