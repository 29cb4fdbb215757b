-- One R&D expenditure and one R&D intensity per province (and 全国) and year: the vintage chosen by
-- the `vintage` var, with the publication and document it came from.
with chosen as (
    select * from {{ ref('int_rd_vintages') }} where vintage_rank = 1
),
keys as (
    select distinct data_year, province_code, province, is_national from chosen
)
select
    k.data_year,
    k.province_code,
    k.province,
    k.is_national,
    e.value as rd_expenditure_100m_yuan,
    e.publication_code || ' ' || {{ dbt.cast("e.publication_year", dbt.type_string()) }} as rd_expenditure_vintage,
    e.document_sha256 as rd_expenditure_document_sha256,
    i.value as rd_intensity_pct,
    i.publication_code || ' ' || {{ dbt.cast("i.publication_year", dbt.type_string()) }} as rd_intensity_vintage,
    i.document_sha256 as rd_intensity_document_sha256
from keys as k
left join chosen as e
    on e.data_year = k.data_year and e.province_code = k.province_code and e.indicator = 'rd_expenditure_100m_yuan'
left join chosen as i
    on i.data_year = k.data_year and i.province_code = k.province_code and i.indicator = 'rd_intensity_pct'
