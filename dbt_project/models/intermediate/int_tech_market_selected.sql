-- One technology-market figure per direction, province (and 全国) and year: every edition re-publishes
-- the back series, and the `vintage` var picks which edition's value the marts use.
with ranked as (
    select
        *,
        row_number() over (
            partition by direction, data_year, province_code order by {{ vintage_order() }}
        ) as vintage_rank
    from {{ ref('stg_csy_tech_market') }}
    where contract_value_100m_yuan is not null
)
select
    direction,
    data_year,
    province_code,
    province,
    is_national,
    contract_value_100m_yuan,
    contract_count,
    publication_code || ' ' || {{ dbt.cast("publication_year", dbt.type_string()) }} as vintage,
    value_document_sha256
from ranked
where vintage_rank = 1
