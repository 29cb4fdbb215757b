-- How later publications revised each R&D figure: the first release (earliest publication) against
-- every later one. `is_revised` marks revisions beyond the printed precision (half a unit of the
-- last printed decimal: 0.05 亿元, 0.005 %), since some files carry unrounded floats.
with vintages as (
    select * from {{ ref('int_rd_vintages') }}
),
ordered as (
    select
        *,
        row_number() over (
            partition by data_year, province_code, indicator order by publication_year, release_order_in_year
        ) as release_number
    from vintages
)
select
    later.data_year as year,
    later.province,
    later.indicator,
    first.value as first_release_value,
    first.publication_code || ' ' || {{ dbt.cast("first.publication_year", dbt.type_string()) }} as first_release_vintage,
    later.value as revised_value,
    later.publication_code || ' ' || {{ dbt.cast("later.publication_year", dbt.type_string()) }} as revised_vintage,
    later.value - first.value as revision,
    abs(later.value - first.value) > case when later.indicator = 'rd_intensity_pct' then 0.005 else 0.05 end
        + 1e-9 as is_revised,
    first.document_sha256 as first_release_document_sha256,
    later.document_sha256 as revised_document_sha256
from ordered as later
join ordered as first
    on first.data_year = later.data_year
   and first.province_code = later.province_code
   and first.indicator = later.indicator
   and first.release_number = 1
where later.release_number > 1
