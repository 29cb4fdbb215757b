-- R&D personnel full-time equivalent per province (and 全国), all performers, person-years (人年), CSY 1-4.
select
    data_year,
    province_code,
    province,
    province_code = '00' as is_national,
    rd_personnel_fte_person_years,
    publication_year,
    document_sha256
from {{ landing_selected('csy_rd_personnel') }}
