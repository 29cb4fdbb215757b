-- The province-year panel the marts aggregate: one row per province and year in which any indicator
-- is published, each figure with the document it came from. Implied GDP = R&D / intensity × 100.
with years as (
    select data_year from {{ ref('int_rd_selected') }}
    union select data_year from {{ ref('stg_csy_patent_grants') }}
    union select data_year from {{ ref('stg_csy_hightech_industry') }}
    union select data_year from {{ ref('int_tech_market_selected') }}
),
spine as (
    select y.data_year, p.province_code, p.province
    from years as y
    cross join {{ ref('provinces') }} as p
),
outflow as (select * from {{ ref('int_tech_market_selected') }} where direction = 'outflow'),
inflow as (select * from {{ ref('int_tech_market_selected') }} where direction = 'inflow')
select
    s.data_year,
    s.province_code,
    s.province,
    rd.rd_expenditure_100m_yuan,
    rd.rd_intensity_pct,
    rd.rd_expenditure_100m_yuan / nullif(rd.rd_intensity_pct, 0) * 100 as implied_gdp_100m_yuan,
    pg.patent_grants_total_count,
    pg.invention_grants_count,
    o.contract_value_100m_yuan as tech_outflow_100m_yuan,
    i.contract_value_100m_yuan as tech_inflow_100m_yuan,
    ht.total_profit_100m_yuan as hightech_industry_profit_100m_yuan,
    te.net_profit_100m_yuan as hightech_enterprise_net_profit_100m_yuan,
    rd.rd_expenditure_document_sha256,
    rd.rd_intensity_document_sha256,
    pg.document_sha256 as patent_document_sha256,
    o.value_document_sha256 as tech_outflow_document_sha256,
    i.value_document_sha256 as tech_inflow_document_sha256,
    ht.document_sha256 as hightech_industry_document_sha256,
    te.document_sha256 as hightech_enterprise_document_sha256
from spine as s
left join {{ ref('int_rd_selected') }} as rd using (data_year, province_code)
left join {{ ref('stg_csy_patent_grants') }} as pg using (data_year, province_code)
left join outflow as o using (data_year, province_code)
left join inflow as i using (data_year, province_code)
left join {{ ref('stg_csy_hightech_industry') }} as ht using (data_year, province_code)
left join {{ ref('stg_torch_hightech_enterprise') }} as te using (data_year, province_code)
