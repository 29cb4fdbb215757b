-- Stage efficiencies of the innovation chain per cluster and year t (ratios of cluster sums, output
-- lagged one year behind the input):
--   patent stage           = invention patent grants in t+1 / R&D expenditure in t (件 per 亿元)
--   transformation stage   = high-tech ENTERPRISE net profit in t+1 (亿元, Torch) / R&D in t
--   ..._hitech_industry_proxy = high-tech INDUSTRY total profit in t+1 (亿元, CSY) / R&D in t
-- A cluster sum counts only when every member reports; otherwise the ratio is NULL with its reason.
-- A member's high-tech industry profit in t+1 that jumps as printed (stg_known_jumps) is noted beside the proxy.
with profit_jumps as (
    select
        m.cluster,
        j.data_year - 1 as year,
        {{ sorted_list(
            "j.province || ' ' || " ~ dbt.cast("j.data_year", dbt.type_string()) ~ " || ' high-tech industry profit ' || "
            ~ dbt.cast("j.value", dbt.type_string()) ~ " || ' 亿元 against ' || " ~ dbt.cast("j.previous_value", dbt.type_string())
            ~ " || ' a year earlier, as printed: ' || j.why",
            "'; '") }} as note
    from {{ ref('stg_known_jumps') }} as j
    join {{ ref('int_cluster_members') }} as m on m.province = j.province and m.data_year = j.data_year
    where j.feed = 'csy_hightech_industry' and j.column_name = 'total_profit_100m_yuan'
    group by m.cluster, j.data_year
),
cluster_year as (
    select
        cluster,
        data_year,
        count(*) as members_count,
        sum(rd_expenditure_100m_yuan) as rd_expenditure_100m_yuan,
        count(rd_expenditure_100m_yuan) as members_with_rd,
        cast(sum(invention_grants_count) as {{ dbt.type_bigint() }}) as invention_grants_count,
        count(invention_grants_count) as members_with_inventions,
        sum(hightech_enterprise_net_profit_100m_yuan) as enterprise_profit_100m_yuan,
        count(hightech_enterprise_net_profit_100m_yuan) as members_with_enterprise_profit,
        sum(hightech_industry_profit_100m_yuan) as industry_profit_100m_yuan,
        count(hightech_industry_profit_100m_yuan) as members_with_industry_profit,
        {{ sorted_list("rd_expenditure_document_sha256") }} as rd_document_sha256s,
        {{ sorted_list("patent_document_sha256") }} as patent_document_sha256s,
        {{ sorted_list("hightech_industry_document_sha256") }} as hightech_industry_document_sha256s,
        {{ sorted_list("hightech_enterprise_document_sha256") }} as hightech_enterprise_document_sha256s
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
        p.*,
        p.invention_grants_next_year_count / nullif(p.rd_expenditure_100m_yuan, 0) as patent_stage_efficiency,
        p.hightech_enterprise_net_profit_next_year_100m_yuan / nullif(p.rd_expenditure_100m_yuan, 0)
            as transformation_stage_efficiency,
        p.hightech_industry_profit_next_year_100m_yuan / nullif(p.rd_expenditure_100m_yuan, 0)
            as transformation_stage_efficiency_hitech_industry_proxy,
        pj.note as transformation_stage_proxy_note
    from paired as p
    left join profit_jumps as pj on pj.cluster = p.cluster and pj.year = p.year
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
    transformation_stage_proxy_note,
    rd_document_sha256s,
    invention_grants_document_sha256s,
    hightech_enterprise_document_sha256s,
    hightech_industry_document_sha256s
from ratios
