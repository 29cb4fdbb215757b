"""landing.csy_rd_personnel: CSY 1-4 R&D personnel full-time equivalent by region (人年)."""

import pandera.pandas as pa
from pandera.typing import Series

from scrapers._landing_schema import MAX_NATIONAL_RD_FTE_PERSON_YEARS, ROUNDING_BAND, ROW_IDENTITY, Landing, national_total


class CsyRdPersonnel(Landing):
    rd_personnel_fte_person_years: Series[float] = pa.Field(ge=0, le=MAX_NATIONAL_RD_FTE_PERSON_YEARS)

    class Config:
        unique = ROW_IDENTITY

    national_fte = national_total("rd_personnel_fte_person_years", ROUNDING_BAND, "R&D personnel FTE")
