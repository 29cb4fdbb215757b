"""landing.csy_firm_patents: CSY 2-25/2-26 patents of industrial enterprises above designated size by region (件)."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from scrapers._landing_schema import EXACT_SUM_BAND, ROW_IDENTITY, Landing, national_total


class CsyFirmPatents(Landing):
    patent_applications_count: Series[int] = pa.Field(ge=0)
    invention_applications_count: Series[int] = pa.Field(ge=0)
    valid_invention_patents_count: Series[int] = pa.Field(ge=0)

    class Config:
        unique = ROW_IDENTITY

    @pa.dataframe_check(error="invention applications above all patent applications")
    def inventions_within_applications(cls, df: pd.DataFrame) -> pd.Series:
        return df["invention_applications_count"] <= df["patent_applications_count"]

    national_applications = national_total("patent_applications_count", EXACT_SUM_BAND, "patent applications", plural=True)
    national_inventions = national_total("invention_applications_count", EXACT_SUM_BAND, "invention applications",
                                         plural=True)
    national_valid = national_total("valid_invention_patents_count", EXACT_SUM_BAND, "valid invention patents",
                                    plural=True)
