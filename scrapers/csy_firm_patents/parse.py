"""CSY 2-25/2-26 patents of industrial enterprises above designated size by region (件)."""

from __future__ import annotations

import pandas as pd

from core.documents import RawDocument
from core.feed import spec_of
from scrapers._tables.xls_workbooks import read_one_year_columns

SPEC = spec_of(__file__)


def parse(doc: RawDocument) -> pd.DataFrame:
    return read_one_year_columns(doc, SPEC.layout)
