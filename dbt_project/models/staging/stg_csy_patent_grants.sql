-- Domestic patent grants per province (and 全国) and year, in pieces.
select
    data_year,
    province_code,
    province,
    province_code = '00' as is_national,
    patent_grants_total_count,
    invention_grants_count,
    utility_model_grants_count,
    design_grants_count,
    publication_year,
    document_sha256
from {{ landing_selected('csy_patent_grants') }}
