-- R&D personnel of industrial enterprises above designated size per province (and 全国), CSY 2-7/2-11; data 2019 missing upstream.
select
    data_year,
    province_code,
    province,
    province_code = '00' as is_national,
    rd_personnel_count,
    rd_personnel_fte_person_years,
    publication_year,
    document_sha256
from {{ landing_selected('csy_firm_rd_personnel') }}
