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
