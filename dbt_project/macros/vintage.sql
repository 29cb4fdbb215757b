{#- Order vintages of one figure so that rank 1 is the one the `vintage` var asks for.
    Publications are ordered by publication year, then by release order within the year
    (bulletin in Aug-Oct before the yearbook in December; seed `publications`), as ONE sort key:
    DuckDB sorted a window's partitions 7x slower with the two keys (BENCHMARKS.md, "Scale at 10^8 rows").
    The seed's test keeps release_order_in_year within 1-99, so the key orders as the pair does. -#}
{% macro vintage_order() -%}
    {%- if var('vintage') == 'latest' -%}
        publication_year * 100 + release_order_in_year desc
    {%- elif var('vintage') == 'earliest' -%}
        publication_year * 100 + release_order_in_year asc
    {%- else -%}
        {{ exceptions.raise_compiler_error("var 'vintage' must be 'earliest' or 'latest', got " ~ var('vintage')) }}
    {%- endif -%}
{%- endmacro %}

{#- Order the versions of one document so that the first is the one the `vintage` var asks for. -#}
{% macro version_order() -%}
    {%- if var('vintage') == 'latest' -%}
        received_at desc, document_sha256
    {%- else -%}
        received_at asc, document_sha256
    {%- endif -%}
{%- endmacro %}

{#- A landing table's rows from the selected version of each document only (see stg_documents), with the
    publication code its document carries. -#}
{% macro landing_selected(table) -%}
    (select l.*, d.publication_code
     from {{ source('landing', table) }} as l
     join {{ ref('stg_documents') }} as d on d.document_sha256 = l.document_sha256
     where d.is_selected_version)
{%- endmacro %}
