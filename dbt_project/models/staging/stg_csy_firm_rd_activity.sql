-- Industrial enterprises above designated size with R&D activity or an R&D institution, per province (and 全国), CSY 2-4/2-8.
select
    data_year,
    province_code,
    province,
    province_code = '00' as is_national,
    enterprises_with_rd_activity_count,
    enterprises_with_rd_institution_count,
    publication_year,
    document_sha256
from {{ landing_selected('csy_firm_rd_activity') }}
