-- Every published value of R&D expenditure and intensity, one row per (figure, publication): the
-- bulletin's first release and each yearbook edition's revision are all kept. vintage_rank = 1 marks
-- the value the marts use under the `vintage` var (earliest by default).
with all_vintages as (
    select data_year, province_code, province, is_national, 'rd_expenditure_100m_yuan' as indicator,
           rd_expenditure_100m_yuan as value, publication_code, publication_year, release_order_in_year, document_sha256
    from {{ ref('stg_nbs_rd_bulletin') }}
    union all
    select data_year, province_code, province, is_national, 'rd_intensity_pct',
           rd_intensity_pct, publication_code, publication_year, release_order_in_year, document_sha256
    from {{ ref('stg_nbs_rd_bulletin') }}
    union all
    select data_year, province_code, province, is_national, 'rd_expenditure_100m_yuan',
           rd_expenditure_100m_yuan, publication_code, publication_year, release_order_in_year, document_sha256
    from {{ ref('stg_csy_rd_expenditure') }}
    union all
    select data_year, province_code, province, is_national, 'rd_intensity_pct',
           rd_intensity_pct, publication_code, publication_year, release_order_in_year, document_sha256
    from {{ ref('stg_csy_rd_intensity') }}
)
select
    *,
    row_number() over (
        partition by data_year, province_code, indicator order by {{ vintage_order() }}
    ) as vintage_rank,
    count(*) over (partition by data_year, province_code, indicator) as vintages_count
from all_vintages
where value is not null
