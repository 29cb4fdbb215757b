-- Cluster aggregates per year: sums over the member provinces that report each figure (the
-- members_reporting_* columns say how many of members_count did). GDP is implied from R&D and
-- intensity (GDP = R&D / intensity × 100) because no GDP feed exists; cluster intensity = ΣR&D / ΣGDP.
with rd_years as (
    select distinct data_year from {{ ref('int_rd_selected') }} where rd_expenditure_100m_yuan is not null
),
members as (
    select m.* from {{ ref('int_cluster_members') }} as m join rd_years using (data_year)
)
select
    data_year as year,
    cluster,
    cluster_name_en,
    count(*) as members_count,
    sum(rd_expenditure_100m_yuan) as rd_expenditure_100m_yuan,
    count(rd_expenditure_100m_yuan) as members_reporting_rd_expenditure,
    sum(implied_gdp_100m_yuan) as implied_gdp_100m_yuan,
    true as gdp_is_implied,
    count(implied_gdp_100m_yuan) as members_reporting_implied_gdp,
    sum(case when implied_gdp_100m_yuan is not null then rd_expenditure_100m_yuan end)
        / nullif(sum(implied_gdp_100m_yuan), 0) * 100 as rd_intensity_pct,
    cast(sum(patent_grants_total_count) as {{ dbt.type_bigint() }}) as patent_grants_total_count,
    cast(sum(invention_grants_count) as {{ dbt.type_bigint() }}) as invention_grants_count,
    count(invention_grants_count) as members_reporting_patents,
    sum(tech_outflow_100m_yuan) as tech_outflow_100m_yuan,
    sum(tech_inflow_100m_yuan) as tech_inflow_100m_yuan,
    sum(tech_outflow_100m_yuan) - sum(tech_inflow_100m_yuan) as tech_net_outflow_100m_yuan,
    count(tech_outflow_100m_yuan) as members_reporting_tech_outflow,
    count(tech_inflow_100m_yuan) as members_reporting_tech_inflow,
    sum(hightech_industry_profit_100m_yuan) as hightech_industry_profit_100m_yuan,
    count(hightech_industry_profit_100m_yuan) as members_reporting_hightech_industry,
    sum(hightech_enterprise_net_profit_100m_yuan) as hightech_enterprise_net_profit_100m_yuan,
    count(hightech_enterprise_net_profit_100m_yuan) as members_reporting_hightech_enterprise,
    case
        when count(hightech_industry_profit_100m_yuan) = 0 then 'no high-tech industry table archived for this year (2017 is missing upstream)'
    end as hightech_industry_null_reason,
    case
        when count(hightech_enterprise_net_profit_100m_yuan) = 0 then 'Torch high-tech enterprise table (licensed) not loaded for this year'
    end as hightech_enterprise_null_reason,
    case
        when count(implied_gdp_100m_yuan) = 0 then 'no R&D intensity archived for this year, so no implied GDP'
    end as rd_intensity_null_reason,
    case
        when count(tech_outflow_100m_yuan) = 0 or count(tech_inflow_100m_yuan) = 0
            then 'no technology-market value archived for this year (yearbook back series skip some years)'
    end as tech_market_null_reason,
    {{ sorted_list("rd_expenditure_document_sha256") }} as rd_expenditure_document_sha256s
from members
group by data_year, cluster, cluster_name_en
