-- Valid (in-force) domestic patents per province (and 全国) at the year end, pieces (件), CSY 7-9/8-9. 全国 also counts 香港, 澳门 and 台湾.
select
    data_year,
    province_code,
    province,
    province_code = '00' as is_national,
    valid_patents_total_count,
    valid_invention_patents_count,
    valid_utility_model_patents_count,
    valid_design_patents_count,
    publication_year,
    document_sha256
from {{ landing_selected('csy_valid_patents') }}
