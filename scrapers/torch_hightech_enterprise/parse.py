"""Torch yearbook: high-tech enterprises (高新技术企业) by region: net profit, 千元 → 亿元.

A licensed publication (中国火炬统计年鉴), never bundled: an operator drops the table into
inbox/torch_hightech_enterprise/ (format: docs/inbox.md). It feeds the transformation stage.
"""

from __future__ import annotations

import pandas as pd

from core.documents import RawDocument
from core.feed import spec_of
from scrapers._tables.units import THOUSAND_YUAN_TO_100M_YUAN
from scrapers._tables.xls_workbooks import read_one_year_columns

SPEC = spec_of(__file__)


def parse(doc: RawDocument) -> pd.DataFrame:
    frame = read_one_year_columns(doc, SPEC.layout)
    frame["net_profit_100m_yuan"] = frame.pop("net_profit_1k_yuan") * THOUSAND_YUAN_TO_100M_YUAN
    return frame
