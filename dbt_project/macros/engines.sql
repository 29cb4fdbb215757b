{#- Where DuckDB and Spark differ, one macro says it once, so every model has one SQL source for both engines. -#}

{#- The distinct non-NULL values of `expression`, sorted, joined by `delimiter`; NULL when there are none
    (dbt.listagg gives '' on Spark but NULL on DuckDB, and leaves the order to the engine). -#}
{% macro sorted_list(expression, delimiter="','") -%}
    {{ return(adapter.dispatch('sorted_list')(expression, delimiter)) }}
{%- endmacro %}

{% macro default__sorted_list(expression, delimiter) -%}
    string_agg(distinct {{ expression }}, {{ delimiter }} order by {{ expression }})
{%- endmacro %}

{% macro spark__sorted_list(expression, delimiter) -%}
    case when count({{ expression }}) > 0
         then array_join(array_sort(collect_set({{ expression }})), {{ delimiter }}) end
{%- endmacro %}

{#- On Spark the landing tables arrive as Parquet files, one folder of files per table under the
    `landing_parquet` var (warehouse/landing_export.py writes them): register each `landing` source as an
    external table over its files, before any model reads it. DuckDB reads them in its own file. -#}
{% macro register_landing_parquet() -%}
    {%- if execute and target.type in ('spark', 'databricks') -%}
        {%- set folder = var('landing_parquet', '') -%}
        {%- if not folder -%}
            {{ exceptions.raise_compiler_error("the spark target reads the landing tables as Parquet: set the var landing_parquet to their folder") }}
        {%- endif -%}
        {%- set schema = var('landing_schema') -%}
        {%- do run_query('create schema if not exists ' ~ schema) -%}
        {%- for source in graph.sources.values() if source.source_name == 'landing' -%}
            {%- do run_query('drop table if exists ' ~ schema ~ '.' ~ source.name) -%}
            {%- do run_query('create table ' ~ schema ~ '.' ~ source.name ~ " using parquet location '"
                             ~ folder ~ '/' ~ source.name ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- Seeds on Spark: dbt-spark binds every value as text, so an empty CSV cell would land as the string 'None';
    here it lands as NULL, as on DuckDB. The seeds are small: one insert with literal values. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set sql -%}
        insert into {{ this.render() }} values
        {% for row in agate_table.rows -%}
            ({%- for col_name in agate_table.column_names -%}
                {%- set value = row[loop.index0] -%}
                {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                {%- if value is none -%}cast(null as {{ type }})
                {%- else -%}cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ type }})
                {%- endif -%}{%- if not loop.last -%}, {% endif -%}
            {%- endfor -%}){%- if not loop.last -%},{%- endif %}
        {% endfor -%}
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {{ return(sql) }}
{% endmacro %}

{#- `innovation marts --engine spark --out DIR`: once every node has built and passed, Spark writes each mart it
    built as Parquet to `<marts_out>/<mart>` (a local folder, or a cluster's shared storage: hdfs://, s3a://). -#}
{% macro write_marts_parquet() -%}
    {%- if execute and target.type in ('spark', 'databricks') and var('marts_out', '') -%}
        {%- set failed = results | selectattr('status', 'in', ['error', 'fail']) | list -%}
        {%- if not failed -%}
            {%- for result in results if result.node.resource_type == 'model' and result.node.fqn[1] == 'marts' -%}
                {%- do run_query("insert overwrite directory '" ~ var('marts_out') ~ '/' ~ result.node.name
                                 ~ "' using parquet select * from " ~ result.node.schema ~ '.' ~ result.node.alias) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
