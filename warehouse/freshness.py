"""Is a feed current? The newest data year it should hold today, from its publication's release month.

Data year Y is released in year Y+1 in the publication's typical release month (dbt seed
`publications`, read here as the parsers read the province seed); once that month is over, Y =
today.year - 1 is expected, before it only today.year - 2.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from datetime import date

from scrapers.http_client import SOURCES_DIR
from warehouse import paths
from warehouse.archive import load_registry

PUBLICATIONS_SEED = paths.DBT_PROJECT_DIR / "seeds" / "publications.csv"


def expected_newest_data_year(today: date, typical_release_month: int) -> int:
    return today.year - 1 if today.month > typical_release_month else today.year - 2


def release_month(publication_code: str) -> int:
    with PUBLICATIONS_SEED.open(encoding="utf-8") as seed:
        months = {row["publication_code"]: int(row["typical_release_month"]) for row in csv.DictReader(seed)}
    return months[publication_code]


@dataclass(frozen=True)
class FeedFreshness:
    feed: str
    newest_data_year: int | None  # newest data year archived (None: no document at all)
    expected_newest_data_year: int

    @property
    def current(self) -> bool:
        return self.newest_data_year is not None and self.newest_data_year >= self.expected_newest_data_year

    @property
    def status(self) -> str:
        if self.newest_data_year is None:
            return "not loaded: no document of this feed is archived"
        if not self.current:
            return f"STALE: data year {self.expected_newest_data_year} should be out by now (newest: {self.newest_data_year})"
        return "current"


def feed_freshness(feed: str, today: date | None = None) -> FeedFreshness:
    code = tomllib.loads((SOURCES_DIR / "publications.toml").read_text(encoding="utf-8"))[feed]["publication_code"]
    years = [r.data_year for r in load_registry() if r.feed == feed]
    return FeedFreshness(feed, max(years, default=None), expected_newest_data_year(today or date.today(), release_month(code)))
