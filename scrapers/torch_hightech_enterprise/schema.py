"""landing.torch_hightech_enterprise: Torch yearbook 高新技术企业 net profit by region (licensed; 千元 → 亿元).

No bundled document feeds it, so the table stays empty and the transformation stage reads NULL with
its reason until the licensed table arrives through the inbox.
"""

from pandera.typing import Series

from scrapers._landing_schema import ROUNDING_BAND, ROW_IDENTITY, Landing, national_total


class TorchHightechEnterprise(Landing):
    net_profit_100m_yuan: Series[float]  # may be negative (a loss): no lower bound

    class Config:
        unique = ROW_IDENTITY

    national_net_profit = national_total("net_profit_100m_yuan", ROUNDING_BAND, "net profit")
