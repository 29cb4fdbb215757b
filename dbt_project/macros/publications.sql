{#- A publication's release order within its year (seed `publications`), which orders vintages. -#}
{% macro release_order(publication_code) -%}
    (select release_order_in_year from {{ ref('publications') }} where publication_code = '{{ publication_code }}')
{%- endmacro %}
