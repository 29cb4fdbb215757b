-- Yearbook R&D expenditure per province (and 全国): total of all funding sources, in 亿元.
select
    s.data_year,
    s.province_code,
    s.province,
    s.province_code = '00' as is_national,
    s.rd_expenditure_100m_yuan,
    s.publication_code,
    s.publication_year,
    p.release_order_in_year,
    s.document_sha256
from {{ landing_selected('csy_rd_expenditure') }} as s
join {{ ref('publications') }} as p on p.publication_code = s.publication_code
