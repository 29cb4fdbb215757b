"""landing.csy_tech_market: CSY 8-3x technology-market contracts by region; one direction and measure per document."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from scrapers._landing_schema import ROW_IDENTITY, TECH_MARKET_BAND, Landing, national_total

# Back series: one document carries many data years, each with its own national row.
PER_DOCUMENT_AND_YEAR = ("document_sha256", "data_year")


class CsyTechMarket(Landing):
    direction: Series[str] = pa.Field(isin=["outflow", "inflow"])
    measure: Series[str] = pa.Field(isin=["contract_value", "contract_count"])  # what the document prints
    contract_value_100m_yuan: Series[float] = pa.Field(ge=0, nullable=True)
    contract_count: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)

    class Config:
        unique = ROW_IDENTITY

    @pa.dataframe_check(error="a row carries only the measure its document prints")
    def one_measure(cls, df: pd.DataFrame) -> pd.Series:
        other = df["contract_count"].where(df["measure"] == "contract_value", df["contract_value_100m_yuan"])
        return other.isna()

    national_value = national_total("contract_value_100m_yuan", TECH_MARKET_BAND, "contract value", PER_DOCUMENT_AND_YEAR)
    national_count = national_total("contract_count", TECH_MARKET_BAND, "contract count", PER_DOCUMENT_AND_YEAR)
