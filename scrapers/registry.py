"""The feed registry: one module per feed, each with the same shape: NAME, parse(document), FEED."""

from scrapers import (
    csy_hightech_industry,
    csy_patent_grants,
    csy_rd_expenditure,
    csy_rd_intensity,
    csy_tech_market,
    nbs_rd_bulletin,
    torch_hightech_enterprise,
)
from scrapers.feed import Feed

FEEDS: dict[str, Feed] = {
    m.FEED.name: m.FEED
    for m in (nbs_rd_bulletin, csy_rd_expenditure, csy_rd_intensity, csy_patent_grants, csy_tech_market, csy_hightech_industry,
              torch_hightech_enterprise)
}
