-- High-tech industry (高技术产业) R&D per province (and 全国), CSY 5-4.
select
    data_year,
    province_code,
    province,
    province_code = '00' as is_national,
    rd_institutions_count,
    rd_personnel_fte_person_years,
    rd_expenditure_100m_yuan,
    publication_year,
    document_sha256
from {{ landing_selected('csy_hightech_rd') }}
