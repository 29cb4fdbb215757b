"""Torch yearbook: high-tech enterprises (高新技术企业) by region: net profit, 千元 → 亿元.

A licensed publication (中国火炬统计年鉴), never bundled: an operator drops the table into
inbox/torch_hightech_enterprise/ (format: docs/inbox.md). It feeds the transformation stage.
"""

from __future__ import annotations

import pandas as pd

from scrapers.feed import THOUSAND_YUAN_TO_100M_YUAN, Feed
from scrapers.xls_workbooks import read_one_year_columns
from warehouse.archive import RawDocument

NAME = "torch_hightech_enterprise"


def parse(doc: RawDocument) -> pd.DataFrame:
    frame = read_one_year_columns(doc, NAME)
    frame["net_profit_100m_yuan"] = frame.pop("net_profit_1k_yuan") * THOUSAND_YUAN_TO_100M_YUAN
    return frame


FEED = Feed(NAME, "Torch yearbook high-tech enterprises by region (net profit, 千元 → 亿元; licensed, inbox only)", parse, True)
