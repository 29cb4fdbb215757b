-- Technology-market contracts: value and count documents of one edition and direction joined into one
-- row per edition, direction, data year and province.
with value_rows as (
    select * from {{ landing_selected('csy_tech_market') }} where measure = 'contract_value'
),
count_rows as (
    select * from {{ landing_selected('csy_tech_market') }} where measure = 'contract_count'
),
keys as (
    select distinct publication_year, direction, data_year, province_code, province, publication_code
    from {{ landing_selected('csy_tech_market') }}
)
select
    k.publication_year,
    k.direction,
    k.data_year,
    k.province_code,
    k.province,
    k.province_code = '00' as is_national,
    v.contract_value_100m_yuan,
    c.contract_count,
    k.publication_code,
    p.release_order_in_year,
    v.document_sha256 as value_document_sha256,
    c.document_sha256 as count_document_sha256
from keys as k
left join value_rows as v using (publication_year, direction, data_year, province_code)
left join count_rows as c using (publication_year, direction, data_year, province_code)
join {{ ref('publications') }} as p on p.publication_code = k.publication_code
