-- R&D expenditure of industrial enterprises above designated size (规上工业企业) per province (and 全国), 亿元, CSY 2-10/2-14.
select
    data_year,
    province_code,
    province,
    province_code = '00' as is_national,
    rd_expenditure_100m_yuan,
    publication_year,
    document_sha256
from {{ landing_selected('csy_firm_rd_expenditure') }}
