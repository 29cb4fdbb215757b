-- Why an endowment feed has no figures for a data year, from what was archived and what landed: the
-- archived document of that year was refused as another table than the feed's (with the refusal's
-- message, landing.documents.refused_reason), or no document of that year is archived. One row per feed and year
-- of the endowment panel that lacks figures; the marts take their *_null_reason from here.
with years as (
    select distinct data_year from {{ ref('int_province_endowment') }}
),
feeds as (
    select 'csy_rd_personnel' as feed union all select 'csy_valid_patents'
    union all select 'csy_firm_rd_expenditure' union all select 'csy_firm_rd_personnel'
    union all select 'csy_firm_rd_activity' union all select 'csy_firm_patents'
),
landed as (
    select distinct 'csy_rd_personnel' as feed, data_year from {{ ref('stg_csy_rd_personnel') }}
    union select distinct 'csy_valid_patents', data_year from {{ ref('stg_csy_valid_patents') }}
    union select distinct 'csy_firm_rd_expenditure', data_year from {{ ref('stg_csy_firm_rd_expenditure') }}
    union select distinct 'csy_firm_rd_personnel', data_year from {{ ref('stg_csy_firm_rd_personnel') }}
    union select distinct 'csy_firm_rd_activity', data_year from {{ ref('stg_csy_firm_rd_activity') }}
    union select distinct 'csy_firm_patents', data_year from {{ ref('stg_csy_firm_patents') }}
),
refused as (
    select feed, data_year, max(refused_reason) as refused_reason
    from {{ ref('stg_documents') }}
    where refused_reason is not null
    group by feed, data_year
)
select
    f.feed,
    y.data_year,
    case
        when r.refused_reason is not null
            then 'the archived ' || f.feed || ' document for this year is another table and was refused: ' || r.refused_reason
        else 'no ' || f.feed || ' document archived for this year (not published upstream)'
    end as null_reason
from feeds as f
cross join years as y
left join landed as l on l.feed = f.feed and l.data_year = y.data_year
left join refused as r on r.feed = f.feed and r.data_year = y.data_year
where l.data_year is null
