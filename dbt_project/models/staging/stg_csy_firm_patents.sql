-- Patents of industrial enterprises above designated size per province (and 全国), pieces, CSY 2-25/2-26; no data 2022 (the archived file is the by-industry table, refused).
select
    data_year,
    province_code,
    province,
    province_code = '00' as is_national,
    patent_applications_count,
    invention_applications_count,
    valid_invention_patents_count,
    publication_year,
    document_sha256
from {{ landing_selected('csy_firm_patents') }}
