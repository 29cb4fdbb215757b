"""landing.csy_hightech_industry: CSY 5-3/5-2 high-tech industry by region (enterprises, 亿元)."""

import pandera.pandas as pa
from pandera.typing import Series

from scrapers._landing_schema import EXACT_SUM_BAND, ROUNDING_BAND, ROW_IDENTITY, Landing, national_total


class CsyHightechIndustry(Landing):
    enterprises_count: Series[int] = pa.Field(ge=0)
    revenue_100m_yuan: Series[float] = pa.Field(ge=0)
    # Profit may be negative: 宁夏 reported a loss (−0.1 亿元) in 2013.
    total_profit_100m_yuan: Series[float]

    class Config:
        unique = ROW_IDENTITY

    national_enterprises = national_total("enterprises_count", EXACT_SUM_BAND, "enterprise count")
    national_revenue = national_total("revenue_100m_yuan", ROUNDING_BAND, "revenue")
    national_profit = national_total("total_profit_100m_yuan", ROUNDING_BAND, "total profit")
