{#- A model's data rules in one set-based test (one query, one Dagster asset check), in place of one test per
    column and rule. One row per broken rule and offending row or group: `rule` names the rule as
    docs/dbt_checks.md lists it, `failing_row` says which row (the grain's values) or group broke it.
    grain           the columns that identify a row: unique together, and the failing_row of every other rule
    unique          further column sets unique together, each as [columns] or {columns: [...], where: "..."}
    not_null        columns never NULL (views and seeds: a table's contract enforces NOT NULL in the build itself)
    null_has_reason {column: reason_column}: a NULL figure always says why
    accepted_values {column: [values]}: a non-NULL value is one of these
    relationships   {column: {to: "ref(...)" or "source(...)", field: ...}}: a non-NULL value exists in the parent
    not_above       {rule_name: {column: ..., whole: ...}}: a part is never above its whole where both are printed
    within          {column: [low, high]}: a non-NULL value lies within [low, high]
    rows_per_year   {year_column: ..., expected: n}: every year has n rows (every region of the spine)
    Engine-neutral SQL: the same test runs on DuckDB and Spark. -#}
{% test rules(model, grain, unique=[], not_null=[], null_has_reason={}, accepted_values={}, relationships={},
              not_above={}, within={}, rows_per_year=none) %}
{%- set key = row_label(grain) -%}
{%- set uniques = [{'columns': grain}] -%}
{%- for spec in unique -%}{%- do uniques.append(spec if spec is mapping else {'columns': spec}) -%}{%- endfor -%}
{%- for spec in uniques %}
{% if not loop.first %}union all
{% endif -%}
select 'unique({{ spec.columns | join(", ") }}){{ " where " ~ spec.where if spec.where }}' as rule,
    {{ row_label(spec.columns) }} || ' (' || cast(count(*) as string) || ' rows)' as failing_row
from {{ model }}{{ " where " ~ spec.where if spec.where }}
group by {{ spec.columns | join(', ') }}
having count(*) > 1
{%- endfor %}
{%- for column in not_null %}
union all
select 'not_null({{ column }})' as rule, {{ key }} as failing_row from {{ model }} where {{ column }} is null
{%- endfor %}
{%- for column, reason in null_has_reason.items() %}
union all
select 'null_has_reason({{ column }}, {{ reason }})' as rule, {{ key }} as failing_row
from {{ model }} where {{ column }} is null and {{ reason }} is null
{%- endfor %}
{%- for column, values in accepted_values.items() %}
union all
select 'accepted_values({{ column }})' as rule, {{ key }} || ': ' || cast({{ column }} as string) as failing_row
from {{ model }} where {{ column }} not in ('{{ values | join("', '") }}')
{%- endfor %}
{%- for column, parent in relationships.items() %}
union all
select 'relationships({{ column }} -> {{ parent.to.identifier }}.{{ parent.field }})' as rule,
    {{ row_label(grain, 'child.') }} || ': ' || child.{{ column }} as failing_row
from {{ model }} as child
left join (select distinct {{ parent.field }} as parent_key from {{ parent.to }}) as parent
    on child.{{ column }} = parent.parent_key
where child.{{ column }} is not null and parent.parent_key is null
{%- endfor %}
{%- for name, rule in not_above.items() %}
union all
select '{{ name }}' as rule,
    {{ key }} || ': ' || cast({{ rule.column }} as string) || ' > ' || cast({{ rule.whole }} as string) as failing_row
from {{ model }} where {{ rule.column }} > {{ rule.whole }}
{%- endfor %}
{%- for column, bounds in within.items() %}
union all
select 'within({{ column }}, {{ bounds[0] }}, {{ bounds[1] }})' as rule, {{ key }} || ': ' || cast({{ column }} as string) as failing_row
from {{ model }} where {{ column }} < {{ bounds[0] }} or {{ column }} > {{ bounds[1] }}
{%- endfor %}
{%- if rows_per_year %}
union all
select 'rows_per_year({{ rows_per_year.year_column }}) = {{ rows_per_year.expected }}' as rule,
    '{{ rows_per_year.year_column }}=' || coalesce(cast({{ rows_per_year.year_column }} as string), 'NULL')
    || ' (' || cast(count(*) as string) || ' rows)' as failing_row
from {{ model }}
group by {{ rows_per_year.year_column }}
having count(*) != {{ rows_per_year.expected }}
{%- endif %}
{% endtest %}

{#- 'year=2020, province=北京': a row named by its grain columns, NULL spelt out. -#}
{% macro row_label(columns, prefix='') -%}
    {%- for column in columns -%}
        '{{ column }}=' || coalesce(cast({{ prefix }}{{ column }} as string), 'NULL'){% if not loop.last %} || ', ' || {% endif %}
    {%- endfor -%}
{%- endmacro %}

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

