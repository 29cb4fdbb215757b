"""landing.csy_firm_rd_expenditure: CSY 2-10/2-14 R&D expenditure of industrial enterprises above designated
size by region (亿元)."""

import pandera.pandas as pa
from pandera.typing import Series

from scrapers._landing_schema import (
    MAX_NATIONAL_RD_EXPENDITURE_100M_YUAN,
    ROUNDING_BAND,
    ROW_IDENTITY,
    Landing,
    national_total,
)


class CsyFirmRdExpenditure(Landing):
    rd_expenditure_100m_yuan: Series[float] = pa.Field(ge=0, le=MAX_NATIONAL_RD_EXPENDITURE_100M_YUAN)

    class Config:
        unique = ROW_IDENTITY

    national_rd_expenditure = national_total("rd_expenditure_100m_yuan", ROUNDING_BAND, "R&D expenditure")
