-- High-tech enterprise (高新技术企业) net profit per province, 亿元, from the licensed Torch yearbook.
select
    data_year,
    province_code,
    province,
    net_profit_100m_yuan,
    publication_year,
    document_sha256
from {{ landing_selected('torch_hightech_enterprise') }}
where province_code != '00'
