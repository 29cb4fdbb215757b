"""The feed spec: what one feed is, read from its folder's `feed.toml` (scrapers/<feed>/feed.toml).

A feed is found by convention, as OWID's PathFinder finds a step from its path: every folder of
scrapers/ that holds a feed.toml is a feed, named after its folder, which also names its landing table
(`landing.<feed>`), its staging model (`stg_<feed>`) and its Dagster assets. The file holds what
changes between editions and publications — the table's title pattern, header aliases and units, the
gates' floors, the publication and its edition rule, known jumps, and for a feed with a live source,
where its documents are published — so adding a year or a renamed header is an edit of data, not code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from core import paths

FEED_FILE = "feed.toml"
FIRST_DATA_YEAR = 2000  # tech-market back series start in 2000; nothing older is published here
# Year Y's figures are first published in Y+1, so a data year from this year on cannot be real yet.
LAST_DATA_YEAR = date.today().year - 1
LAST_PUBLICATION_YEAR = date.today().year


@dataclass(frozen=True)
class ColumnSpec:
    field: str  # the landing column the figures go into (its unit as printed, before any conversion)
    aliases: tuple[str, ...]  # header patterns that name the column, edition by edition
    unit: str  # the unit the column must be printed in
    exclude: tuple[str, ...] = ()  # header patterns that must not match (a neighbour column with a similar name)
    # Decimals every text cell of the column prints, where the publication fixes them (the bulletin); None
    # where editions differ.
    printed_decimals: int | None = None


@dataclass(frozen=True)
class Layout:
    """How the feed's table is printed: what it is called and how each column is headed, edition by edition."""

    title_pattern: str
    document_type: str  # what the bytes must be ("html", "xls"); checked by the publication gate
    min_rows_per_year: int  # fewest regions with a figure per data year; checked by the publication gate
    columns: tuple[ColumnSpec, ...] = ()
    year_columns_unit: str | None = None  # set for back-series tables with one column per year
    # The feed's own vocabulary from the same section (e.g. tech-market directions), for its parser.
    vocabulary: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Publication:
    """Who publishes the feed's documents and how a new document's provenance is filled in."""

    code: str  # the row of the dbt seed `publications` (release month and order), carried by every document
    publisher: str
    name: str  # with {data_year} and {publication_year} to fill
    table_title: str  # likewise
    lag_years: int  # the edition carrying data year Y appears in Y + this; another edition year is impossible
    # Attributes a document of this feed must carry, with their allowed values (which table of an edition it is).
    attribute_values: dict[str, list[str]] = field(default_factory=dict)

    def edition(self, data_year: int, publication_year: int) -> dict:
        """Publisher, publication and table title of one edition, for a provenance record."""
        fill = {"data_year": data_year, "publication_year": publication_year}
        return {"publisher": self.publisher, "publication": self.name.format(**fill),
                "table_title": self.table_title.format(**fill), **fill}


@dataclass(frozen=True)
class FeedSpec:
    name: str
    folder: Path
    title: str  # one line for people: publication and table
    # True where each document carries exactly one data year; False for back-series tables where every
    # edition re-publishes many years (kept as vintages).
    one_year_per_document: bool
    publication: Publication
    layout: Layout
    known_jumps: tuple[dict, ...] = ()  # year-on-year jumps the source really prints (warehouse/plausibility.py)
    live: dict | None = None  # where a feed with a live source finds its documents (read by its source.py)


LAYOUT_KEYS = ("title_pattern", "document_type", "min_rows_per_year", "columns", "year_columns_unit")


@cache
def load_spec(name: str) -> FeedSpec:
    folder = paths.FEEDS_DIR / name
    data = tomllib.loads((folder / FEED_FILE).read_text(encoding="utf-8"))
    layout = data["layout"]
    columns = tuple(
        ColumnSpec(column, tuple(spec["aliases"]), spec["unit"], tuple(spec.get("exclude", ())), spec.get("printed_decimals"))
        for column, spec in layout.get("columns", {}).items()
    )
    publication = data["publication"]
    return FeedSpec(
        name=name, folder=folder, title=data["title"], one_year_per_document=data["one_year_per_document"],
        publication=Publication(publication["code"], publication["publisher"], publication["name"],
                                publication["table_title"], publication["lag_years"],
                                publication.get("attribute_values", {})),
        layout=Layout(layout["title_pattern"], layout["document_type"], layout["min_rows_per_year"], columns,
                      layout.get("year_columns_unit"), {k: v for k, v in layout.items() if k not in LAYOUT_KEYS}),
        known_jumps=tuple(data.get("plausibility", {}).get("known_jumps", ())),
        live=data.get("live"),
    )


def spec_of(module_file: str) -> FeedSpec:
    """The spec of the feed a module belongs to, from the module's own path (scrapers/<feed>/parse.py)."""
    return load_spec(Path(module_file).parent.name)


def feed_names() -> list[str]:
    """Every feed: the folders of scrapers/ that hold a feed.toml (read without importing any parser)."""
    return sorted(p.parent.name for p in paths.FEEDS_DIR.glob(f"*/{FEED_FILE}") if not p.parent.name.startswith("_"))
