"""Is a feed current? The newest data year it should hold today, from its publication's release month.

Data year Y is released in year Y+1 in the publication's typical release month (dbt seed
`publications`, read here as the parsers read the province seed); once that month is over, Y =
today.year - 1 is expected, before it only today.year - 2. One rule for the archive (the Dagster
freshness checks) and for the published warehouse (`innovation status`, the report).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from core import paths
from core.feed import feed_names, load_spec
from warehouse.archive import load_registry

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


def expected_newest_data_year(today: date, typical_release_month: int) -> int:
    return today.year - 1 if today.month > typical_release_month else today.year - 2


def release_month(publication_code: str) -> int:
    with paths.PUBLICATIONS_SEED.open(encoding="utf-8") as seed:
        months = {row["publication_code"]: int(row["typical_release_month"]) for row in csv.DictReader(seed)}
    return months[publication_code]


@dataclass(frozen=True)
class FeedFreshness:
    feed: str
    newest_data_year: int | None  # newest data year held (None: no document at all)
    expected_newest_data_year: int
    held_in: str = "archived"  # where the documents were counted: "archived", "in the warehouse"

    @property
    def current(self) -> bool:
        return self.newest_data_year is not None and self.newest_data_year >= self.expected_newest_data_year

    @property
    def status(self) -> str:
        if self.newest_data_year is None:
            return f"not loaded: no document of this feed is {self.held_in}"
        if not self.current:
            return f"STALE: data year {self.expected_newest_data_year} should be out by now (newest: {self.newest_data_year})"
        return "current"


def judged(feed: str, newest_data_year: int | None, today: date | None = None, held_in: str = "archived") -> FeedFreshness:
    code = load_spec(feed).publication.code
    expected = expected_newest_data_year(today or date.today(), release_month(code))
    return FeedFreshness(feed, newest_data_year, expected, held_in)


def feed_freshness(feed: str, today: date | None = None) -> FeedFreshness:
    """The feed's freshness in the archive (what the next refresh will land)."""
    years = [r.data_year for r in load_registry() if r.feed == feed]
    return judged(feed, max(years, default=None), today)


def feed_status(con: duckdb.DuckDBPyConnection, today: date) -> pd.DataFrame:
    """One row per feed, for the published warehouse: documents, newest data year, the year expected today,
    whether that is current, and the verdict in words."""
    import pandas as pd

    landed = {feed: rest for feed, *rest in con.execute("""
        SELECT d.feed, string_agg(DISTINCT p.publication_en, '; '), count(DISTINCT d.document_sha256), max(d.data_year)
        FROM landing.documents AS d
        LEFT JOIN reference.publications AS p USING (publication_code)
        GROUP BY d.feed
    """).fetchall()}
    rows = []
    for feed in feed_names():
        publication, documents_count, newest = landed.get(feed, (None, 0, None))
        verdict = judged(feed, newest, today, "in the warehouse")
        rows.append({"feed": feed, "publication": publication, "documents_count": documents_count,
                     "newest_data_year": newest, "expected_newest_data_year": verdict.expected_newest_data_year,
                     "is_current": verdict.current, "status": verdict.status})
    frame = pd.DataFrame(rows)
    frame["newest_data_year"] = frame.newest_data_year.astype("Int64")
    return frame


def warnings_for(status: pd.DataFrame) -> list[str]:
    """One line per feed that is not current: stale, or not loaded."""
    return [f"{row.feed}: {row.status}" for row in status.itertuples() if not row.is_current]
