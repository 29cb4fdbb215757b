-- Where each province stands on R&D intensity, per year: expenditure, intensity, rank among the 31
-- provinces, the national intensity and whether the province is above it.
with provinces as (
    select * from {{ ref('int_rd_selected') }} where not is_national
),
national as (
    select data_year, rd_intensity_pct as national_rd_intensity_pct, rd_intensity_document_sha256 as national_document_sha256
    from {{ ref('int_rd_selected') }}
    where is_national
)
select
    p.data_year as year,
    p.province_code,
    p.province,
    d.province_name_en,
    p.rd_expenditure_100m_yuan,
    p.rd_intensity_pct,
    case when p.rd_intensity_pct is not null
         then rank() over (partition by p.data_year order by p.rd_intensity_pct desc nulls last) end as intensity_rank,
    n.national_rd_intensity_pct,
    p.rd_intensity_pct > n.national_rd_intensity_pct as above_national,
    p.rd_expenditure_vintage,
    p.rd_intensity_vintage,
    case
        when p.rd_intensity_pct is null
            then 'no archived document publishes R&D intensity for this year (bulletins from 2018, yearbook back series from 2011)'
        when n.national_rd_intensity_pct is null then 'no national R&D intensity for this year'
    end as null_reason,
    p.rd_expenditure_document_sha256,
    p.rd_intensity_document_sha256,
    n.national_document_sha256
from provinces as p
left join national as n using (data_year)
left join {{ ref('provinces') }} as d using (province_code)
