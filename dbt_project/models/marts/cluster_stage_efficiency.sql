-- Stage efficiencies of the innovation chain per cluster and year t (ratios of cluster sums, output
-- lagged one year behind the input):
--   patent stage           = invention patent grants in t+1 / R&D expenditure in t (件 per 亿元)
--   transformation stage   = high-tech ENTERPRISE net profit in t+1 (亿元, Torch) / R&D in t
--   ..._hitech_industry_proxy = high-tech INDUSTRY total profit in t+1 (亿元, CSY) / R&D in t
-- A cluster sum counts only when every member reports; otherwise the ratio is NULL with its reason.
with cluster_year as (
    select
        cluster,
        data_year,
        count(*) as members_count,
        sum(rd_expenditure_100m_yuan) as rd_expenditure_100m_yuan,
        count(rd_expenditure_100m_yuan) as members_with_rd,
        sum(invention_grants_count) as invention_grants_count,
        count(invention_grants_count) as members_with_inventions,
        sum(hightech_enterprise_net_profit_100m_yuan) as enterprise_profit_100m_yuan,
        count(hightech_enterprise_net_profit_100m_yuan) as members_with_enterprise_profit,
        sum(hightech_industry_profit_100m_yuan) as industry_profit_100m_yuan,
        count(hightech_industry_profit_100m_yuan) as members_with_industry_profit,
        {{ dbt.listagg("distinct rd_expenditure_document_sha256", "','") }} as rd_document_sha256s,
        {{ dbt.listagg("distinct patent_document_sha256", "','") }} as patent_document_sha256s,
        {{ dbt.listagg("distinct hightech_industry_document_sha256", "','") }} as hightech_industry_document_sha256s,
        {{ dbt.listagg("distinct hightech_enterprise_document_sha256", "','") }} as hightech_enterprise_document_sha256s
    from {{ ref('int_cluster_members') }}
    group by cluster, data_year
),
paired as (
    select
        t.data_year as year,
        t.cluster,
        case when t.members_with_rd = t.members_count then t.rd_expenditure_100m_yuan end as rd_expenditure_100m_yuan,
        case when n.members_with_inventions = n.members_count then n.invention_grants_count end as invention_grants_next_year_count,
        case when n.members_with_enterprise_profit = n.members_count then n.enterprise_profit_100m_yuan end
            as hightech_enterprise_net_profit_next_year_100m_yuan,
        case when n.members_with_industry_profit = n.members_count then n.industry_profit_100m_yuan end
            as hightech_industry_profit_next_year_100m_yuan,
        t.rd_document_sha256s,
        n.patent_document_sha256s as invention_grants_document_sha256s,
        n.hightech_enterprise_document_sha256s,
        n.hightech_industry_document_sha256s
    from cluster_year as t
    left join cluster_year as n on n.cluster = t.cluster and n.data_year = t.data_year + 1
    where t.members_with_rd > 0
),
ratios as (
    select
        *,
        invention_grants_next_year_count / nullif(rd_expenditure_100m_yuan, 0) as patent_stage_efficiency,
        hightech_enterprise_net_profit_next_year_100m_yuan / nullif(rd_expenditure_100m_yuan, 0)
            as transformation_stage_efficiency,
        hightech_industry_profit_next_year_100m_yuan / nullif(rd_expenditure_100m_yuan, 0)
            as transformation_stage_efficiency_hitech_industry_proxy
    from paired
)
select
    year,
    cluster,
    rd_expenditure_100m_yuan,
    invention_grants_next_year_count,
    patent_stage_efficiency,
    case when patent_stage_efficiency is not null
         then rank() over (partition by year order by patent_stage_efficiency desc nulls last) end as patent_stage_rank,
    case
        when rd_expenditure_100m_yuan is null then 'R&D expenditure missing for a member in year t'
        when invention_grants_next_year_count is null
            then 'invention grants for year t+1 not archived for every member'
    end as patent_stage_null_reason,
    hightech_enterprise_net_profit_next_year_100m_yuan,
    transformation_stage_efficiency,
    case when transformation_stage_efficiency is not null
         then rank() over (partition by year order by transformation_stage_efficiency desc nulls last) end
        as transformation_stage_rank,
    case
        when rd_expenditure_100m_yuan is null then 'R&D expenditure missing for a member in year t'
        when hightech_enterprise_net_profit_next_year_100m_yuan is null
            then 'high-tech enterprise net profit for year t+1 not loaded (Torch yearbook, licensed feed); '
                 || 'see transformation_stage_efficiency_hitech_industry_proxy'
    end as transformation_stage_null_reason,
    hightech_industry_profit_next_year_100m_yuan,
    transformation_stage_efficiency_hitech_industry_proxy,
    case when transformation_stage_efficiency_hitech_industry_proxy is not null
         then rank() over (partition by year order by transformation_stage_efficiency_hitech_industry_proxy desc nulls last) end
        as transformation_stage_proxy_rank,
    case
        when rd_expenditure_100m_yuan is null then 'R&D expenditure missing for a member in year t'
        when hightech_industry_profit_next_year_100m_yuan is null
            then 'high-tech industry profit for year t+1 not archived for every member'
    end as transformation_stage_proxy_null_reason,
    rd_document_sha256s,
    invention_grants_document_sha256s,
    hightech_enterprise_document_sha256s,
    hightech_industry_document_sha256s
from ratios
