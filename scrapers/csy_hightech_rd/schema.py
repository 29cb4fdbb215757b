"""landing.csy_hightech_rd: CSY 5-4 high-tech industry R&D by region (institutions, 人年, 亿元)."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from scrapers._landing_schema import (
    EXACT_SUM_BAND,
    MAX_NATIONAL_RD_EXPENDITURE_100M_YUAN,
    MAX_NATIONAL_RD_FTE_PERSON_YEARS,
    ROUNDING_BAND,
    ROW_IDENTITY,
    Landing,
    national_total,
)


class CsyHightechRd(Landing):
    # 西藏 prints no R&D institution in some editions (a blank cell).
    rd_institutions_count: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    rd_personnel_fte_person_years: Series[float] = pa.Field(ge=0, le=MAX_NATIONAL_RD_FTE_PERSON_YEARS)
    rd_expenditure_100m_yuan: Series[float] = pa.Field(ge=0, le=MAX_NATIONAL_RD_EXPENDITURE_100M_YUAN)

    class Config:
        unique = ROW_IDENTITY

    national_institutions = national_total("rd_institutions_count", EXACT_SUM_BAND, "count of R&D institutions")
    national_fte = national_total("rd_personnel_fte_person_years", ROUNDING_BAND, "R&D personnel FTE")
    national_rd_expenditure = national_total("rd_expenditure_100m_yuan", ROUNDING_BAND, "R&D expenditure")
