{#- Rank within each partition, 1 = highest; NULL where the figure is NULL (engines order NULLs differently,
    and a missing figure has no place in a ranking). -#}
{% macro rank_where_known(column, partition_by) -%}
    case when {{ column }} is not null then rank() over (partition by {{ partition_by }} order by {{ column }} desc) end
{%- endmacro %}
