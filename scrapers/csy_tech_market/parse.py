"""CSY tables 8-3x: technology-market contracts by region, outflow (输出) and inflow (流向), value and count.

Each document is one direction and one measure, with one column per year; each edition re-publishes
earlier years, so every (edition, year) is kept as a vintage.
"""

from __future__ import annotations

import re

import pandas as pd

from core.documents import RawDocument
from core.errors import DocumentError
from core.feed import spec_of
from scrapers._tables.units import TEN_THOUSAND_YUAN_TO_100M_YUAN
from scrapers._tables.xls_workbooks import read_xls_region_table

SPEC = spec_of(__file__)
MEASURES = {  # printed measure -> (measure, landing column, factor into the column's unit)
    "合同金额": ("contract_value", "contract_value_100m_yuan", TEN_THOUSAND_YUAN_TO_100M_YUAN),
    "合同数": ("contract_count", "contract_count", 1),
}


def parse(doc: RawDocument) -> pd.DataFrame:
    layout = SPEC.layout
    table = read_xls_region_table(doc, layout)
    heading = re.search(layout.title_pattern, table.title)
    direction = layout.vocabulary["directions"][heading.group("direction")]
    printed = heading.group("measure")
    measure, column, factor = MEASURES[printed]
    expected = doc.record.attributes.get("direction"), doc.record.attributes.get("measure")
    if expected != (direction, measure):
        raise DocumentError(doc.name, f"a table of {expected[1]} for {expected[0]} (provenance record)",
                            f"title {table.title!r}")
    frame = table.year_frame(layout.vocabulary["measure_units"][printed], column, doc.record.data_year)
    frame[column] = frame[column] * factor
    # The other measure's column is absent here; landing fills it with NULL.
    return frame.assign(direction=direction, measure=measure)

