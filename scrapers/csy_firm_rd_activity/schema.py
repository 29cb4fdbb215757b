"""landing.csy_firm_rd_activity: CSY 2-4/2-8 industrial enterprises above designated size with R&D activity or
an R&D institution, by region (个)."""

import pandera.pandas as pa
from pandera.typing import Series

from scrapers._landing_schema import EXACT_SUM_BAND, ROW_IDENTITY, Landing, national_total


class CsyFirmRdActivity(Landing):
    enterprises_with_rd_activity_count: Series[int] = pa.Field(ge=0)
    enterprises_with_rd_institution_count: Series[int] = pa.Field(ge=0)

    class Config:
        unique = ROW_IDENTITY

    national_activity = national_total("enterprises_with_rd_activity_count", EXACT_SUM_BAND,
                                       "count of enterprises with R&D activity")
    national_institution = national_total("enterprises_with_rd_institution_count", EXACT_SUM_BAND,
                                          "count of enterprises with an R&D institution")
