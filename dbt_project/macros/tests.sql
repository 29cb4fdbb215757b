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
