{#- No column combination appears twice. -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#- A NULL figure always says why: where column_name is NULL, reason_column is not. -#}
{% test null_has_reason(model, column_name, reason_column) %}
select * from {{ model }}
where {{ column_name }} is null and {{ reason_column }} is null
{% endtest %}

{#- Every (year, region) of the spine is present: count rows per year equals the expected number. -#}
{% test rows_per_year(model, year_column, expected) %}
select {{ year_column }}, count(*) as n
from {{ model }}
group by {{ year_column }}
having count(*) != {{ expected }}
{% endtest %}

{#- The same figure printed by several publications (the bulletin's first release, the yearbook's
    editions) agrees within half a unit of the last printed decimal: one row per figure that does not.
    The 1e-9 absorbs binary float noise (2233.6 − 2233.55 is not exactly 0.05). -#}
{% test publications_agree(model, indicator, half_unit_of_last_printed_decimal) %}
select
    data_year,
    province_code,
    province,
    min(value) as lowest_value,
    max(value) as highest_value,
    count(*) as publications_count
from {{ model }}
where indicator = '{{ indicator }}'
group by data_year, province_code, province
having max(value) - min(value) > {{ half_unit_of_last_printed_decimal }} + 1e-9
{% endtest %}

{#- Cross-feed: a part is never above its whole where both are printed (industrial-enterprise R&D within
    all R&D; full-time equivalent within the headcount). One row per offending row. -#}
{% test not_above(model, column_name, whole) %}
select * from {{ model }}
where {{ column_name }} > {{ whole }}
{% endtest %}

{#- Every value lies within [low, high]. -#}
{% test within_range(model, column_name, low, high) %}
select * from {{ model }}
where {{ column_name }} < {{ low }} or {{ column_name }} > {{ high }}
{% endtest %}
