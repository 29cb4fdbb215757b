"""What every feed module declares, so the orchestration can treat all feeds alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from warehouse.archive import RawDocument

# Explicit unit conversions into the warehouse's units (column suffixes).
TEN_THOUSAND_YUAN_TO_100M_YUAN = 1e-4  # 万元 -> 亿元
THOUSAND_YUAN_TO_100M_YUAN = 1e-5  # 千元 -> 亿元


@dataclass(frozen=True)
class Feed:
    name: str  # also the landing table's name and the layout file's stem
    title: str  # one line for people: publication and table
    parse: Callable[[RawDocument], pd.DataFrame]  # rows of the landing table, without provenance columns
    # True where each document carries exactly one data year, so the feed is partitioned by that year;
    # False for back-series tables where every edition re-publishes many years (kept as vintages).
    one_year_per_document: bool
