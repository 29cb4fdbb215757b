"""landing.csy_patent_grants: CSY 7-8/8-8 domestic patent grants by region (件)."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from scrapers._landing_schema import PATENT_BAND, ROW_IDENTITY, Landing, national_total


class CsyPatentGrants(Landing):
    patent_grants_total_count: Series[int] = pa.Field(ge=0)
    invention_grants_count: Series[int] = pa.Field(ge=0)
    utility_model_grants_count: Series[int] = pa.Field(ge=0)
    design_grants_count: Series[int] = pa.Field(ge=0)

    class Config:
        unique = ROW_IDENTITY

    @pa.dataframe_check(error="total grants differ from invention + utility model + design")
    def kinds_add_up(cls, df: pd.DataFrame) -> pd.Series:
        kinds = df["invention_grants_count"] + df["utility_model_grants_count"] + df["design_grants_count"]
        return kinds == df["patent_grants_total_count"]

    national_grants = national_total("patent_grants_total_count", PATENT_BAND, "total grants", plural=True)
    national_invention = national_total("invention_grants_count", PATENT_BAND, "invention grants", plural=True)
    national_utility_model = national_total("utility_model_grants_count", PATENT_BAND, "utility model grants", plural=True)
    national_design = national_total("design_grants_count", PATENT_BAND, "design grants", plural=True)
