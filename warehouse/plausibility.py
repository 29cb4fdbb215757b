"""Plausibility warnings: figures that pass every check yet look like an edit or a slip.

Two signs, each a warning rather than an error, because real figures do jump: a province's figure
that is 0 where the previous data year's was above 0 (a sudden zero), and a year-on-year ratio outside
YEAR_ON_YEAR_RATIO_BAND. Jumps that the source really prints are data, not code: the
`[[plausibility.known_jumps]]` list of the feed's scrapers/<feed>/feed.toml, each
with a `why`, so today's documents warn about nothing and a new anomaly does.

Pure: landing rows in, warnings out; where the warnings are shown is the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from scrapers.feeds import FEEDS
from warehouse.landing import value_columns

# Figure / previous data year's figure, for figures whose previous year is above 0. Measured on all
# 9,220 such comparisons in the 73 bundled documents: 98 % of ratios lie within 0.54-2.66; the widest per
# column: R&D expenditure 0.71-1.55, intensity 0.63-1.67, patent grants 0.13-5.05 (design), high-tech
# profit -0.03-10.0, technology-market contract value 0.11-24.3. This band flags 19 real jumps (45
# warnings, editions re-printing them), every one a known jump in its feed's feed.toml; a figure ×10
# or ÷10 (a slipped decimal, a misread unit) is far outside it.
YEAR_ON_YEAR_RATIO_BAND = (0.25, 4.0)
# A known jump matches a figure and its previous year's within this relative difference: the feed.toml
# writes them to 4-5 significant digits, yearbook files carry unrounded floats (2591.71471 for 2591.7)
# and editions round differently (西藏's 2018 outflow: 394 万元 in one, 394.2 in another, 0.05 % apart);
# an edit of the same figure still warns.
KNOWN_JUMP_MATCH = 1e-3
# Landing columns that say where a row came from rather than which series it belongs to.
PROVENANCE_COLUMNS = ("feed", "document_path", "document_sha256", "publication_year")
SUDDEN_ZERO, YEAR_ON_YEAR_JUMP = "sudden_zero", "year_on_year_jump"


@dataclass(frozen=True)
class PlausibilityWarning:
    feed: str
    kind: str  # SUDDEN_ZERO or YEAR_ON_YEAR_JUMP
    province: str
    data_year: int
    column: str
    previous_value: float  # the figure of data_year - 1
    value: float
    ratio: float  # value / previous_value
    document_sha256: str  # the document printing `value`
    series: str = ""  # further keys of the series, e.g. the direction "outflow" for technology markets

    @property
    def message(self) -> str:
        figure = " ".join(p for p in (self.province, self.series, self.column) if p)
        if self.kind == SUDDEN_ZERO:
            return (f"{self.feed}: {figure} is 0 in {self.data_year} after {self.previous_value:g} in "
                    f"{self.data_year - 1} (a sudden zero)")
        low, high = YEAR_ON_YEAR_RATIO_BAND
        return (f"{self.feed}: {figure} is {self.value:g} in {self.data_year}, {self.ratio:.2f}× the "
                f"{self.data_year - 1} figure {self.previous_value:g} (outside the year-on-year band {low}×–{high}×)")


def known_jumps(feed: str) -> list[dict]:
    return list(FEEDS[feed].spec.known_jumps)


def plausibility_warnings(feed: str, rows: pd.DataFrame) -> list[PlausibilityWarning]:
    """Sudden zeros and year-on-year jumps in a feed's landing rows, less the known jumps.

    Each figure is compared with the previous data year's figure of the same series: from the same
    document where it prints that year (back series: one vintage), else from the newest publication
    that prints it (each version of it, should there be several).
    """
    values = [c for c in value_columns(FEEDS[feed].schema) if c in rows.columns]
    series = [c for c in rows.columns if c not in (*values, "data_year", *PROVENANCE_COLUMNS)]
    found = [warning for column in values for warning in _column_warnings(feed, rows, series, column)]
    return sorted(found, key=lambda w: (w.column, w.series, w.province, w.data_year, w.document_sha256))


def _column_warnings(feed: str, rows: pd.DataFrame, series: list[str], column: str) -> list[PlausibilityWarning]:
    key = [*series, "data_year"]
    figures = rows.loc[rows[column].notna(), [*key, "document_sha256", "publication_year", column]]
    figures = figures.rename(columns={column: "value"}).reset_index(drop=True).rename_axis("figure").reset_index()
    previous = figures.drop(columns="figure").assign(data_year=figures["data_year"] + 1).rename(columns={
        "value": "previous_value", "document_sha256": "previous_document", "publication_year": "previous_publication"})
    pairs = figures.merge(previous, on=key)
    same_document = pairs["previous_document"] == pairs["document_sha256"]
    document_prints_it = same_document.groupby(pairs["figure"]).transform("any")
    newest = pairs["previous_publication"] == pairs.groupby("figure")["previous_publication"].transform("max")
    pairs = pairs[same_document | (~document_prints_it & newest)].drop_duplicates(["figure", "previous_value"])

    pairs = pairs[pairs["previous_value"] > 0].assign(ratio=lambda p: p["value"] / p["previous_value"])
    low, high = YEAR_ON_YEAR_RATIO_BAND
    flagged = pairs[(pairs["value"] == 0) | ~pairs["ratio"].between(low, high)]
    jumps = known_jumps(feed)
    # Keys that vary among the column's figures (a technology-market direction) name the series in messages.
    described = [c for c in series if c not in ("province_code", "province") and figures[c].nunique() > 1]
    return [
        PlausibilityWarning(
            feed=feed, kind=SUDDEN_ZERO if row["value"] == 0 else YEAR_ON_YEAR_JUMP, province=row["province"],
            data_year=int(row["data_year"]), column=column, previous_value=float(row["previous_value"]),
            value=float(row["value"]), ratio=float(row["ratio"]), document_sha256=row["document_sha256"],
            series=" ".join(str(row[c]) for c in described),
        )
        for row in flagged.to_dict("records")
        if not any(_is_known(jump, row, column) for jump in jumps)
    ]


def _is_known(jump: dict, row: dict, column: str) -> bool:
    """A known jump names its series (province, and e.g. direction), data year, column and both figures."""
    def close(a: float, b: float) -> bool:
        return abs(a - b) <= KNOWN_JUMP_MATCH * abs(b)

    identity = {k: v for k, v in jump.items() if k not in ("column", "previous", "value", "why")}
    return (jump["column"] == column and all(row.get(k) == v for k, v in identity.items())
            and close(row["value"], jump["value"]) and close(row["previous_value"], jump["previous"]))
