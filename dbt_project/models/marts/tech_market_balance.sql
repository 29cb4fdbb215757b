-- Net technology output per province and cluster (outflow − inflow, 亿元, contract value) per year in
-- which the yearbook back series publishes both directions.
with provinces as (
    select
        data_year as year,
        'province' as region_type,
        province as region,
        tech_outflow_100m_yuan as outflow_100m_yuan,
        tech_inflow_100m_yuan as inflow_100m_yuan,
        tech_outflow_document_sha256 as outflow_document_sha256s,
        tech_inflow_document_sha256 as inflow_document_sha256s
    from {{ ref('int_province_indicators') }}
    where tech_outflow_100m_yuan is not null or tech_inflow_100m_yuan is not null
),
clusters as (
    select
        data_year as year,
        'cluster' as region_type,
        cluster as region,
        case when count(tech_outflow_100m_yuan) = count(*) then sum(tech_outflow_100m_yuan) end as outflow_100m_yuan,
        case when count(tech_inflow_100m_yuan) = count(*) then sum(tech_inflow_100m_yuan) end as inflow_100m_yuan,
        {{ sorted_list("tech_outflow_document_sha256") }} as outflow_document_sha256s,
        {{ sorted_list("tech_inflow_document_sha256") }} as inflow_document_sha256s
    from {{ ref('int_cluster_members') }}
    group by data_year, cluster
    having count(tech_outflow_100m_yuan) > 0 or count(tech_inflow_100m_yuan) > 0
),
unioned as (
    select * from provinces
    union all
    select * from clusters
)
select
    year,
    region_type,
    region,
    outflow_100m_yuan,
    inflow_100m_yuan,
    outflow_100m_yuan - inflow_100m_yuan as net_outflow_100m_yuan,
    case
        when outflow_100m_yuan is null or inflow_100m_yuan is null
            then 'one direction not published for this year' || case when region_type = 'cluster' then ' for every member' else '' end
    end as null_reason,
    outflow_document_sha256s,
    inflow_document_sha256s
from unioned
