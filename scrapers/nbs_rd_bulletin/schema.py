"""landing.nbs_rd_bulletin: the bulletin's regional annex table, one document per data year (亿元, %)."""

import pandera.pandas as pa
from pandera.typing import Series

from scrapers._landing_schema import (
    MAX_INTENSITY_PCT,
    MAX_NATIONAL_RD_EXPENDITURE_100M_YUAN,
    ROUNDING_BAND,
    ROW_IDENTITY,
    Landing,
    national_total,
)


class NbsRdBulletin(Landing):
    # No region, the national row included, can exceed the national bound.
    rd_expenditure_100m_yuan: Series[float] = pa.Field(ge=0, le=MAX_NATIONAL_RD_EXPENDITURE_100M_YUAN)
    rd_intensity_pct: Series[float] = pa.Field(ge=0, le=MAX_INTENSITY_PCT)

    class Config:
        unique = ROW_IDENTITY

    national_rd_expenditure = national_total("rd_expenditure_100m_yuan", ROUNDING_BAND, "R&D expenditure")
