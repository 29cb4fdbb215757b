"""landing.csy_firm_rd_personnel: CSY 2-7/2-11 R&D personnel of industrial enterprises above designated size
by region (人, 人年)."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from scrapers._landing_schema import (
    EXACT_SUM_BAND,
    MAX_NATIONAL_RD_FTE_PERSON_YEARS,
    ROUNDING_BAND,
    ROW_IDENTITY,
    Landing,
    national_total,
)


class CsyFirmRdPersonnel(Landing):
    rd_personnel_count: Series[int] = pa.Field(ge=0)
    rd_personnel_fte_person_years: Series[float] = pa.Field(ge=0, le=MAX_NATIONAL_RD_FTE_PERSON_YEARS)

    class Config:
        unique = ROW_IDENTITY

    @pa.dataframe_check(error="R&D personnel full-time equivalent above the headcount")
    def fte_within_headcount(cls, df: pd.DataFrame) -> pd.Series:
        # A person works at most one full year: FTE (人年) never exceeds the people counted (人).
        return df["rd_personnel_fte_person_years"] <= df["rd_personnel_count"]

    national_headcount = national_total("rd_personnel_count", EXACT_SUM_BAND, "R&D personnel headcount")
    national_fte = national_total("rd_personnel_fte_person_years", ROUNDING_BAND, "R&D personnel FTE")
