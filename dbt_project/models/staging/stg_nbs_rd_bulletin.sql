-- First-release R&D expenditure and intensity per province (and 全国), one bulletin per data year.
select
    s.data_year,
    s.province_code,
    s.province,
    s.province_code = '00' as is_national,
    s.rd_expenditure_100m_yuan,
    s.rd_intensity_pct,
    s.publication_code,
    s.publication_year,
    p.release_order_in_year,
    s.document_sha256
from {{ landing_selected('nbs_rd_bulletin') }} as s
join {{ ref('publications') }} as p on p.publication_code = s.publication_code
