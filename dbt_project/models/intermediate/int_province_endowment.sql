-- The province-year panel of the innovation endowment, with the 全国 row (is_national): every figure of
-- the endowment feeds, each with the document it came from. All R&D is the vintage-selected figure
-- (int_rd_selected); technology outflow the selected edition (int_tech_market_selected).
with years as (
    select data_year from {{ ref('stg_csy_rd_personnel') }}
    union select data_year from {{ ref('stg_csy_valid_patents') }}
    union select data_year from {{ ref('stg_csy_firm_rd_expenditure') }}
    union select data_year from {{ ref('stg_csy_firm_rd_personnel') }}
    union select data_year from {{ ref('stg_csy_firm_rd_activity') }}
    union select data_year from {{ ref('stg_csy_firm_patents') }}
),
regions as (
    select province_code, province from {{ ref('provinces') }}
    union all
    select '00' as province_code, '全国' as province
),
spine as (
    select y.data_year, r.province_code, r.province
    from years as y
    cross join regions as r
),
outflow as (select * from {{ ref('int_tech_market_selected') }} where direction = 'outflow')
select
    s.data_year,
    s.province_code,
    s.province,
    s.province_code = '00' as is_national,
    rd.rd_expenditure_100m_yuan,
    fe.rd_expenditure_100m_yuan as industrial_enterprise_rd_100m_yuan,
    ht.rd_expenditure_100m_yuan as hightech_industry_rd_100m_yuan,
    rp.rd_personnel_fte_person_years,
    fp.rd_personnel_count as industrial_enterprise_rd_personnel_count,
    fp.rd_personnel_fte_person_years as industrial_enterprise_rd_personnel_fte_person_years,
    ht.rd_personnel_fte_person_years as hightech_industry_rd_personnel_fte_person_years,
    fpt.valid_invention_patents_count as industrial_enterprise_valid_invention_patents_count,
    fa.enterprises_with_rd_activity_count,
    fa.enterprises_with_rd_institution_count,
    vp.valid_patents_total_count,
    vp.valid_invention_patents_count,
    vp.valid_utility_model_patents_count,
    vp.valid_design_patents_count,
    o.contract_value_100m_yuan as tech_outflow_100m_yuan,
    rd.rd_expenditure_document_sha256,
    fe.document_sha256 as industrial_enterprise_rd_document_sha256,
    rp.document_sha256 as rd_personnel_document_sha256,
    fp.document_sha256 as industrial_enterprise_rd_personnel_document_sha256,
    fpt.document_sha256 as industrial_enterprise_patents_document_sha256,
    fa.document_sha256 as enterprises_with_rd_activity_document_sha256,
    vp.document_sha256 as valid_patents_document_sha256,
    o.value_document_sha256 as tech_outflow_document_sha256
from spine as s
left join {{ ref('int_rd_selected') }} as rd using (data_year, province_code)
left join {{ ref('stg_csy_firm_rd_expenditure') }} as fe using (data_year, province_code)
left join {{ ref('stg_csy_hightech_rd') }} as ht using (data_year, province_code)
left join {{ ref('stg_csy_rd_personnel') }} as rp using (data_year, province_code)
left join {{ ref('stg_csy_firm_rd_personnel') }} as fp using (data_year, province_code)
left join {{ ref('stg_csy_firm_patents') }} as fpt using (data_year, province_code)
left join {{ ref('stg_csy_firm_rd_activity') }} as fa using (data_year, province_code)
left join {{ ref('stg_csy_valid_patents') }} as vp using (data_year, province_code)
left join outflow as o using (data_year, province_code)
