-- High-tech industry per province (and 全国) and year: enterprises, revenue and total profit (亿元).
select
    data_year,
    province_code,
    province,
    province_code = '00' as is_national,
    enterprises_count,
    revenue_100m_yuan,
    total_profit_100m_yuan,
    publication_year,
    document_sha256
from {{ landing_selected('csy_hightech_industry') }}
