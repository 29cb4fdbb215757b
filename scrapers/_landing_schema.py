"""What every landing model shares: the base Pandera model and the national-total check.

Each feed's model (scrapers/<feed>/schema.py) both validates the rows its parser returns and
generates the DuckDB DDL of `landing.<feed>` (warehouse/landing.py). Sanity bounds and tolerance
bands are named constants with the measurement they come from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandas.api.types import is_float_dtype
from pandera.typing import Series

from core.feed import FIRST_DATA_YEAR, LAST_DATA_YEAR, LAST_PUBLICATION_YEAR  # noqa: F401 (re-exported)
from scrapers._tables.regions import NATIONAL_CODE, province_codes

MAX_INTENSITY_PCT = 10.0  # highest provincial R&D intensity on record is Beijing's ~6.8 %
# National R&D expenditure: 33,357 亿元 in 2023, growing ~8-10 % a year. A whole column scaled ×1000
# (units misread) keeps the national total equal to the sum of provinces; only a bound catches it.
MAX_NATIONAL_RD_EXPENDITURE_100M_YUAN = 100_000.0
# National R&D personnel: 7.24 million person-years (人年) in 2023, growing ~7 % a year; a column read in
# the wrong unit (persons ×10, or a misplaced column of 万元) breaks this bound.
MAX_NATIONAL_RD_FTE_PERSON_YEARS = 30_000_000.0

# National row vs the sum of the province rows, as (lowest, highest) of (sum − national) / national,
# per document (and data year): every additive column has a check with one of these bands (intensities
# are not additive). Measured on all 73 bundled documents.
# Rounded figures: provinces sum to the national one within 0.001 % for R&D expenditure (bulletin and
# yearbook) and high-tech revenue, 0.022 % for high-tech profit (2015, printed in whole 亿元); half a
# percent leaves room for an edition printed coarser, and a big province ×10 still breaks it.
ROUNDING_BAND = (-0.005, 0.005)
# Counts the national row only adds up: high-tech enterprises equal the sum of provinces exactly in all
# 13 editions (data 2010-2023); so do the counts of the industrial-enterprise tables (R&D personnel
# headcount, enterprises with R&D activity or an R&D institution, patents; data 2018-2023) and the
# high-tech industry's R&D institutions. Full-time equivalents are rounded: ROUNDING_BAND (measured
# within 0.0014 %).
EXACT_SUM_BAND = (0.0, 0.0)
# Patent grants: the national row also counts grants not allocated to a province, so provinces sum below
# it, never above (measured, data 2010-2023: total 0.3 %–2.9 % below, invention 0.8 %–7.5 %, utility
# model 0.2 %–3.4 %, design 0.2 %–1.2 %; the widest gaps in 2010).
PATENT_BAND = (-0.10, 0.0)
# Technology markets: the national row also counts Hong Kong/Macao/Taiwan, "other" and abroad (measured
# over 94 edition-years: contract value outflow up to 7.1 % below, inflow 4.0 %–22.1 % below; contract
# count outflow up to 0.9 % below, inflow 0.3 %–3.3 % below; never above beyond float noise).
TECH_MARKET_BAND = (-0.25, 0.005)

# Valid (in-force) patents: the national row also counts patents held in 香港, 澳门 and 台湾, whose rows
# the table prints below the provinces and the parser skips (they are no province). So provinces sum below
# it, never above: measured, data 2010-2023, total 0.6 %–5.1 % below, invention 1.8 %–10.9 %, utility
# model 0.3 %–6.1 %, design 0.4 %–1.9 % (the widest gaps in 2010). A band rather than a comparison with
# provinces + HK/MO/TW: the landing table holds provinces only (the HK/MO/TW rows are not landed), and the
# band still breaks on a province read ×10 or a national row missing.
VALID_PATENT_BAND = (-0.15, 0.0)

# One row per region and data year in each document. Versions of a document (a revised copy of the same
# table) land side by side; which one the marts use is dbt's vintage rule (stg_documents).
ROW_IDENTITY = ["document_sha256", "data_year", "province_code"]

VALID_REGION_CODES = sorted(province_codes() | {NATIONAL_CODE})


def national_total_within(df: pd.DataFrame, column: str, band: tuple[float, float], by: list[str]) -> pd.Series:
    """True for every row except the national rows whose total disagrees with its provinces beyond band."""
    national = df["province_code"] == NATIONAL_CODE
    values = df[column].astype("float64")
    sums = values.where(~national).groupby([df[c] for c in by]).transform("sum")
    gap = (sums - values) / values
    bad = national & values.notna() & (values != 0) & ~gap.between(*band)
    return ~bad


def national_total(column: str, band: tuple[float, float], what: str, by: tuple[str, ...] = ("document_sha256",),
                   plural: bool = False):
    """A model's check that the national row of an additive column equals the sum of its provinces within
    `band`, per document (and per data year for back series: `by`). Declared once per column in the model;
    `what` names the figure in the error ("design grants", plural)."""

    def check(cls, df: pd.DataFrame) -> pd.Series:
        return national_total_within(df, column, band, list(by))

    check.__name__ = f"national_{column}"
    return pa.dataframe_check(check, error=f"national {what} {'differ' if plural else 'differs'} from the sum of provinces")


class Landing(pa.DataFrameModel):
    """Columns every landing table carries: the region and where the row came from."""

    province_code: Series[str] = pa.Field(isin=VALID_REGION_CODES)
    province: Series[str]
    data_year: Series[int] = pa.Field(ge=FIRST_DATA_YEAR, le=LAST_DATA_YEAR)
    feed: Series[str]
    document_path: Series[str]
    document_sha256: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{64}$")
    publication_year: Series[int] = pa.Field(ge=FIRST_DATA_YEAR, le=LAST_PUBLICATION_YEAR)

    class Config:
        strict = True
        coerce = True

    @pa.check(".*", regex=True, error="figures are finite (not ±inf)")
    def finite(cls, column: pd.Series) -> pd.Series | bool:
        """Every float column of every landing model. NaN is a missing figure, left to the column's
        nullable setting; ±inf comes from text such as 'Infinity' or '1e400' (the parsers refuse it) or
        from a conversion gone wrong."""
        return ~np.isinf(column) if is_float_dtype(column) else True
