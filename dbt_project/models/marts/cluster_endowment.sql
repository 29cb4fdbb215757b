-- The innovation endowment per cluster and year (the study's Figure 5). Every ratio is a ratio of sums
-- over the members that report both of its parts (members_reporting_* say how many of members_count
-- did); a figure no member reports is NULL with its *_null_reason. Clusters are ranked per year on the
-- ratios, where a comparison between clusters of different size makes sense (1 = highest).
with members as (
    select m.cluster, m.cluster_name_en, e.*
    from {{ ref('int_province_endowment') }} as e
    join {{ ref('cluster_membership') }} as m
        on m.province = e.province
       and e.data_year between m.valid_from_year and m.valid_to_year
),
national as (
    select data_year, valid_invention_patents_count as national_valid_invention_patents_count
    from {{ ref('int_province_endowment') }}
    where is_national
),
sums as (
    select
        data_year,
        cluster,
        cluster_name_en,
        count(*) as members_count,
        sum(industrial_enterprise_rd_100m_yuan) as industrial_enterprise_rd_100m_yuan,
        count(industrial_enterprise_rd_100m_yuan) as members_reporting_industrial_enterprise_rd,
        sum(case when rd_expenditure_100m_yuan is not null then industrial_enterprise_rd_100m_yuan end)
            / nullif(sum(case when industrial_enterprise_rd_100m_yuan is not null then rd_expenditure_100m_yuan end), 0)
            * 100 as industrial_enterprise_rd_share_pct,
        count(case when industrial_enterprise_rd_100m_yuan is not null and rd_expenditure_100m_yuan is not null
                   then 1 end) as members_reporting_industrial_enterprise_rd_share,
        sum(rd_personnel_fte_person_years) as rd_personnel_fte_person_years,
        count(rd_personnel_fte_person_years) as members_reporting_rd_personnel_fte,
        sum(industrial_enterprise_rd_personnel_fte_person_years) as industrial_enterprise_rd_personnel_fte_person_years,
        count(industrial_enterprise_rd_personnel_fte_person_years) as members_reporting_industrial_enterprise_rd_personnel,
        cast(sum(industrial_enterprise_valid_invention_patents_count) as {{ dbt.type_bigint() }})
            as industrial_enterprise_valid_invention_patents_count,
        count(industrial_enterprise_valid_invention_patents_count) as members_reporting_industrial_enterprise_patents,
        sum(case when industrial_enterprise_rd_personnel_fte_person_years is not null
                 then cast(industrial_enterprise_valid_invention_patents_count as double) end) * 10000
            / nullif(sum(case when industrial_enterprise_valid_invention_patents_count is not null
                              then industrial_enterprise_rd_personnel_fte_person_years end), 0)
            as industrial_enterprise_valid_invention_patents_per_10k_rd_fte,
        count(case when industrial_enterprise_valid_invention_patents_count is not null
                    and industrial_enterprise_rd_personnel_fte_person_years is not null then 1 end)
            as members_reporting_industrial_enterprise_patents_per_rd_fte,
        cast(sum(enterprises_with_rd_activity_count) as {{ dbt.type_bigint() }}) as enterprises_with_rd_activity_count,
        count(enterprises_with_rd_activity_count) as members_reporting_enterprises_with_rd_activity,
        cast(sum(valid_invention_patents_count) as {{ dbt.type_bigint() }}) as valid_invention_patents_count,
        count(valid_invention_patents_count) as members_reporting_valid_patents,
        sum(tech_outflow_100m_yuan) as tech_outflow_100m_yuan,
        count(tech_outflow_100m_yuan) as members_reporting_tech_outflow,
        {{ sorted_list("industrial_enterprise_rd_document_sha256") }} as industrial_enterprise_rd_document_sha256s,
        {{ sorted_list("rd_expenditure_document_sha256") }} as rd_expenditure_document_sha256s,
        {{ sorted_list("rd_personnel_document_sha256") }} as rd_personnel_document_sha256s,
        {{ sorted_list("industrial_enterprise_rd_personnel_document_sha256") }} as industrial_enterprise_rd_personnel_document_sha256s,
        {{ sorted_list("industrial_enterprise_patents_document_sha256") }} as industrial_enterprise_patents_document_sha256s,
        {{ sorted_list("enterprises_with_rd_activity_document_sha256") }} as enterprises_with_rd_activity_document_sha256s,
        {{ sorted_list("valid_patents_document_sha256") }} as valid_patents_document_sha256s,
        {{ sorted_list("tech_outflow_document_sha256") }} as tech_outflow_document_sha256s
    from members
    group by data_year, cluster, cluster_name_en
),
{%- set gap_feeds = {
    'rd': 'csy_firm_rd_expenditure', 'fte': 'csy_rd_personnel', 'firm_fte': 'csy_firm_rd_personnel',
    'patents': 'csy_firm_patents', 'activity': 'csy_firm_rd_activity', 'valid': 'csy_valid_patents'} %}
gaps as (
    select
        s.*,
        {%- for alias, feed in gap_feeds.items() %}
        (select max(g.null_reason) from {{ ref('int_endowment_gaps') }} as g
         where g.feed = '{{ feed }}' and g.data_year = s.data_year) as {{ alias }}_gap{{ "," if not loop.last }}
        {%- endfor %}
    from sums as s
)
select
    g.data_year as year,
    g.cluster,
    g.cluster_name_en,
    g.members_count,
    g.industrial_enterprise_rd_share_pct,
    {{ rank_where_known('g.industrial_enterprise_rd_share_pct', 'g.data_year') }}
        as industrial_enterprise_rd_share_rank,
    g.members_reporting_industrial_enterprise_rd_share,
    g.industrial_enterprise_rd_100m_yuan,
    g.members_reporting_industrial_enterprise_rd,
    g.rd_personnel_fte_person_years,
    g.members_reporting_rd_personnel_fte,
    g.industrial_enterprise_rd_personnel_fte_person_years,
    g.members_reporting_industrial_enterprise_rd_personnel,
    g.industrial_enterprise_valid_invention_patents_count,
    g.members_reporting_industrial_enterprise_patents,
    g.industrial_enterprise_valid_invention_patents_per_10k_rd_fte,
    {{ rank_where_known('g.industrial_enterprise_valid_invention_patents_per_10k_rd_fte', 'g.data_year') }}
        as industrial_enterprise_valid_invention_patents_per_10k_rd_fte_rank,
    g.members_reporting_industrial_enterprise_patents_per_rd_fte,
    g.enterprises_with_rd_activity_count,
    g.members_reporting_enterprises_with_rd_activity,
    g.valid_invention_patents_count,
    g.members_reporting_valid_patents,
    -- as double: 100.0 would make Spark divide decimals, rounded to 6 places
    cast(g.valid_invention_patents_count as double) * 100 / nullif(n.national_valid_invention_patents_count, 0)
        as share_of_national_valid_invention_patents_pct,
    {{ rank_where_known('g.valid_invention_patents_count', 'g.data_year') }}
        as share_of_national_valid_invention_patents_rank,
    g.tech_outflow_100m_yuan,
    {{ rank_where_known('g.tech_outflow_100m_yuan', 'g.data_year') }} as tech_outflow_rank,
    g.members_reporting_tech_outflow,
    case when g.members_reporting_industrial_enterprise_rd_share = 0
        then coalesce(g.rd_gap, 'no member has both its industrial-enterprise R&D and its R&D expenditure this year') end
        as industrial_enterprise_rd_null_reason,
    case when g.members_reporting_rd_personnel_fte = 0
        then coalesce(g.fte_gap, 'no member reports R&D personnel this year') end as rd_personnel_fte_null_reason,
    case when g.members_reporting_industrial_enterprise_rd_personnel = 0
        then coalesce(g.firm_fte_gap, 'no member reports industrial-enterprise R&D personnel this year') end
        as industrial_enterprise_rd_personnel_null_reason,
    case when g.members_reporting_industrial_enterprise_patents_per_rd_fte = 0
        then coalesce(g.patents_gap, g.firm_fte_gap,
                      'no member reports both industrial-enterprise patents and R&D personnel this year') end
        as industrial_enterprise_patents_null_reason,
    case when g.members_reporting_enterprises_with_rd_activity = 0
        then coalesce(g.activity_gap, 'no member reports enterprises with R&D activity this year') end
        as enterprises_with_rd_activity_null_reason,
    case when g.members_reporting_valid_patents = 0
        then coalesce(g.valid_gap, 'no member reports valid patents this year') end as valid_patents_null_reason,
    case when g.members_reporting_tech_outflow = 0
        then 'no technology-market value archived for this year (yearbook back series skip some years)' end
        as tech_outflow_null_reason,
    g.industrial_enterprise_rd_document_sha256s,
    g.rd_expenditure_document_sha256s,
    g.rd_personnel_document_sha256s,
    g.industrial_enterprise_rd_personnel_document_sha256s,
    g.industrial_enterprise_patents_document_sha256s,
    g.enterprises_with_rd_activity_document_sha256s,
    g.valid_patents_document_sha256s,
    g.tech_outflow_document_sha256s
from gaps as g
left join national as n using (data_year)
