-- Cluster membership per year, from the seed (valid_from/to years), joined to the province panel.
select
    m.cluster,
    m.cluster_name_en,
    pi.*
from {{ ref('int_province_indicators') }} as pi
join {{ ref('cluster_membership') }} as m
    on m.province = pi.province
   and pi.data_year between m.valid_from_year and m.valid_to_year
