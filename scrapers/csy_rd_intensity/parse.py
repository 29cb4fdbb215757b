"""CSY table 1-8: R&D intensity back series; every edition revises earlier years, each kept as a vintage."""

from __future__ import annotations

import pandas as pd

from core.documents import RawDocument
from core.feed import spec_of
from scrapers._tables.xls_workbooks import read_xls_region_table

SPEC = spec_of(__file__)


def parse(doc: RawDocument) -> pd.DataFrame:
    table = read_xls_region_table(doc, SPEC.layout)
    return table.year_frame(SPEC.layout.year_columns_unit, "rd_intensity_pct", doc.record.data_year)
