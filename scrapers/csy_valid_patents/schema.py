"""landing.csy_valid_patents: CSY 7-9/8-9 valid domestic patents by region (件)."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from scrapers._landing_schema import ROW_IDENTITY, VALID_PATENT_BAND, Landing, national_total


class CsyValidPatents(Landing):
    valid_patents_total_count: Series[int] = pa.Field(ge=0)
    valid_invention_patents_count: Series[int] = pa.Field(ge=0)
    valid_utility_model_patents_count: Series[int] = pa.Field(ge=0)
    valid_design_patents_count: Series[int] = pa.Field(ge=0)

    class Config:
        unique = ROW_IDENTITY

    @pa.dataframe_check(error="valid patents in total differ from invention + utility model + design")
    def kinds_add_up(cls, df: pd.DataFrame) -> pd.Series:
        kinds = (df["valid_invention_patents_count"] + df["valid_utility_model_patents_count"]
                 + df["valid_design_patents_count"])
        return kinds == df["valid_patents_total_count"]

    national_total_count = national_total("valid_patents_total_count", VALID_PATENT_BAND, "valid patents", plural=True)
    national_invention = national_total("valid_invention_patents_count", VALID_PATENT_BAND, "valid invention patents",
                                        plural=True)
    national_utility_model = national_total("valid_utility_model_patents_count", VALID_PATENT_BAND,
                                            "valid utility model patents", plural=True)
    national_design = national_total("valid_design_patents_count", VALID_PATENT_BAND, "valid design patents", plural=True)
