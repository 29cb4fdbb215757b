{#- Order vintages of one figure so that rank 1 is the one the `vintage` var asks for.
    Publications are ordered by publication year, then by release order within the year
    (bulletin in Aug-Oct before the yearbook in December; seed `publications`). -#}
{% macro vintage_order() -%}
    {%- if var('vintage') == 'latest' -%}
        publication_year desc, release_order_in_year desc
    {%- elif var('vintage') == 'earliest' -%}
        publication_year asc, release_order_in_year asc
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
