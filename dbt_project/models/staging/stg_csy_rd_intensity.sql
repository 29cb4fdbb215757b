-- Yearbook R&D intensity back series: one row per edition (publication_year), data year and province.
select
    s.data_year,
    s.province_code,
    s.province,
    s.province_code = '00' as is_national,
    s.rd_intensity_pct,
    s.publication_code,
    s.publication_year,
    p.release_order_in_year,
    s.document_sha256
from {{ landing_selected('csy_rd_intensity') }} as s
join {{ ref('publications') }} as p on p.publication_code = s.publication_code
