-- The stock of valid domestic patents per province and year (the public stand-in for the study's
-- top-10 cities by valid invention patents): ranked on invention patents, each province's share of the
-- national stock (全国, which also counts 香港/澳门/台湾) and its cluster, with invention patents per
-- 10,000 R&D personnel (full-time equivalent, all performers).
with stock as (
    select * from {{ ref('int_province_endowment') }}
    where valid_invention_patents_count is not null
),
national as (
    select data_year, valid_invention_patents_count as national_valid_invention_patents_count
    from stock
    where is_national
),
provinces as (
    select s.*, p.province_name_en
    from stock as s
    join {{ ref('provinces') }} as p using (province_code)
)
select
    p.data_year as year,
    p.province_code,
    p.province,
    p.province_name_en,
    m.cluster,
    p.valid_invention_patents_count,
    rank() over (partition by p.data_year order by p.valid_invention_patents_count desc) as valid_invention_patents_rank,
    -- as double: 100.0 would make Spark divide decimals, rounded to 6 places
    cast(p.valid_invention_patents_count as double) * 100 / nullif(n.national_valid_invention_patents_count, 0)
        as share_of_national_valid_invention_patents_pct,
    p.valid_utility_model_patents_count,
    p.valid_design_patents_count,
    p.valid_patents_total_count,
    p.rd_personnel_fte_person_years,
    cast(p.valid_invention_patents_count as double) * 10000 / nullif(p.rd_personnel_fte_person_years, 0)
        as valid_invention_patents_per_10k_rd_fte,
    case when p.rd_personnel_fte_person_years is null
        then 'no R&D personnel (full-time equivalent) figure for this province and year' end
        as rd_personnel_null_reason,
    p.valid_patents_document_sha256,
    p.rd_personnel_document_sha256
from provinces as p
left join national as n using (data_year)
left join {{ ref('cluster_membership') }} as m
    on m.province = p.province
   and p.data_year between m.valid_from_year and m.valid_to_year
